// The work behind a live log console: a device's bytes become timestamped lines on disk
// (assembled, parsed for their level, checked for known issues and the boot banner, packed
// into a record's flags) and captures are read back, filtered, searched and exported. It runs
// in the capture worker thread (log-worker.ts hosts exactly this class), and in-process for
// tests of the code above it.
//
// Each live capture has one LogCapture writer; finished captures are opened read-only on
// demand and the least recently used ones closed. Lines are stored raw (as the device sent
// them) with their kind and level in the flags, so a level filter is a flag scan, and a line
// is parsed again only when it is read.
import { performance } from 'node:perf_hooks';
import { CaptureId, type CaptureFormat, type CaptureRange, type CaptureSummary, type ConsoleFilter, type ConsoleFlag, type ConsoleLine, type ConsoleRead, type ConsoleSearchResult } from '../../api/console-schemas';
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import { backtrackingRisk, checkLogPattern } from '../knowledge/log-pattern';
import { renderCaptureExport } from './capture-export';
import { FilterIndexCache } from './capture-filter-index';
import { captureIds, readCaptureMetaFile, sortNewestFirst, summariseFinishedCapture, writeCaptureMeta, NO_RULES, type CaptureRules } from './capture-meta';
import { isDeviceRecord, isFlaggedRecord, packDeviceFlags, packOwnFlags, unpackFlags } from './capture-record-flags';
import type {
  CaptureMeta,
  CaptureNoteKind,
  CaptureOpenOptions,
  CaptureProgress,
  CaptureSearchRequest,
  CaptureService,
  CaptureServiceOptions,
  KnownIssuePattern,
} from './capture-service';
import { KnownIssueMatcher } from './known-issue-matcher';
import { CAPTURE_EXTENSION, openLogCapture, type LogCapture } from './log-capture-file';
import { FRAME_BYTES, LogRecordFlag, lineBounds, recordSize, recordTime } from './log-capture-format';
import type { CaptureQuery, LineDisplay } from './log-capture-search';
import { CaptureLineAssembler, type AssembledLine } from './log-line-assembler';
import { LogLineParser } from './log-line-parser';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Flags a live capture keeps in memory; past this they are counted, and `flags()` rebuilds them from the file. */
export const MAX_FLAGS_IN_MEMORY = 10_000;
/** Finished captures kept open for reading. */
const OPEN_READERS = 8;
/** A flag's line, cut to what reads well in a list. */
const FLAG_TEXT_CHARS = 200;
/** Wanted rows further apart than this are read with a fresh seek rather than scanned through. */
const READ_SCAN_GAP = 2048;

/** One stored record, raw: a device line's bytes, or a note's text as UTF-8. */
interface RawRecord {
  seq: number;
  time: number;
  flags: number;
  bytes: Uint8Array;
}

/** How a capture's lines are read back: the rules it was taken with, compiled. */
interface Reading {
  meta: CaptureMeta;
  parser: LogLineParser;
  issues: KnownIssueMatcher;
  bootBanner: RegExp | null;
  /** How its lines are shown, for search and filters to match. */
  display: LineDisplay;
}

interface LiveCapture extends Reading {
  writer: LogCapture;
  assembler: CaptureLineAssembler;
  rules: CaptureRules;
  bytes: number;
  /** Every known-issue flag so far, up to MAX_FLAGS_IN_MEMORY. */
  flags: ConsoleFlag[];
  flagCount: number;
  /** Flags since the last progress report. */
  newFlags: ConsoleFlag[];
  lastProgress: number;
  progressDue: boolean;
  progressTimer: NodeJS.Timeout | undefined;
  partialTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last bytes: the partial-line timer measures idleness from here. */
  lastBytesAt: number;
  /** A write failed in the background: the next call on this capture reports it. */
  failure: FieldbenchError | undefined;
}

interface FinishedCapture extends Reading {
  capture: LogCapture;
}

export class CaptureEngine implements CaptureService {
  private readonly folder: string;
  private readonly now: () => number;
  private readonly partialLineMs: number | null;
  private readonly progressIntervalMs: number;
  private readonly live = new Map<string, LiveCapture>();
  /** Open read-only, most recently used last. */
  private readonly readers = new Map<string, FinishedCapture>();
  private readonly filters = new FilterIndexCache();
  private readonly listeners = new Set<(progress: CaptureProgress) => void>();
  private closed = false;

  constructor(options: CaptureServiceOptions) {
    this.folder = options.folder;
    this.now = options.now ?? Date.now;
    this.partialLineMs = options.partialLineMs === undefined ? 250 : options.partialLineMs;
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
  }

  async open(options: CaptureOpenOptions): Promise<CaptureSummary> {
    const id = options.meta.captureId;
    this.checkCaptureId(id, options.meta.device, 'open capture');
    if (this.live.has(id) || existsSync(this.captureFile(id))) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `a capture named ${id} already exists`,
        device: options.meta.device,
        step: 'open capture',
        hint: 'Start the capture under a new id',
      });
    }
    return this.startWriting(options, 'open capture');
  }

  /**
   * Goes on writing a capture this engine (or one before it, in a worker that stopped) was
   * writing: a torn last record is cut, and new lines follow the last whole one.
   */
  async resume(options: CaptureOpenOptions): Promise<CaptureSummary> {
    const id = options.meta.captureId;
    this.checkCaptureId(id, options.meta.device, 'reopen capture');
    if (this.live.has(id)) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `capture ${id} is already being written`,
        device: options.meta.device,
        step: 'reopen capture',
        hint: 'Finish the capture before reopening it',
      });
    }
    return this.startWriting(options, 'reopen capture');
  }

  private startWriting(options: CaptureOpenOptions, step: string): CaptureSummary {
    this.assertRunning(options.meta.device, step);
    const meta = { ...options.meta, endedAt: null };
    const id = meta.captureId;
    this.dropReader(id);
    this.filters.drop(id);
    const rules: CaptureRules = { levelPatterns: options.levelPatterns, knownIssues: options.knownIssues, bootBanner: options.bootBanner };
    const writer = openLogCapture({
      folder: this.folder,
      session: id,
      device: meta.device,
      repair: true,
      now: this.now,
      onError: (error) => {
        const live = this.live.get(id);
        if (live?.writer === writer) live.failure ??= error;
      },
    });
    try {
      writeCaptureMeta(this.folder, meta, rules);
    } catch (error) {
      writer.close();
      throw error;
    }
    const live: LiveCapture = {
      ...compileReading(meta, rules),
      writer,
      assembler: new CaptureLineAssembler(),
      rules,
      bytes: 0,
      flags: [],
      flagCount: 0,
      newFlags: [],
      lastProgress: -Infinity,
      progressDue: false,
      progressTimer: undefined,
      partialTimer: undefined,
      lastBytesAt: performance.now(),
      failure: undefined,
    };
    this.live.set(id, live);
    return this.liveSummary(live);
  }

  ingest(captureId: string, time: number, bytes: Uint8Array): void {
    const live = this.liveCapture(captureId, 'capture device output');
    if (live.failure) throw live.failure;
    live.bytes += bytes.byteLength;
    live.lastBytesAt = performance.now();
    for (const line of live.assembler.push(time, bytes)) this.writeDeviceLine(live, line);
    if (live.assembler.hasPartial) this.armPartialTimer(live);
    this.reportProgress(live);
  }

  endPartialLine(captureId: string): void {
    const live = this.liveCapture(captureId, 'capture device output');
    if (live.failure) throw live.failure;
    if (!live.assembler.hasPartial) return;
    this.writePartial(live);
    this.reportProgress(live);
  }

  async note(captureId: string, kind: CaptureNoteKind, text: string, time: number): Promise<ConsoleLine> {
    const live = this.liveCapture(captureId, `add ${kind} to capture`);
    if (live.failure) throw live.failure;
    this.writePartial(live);
    const seq = this.guard(live.meta.device, `add ${kind} to capture`, () =>
      kind === 'mark' ? live.writer.mark(text, time) : live.writer.append(text, { time, flags: packOwnFlags(kind) }),
    );
    this.reportProgress(live);
    return ownLine(seq, time, kind, text);
  }

  /** Hands every complete line to the kernel; returns the bytes received that are not in the file yet (a partial line). */
  flushToDisk(captureId: string): number {
    const live = this.liveCapture(captureId, 'write capture');
    if (live.failure) throw live.failure;
    this.guard(live.meta.device, 'write capture', () => live.writer.flush());
    return live.assembler.pendingBytes;
  }

  async finish(captureId: string, endedAt: string): Promise<CaptureSummary> {
    const live = this.liveCapture(captureId, 'finish capture');
    this.stopWriting(live, endedAt);
    if (live.failure) throw live.failure;
    return summariseFinishedCapture(this.folder, captureId);
  }

  private stopWriting(live: LiveCapture, endedAt: string): void {
    const id = live.meta.captureId;
    clearTimeout(live.partialTimer);
    clearTimeout(live.progressTimer);
    try {
      if (!live.failure) this.writePartial(live);
    } finally {
      this.live.delete(id);
      try {
        live.writer.close();
      } catch (error) {
        live.failure ??= asCaptureError(error, live.meta.device, 'finish capture');
      }
      if (live.newFlags.length > 0 || live.progressDue) this.emitProgress(live);
      live.meta = { ...live.meta, endedAt };
      writeCaptureMeta(this.folder, live.meta, live.rules);
    }
  }

  async read(captureId: string, offset: number, count: number, filter?: ConsoleFilter): Promise<ConsoleRead> {
    const { reading, capture } = this.readable(captureId, 'read capture');
    const captured = capture.count;
    const from = Math.max(0, Math.floor(offset));
    const wanted = Math.max(0, Math.floor(count));
    if (!filter) {
      const to = Math.min(captured, from + wanted);
      const seqs = Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
      return { total: captured, captured, lines: this.guard(reading.meta.device, 'read capture', () => readLines(capture, reading, seqs)) };
    }
    const index = this.filterIndex(captureId, reading, capture, filter);
    const seqs = Array.from(index.slice(from, from + wanted));
    return { total: index.total, captured, lines: this.guard(reading.meta.device, 'read capture', () => readLines(capture, reading, seqs)) };
  }

  async locate(captureId: string, seq: number, filter?: ConsoleFilter): Promise<{ offset: number | null; total: number }> {
    const { reading, capture } = this.readable(captureId, 'find line in capture');
    const at = Math.max(0, Math.floor(seq));
    if (!filter) return { offset: at < capture.count ? at : null, total: capture.count };
    const index = this.filterIndex(captureId, reading, capture, filter);
    return { offset: index.offsetOf(at), total: index.total };
  }

  async search(captureId: string, request: CaptureSearchRequest): Promise<ConsoleSearchResult> {
    const { reading, capture } = this.readable(captureId, 'search capture');
    const device = reading.meta.device;
    const started = performance.now();
    const query = searchQuery(request, device);
    const to = request.toSeq === undefined ? undefined : request.toSeq + 1;
    const result = await this.guardAsync(device, 'search capture', () =>
      capture.search(query, { from: request.fromSeq ?? 0, ...(to !== undefined && { to }), limit: Math.max(1, Math.floor(request.limit)), display: reading.display }),
    );
    return {
      hits: result.hits.map((hit) => ({ seq: hit.seq, time: hit.time, text: hit.text, matches: hit.matches })),
      scannedTo: result.scannedTo,
      complete: result.complete,
      elapsedMs: performance.now() - started,
    };
  }

  async export(captureId: string, format: CaptureFormat, range: CaptureRange, maxBytes: number): Promise<{ bytes: Uint8Array; lines: number }> {
    const { reading, capture } = this.readable(captureId, 'export capture');
    const from = range.fromSeq ?? 0;
    const to = Math.min(capture.count - 1, range.toSeq ?? capture.count - 1);
    if (from > to && capture.count > 0 && range.fromSeq !== undefined && range.fromSeq >= capture.count) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `line ${from} is past the end of capture ${captureId} (${capture.count} lines)`,
        device: reading.meta.device,
        step: 'export capture',
        hint: `Choose a range within lines 0 to ${capture.count - 1}`,
      });
    }
    return this.guard(reading.meta.device, 'export capture', () => renderCaptureExport(linesInRange(capture, reading, from, to), format, reading.meta, maxBytes));
  }

  async flags(captureId: string): Promise<ConsoleFlag[]> {
    const live = this.live.get(captureId);
    if (live && live.flagCount <= MAX_FLAGS_IN_MEMORY) return [...live.flags];
    const { reading, capture } = this.readable(captureId, 'list known issues in capture');
    return this.guard(reading.meta.device, 'list known issues in capture', () => rebuildFlags(capture, reading));
  }

  async list(): Promise<CaptureSummary[]> {
    const summaries = captureIds(this.folder).map((id) => {
      const live = this.live.get(id);
      return live ? this.liveSummary(live) : summariseFinishedCapture(this.folder, id);
    });
    return sortNewestFirst(summaries);
  }

  onProgress(listener: (progress: CaptureProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const endedAt = new Date(this.now()).toISOString();
    const failures: FieldbenchError[] = [];
    for (const live of [...this.live.values()]) {
      try {
        this.stopWriting(live, endedAt);
      } catch (error) {
        failures.push(asCaptureError(error, live.meta.device, 'finish capture'));
      }
    }
    for (const id of [...this.readers.keys()]) this.dropReader(id);
    this.listeners.clear();
    if (failures[0]) throw failures[0];
  }

  // --- writing ---

  private writeDeviceLine(live: LiveCapture, line: AssembledLine): void {
    const parsed = live.parser.parse(line.bytes);
    const issues = parsed.binary ? [] : live.issues.match(parsed.text);
    const reboot = !parsed.binary && live.bootBanner !== null && live.bootBanner.test(parsed.text);
    const flags = packDeviceFlags(parsed.level, issues.length > 0, reboot, line.continuation);
    const seq = this.guard(live.meta.device, 'capture device output', () => live.writer.append(line.bytes, { time: line.time, flags }));
    for (const issue of issues) this.addFlag(live, toFlag(seq, line.time, issue, parsed.text));
  }

  private addFlag(live: LiveCapture, flag: ConsoleFlag): void {
    live.flagCount += 1;
    if (live.flags.length < MAX_FLAGS_IN_MEMORY) live.flags.push(flag);
    // Progress carries new flags to the console; past the cap it still says how many arrived.
    if (live.newFlags.length < MAX_FLAGS_IN_MEMORY) live.newFlags.push(flag);
  }

  private writePartial(live: LiveCapture): void {
    clearTimeout(live.partialTimer);
    live.partialTimer = undefined;
    const line = live.assembler.flushPartial();
    if (line) this.writeDeviceLine(live, line);
  }

  /** A line without its end is written once no bytes have come for partialLineMs, unless that is left to endPartialLine. */
  private armPartialTimer(live: LiveCapture): void {
    const partialLineMs = this.partialLineMs;
    if (live.partialTimer || partialLineMs === null) return;
    const fire = (): void => {
      live.partialTimer = undefined;
      if (this.live.get(live.meta.captureId) !== live || !live.assembler.hasPartial) return;
      const idle = performance.now() - live.lastBytesAt;
      if (idle < partialLineMs) {
        live.partialTimer = setTimeout(fire, partialLineMs - idle);
        live.partialTimer.unref();
        return;
      }
      try {
        this.writePartial(live);
        this.reportProgress(live);
      } catch (error) {
        live.failure ??= asCaptureError(error, live.meta.device, 'capture device output');
      }
    };
    live.partialTimer = setTimeout(fire, partialLineMs);
    live.partialTimer.unref();
  }

  private reportProgress(live: LiveCapture): void {
    live.progressDue = true;
    if (live.progressTimer) return;
    const wait = live.lastProgress + this.progressIntervalMs - performance.now();
    if (wait <= 0) {
      this.emitProgress(live);
      return;
    }
    live.progressTimer = setTimeout(() => {
      live.progressTimer = undefined;
      if (this.live.get(live.meta.captureId) === live && live.progressDue) this.emitProgress(live);
    }, wait);
    live.progressTimer.unref();
  }

  private emitProgress(live: LiveCapture): void {
    live.progressDue = false;
    live.lastProgress = performance.now();
    const progress: CaptureProgress = { captureId: live.meta.captureId, lines: live.writer.count, bytes: live.bytes, flags: live.newFlags };
    live.newFlags = [];
    for (const listener of this.listeners) {
      try {
        listener(progress);
      } catch {
        // A listener's failure is its own; the capture goes on.
      }
    }
  }

  // --- reading ---

  private readable(captureId: string, step: string): { reading: Reading; capture: LogCapture } {
    const live = this.live.get(captureId);
    if (live) {
      if (live.failure) throw live.failure;
      return { reading: live, capture: live.writer };
    }
    this.assertRunning(captureId, step);
    const open = this.readers.get(captureId);
    if (open) {
      this.readers.delete(captureId);
      this.readers.set(captureId, open);
      return { reading: open, capture: open.capture };
    }
    this.checkCaptureId(captureId, captureId, step);
    if (!existsSync(this.captureFile(captureId))) {
      throw new FieldbenchError({ code: 'not-found', message: `there is no capture ${captureId}`, device: captureId, step, hint: 'List the captures to see which exist' });
    }
    const saved = readCaptureMetaFile(this.folder, captureId);
    const meta = saved?.meta ?? unknownMeta(captureId);
    const capture = openLogCapture({ folder: this.folder, session: captureId, device: meta.device, readOnly: true, repair: true });
    const finished: FinishedCapture = { ...compileReading(meta, saved?.rules ?? NO_RULES), capture };
    this.readers.set(captureId, finished);
    while (this.readers.size > OPEN_READERS) {
      const oldest = this.readers.keys().next().value;
      if (oldest === undefined) break;
      this.dropReader(oldest);
    }
    return { reading: finished, capture };
  }

  private filterIndex(captureId: string, reading: Reading, capture: LogCapture, filter: ConsoleFilter) {
    const index = this.filters.get(captureId, filter, reading.meta.device);
    this.guard(reading.meta.device, 'filter log view', () => index.extend(capture, reading.display));
    this.filters.trim();
    return index;
  }

  private dropReader(captureId: string): void {
    const open = this.readers.get(captureId);
    if (!open) return;
    this.readers.delete(captureId);
    open.capture.close();
  }

  // --- helpers ---

  private liveCapture(captureId: string, step: string): LiveCapture {
    const live = this.live.get(captureId);
    if (live) return live;
    const finished = existsSync(this.captureFile(captureId));
    throw new FieldbenchError({
      code: finished ? 'invalid-request' : 'not-found',
      message: finished ? `capture ${captureId} is finished` : `there is no live capture ${captureId}`,
      device: this.readers.get(captureId)?.meta.device ?? captureId,
      step,
      hint: finished ? 'Open a new capture to record more' : 'Open the capture first',
    });
  }

  private captureFile(captureId: string): string {
    return join(this.folder, `${captureId}${CAPTURE_EXTENSION}`);
  }

  private liveSummary(live: LiveCapture): CaptureSummary {
    const meta = live.meta;
    return {
      captureId: meta.captureId,
      deviceId: meta.deviceId,
      device: meta.device,
      serialNumber: meta.serialNumber,
      source: meta.source,
      startedAt: meta.startedAt,
      endedAt: null,
      lines: live.writer.count,
      fileBytes: fileSize(live.writer.file),
      live: true,
    };
  }

  private checkCaptureId(captureId: string, device: string, step: string): void {
    if (!CaptureId.safeParse(captureId).success) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `"${captureId}" is not a capture id`,
        device,
        step,
        hint: 'Use letters, digits, ".", "_" and "-" only, starting with a letter or digit',
      });
    }
  }

  private assertRunning(device: string, step: string): void {
    if (this.closed) {
      throw new FieldbenchError({ code: 'unavailable', message: 'the capture engine is closed', device, step, hint: 'Restart the log console' });
    }
  }

  private guard<T>(device: string, step: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw asCaptureError(error, device, step);
    }
  }

  private async guardAsync<T>(device: string, step: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asCaptureError(error, device, step);
    }
  }
}

function compileReading(meta: CaptureMeta, rules: CaptureRules): Reading {
  const checked = rules.bootBanner ? checkLogPattern(rules.bootBanner) : null;
  const parser = new LogLineParser({ levelPatterns: rules.levelPatterns, deviceLabel: meta.device });
  return {
    meta,
    parser,
    display: { isParsed: isDeviceRecord, shownText: (bytes) => parser.shownText(bytes), maxBytes: parser.maxLength },
    issues: new KnownIssueMatcher(rules.knownIssues, meta.device),
    // A boot banner the check refuses flags no reboot, as a bad known-issue pattern flags nothing.
    bootBanner: checked?.ok ? checked.regex : null,
  };
}

function unknownMeta(captureId: string): CaptureMeta {
  return {
    captureId,
    deviceId: '',
    device: `capture ${captureId}`,
    serialNumber: null,
    profileId: null,
    source: 'serial',
    settings: null,
    startedAt: new Date(0).toISOString(),
    endedAt: null,
  };
}

function searchQuery(request: CaptureSearchRequest, device: string): CaptureQuery {
  if (request.query.length === 0) {
    throw new FieldbenchError({ code: 'invalid-request', message: 'the search text is empty', device, step: 'search capture', hint: 'Type something to search for' });
  }
  if (!request.regex) return { text: request.query, ignoreCase: request.ignoreCase ?? false };
  let regex: RegExp;
  try {
    regex = new RegExp(request.query, request.ignoreCase ? 'iu' : 'u');
  } catch (error) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `/${request.query}/ is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`,
      device,
      step: 'search capture',
      hint: 'Fix the expression, or turn regex off to search for the plain text',
    });
  }
  const risk = backtrackingRisk(request.query);
  if (risk) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `/${request.query}/ could take exponential time on a long line (${risk})`,
      device,
      step: 'search capture',
      hint: 'Write it without nesting quantifiers',
    });
  }
  return { regex };
}

/** Raw records with these sequence numbers (ascending), each read once. */
function readRaw(capture: LogCapture, seqs: readonly number[]): RawRecord[] {
  const out: RawRecord[] = [];
  let i = 0;
  while (i < seqs.length) {
    const { firstSeq, chunks } = capture.scan(seqs[i]!);
    let seq = firstSeq;
    let reseek = false;
    for (const { buf, end } of chunks) {
      for (let offset = 0; offset < end && !reseek; offset += recordSize(buf, offset), seq++) {
        if (seq !== seqs[i]) continue;
        const bounds = lineBounds(buf, offset);
        out.push({ seq, time: recordTime(buf, offset), flags: buf[offset + FRAME_BYTES + 16]!, bytes: Uint8Array.prototype.slice.call(buf, bounds.start, bounds.end) });
        i += 1;
        if (i >= seqs.length || seqs[i]! - seq > READ_SCAN_GAP) reseek = true;
      }
      if (reseek) break;
    }
    // Past the last record: the wanted rows do not exist.
    if (!reseek) break;
  }
  return out;
}

function readLines(capture: LogCapture, reading: Reading, seqs: readonly number[]): ConsoleLine[] {
  return readRaw(capture, seqs).map((record) => toConsoleLine(record, reading));
}

/** Lines [from, to] in order, read a batch at a time: an export of a whole capture never holds its records. */
function* linesInRange(capture: LogCapture, reading: Reading, from: number, to: number): Generator<ConsoleLine> {
  const batch = 4096;
  for (let start = from; start <= to; start += batch) {
    const seqs = Array.from({ length: Math.min(batch, to - start + 1) }, (_, i) => start + i);
    const lines = readLines(capture, reading, seqs);
    yield* lines;
    if (lines.length < seqs.length) return;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function toConsoleLine(record: RawRecord, reading: Reading): ConsoleLine {
  const unpacked = unpackFlags(record.flags);
  const storeTruncated = (record.flags & LogRecordFlag.truncated) !== 0;
  if (unpacked.kind !== 'device') {
    const text = utf8.decode(record.bytes);
    return { ...ownLine(record.seq, record.time, unpacked.kind, text), truncated: storeTruncated };
  }
  const parsed = reading.parser.parse(record.bytes);
  const issues = unpacked.knownIssue && !parsed.binary ? reading.issues.match(parsed.text).map((issue) => issue.id) : [];
  return {
    seq: record.seq,
    time: record.time,
    kind: 'device',
    text: parsed.text,
    spans: parsed.spans,
    level: unpacked.level,
    deviceTime: parsed.deviceTime,
    binary: parsed.binary,
    truncated: parsed.truncated || storeTruncated,
    issues,
    reboot: unpacked.reboot,
  };
}

function ownLine(seq: number, time: number, kind: ConsoleLine['kind'], text: string): ConsoleLine {
  return { seq, time, kind, text, spans: [{ text }], level: null, deviceTime: null, binary: false, truncated: false, issues: [], reboot: false };
}

function toFlag(seq: number, time: number, issue: KnownIssuePattern, text: string): ConsoleFlag {
  return {
    seq,
    time,
    issueId: issue.id,
    title: issue.title,
    source: issue.source,
    articleId: issue.articleId ?? null,
    hint: issue.hint ?? null,
    text: text.length > FLAG_TEXT_CHARS ? `${text.slice(0, FLAG_TEXT_CHARS - 1)}…` : text,
  };
}

/** Every flag of a capture, from the records whose flags say they matched a known issue (up to the cap). */
function rebuildFlags(capture: LogCapture, reading: Reading): ConsoleFlag[] {
  const flags: ConsoleFlag[] = [];
  const { firstSeq, chunks } = capture.scan(0);
  let seq = firstSeq;
  for (const { buf, end } of chunks) {
    for (let offset = 0; offset < end; offset += recordSize(buf, offset), seq++) {
      if (!isFlaggedRecord(buf[offset + FRAME_BYTES + 16]!)) continue;
      const bounds = lineBounds(buf, offset);
      const parsed = reading.parser.parse(buf.subarray(bounds.start, bounds.end));
      for (const issue of reading.issues.match(parsed.text)) {
        flags.push(toFlag(seq, recordTime(buf, offset), issue, parsed.text));
        if (flags.length >= MAX_FLAGS_IN_MEMORY) return flags;
      }
    }
  }
  return flags;
}

function asCaptureError(error: unknown, device: string, step: string): FieldbenchError {
  if (isFieldbenchError(error)) return error;
  return new FieldbenchError(
    { code: 'internal', message: `${step} failed: ${error instanceof Error ? error.message : String(error)}`, device, step, hint: 'Report this with the capture file attached' },
    { cause: error },
  );
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
