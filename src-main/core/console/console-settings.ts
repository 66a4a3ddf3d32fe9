// A console's serial settings and line ending: what the device's profile says (the shell's
// baud rate and line ending, the console section's UART framing), what a request changes,
// and the bytes a line ending is.
import type { LineEnding, SerialSettings } from '../../api/console-schemas';
import type { SerialProfile } from '../profiles/profile-types';

/** The usual UART of a development board, for a device no profile recognises. */
const PLAIN_UART: SerialSettings = { baudRate: 115_200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' };

const LINE_ENDING_OF_SHELL: Record<SerialProfile['shell']['lineEnding'], LineEnding> = { '\r\n': 'crlf', '\n': 'lf', '\r': 'cr' };
const LINE_ENDING_BYTES: Record<LineEnding, string> = { crlf: '\r\n', lf: '\n', cr: '\r', none: '' };

export interface ConsoleDefaults {
  settings: SerialSettings;
  lineEnding: LineEnding;
}

export function consoleDefaults(profile: SerialProfile | null): ConsoleDefaults {
  if (!profile) return { settings: PLAIN_UART, lineEnding: 'crlf' };
  const serial = profile.console?.serial ?? {};
  return {
    settings: {
      baudRate: profile.shell.baudRate,
      dataBits: serial.dataBits ?? PLAIN_UART.dataBits,
      parity: serial.parity ?? PLAIN_UART.parity,
      stopBits: serial.stopBits ?? PLAIN_UART.stopBits,
      flowControl: serial.flowControl ?? PLAIN_UART.flowControl,
    },
    lineEnding: LINE_ENDING_OF_SHELL[profile.shell.lineEnding],
  };
}

/** The settings with what a request gives in place of theirs. */
export function withSettings(base: SerialSettings, change: Partial<SerialSettings> | undefined): SerialSettings {
  return {
    baudRate: change?.baudRate ?? base.baudRate,
    dataBits: change?.dataBits ?? base.dataBits,
    parity: change?.parity ?? base.parity,
    stopBits: change?.stopBits ?? base.stopBits,
    flowControl: change?.flowControl ?? base.flowControl,
  };
}

export function lineEndingBytes(lineEnding: LineEnding): string {
  return LINE_ENDING_BYTES[lineEnding];
}

/** "CR LF", "LF", "CR", "nothing": the line ending as a person names it. */
export function describeLineEnding(lineEnding: LineEnding): string {
  return lineEnding === 'none' ? 'nothing' : lineEnding === 'crlf' ? 'CR LF' : lineEnding.toUpperCase();
}
