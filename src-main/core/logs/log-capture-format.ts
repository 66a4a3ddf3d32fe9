// The on-disk record of a log capture. A capture file is an 8-byte header followed by
// records, each framed so that a reader can tell a whole record from a torn one:
//
//   u32 LE  body length (RECORD_FIXED_BYTES + line bytes)
//   u32 LE  CRC-32 of the body
//   body:   f64 LE host time (ms since the epoch), f64 LE sequence number, u8 flags, line bytes
//
// The length comes first so a scan can step from record to record without decoding lines,
// and the CRC covers everything a reader would trust, so a record half on disk after a
// crash, or a flipped bit, is refused instead of shown as a line that never was.
import { crc32 } from 'node:zlib';

export const FILE_MAGIC = Buffer.from('FBLOGCP1', 'latin1');
export const FILE_HEADER_BYTES = FILE_MAGIC.length;
/** length + CRC */
export const FRAME_BYTES = 8;
/** time + sequence + flags */
export const RECORD_FIXED_BYTES = 17;
/** A longer line is cut here and flagged: one runaway binary burst must not grow a record without bound. */
export const MAX_LINE_BYTES = 256 * 1024;
export const MAX_BODY_BYTES = RECORD_FIXED_BYTES + MAX_LINE_BYTES;

/** Flag bits. Bits 2..7 belong to the caller (binary burst, gap after a reboot, ...). */
export const LogRecordFlag = {
  /** A moment the user marked; the line is the mark's label. */
  mark: 1,
  /** The line was longer than MAX_LINE_BYTES and was cut. */
  truncated: 2,
} as const;
export const CALLER_FLAGS_MASK = 0xfc;

export interface LogRecord {
  seq: number;
  time: number;
  flags: number;
  /** The line as text (UTF-8, invalid bytes replaced). */
  text: string;
}

export function recordBytes(lineBytes: number): number {
  return FRAME_BYTES + RECORD_FIXED_BYTES + lineBytes;
}

/**
 * Encodes one record into `target` at `offset`, the line written straight from the string
 * so the ingest path allocates nothing per line. Returns the record's size.
 */
export function encodeRecord(target: Buffer, offset: number, seq: number, time: number, flags: number, line: string | Uint8Array, lineBytes: number): number {
  const body = offset + FRAME_BYTES;
  target.writeUInt32LE(RECORD_FIXED_BYTES + lineBytes, offset);
  target.writeDoubleLE(time, body);
  target.writeDoubleLE(seq, body + 8);
  target.writeUInt8(flags, body + 16);
  if (typeof line === 'string') target.write(line, body + RECORD_FIXED_BYTES, lineBytes, 'utf8');
  else target.set(line.subarray(0, lineBytes), body + RECORD_FIXED_BYTES);
  const end = body + RECORD_FIXED_BYTES + lineBytes;
  target.writeUInt32LE(crc32(target.subarray(body, end)), offset + 4);
  return end - offset;
}

/**
 * How many UTF-8 bytes of `line` fit in a record, cut on a character boundary so the stored
 * prefix still decodes to the characters the device sent.
 */
export function fitLine(line: string | Uint8Array): { bytes: number; truncated: boolean } {
  const full = typeof line === 'string' ? Buffer.byteLength(line, 'utf8') : line.length;
  if (full <= MAX_LINE_BYTES) return { bytes: full, truncated: false };
  if (typeof line !== 'string') return { bytes: MAX_LINE_BYTES, truncated: true };
  const encoded = Buffer.from(line, 'utf8');
  let cut = MAX_LINE_BYTES;
  // Step back over UTF-8 continuation bytes (10xxxxxx) to the start of a character.
  while (cut > 0 && ((encoded[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
  return { bytes: cut, truncated: true };
}

export type FrameCheck =
  | { kind: 'ok'; size: number }
  /** Fewer bytes than the record claims: the end of what was written. */
  | { kind: 'short' }
  /** A length no writer produces, or a CRC that does not match. */
  | { kind: 'bad'; reason: string; size?: number };

/** Checks the record at `offset` in `buf` (which holds `available` valid bytes). */
export function checkFrame(buf: Buffer, offset: number, available: number): FrameCheck {
  if (available - offset < FRAME_BYTES) return { kind: 'short' };
  const length = buf.readUInt32LE(offset);
  if (length < RECORD_FIXED_BYTES || length > MAX_BODY_BYTES) return { kind: 'bad', reason: `record length ${length} out of range` };
  const size = FRAME_BYTES + length;
  if (available - offset < size) return { kind: 'short' };
  const stored = buf.readUInt32LE(offset + 4);
  const actual = crc32(buf.subarray(offset + FRAME_BYTES, offset + size));
  if (stored !== actual) return { kind: 'bad', reason: 'CRC mismatch', size };
  return { kind: 'ok', size };
}

export function recordSize(buf: Buffer, offset: number): number {
  return FRAME_BYTES + buf.readUInt32LE(offset);
}

export function recordSeq(buf: Buffer, offset: number): number {
  return buf.readDoubleLE(offset + FRAME_BYTES + 8);
}

export function recordTime(buf: Buffer, offset: number): number {
  return buf.readDoubleLE(offset + FRAME_BYTES);
}

export function decodeRecord(buf: Buffer, offset: number): LogRecord {
  const body = offset + FRAME_BYTES;
  const end = offset + recordSize(buf, offset);
  return {
    time: buf.readDoubleLE(body),
    seq: buf.readDoubleLE(body + 8),
    flags: buf.readUInt8(body + 16),
    text: buf.toString('utf8', body + RECORD_FIXED_BYTES, end),
  };
}

/** Where the line's bytes start and end inside the record at `offset`. */
export function lineBounds(buf: Buffer, offset: number): { start: number; end: number } {
  return { start: offset + FRAME_BYTES + RECORD_FIXED_BYTES, end: offset + recordSize(buf, offset) };
}
