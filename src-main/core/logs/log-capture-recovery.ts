// Finds where the trustworthy part of a capture ends when it is opened. Every record is
// checked (length, CRC, the next sequence number) while the sparse index is rebuilt. What
// follows the last good record is either a torn tail (the record being written when the
// app or the machine died, or zeros a file system left after a power cut), which is cut off
// silently, or damage in the middle, which is refused unless the caller asks for repair:
// cutting there would throw away lines that are still on disk.
import { FieldbenchError } from '../../api/errors';
import { readFully } from './log-capture-chunks';
import { checkFrame, FRAME_BYTES, MAX_BODY_BYTES, recordSeq, recordTime } from './log-capture-format';
import type { SparseIndex } from './log-capture-index';

const SCAN_CHUNK_BYTES = 1024 * 1024;
const MAX_RECORD_BYTES = FRAME_BYTES + MAX_BODY_BYTES;

export interface ScanStart {
  offset: number;
  seq: number;
  maxTime: number;
}

export interface ScanResult {
  /** End of the last good record: the capture's length once a bad tail is cut. */
  end: number;
  count: number;
  maxTime: number;
  /** The first bad record, if any, and whether it is a torn tail. */
  problem?: { offset: number; reason: string; tornTail: boolean };
}

export function scanRecords(fd: number, fileSize: number, start: ScanStart, index: SparseIndex): ScanResult {
  const buf = Buffer.allocUnsafe(SCAN_CHUNK_BYTES + MAX_RECORD_BYTES);
  let position = start.offset;
  let seq = start.seq;
  let maxTime = start.maxTime;
  while (position < fileSize) {
    const got = readFully(fd, buf, Math.min(buf.length, fileSize - position), position);
    const atEof = position + got >= fileSize;
    let offset = 0;
    // Leave a record that may continue past this chunk to the next read, unless this read reached the end.
    while (offset < got && (atEof || got - offset >= MAX_RECORD_BYTES)) {
      const frame = checkFrame(buf, offset, got);
      const at = position + offset;
      if (frame.kind === 'short') return { end: at, count: seq, maxTime, problem: { offset: at, reason: 'record cut short', tornTail: true } };
      if (frame.kind === 'bad') {
        const last = frame.size !== undefined && at + frame.size === fileSize;
        return { end: at, count: seq, maxTime, problem: { offset: at, reason: frame.reason, tornTail: last || zerosToEnd(fd, at, fileSize) } };
      }
      const found = recordSeq(buf, offset);
      if (found !== seq) {
        const last = at + frame.size === fileSize;
        return { end: at, count: seq, maxTime, problem: { offset: at, reason: `sequence ${found} where ${seq} was due`, tornTail: last } };
      }
      maxTime = Math.max(maxTime, recordTime(buf, offset));
      index.note(seq, at, maxTime);
      seq += 1;
      offset += frame.size;
    }
    position += offset;
  }
  return { end: position, count: seq, maxTime };
}

function zerosToEnd(fd: number, from: number, fileSize: number): boolean {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let position = from; position < fileSize; ) {
    const got = readFully(fd, buf, Math.min(buf.length, fileSize - position), position);
    if (got === 0) return true;
    for (let i = 0; i < got; i += 1) if (buf[i] !== 0) return false;
    position += got;
  }
  return true;
}

export function damageError(file: string, device: string, problem: { offset: number; reason: string }, keptRecords: number): FieldbenchError {
  return new FieldbenchError({
    code: 'store-error',
    message: `log capture ${file} is damaged at byte ${problem.offset} (${problem.reason}), before its end`,
    device,
    step: 'open log capture',
    hint: `Open it with repair to keep the ${keptRecords} records before the damage; copy the file first if the rest matters`,
  });
}
