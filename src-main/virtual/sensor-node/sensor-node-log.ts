// What the sensor node's Zephyr logging subsystem prints on its UART, as bytes: log lines in
// Zephyr's own format and colours, the background chatter of a running node, and the
// numbered flood a host uses to prove it loses nothing. This is the one place the flood's
// line format is written down: tests and benchmarks read numbers back with floodLineNumber.
//
// A flood line is a pure function of the seed and its number, so a flood resumed after a
// reset, or replayed by a test, is byte for byte the same, and so is the mix of what real
// UARTs deliver: levels and colours, a very long line now and then, noise bursts, and
// writes that carry many lines or end in the middle of one.
import { stripAnsi } from '../../protocols/shell/strip-ansi';
import { hash32, mulberry32 } from '../seeded-random';

export type ZephyrLevel = 'err' | 'wrn' | 'inf' | 'dbg';

// CONFIG_LOG_BACKEND_SHOW_COLOR: errors red, warnings yellow, everything else the default
// colour, and every line ends by going back to the default.
const LEVEL_COLOURS: Record<ZephyrLevel, string> = {
  err: '\u001b[1;31m',
  wrn: '\u001b[1;33m',
  inf: '\u001b[0m',
  dbg: '\u001b[0m',
};
const DEFAULT_COLOUR = '\u001b[0m';

/** Zephyr's log timestamp: [hh:mm:ss.mmm,uuu]. */
export function logTimestamp(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1_000) % 60;
  const millis = ms % 1_000;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(hours)}:${two(minutes)}:${two(seconds)}.${String(millis).padStart(3, '0')},000`;
}

/** One log line as Zephyr's UART backend prints it with colours on, CRLF included. */
export function zephyrLogLine(uptimeMs: number, level: ZephyrLevel, module: string, message: string): string {
  return `[${logTimestamp(uptimeMs)}] ${LEVEL_COLOURS[level]}<${level}> ${module}: ${message}${DEFAULT_COLOUR}\r\n`;
}

/**
 * Problems the node's drivers report, as their log lines say them. The stored error log and
 * the stream draw from these, and device-profiles/sensor-node.json flags them as known issues.
 */
export const KNOWN_PROBLEM_MESSAGES = [
  'i2c_nrfx_twim: Error on I2C line occurred',
  'bq27xxx: Gauge did not answer, retrying',
  'spi_nor: Flash write took longer than expected',
  'bt_hci_core: HCI command 0x0c03 timed out',
  'sht4x: Measurement CRC mismatch',
] as const;

/**
 * Noise on a UART: random bytes, invalid UTF-8 and NULs among them (the first two are always
 * a NUL and 0xff, so every burst has both).
 */
export function noiseBytes(random: () => number, length: number): Uint8Array {
  const noise = new Uint8Array(length);
  for (let i = 0; i < length; i++) noise[i] = Math.floor(random() * 256);
  noise[0] = 0x00;
  if (length > 1) noise[1] = 0xff;
  return noise;
}

// ------------------------------------------------------------------ the stream

interface StreamMessage {
  level: ZephyrLevel;
  module: string;
  text: (random: () => number, tick: number) => string;
}

const STREAM_MESSAGES: readonly StreamMessage[] = [
  { level: 'inf', module: 'main', text: (_, tick) => `heartbeat ${tick}` },
  { level: 'inf', module: 'sht4x', text: (r) => `temperature ${(22 + r() * 4).toFixed(2)} C, humidity ${(40 + r() * 15).toFixed(1)} %` },
  { level: 'dbg', module: 'bq27xxx', text: (r) => `voltage ${Math.round(3850 + r() * 120)} mV, current ${-Math.round(2 + r() * 9)} mA` },
  { level: 'dbg', module: 'bt_adv', text: (r) => `advertising, interval ${Math.round(100 + r() * 50)} ms` },
  { level: 'inf', module: 'bt_conn', text: (r) => `connection parameters updated: interval ${Math.round(30 + r() * 20)} ms, latency 0` },
  { level: 'dbg', module: 'spi_nor', text: (r) => `page 0x${Math.floor(r() * 0x7ff).toString(16).padStart(3, '0')} programmed` },
  { level: 'wrn', module: 'sht4x', text: () => 'measurement not ready, retrying' },
  { level: 'wrn', module: 'bq27xxx', text: (r) => `battery temperature high: ${(40 + r() * 5).toFixed(1)} C` },
  { level: 'inf', module: 'settings', text: () => 'stored 3 items' },
];

/** How often a stream line reports one of the known problems instead of routine chatter. */
const STREAM_PROBLEM_SHARE = 0.03;

/** The next line of the node's background log, `tick` counting the stream's lines since it was switched on. */
export function streamLine(random: () => number, tick: number, uptimeMs: number): string {
  if (random() < STREAM_PROBLEM_SHARE) {
    const problem = KNOWN_PROBLEM_MESSAGES[Math.floor(random() * KNOWN_PROBLEM_MESSAGES.length)] ?? KNOWN_PROBLEM_MESSAGES[0];
    const [module, message] = splitModule(problem);
    return zephyrLogLine(uptimeMs, 'err', module, message);
  }
  const entry = STREAM_MESSAGES[Math.floor(random() * STREAM_MESSAGES.length)] ?? STREAM_MESSAGES[0]!;
  return zephyrLogLine(uptimeMs, entry.level, entry.module, entry.text(random, tick));
}

function splitModule(message: string): [module: string, text: string] {
  const colon = message.indexOf(': ');
  return colon < 0 ? ['main', message] : [message.slice(0, colon), message.slice(colon + 2)];
}

// ------------------------------------------------------------------ the flood

export const FLOOD_MODULE = 'flood';
/** Characters of a flood's very long lines, colours excluded: longer than any console keeps whole. */
export const FLOOD_LONG_LINE_CHARS = 10_000;

const FLOOD_NUMBER = /<(?:err|wrn|inf|dbg)> flood: line (\d{1,15})(?!\d)/;

/**
 * The number of a flood line, from its text as a console shows it or as the node sent it
 * (colours are ignored); null for any other line, the flood's last line and the pieces a
 * console cuts from a very long line after its first.
 */
export function floodLineNumber(text: string): number | null {
  const match = FLOOD_NUMBER.exec(text.includes('\u001b') ? stripAnsi(text) : text);
  return match ? Number(match[1]) : null;
}

/** The flood's closing line, after its last numbered one. */
export function floodDoneLine(uptimeMs: number, first: number, last: number): string {
  return zephyrLogLine(uptimeMs, 'inf', FLOOD_MODULE, `done, lines ${first}..${last}`);
}

/** One flood line and what comes with it on the wire. */
export interface FloodPiece {
  /** A noise burst on a line of its own just before this line; empty for none. */
  noiseBefore: Uint8Array;
  /** The line, CRLF included. */
  line: string;
  /** The node's UART driver hands the buffer over after this line: a short write, not a burst. */
  writeAfter: boolean;
  /** With writeAfter: where in the line the write ends (the rest goes with the next one), or null for its end. */
  cutAt: number | null;
}

const SHARE_ERR = 0.05;
const SHARE_WRN = 0.1;
const SHARE_DBG = 0.15;
/** One line in LONG_EVERY is very long, one in NOISE_EVERY has noise before it. */
const LONG_EVERY = 400;
const NOISE_EVERY = 250;
/** One line in WRITE_EVERY ends a write early; a quarter of those cut the line in two. */
const WRITE_EVERY = 16;

// The long line's filler: letters and spaces only, so no piece of it reads as a flood line.
const FILLER = 'the quick brown fox jumps over the lazy dog ';

/** Flood line `n` of a node seeded with `seed`, at the node's uptime. */
export function floodPiece(seed: number, n: number, uptimeMs: number): FloodPiece {
  const random = mulberry32(hash32((seed ^ Math.imul(n, 0x9e3779b1)) >>> 0));
  const pick = random();
  const level: ZephyrLevel = pick < SHARE_ERR ? 'err' : pick < SHARE_ERR + SHARE_WRN ? 'wrn' : pick < SHARE_ERR + SHARE_WRN + SHARE_DBG ? 'dbg' : 'inf';
  const value = Math.floor(random() * 0x1_0000_0000);
  let message = `line ${n} value=0x${value.toString(16).padStart(8, '0')}`;
  if (random() < 1 / LONG_EVERY) {
    const head = `[${logTimestamp(uptimeMs)}] <${level}> ${FLOOD_MODULE}: ${message} long `;
    message += ` long ${FILLER.repeat(Math.ceil(FLOOD_LONG_LINE_CHARS / FILLER.length)).slice(0, FLOOD_LONG_LINE_CHARS - head.length)}`;
  }
  let noiseBefore: Uint8Array = new Uint8Array(0);
  if (random() < 1 / NOISE_EVERY) {
    const noise = noiseBytes(random, 8 + Math.floor(random() * 56));
    // A line of its own: line ends inside the burst would make it several.
    for (let i = 0; i < noise.length; i++) if (noise[i] === 0x0a || noise[i] === 0x0d) noise[i] = 0x80 | noise[i]!;
    noiseBefore = new Uint8Array(noise.length + 2);
    noiseBefore.set(noise);
    noiseBefore.set([0x0d, 0x0a], noise.length);
  }
  const line = zephyrLogLine(uptimeMs, level, FLOOD_MODULE, message);
  const writeAfter = random() < 1 / WRITE_EVERY;
  const cutAt = writeAfter && random() < 0.25 ? 1 + Math.floor(random() * (line.length - 2)) : null;
  return { noiseBefore, line, writeAfter, cutAt };
}
