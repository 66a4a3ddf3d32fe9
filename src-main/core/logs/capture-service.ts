// What the console manager (main thread) asks of the capture side: turn a port's bytes into
// timestamped, parsed lines on disk, and read, filter, search and export them. The real one
// runs in a worker thread (log-worker-client.ts), so splitting, parsing, pattern matching and
// searching a million-line capture never hold up the main process; CaptureEngine is the same
// work in-process, behind this interface, for unit tests of the code above it.
import type {
  CaptureFormat,
  CaptureRange,
  CaptureSummary,
  ConsoleFilter,
  ConsoleFlag,
  ConsoleLine,
  ConsoleRead,
  ConsoleSearchResult,
  SerialSettings,
} from '../../api/console-schemas';
import type { LevelPattern } from './log-levels';

/** A pattern that flags a line as a known issue as it arrives. Regexes are checked with checkLogPattern. */
export interface KnownIssuePattern {
  id: string;
  title: string;
  /** A regular expression (no flags; matched ignoring case) over the line's shown text. */
  regex: string;
  source: 'profile' | 'knowledge-base';
  articleId?: string;
  hint?: string;
}

/** Stored beside the capture (<captureId>.json) so a capture can be listed and reopened without its console. */
export interface CaptureMeta {
  captureId: string;
  deviceId: string;
  device: string;
  serialNumber: string | null;
  profileId: string | null;
  source: 'serial' | 'nus';
  settings: SerialSettings | null;
  startedAt: string;
  endedAt: string | null;
}

export interface CaptureOpenOptions {
  meta: CaptureMeta;
  /** The profile's own level patterns, tried before the built-in formats. */
  levelPatterns: readonly LevelPattern[];
  knownIssues: readonly KnownIssuePattern[];
  /** A regex (matched ignoring case) for the device's boot banner: such a line is flagged as a reboot. */
  bootBanner: string | null;
}

/** A note the console adds to the capture between device lines. */
export type CaptureNoteKind = 'sent' | 'mark' | 'gap' | 'note';

export interface CaptureProgress {
  captureId: string;
  lines: number;
  bytes: number;
  /** Known issues seen since the last progress report. */
  flags: ConsoleFlag[];
}

export interface CaptureSearchRequest {
  query: string;
  regex?: boolean;
  ignoreCase?: boolean;
  fromSeq?: number;
  toSeq?: number;
  limit: number;
}

export interface CaptureService {
  /** Start a new capture for writing; refused (invalid-request) when the id is taken. */
  open(options: CaptureOpenOptions): Promise<CaptureSummary>;
  /**
   * Bytes from the device, as they arrived at `time` (host ms). Fire and forget: calls are
   * handled in order, before any later call on the same capture. Lines are split on CR, LF
   * or CRLF (also across chunks); a partial line is kept until its end arrives, a note is
   * added, or `endPartialLine` says the port went quiet (then it is written as it is).
   */
  ingest(captureId: string, time: number, bytes: Uint8Array): void;
  /**
   * The port has been quiet: write the pending partial line as it is. Fire and forget, in
   * order with `ingest`. Idleness is judged where the port is read, not here: bytes reach the
   * capture through other threads, and a stall on the way is no pause of the device.
   */
  endPartialLine(captureId: string): void;
  /**
   * A line of Fieldbench's own, in order with the device's lines: a command sent, a mark, a
   * gap, a note. A partial device line pending is written first (a gap: the rest never comes).
   */
  note(captureId: string, kind: CaptureNoteKind, text: string, time: number): Promise<ConsoleLine>;
  /** Writes what is pending, closes the writer and records the end; the capture stays readable. */
  finish(captureId: string, endedAt: string): Promise<CaptureSummary>;
  /** Rows [offset, offset + count) of the view the filter makes (the whole capture without one). */
  read(captureId: string, offset: number, count: number, filter?: ConsoleFilter): Promise<ConsoleRead>;
  /** Offset in the filtered view of the first kept line at or after seq; null when none. */
  locate(captureId: string, seq: number, filter?: ConsoleFilter): Promise<{ offset: number | null; total: number }>;
  search(captureId: string, request: CaptureSearchRequest): Promise<ConsoleSearchResult>;
  /** The capture (or a range) rendered as text or JSON lines; refused past maxBytes, naming a smaller range. */
  export(captureId: string, format: CaptureFormat, range: CaptureRange, maxBytes: number): Promise<{ bytes: Uint8Array; lines: number }>;
  flags(captureId: string): Promise<ConsoleFlag[]>;
  /** Captures in the folder, newest first; a damaged one is listed as far as it can be read. */
  list(): Promise<CaptureSummary[]>;
  /** Progress of live captures, at most every `progressIntervalMs` per capture while lines arrive. */
  onProgress(listener: (progress: CaptureProgress) => void): () => void;
  /** Finishes every live capture and stops. */
  close(): Promise<void>;
}

export interface CaptureServiceOptions {
  /** <dataDir>/captures. */
  folder: string;
  /** Host clock in ms (tests pass their own). */
  now?: () => number;
  /**
   * How long a line without its end waits before the capture itself writes it as it is
   * (default 250 ms); null leaves that to `endPartialLine` alone.
   */
  partialLineMs?: number | null;
  /** Least time between two progress reports of one capture (default 100 ms). */
  progressIntervalMs?: number;
}
