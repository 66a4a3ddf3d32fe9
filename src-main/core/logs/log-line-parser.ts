// One raw line from a device's log, as the console shows it: styled spans, a level and the
// device's own header fields, control bytes made visible, binary bursts as hex. Pure and
// total: it never throws, whatever a broken UART or a wrong baud rate delivers, and its work
// is bounded by the line-length cap, so a runaway line cannot stall ingest.
import type { FieldbenchError } from '../../api/errors';
import { MAX_LOG_LINE_LENGTH } from '../ble/nus-log-lines';
import { toStyledSpans, type StyledSpan } from './ansi-spans';
import {
  compileLevelPatterns,
  readLogHeader,
  type CompiledLevelPattern,
  type LevelPattern,
  type LogFormat,
  type LogLevel,
} from './log-levels';

export interface ParsedLogLine {
  /** The line as shown, without styling: what search and filters see. */
  text: string;
  spans: StyledSpan[];
  level: LogLevel | null;
  format: LogFormat | null;
  deviceTime: string | null;
  module: string | null;
  message: string;
  /** Mostly non-printable: `text` is the bytes in hex. */
  binary: boolean;
  /** Longer than the cap: only the first `maxLength` characters (or bytes) were kept. */
  truncated: boolean;
  /** Characters for a string, bytes for a byte array, before any cut. */
  length: number;
}

export interface LogLineParserOptions {
  /** The profile's own level patterns, matched regardless of case, before the built-in formats. */
  levelPatterns?: readonly LevelPattern[];
  /** Characters (or bytes) kept of one line. */
  maxLength?: number;
  /** Names the device in problems with its patterns. */
  deviceLabel?: string;
}

/** A line is binary when more than this share of its characters cannot be printed. */
const BINARY_SHARE = 0.5;
/** Shorter lines stay text: a lone BEL or NUL reads better as ␇ or ␀ than as a hex dump. */
const BINARY_MIN_LENGTH = 4;

const decoderOptions = { fatal: false, ignoreBOM: true } as const;

export class LogLineParser {
  readonly maxLength: number;
  /** Profile patterns that were left out, each saying why. */
  readonly problems: readonly FieldbenchError[];
  private readonly patterns: readonly CompiledLevelPattern[];

  constructor(options: LogLineParserOptions = {}) {
    const requested = options.maxLength ?? MAX_LOG_LINE_LENGTH;
    this.maxLength = Number.isFinite(requested) && requested >= 1 ? Math.floor(requested) : MAX_LOG_LINE_LENGTH;
    const compiled = compileLevelPatterns(options.levelPatterns ?? [], options.deviceLabel ?? 'device');
    this.patterns = compiled.patterns;
    this.problems = compiled.problems;
  }

  /** Parses one line, without its line ending. Bytes are decoded as UTF-8. */
  parse(line: string | Uint8Array): ParsedLogLine {
    const length = line.length;
    const truncated = length > this.maxLength;
    const { text, spans, binary } = typeof line === 'string' ? shown(cutString(line, this.maxLength)) : shown(cutBytes(line, this.maxLength));
    if (binary) {
      return { text, spans, level: null, format: null, deviceTime: null, module: null, message: text, binary, truncated, length };
    }
    return { text, spans, ...readLogHeader(text, this.patterns), binary, truncated, length };
  }

  /** The `text` parse gives for these bytes, without reading a level: what search and filters match. */
  shownText(line: Uint8Array): string {
    return shown(cutBytes(line, this.maxLength)).text;
  }
}

/** A cut line as shown: its styled spans and their plain text, or its bytes in hex when it is binary. */
function shown({ text, bytes }: { text: string; bytes?: Uint8Array }): { text: string; spans: StyledSpan[]; binary: boolean } {
  if (isBinary(text)) {
    const hex = hexText(bytes ?? stringBytes(text));
    return { text: hex, spans: [{ text: hex }], binary: true };
  }
  const spans = toStyledSpans(text);
  return { text: spans.map((span) => span.text).join(''), spans, binary: false };
}

function cutString(line: string, max: number): { text: string; bytes?: undefined } {
  if (line.length <= max) return { text: line };
  // Never keep half of a surrogate pair.
  const keep = isHighSurrogate(line.charCodeAt(max - 1)) ? max - 1 : max;
  return { text: line.slice(0, keep) };
}

function cutBytes(line: Uint8Array, max: number): { text: string; bytes: Uint8Array } {
  const bytes = line.length > max ? line.subarray(0, max) : line;
  // Streaming decode holds back a character the cut split, instead of showing it as U+FFFD.
  const decoder = new TextDecoder('utf-8', decoderOptions);
  const text = line.length > max ? decoder.decode(bytes, { stream: true }) : decoder.decode(bytes);
  return { text, bytes };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Control characters other than tab and ESC (colour sequences are not noise), and bytes that are not UTF-8. */
function isUnprintable(code: number): boolean {
  if (code === 0x09 || code === 0x1b) return false;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfffd;
}

function isBinary(text: string): boolean {
  if (text.length < BINARY_MIN_LENGTH) return false;
  let unprintable = 0;
  for (let i = 0; i < text.length; i++) {
    if (isUnprintable(text.charCodeAt(i))) unprintable++;
  }
  return unprintable > text.length * BINARY_SHARE;
}

/** A string's bytes: its char codes when all fit in a byte (a binary string), else its UTF-8. */
function stringBytes(text: string): Uint8Array {
  let fitsBytes = true;
  for (let i = 0; i < text.length && fitsBytes; i++) fitsBytes = text.charCodeAt(i) <= 0xff;
  if (!fitsBytes) return new TextEncoder().encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function hexText(bytes: Uint8Array): string {
  return `hex: ${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ')}`;
}
