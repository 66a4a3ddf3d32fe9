// One line of a device log as the log view shows it: the host's time to the millisecond,
// the text without terminal escape codes, and the Zephyr log level it carries, if any.
// Any source (a BLE UART service, a serial console) gives lines as text; this knows no source.

// Terminal colour and cursor codes a console sends around its text. CSI sequences (ESC [ …
// final byte, or the 8-bit CSI), OSC strings up to BEL or ST, and two-byte escapes; a bare
// ESC left from a cut sequence goes too, so nothing raw reaches the screen.
const TERMINAL_CODES = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[ -/]*[0-~]?|\u009b/g;

export function withoutTerminalCodes(text: string): string {
  return text.replace(TERMINAL_CODES, '');
}

/** Zephyr's log levels as its log backend prints them: `<err>`, `<wrn>`, `<inf>`, `<dbg>`. */
export type LogLevel = 'err' | 'wrn' | 'inf' | 'dbg';

const ZEPHYR_LEVEL = /<(err|wrn|inf|dbg)>/;

export function logLevelOf(text: string): LogLevel | null {
  const match = ZEPHYR_LEVEL.exec(text);
  return match ? (match[1] as LogLevel) : null;
}

export const logLevelLabel: Record<LogLevel, string> = { err: 'error', wrn: 'warning', inf: 'info', dbg: 'debug' };

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** "14:03:27.512": the host's local time of arrival, to the millisecond. */
export function formatLogTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
