// The words and comparisons of a held serial port: how its UART is framed, said the way an
// engineer writes it ("115200 8N1, no flow control"), and the refusals a holder and others meet.
import { FieldbenchError } from '../../api/errors';
import type { SerialSettings } from '../../api/console-schemas';

/** How a held port's UART is framed: the console's serial settings. */
export type PortFraming = SerialSettings;

const PARITY_LETTER: Record<PortFraming['parity'], string> = { none: 'N', even: 'E', odd: 'O', mark: 'M', space: 'S' };
const FLOW_WORDS: Record<PortFraming['flowControl'], string> = {
  none: 'no flow control',
  'rts-cts': 'RTS/CTS flow control',
  'xon-xoff': 'XON/XOFF flow control',
};

/** "115200 8N1, no flow control". */
export function describeFraming(framing: PortFraming): string {
  return `${framing.baudRate} ${framing.dataBits}${PARITY_LETTER[framing.parity]}${framing.stopBits}, ${FLOW_WORDS[framing.flowControl]}`;
}

export function sameFraming(a: PortFraming, b: PortFraming): boolean {
  return (
    a.baudRate === b.baudRate && a.dataBits === b.dataBits && a.parity === b.parity && a.stopBits === b.stopBits && a.flowControl === b.flowControl
  );
}

/** Why a holder cannot send while a long operation (a firmware update) writes to the port. */
export function sendRefusedWhile(operation: string): string {
  const named = /^(a|an|the)\s/i.test(operation) ? operation : `a ${operation}`;
  return `${named} is writing to the port; sending now would corrupt it — wait until it ends`;
}

/** A second holder for a port that has one. */
export function portHeld(holder: string, device: string, step: string): FieldbenchError {
  return new FieldbenchError({
    code: 'device-busy',
    message: `${holder} already holds the port`,
    device,
    step,
    hint: 'Use the console that is open on this device, or close it first.',
  });
}

/** The operations ahead of a holder's request did not end in time. */
export function waitedTooLong(running: string | null, waitMs: number, device: string, step: string): FieldbenchError {
  const what = running ? `${running} still held the port` : 'the port stayed busy';
  return new FieldbenchError({
    code: 'timeout',
    message: `${what} after ${(waitMs / 1000).toFixed(0)} s, so nothing was done`,
    device,
    step,
    hint: 'Try again when the device page no longer shows it busy.',
  });
}
