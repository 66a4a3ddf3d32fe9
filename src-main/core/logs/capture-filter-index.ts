// The lines a console view keeps under a filter, as a list of sequence numbers. A view of a
// million-line capture scrolls by offset, so the list is built once and then only extended
// as the capture grows: each call scans the records added since the last one. Levels and
// known-issue flags are read from each record's flag byte; only a text filter decodes lines,
// and plain text first finds its bytes in the raw chunk so lines without them are skipped. A
// text filter keeps a line by what the console shows of it, not by its stored bytes.
// Marks, gaps and notes are always kept: they are what the user put there to find again.
import type { ConsoleFilter } from '../../api/console-schemas';
import { FieldbenchError } from '../../api/errors';
import { backtrackingRisk } from '../knowledge/log-pattern';
import { isDeviceRecord, isFlaggedRecord, levelKeepTable } from './capture-record-flags';
import type { LogCapture } from './log-capture-file';
import { FRAME_BYTES, lineBounds, recordSize } from './log-capture-format';
import { compileLineQuery, LineCandidates, shownLineText, type LineDisplay, type LineQuery } from './log-capture-search';

const FLAGS_OFFSET = FRAME_BYTES + 16;
const INITIAL_CAPACITY = 1024;

export class CaptureFilterIndex {
  private seqs = new Int32Array(INITIAL_CAPACITY);
  private kept = 0;
  /** Records before this one have been looked at. */
  private scannedTo = 0;
  private readonly keepLevel: Uint8Array;
  private readonly query: LineQuery | null;

  constructor(
    readonly filter: ConsoleFilter,
    device: string,
  ) {
    this.keepLevel = levelKeepTable(filter.levels);
    this.query = filter.text === undefined ? null : compileFilterText(filter, device);
  }

  /** Lines the view keeps, as far as scanned. */
  get total(): number {
    return this.kept;
  }

  get scanned(): number {
    return this.scannedTo;
  }

  /** Bytes held, for the cache's memory bound. */
  get bytes(): number {
    return this.seqs.byteLength;
  }

  /** Scans the records added to `capture` since the last call; a text filter matches lines as `display` shows them. */
  extend(capture: LogCapture, display?: LineDisplay): void {
    if (this.scannedTo >= capture.count) return;
    const { firstSeq, chunks } = capture.scan(this.scannedTo);
    let seq = firstSeq;
    for (const chunk of chunks) {
      const { buf, end } = chunk;
      const candidates = this.query ? LineCandidates.of(this.query, display, buf, end) : null;
      for (let offset = 0; offset < end; offset += recordSize(buf, offset), seq++) {
        if (seq < this.scannedTo) continue;
        const flags = buf[offset + FLAGS_OFFSET]!;
        if (!isDeviceRecord(flags)) {
          this.keep(seq);
          continue;
        }
        if (this.keepLevel[flags] === 0) continue;
        if (this.filter.flaggedOnly && !isFlaggedRecord(flags)) continue;
        if (this.query) {
          const bounds = lineBounds(buf, offset);
          if (candidates && !candidates.mayMatch(bounds.start, bounds.end)) continue;
          if (!this.query.test(shownLineText(display, buf, bounds.start, bounds.end, flags))) continue;
        }
        this.keep(seq);
      }
    }
    this.scannedTo = Math.max(this.scannedTo, seq);
  }

  /** The sequence numbers of kept lines [from, to). */
  slice(from: number, to: number): Int32Array {
    return this.seqs.subarray(Math.max(0, from), Math.min(this.kept, Math.max(0, to)));
  }

  /** The offset of the first kept line at or after `seq`; null when none. */
  offsetOf(seq: number): number | null {
    let lo = 0;
    let hi = this.kept;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.kept ? lo : null;
  }

  private keep(seq: number): void {
    if (this.kept === this.seqs.length) {
      const grown = new Int32Array(this.seqs.length * 2);
      grown.set(this.seqs);
      this.seqs = grown;
    }
    this.seqs[this.kept++] = seq;
  }
}

function compileFilterText(filter: ConsoleFilter, device: string): LineQuery {
  const text = filter.text ?? '';
  if (filter.regex) {
    const risk = backtrackingRisk(text);
    let regex: RegExp | undefined;
    try {
      regex = new RegExp(text, filter.ignoreCase ? 'i' : '');
    } catch (error) {
      throw badFilter(device, `/${text}/ is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (risk) throw badFilter(device, `/${text}/ could take exponential time on a long line (${risk})`);
    return compileLineQuery({ regex }, device);
  }
  return compileLineQuery({ text, ignoreCase: filter.ignoreCase ?? false }, device);
}

function badFilter(device: string, message: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message, device, step: 'filter log view', hint: 'Fix the expression, or turn regex off to filter by plain text' });
}

/** The filter's canonical form: the same filter written with its keys or levels in another order is the same view. */
export function canonicalFilterKey(filter: ConsoleFilter): string {
  return JSON.stringify({
    levels: filter.levels ? [...new Set(filter.levels)].sort() : null,
    text: filter.text ?? null,
    regex: filter.text !== undefined ? (filter.regex ?? false) : null,
    ignoreCase: filter.text !== undefined ? (filter.ignoreCase ?? false) : null,
    flaggedOnly: filter.flaggedOnly ?? false,
  });
}

/**
 * Filter indexes of several captures, least recently used dropped first, within a bound on
 * their total size and on how many one capture keeps.
 */
export class FilterIndexCache {
  private readonly entries = new Map<string, { captureId: string; index: CaptureFilterIndex }>();

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly perCapture = 4,
  ) {}

  get(captureId: string, filter: ConsoleFilter, device: string): CaptureFilterIndex {
    const key = `${captureId}\u0000${canonicalFilterKey(filter)}`;
    const found = this.entries.get(key);
    if (found) {
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.index;
    }
    const index = new CaptureFilterIndex(filter, device);
    this.entries.set(key, { captureId, index });
    this.trim(captureId);
    return index;
  }

  /** Forget a capture's indexes (its file was replaced or removed). */
  drop(captureId: string): void {
    for (const [key, entry] of this.entries) if (entry.captureId === captureId) this.entries.delete(key);
  }

  /** Drops least recently used indexes until the bounds hold; the newest always stays. */
  trim(captureId?: string): void {
    if (captureId !== undefined) {
      const own = [...this.entries].filter(([, entry]) => entry.captureId === captureId);
      for (const [key] of own.slice(0, Math.max(0, own.length - this.perCapture))) this.entries.delete(key);
    }
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.index.bytes;
    for (const [key, entry] of this.entries) {
      if (bytes <= this.maxBytes || this.entries.size <= 1) break;
      bytes -= entry.index.bytes;
      this.entries.delete(key);
    }
  }
}
