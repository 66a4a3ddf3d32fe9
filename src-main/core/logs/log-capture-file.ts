// One capture session on disk: append lines and marks, read any range back, search it.
//
// Durability, in two steps:
// - Lines are batched in memory and written to the file every `flushIntervalMs` (50 ms) or
//   once `flushBytes` (64 KiB) are waiting, whichever comes first. A write hands the bytes
//   to the kernel, so from then on they survive the app crashing or being killed.
//   `flushedCount` says how far that is; a line appended after it is lost with the process.
// - Every `syncIntervalMs` (1 s) a flush also calls fdatasync, and a mark or close syncs at
//   once, so a power cut or a kernel crash loses at most about a second of lines (and never
//   a mark). Syncing every batch would cap the ingest rate at the disk's flush rate.
// Whatever a crash leaves half written is detected by the record CRC and cut off on reopen.
//
// One writer per capture file: the session that owns the port. Other readers open it
// read-only.
import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import { damaged, readFully, recordChunks, type RecordChunk } from './log-capture-chunks';
import {
  CALLER_FLAGS_MASK,
  checkFrame,
  decodeRecord,
  encodeRecord,
  FILE_HEADER_BYTES,
  FILE_MAGIC,
  fitLine,
  LogRecordFlag,
  MAX_BODY_BYTES,
  FRAME_BYTES,
  recordBytes,
  recordSize,
  recordTime,
  type LogRecord,
} from './log-capture-format';
import { DEFAULT_INDEX_EVERY, SparseIndex } from './log-capture-index';
import { damageError, scanRecords } from './log-capture-recovery';
import { searchChunks, type CaptureSearchOptions, type CaptureSearchResult, type CaptureQuery } from './log-capture-search';

export const CAPTURE_EXTENSION = '.fblog';
const SIDECAR_SUFFIX = '.idx';
const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/u;

export interface OpenLogCaptureOptions {
  /** The folder that holds one file per capture session. Created if missing. */
  folder: string;
  /** The session's file name without extension: letters, digits, '.', '_', '-'. */
  session: string;
  /** The device being captured, as a person names it: used in every error. */
  device: string;
  /** Open an existing capture to read only: no appends, nothing on disk changes. */
  readOnly?: boolean;
  /** Cut a capture damaged in the middle at the damage instead of refusing to open it. */
  repair?: boolean;
  flushIntervalMs?: number;
  flushBytes?: number;
  syncIntervalMs?: number;
  indexEvery?: number;
  /** Host clock, ms since the epoch. */
  now?: () => number;
  /** A batch written from the timer failed: the next append throws it too. */
  onError?: (error: FieldbenchError) => void;
}

export interface AppendOptions {
  /** Host time in ms; defaults to now. */
  time?: number;
  /** Caller flag bits (CALLER_FLAGS_MASK). */
  flags?: number;
}

export interface OpenReport {
  /** Bytes cut from the end because the last record was torn. */
  tornBytes: number;
  /** Whether the sidecar index was used instead of a full scan. */
  usedSidecar: boolean;
}

export class LogCapture {
  private readonly pending: Buffer;
  private pendingBytes = 0;
  private pendingFirstSeq = 0;
  private fileBytes: number;
  private nextSeq: number;
  private flushed: number;
  private maxTime: number;
  private timer: NodeJS.Timeout | undefined;
  /** Armed when a flush left data unsynced: an idle stream still reaches the disk within the interval. */
  private syncTimer: NodeJS.Timeout | undefined;
  private lastSync: number;
  private failure: FieldbenchError | undefined;
  private closed = false;

  private constructor(
    private readonly fd: number,
    readonly file: string,
    private readonly options: Required<Pick<OpenLogCaptureOptions, 'device' | 'flushIntervalMs' | 'flushBytes' | 'syncIntervalMs' | 'now'>> &
      Pick<OpenLogCaptureOptions, 'readOnly' | 'onError'>,
    private readonly index: SparseIndex,
    state: { bytes: number; count: number; maxTime: number },
    readonly opened: OpenReport,
  ) {
    this.fileBytes = state.bytes;
    this.nextSeq = state.count;
    this.flushed = state.count;
    this.maxTime = state.maxTime;
    this.lastSync = options.now();
    this.pending = Buffer.allocUnsafe(options.readOnly ? 0 : options.flushBytes + FRAME_BYTES + MAX_BODY_BYTES);
  }

  static open(options: OpenLogCaptureOptions): LogCapture {
    const device = options.device;
    if (!SESSION_NAME.test(options.session)) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `"${options.session}" is not a capture session name`,
        device,
        step: 'open log capture',
        hint: 'Use letters, digits, ".", "_" and "-" only, starting with a letter or digit',
      });
    }
    const file = join(options.folder, `${options.session}${CAPTURE_EXTENSION}`);
    const every = options.indexEvery ?? DEFAULT_INDEX_EVERY;
    const settings = {
      device,
      flushIntervalMs: options.flushIntervalMs ?? 50,
      flushBytes: options.flushBytes ?? 64 * 1024,
      syncIntervalMs: options.syncIntervalMs ?? 1000,
      now: options.now ?? Date.now,
      readOnly: options.readOnly,
      onError: options.onError,
    };
    let fd: number;
    try {
      if (!options.readOnly) mkdirSync(options.folder, { recursive: true });
      fd = openSync(file, options.readOnly ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (error) {
      throw ioError(error, file, device, 'open log capture', options.readOnly ? 'Check that the capture exists' : 'Check that the capture folder is writable and the disk has space');
    }
    try {
      const { state, report } = recover(fd, file, device, every, options);
      return new LogCapture(fd, file, settings, state.index, state, report);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Lines and marks in the capture, flushed or not. */
  get count(): number {
    return this.nextSeq;
  }

  /** Records up to here are with the kernel and survive the app crashing. */
  get flushedCount(): number {
    return this.flushed;
  }

  /** Appends one line and returns its sequence number. */
  append(line: string | Uint8Array, options: AppendOptions = {}): number {
    const flags = options.flags ?? 0;
    if ((flags & ~CALLER_FLAGS_MASK) !== 0) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `flags 0x${flags.toString(16)} use bits the capture reserves`,
        device: this.options.device,
        step: 'append to log capture',
        hint: 'Use only bits 2 to 7 (CALLER_FLAGS_MASK) for your own flags; marks go through mark()',
      });
    }
    return this.write(line, flags, options.time);
  }

  /** Records a moment the user marked, as a record of its own, and puts it on disk now. */
  mark(label: string, time?: number): number {
    const seq = this.write(label, LogRecordFlag.mark, time);
    this.flush();
    this.sync();
    return seq;
  }

  private write(line: string | Uint8Array, flags: number, time: number | undefined): number {
    this.assertWritable('append to log capture');
    if (this.failure) throw this.failure;
    const fit = fitLine(line);
    const size = recordBytes(fit.bytes);
    if (this.pendingBytes + size > this.pending.length) this.flush();
    const seq = this.nextSeq;
    const at = this.options.now();
    const stamp = time ?? at;
    if (this.pendingBytes === 0) this.pendingFirstSeq = seq;
    encodeRecord(this.pending, this.pendingBytes, seq, stamp, flags | (fit.truncated ? LogRecordFlag.truncated : 0), line, fit.bytes);
    this.maxTime = Math.max(this.maxTime, stamp);
    this.index.note(seq, this.fileBytes + this.pendingBytes, this.maxTime);
    this.pendingBytes += size;
    this.nextSeq = seq + 1;
    if (this.pendingBytes >= this.options.flushBytes) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flushFromTimer(), this.options.flushIntervalMs);
      this.timer.unref();
    }
    return seq;
  }

  private flushFromTimer(): void {
    this.timer = undefined;
    try {
      this.flush();
    } catch (error) {
      const failure = isFieldbenchError(error) ? error : ioError(error, this.file, this.options.device, 'write log capture', 'Check free disk space');
      this.failure = failure;
      this.options.onError?.(failure);
    }
  }

  /** Hands every pending record to the kernel; returns how many records are now safe from an app crash. */
  flush(): number {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pendingBytes === 0) return this.flushed;
    let written = 0;
    try {
      while (written < this.pendingBytes) {
        written += writeSync(this.fd, this.pending, written, this.pendingBytes - written, this.fileBytes + written);
      }
    } catch (error) {
      // Nothing past the old end is trusted: the next open cuts a partial write as a torn tail.
      throw ioError(error, this.file, this.options.device, 'write log capture', `Check free disk space; lines from ${this.pendingFirstSeq} on are not on disk`);
    }
    this.fileBytes += written;
    this.pendingBytes = 0;
    this.flushed = this.nextSeq;
    const sinceSync = this.options.now() - this.lastSync;
    if (sinceSync >= this.options.syncIntervalMs) this.sync();
    else if (!this.syncTimer) {
      this.syncTimer = setTimeout(() => this.syncFromTimer(), this.options.syncIntervalMs - sinceSync);
      this.syncTimer.unref();
    }
    return this.flushed;
  }

  private syncFromTimer(): void {
    this.syncTimer = undefined;
    try {
      this.sync();
    } catch (error) {
      const failure = isFieldbenchError(error) ? error : ioError(error, this.file, this.options.device, 'sync log capture', 'Check the disk');
      this.failure = failure;
      this.options.onError?.(failure);
    }
  }

  /** Puts every flushed record on the storage device itself (survives a power cut). */
  sync(): void {
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    if (this.options.readOnly || this.closed) return;
    try {
      fdatasyncSync(this.fd);
    } catch (error) {
      throw ioError(error, this.file, this.options.device, 'sync log capture', 'Check the disk; the capture may be on a removed drive');
    }
    this.lastSync = this.options.now();
  }

  /** Up to `count` records from `fromSeq` on, for a virtualised view: reads only what it returns. */
  readRange(fromSeq: number, count: number): LogRecord[] {
    this.assertOpen('read log capture');
    this.flush();
    const from = Math.max(0, Math.floor(fromSeq));
    const records: LogRecord[] = [];
    const start = this.index.floor(from);
    if (!start || count <= 0 || from >= this.nextSeq) return records;
    let seq = start.seq;
    const where = { device: this.options.device, file: this.file };
    for (const chunk of recordChunks(this.fd, start.offset, this.fileBytes, where, 64 * 1024)) {
      for (let offset = 0; offset < chunk.end; offset += recordSize(chunk.buf, offset)) {
        if (seq >= from) {
          if (checkFrame(chunk.buf, offset, chunk.end).kind !== 'ok') throw damaged(where, chunk.position + offset, 'CRC mismatch');
          records.push(decodeRecord(chunk.buf, offset));
          if (records.length >= count) return records;
        }
        seq += 1;
      }
    }
    return records;
  }

  /** The first record at or after `time` (host ms), or `count` when every record is earlier. */
  seqAtTime(time: number): number {
    this.assertOpen('read log capture');
    this.flush();
    const start = this.index.floorByTime(time);
    if (!start) return this.nextSeq;
    let seq = start.seq;
    for (const chunk of recordChunks(this.fd, start.offset, this.fileBytes, { device: this.options.device, file: this.file })) {
      for (let offset = 0; offset < chunk.end; offset += recordSize(chunk.buf, offset)) {
        if (recordTime(chunk.buf, offset) >= time) return seq;
        seq += 1;
      }
    }
    return this.nextSeq;
  }

  /**
   * Searches records [from, to) for text or a regular expression, streaming the file in
   * chunks and yielding to the event loop between them.
   */
  async search(query: CaptureQuery, options: CaptureSearchOptions = {}): Promise<CaptureSearchResult> {
    this.assertOpen('search log capture');
    this.flush();
    const from = Math.max(0, Math.floor(options.from ?? 0));
    const to = Math.min(this.nextSeq, Math.floor(options.to ?? this.nextSeq));
    const start = this.index.floor(from);
    const where = { device: this.options.device, file: this.file };
    if (!start || from >= to) return { hits: [], scannedTo: Math.max(from, to), complete: true };
    return searchChunks(recordChunks(this.fd, start.offset, this.fileBytes, where), start.seq, { ...options, from, to }, query, where);
  }

  /**
   * Whole-record chunks from the indexed record at or before `fromSeq` to the end, for scans
   * that read flags or bytes without decoding every line (filters, flag rebuilds).
   * `firstSeq` is the sequence number of the first record of the first chunk.
   */
  scan(fromSeq: number): { firstSeq: number; chunks: Iterable<RecordChunk> } {
    this.assertOpen('read log capture');
    this.flush();
    const start = this.index.floor(Math.max(0, Math.floor(fromSeq)));
    if (!start || fromSeq >= this.nextSeq) return { firstSeq: this.nextSeq, chunks: [] };
    return { firstSeq: start.seq, chunks: recordChunks(this.fd, start.offset, this.fileBytes, { device: this.options.device, file: this.file }) };
  }

  /** Flushes, syncs, saves the sidecar index and closes the file. */
  close(): void {
    if (this.closed) return;
    if (this.options.readOnly) {
      this.closed = true;
      closeSync(this.fd);
      return;
    }
    try {
      this.flush();
      this.sync();
      this.index.writeSidecar(this.file + SIDECAR_SUFFIX, { bytes: this.fileBytes, count: this.nextSeq, maxTime: this.maxTime });
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }

  private assertOpen(step: string): void {
    if (this.closed) {
      throw new FieldbenchError({ code: 'invalid-request', message: `log capture ${this.file} is closed`, device: this.options.device, step, hint: 'Open the capture again' });
    }
  }

  private assertWritable(step: string): void {
    this.assertOpen(step);
    if (this.options.readOnly) {
      throw new FieldbenchError({ code: 'invalid-request', message: `log capture ${this.file} is open read-only`, device: this.options.device, step, hint: 'Append through the session that owns the capture' });
    }
  }
}

export const openLogCapture = (options: OpenLogCaptureOptions): LogCapture => LogCapture.open(options);

interface Recovered {
  index: SparseIndex;
  bytes: number;
  count: number;
  maxTime: number;
}

function recover(fd: number, file: string, device: string, every: number, options: OpenLogCaptureOptions): { state: Recovered; report: OpenReport } {
  const size = fstatSync(fd).size;
  if (size === 0 && !options.readOnly) {
    writeSync(fd, FILE_MAGIC, 0, FILE_HEADER_BYTES, 0);
    fdatasyncSync(fd);
    return { state: { index: new SparseIndex(every), bytes: FILE_HEADER_BYTES, count: 0, maxTime: -Infinity }, report: { tornBytes: 0, usedSidecar: false } };
  }
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  if (readFully(fd, header, FILE_HEADER_BYTES, 0) !== FILE_HEADER_BYTES || !header.equals(FILE_MAGIC)) {
    throw new FieldbenchError({
      code: 'store-error',
      message: `${file} is not a Fieldbench log capture (its header is wrong)`,
      device,
      step: 'open log capture',
      hint: 'Choose a capture file Fieldbench wrote, or a new session name',
    });
  }

  // Fast path: trust the sidecar up to its last entry, then check every record from there on.
  let index = new SparseIndex(every);
  let result: ReturnType<typeof scanRecords> | undefined;
  let usedSidecar = false;
  const sidecarPath = file + SIDECAR_SUFFIX;
  const sidecar = SparseIndex.readSidecar(sidecarPath, every);
  if (sidecar && sidecar.bytes <= size && sidecar.index.entries > 0) {
    const last = sidecar.index.floor(sidecar.count - 1);
    if (last) {
      sidecar.index.truncate(last.seq);
      const scan = scanRecords(fd, size, { offset: last.offset, seq: last.seq, maxTime: sidecar.maxTime }, sidecar.index);
      if (scan.count >= sidecar.count) {
        index = sidecar.index;
        result = scan;
        usedSidecar = true;
      }
    }
  }
  if (!result) {
    index = new SparseIndex(every);
    result = scanRecords(fd, size, { offset: FILE_HEADER_BYTES, seq: 0, maxTime: -Infinity }, index);
  }

  let tornBytes = 0;
  if (result.problem) {
    if (!result.problem.tornTail && !options.repair) throw damageError(file, device, result.problem, result.count);
    if (options.readOnly) {
      // A reader leaves the file alone; it simply stops at the last good record.
    } else {
      tornBytes = size - result.end;
      ftruncateSync(fd, result.end);
      fdatasyncSync(fd);
    }
  }
  // The sidecar describes the file as it was closed; from now on the scan is the truth.
  if (!options.readOnly) rmSync(sidecarPath, { force: true });
  return { state: { index, bytes: result.end, count: result.count, maxTime: result.maxTime }, report: { tornBytes, usedSidecar } };
}

function ioError(error: unknown, file: string, device: string, step: string, hint: string): FieldbenchError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FieldbenchError({ code: 'store-error', message: `${file}: ${reason}`, device, step, hint }, { cause: error });
}
