// Reads a stretch of a capture in fixed-size chunks that each end on a record boundary, so
// a reader of any size of capture holds one chunk in memory, never the file.
import { readSync } from 'node:fs';
import { FieldbenchError } from '../../api/errors';
import { FRAME_BYTES, MAX_BODY_BYTES, RECORD_FIXED_BYTES } from './log-capture-format';

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
const MAX_RECORD_BYTES = FRAME_BYTES + MAX_BODY_BYTES;

export interface RecordChunk {
  /** Reused between chunks: read what you need before asking for the next one. */
  buf: Buffer;
  /** Bytes [0, end) of `buf` are whole records. */
  end: number;
  /** File offset of buf[0]. */
  position: number;
}

export function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export function* recordChunks(fd: number, start: number, end: number, where: { device: string; file: string }, chunkBytes = DEFAULT_CHUNK_BYTES): Generator<RecordChunk> {
  const buf = Buffer.allocUnsafe(chunkBytes + MAX_RECORD_BYTES);
  let position = start;
  while (position < end) {
    const got = readFully(fd, buf, Math.min(buf.length, end - position), position);
    let offset = 0;
    while (offset + FRAME_BYTES <= got) {
      const length = buf.readUInt32LE(offset);
      if (length < RECORD_FIXED_BYTES || length > MAX_BODY_BYTES) throw damaged(where, position + offset, `record length ${length} out of range`);
      if (offset + FRAME_BYTES + length > got) break;
      offset += FRAME_BYTES + length;
    }
    if (offset === 0) throw damaged(where, position, 'record runs past the end of the indexed capture');
    yield { buf, end: offset, position };
    position += offset;
  }
}

export function damaged(where: { device: string; file: string }, offset: number, reason: string): FieldbenchError {
  return new FieldbenchError({
    code: 'store-error',
    message: `log capture ${where.file} is damaged at byte ${offset}: ${reason}`,
    device: where.device,
    step: 'read log capture',
    hint: 'Reopen the capture with repair to keep every record before the damage, or attach the file to the case as it is',
  });
}
