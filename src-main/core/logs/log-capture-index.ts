// The sparse index of a capture: the file offset of every Nth record, and the latest host
// time seen up to it. Sequence numbers in a capture are contiguous from 0, so entry i is
// the record with sequence i * every; a lookup is one array read plus a short forward scan.
// A 1,000,000-line capture at the default spacing holds about 1,000 entries.
//
// The sidecar file saves a reopen the full scan. It is written whole on close (to a temp
// name, then renamed) and trusted only as far as the capture agrees with it.
import { closeSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { readFully } from './log-capture-chunks';

export const DEFAULT_INDEX_EVERY = 1024;
const SIDECAR_MAGIC = 0x31584946; // "FIX1"
const SIDECAR_HEADER_BYTES = 4 + 4 + 8 + 8 + 8 + 8;

export class SparseIndex {
  private offsets: Float64Array;
  /** Highest host time at or before each entry: non-decreasing even if the host clock steps back. */
  private times: Float64Array;
  private size = 0;

  constructor(readonly every: number = DEFAULT_INDEX_EVERY) {
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`index spacing must be a positive integer, got ${every}`);
    this.offsets = new Float64Array(64);
    this.times = new Float64Array(64);
  }

  get entries(): number {
    return this.size;
  }

  /** Called for every record in order; keeps only the ones on the spacing. */
  note(seq: number, offset: number, maxTime: number): void {
    if (seq % this.every !== 0) return;
    const slot = seq / this.every;
    if (slot !== this.size) throw new RangeError(`index entry ${slot} out of order (have ${this.size})`);
    if (this.size === this.offsets.length) this.grow();
    this.offsets[this.size] = offset;
    this.times[this.size] = maxTime;
    this.size += 1;
  }

  /** The nearest indexed record at or before `seq`: where a forward scan for it starts. */
  floor(seq: number): { seq: number; offset: number } | undefined {
    if (this.size === 0 || seq < 0) return undefined;
    const slot = Math.min(Math.floor(seq / this.every), this.size - 1);
    return { seq: slot * this.every, offset: this.offsets[slot] ?? 0 };
  }

  /** The last indexed record whose running time is before `time`: a scan for the first record at or after `time` starts there. */
  floorByTime(time: number): { seq: number; offset: number } | undefined {
    if (this.size === 0) return undefined;
    let lo = 0;
    let hi = this.size - 1;
    if ((this.times[0] ?? 0) >= time) return { seq: 0, offset: this.offsets[0] ?? 0 };
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.times[mid] ?? 0) < time) lo = mid;
      else hi = mid - 1;
    }
    return { seq: lo * this.every, offset: this.offsets[lo] ?? 0 };
  }

  /** Drops entries at or past `seq` (after a torn tail is cut). */
  truncate(seq: number): void {
    this.size = Math.min(this.size, Math.ceil(seq / this.every));
  }

  private grow(): void {
    const offsets = new Float64Array(this.offsets.length * 2);
    offsets.set(this.offsets);
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.offsets = offsets;
    this.times = times;
  }

  /** What the sidecar stores besides the entries: where the indexed part of the capture ends. */
  writeSidecar(path: string, covered: { bytes: number; count: number; maxTime: number }): void {
    const buf = Buffer.alloc(SIDECAR_HEADER_BYTES + this.size * 16);
    buf.writeUInt32LE(SIDECAR_MAGIC, 0);
    buf.writeUInt32LE(this.every, 4);
    buf.writeDoubleLE(covered.bytes, 8);
    buf.writeDoubleLE(covered.count, 16);
    buf.writeDoubleLE(covered.maxTime, 24);
    buf.writeDoubleLE(this.size, 32);
    for (let i = 0; i < this.size; i += 1) {
      buf.writeDoubleLE(this.offsets[i] ?? 0, SIDECAR_HEADER_BYTES + i * 16);
      buf.writeDoubleLE(this.times[i] ?? 0, SIDECAR_HEADER_BYTES + i * 16 + 8);
    }
    const temp = `${path}.tmp`;
    writeFileSync(temp, buf);
    renameSync(temp, path);
  }

  /**
   * Reads a sidecar written with the same spacing, or undefined when there is none or it
   * does not hold together. The caller still checks it against the capture itself.
   */
  static readSidecar(path: string, every: number): { index: SparseIndex; bytes: number; count: number; maxTime: number } | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    try {
      const header = Buffer.alloc(SIDECAR_HEADER_BYTES);
      if (readFully(fd, header, header.length, 0) !== header.length) return undefined;
      if (header.readUInt32LE(0) !== SIDECAR_MAGIC || header.readUInt32LE(4) !== every) return undefined;
      const bytes = header.readDoubleLE(8);
      const count = header.readDoubleLE(16);
      const maxTime = header.readDoubleLE(24);
      const size = header.readDoubleLE(32);
      if (!Number.isSafeInteger(size) || size !== Math.ceil(count / every)) return undefined;
      const body = Buffer.alloc(size * 16);
      if (readFully(fd, body, body.length, SIDECAR_HEADER_BYTES) !== body.length) return undefined;
      const index = new SparseIndex(every);
      let previousOffset = -1;
      for (let i = 0; i < size; i += 1) {
        const offset = body.readDoubleLE(i * 16);
        if (offset <= previousOffset || offset >= bytes) return undefined;
        previousOffset = offset;
        index.note(i * every, offset, body.readDoubleLE(i * 16 + 8));
      }
      return { index, bytes, count, maxTime };
    } finally {
      closeSync(fd);
    }
  }
}
