// Saves one note as it is typed. The rules, each for a reason:
// - Typing is debounced (300 ms) so a burst of keystrokes costs one write, not dozens.
// - Every save sends the FULL text under the note's client-chosen id, so a retried or
//   repeated save is harmless and the last save to land is the whole truth.
// - One save in flight at a time: two racing saves could land out of order and leave
//   older text on disk. Text typed meanwhile is sent as soon as the first one answers.
// - "Saved" is shown only when the acknowledged text is the latest text in the editor;
//   an answer for older text just starts the next save.
// - A failed save is retried with growing delays, and the status says so; nothing typed
//   is ever thrown away, because the editor's text lives here, not in the request.
// This module knows nothing about React, zustand or the DOM, so it runs in unit tests
// under fake timers.

export type NoteSaveStatus =
  /** Never saved and still empty: nothing to keep yet. */
  | { kind: 'new' }
  /** Waiting for the typing to pause, or a save is on its way. */
  | { kind: 'saving' }
  /** The latest text is on disk at this revision. */
  | { kind: 'saved'; revision: number }
  /** The last save failed; another try follows by itself. */
  | { kind: 'failed'; reason: string; retryInMs: number; failures: number };

export interface SavedNote {
  revision: number;
}

export interface NoteAutosaverOptions {
  initialText: string;
  /** The revision the initial text is stored at, or null for a note not yet saved. */
  initialRevision: number | null;
  save(text: string): Promise<SavedNote>;
  onStatus(status: NoteSaveStatus): void;
  debounceMs?: number;
  /** Delay before each retry after a failure; the last one repeats. */
  retryDelaysMs?: readonly number[];
  /** Words for a failure; defaults to the error's message. */
  describeError?(error: unknown): string;
}

export const NOTE_DEBOUNCE_MS = 300;
export const NOTE_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 5000, 10_000];

export class NoteAutosaver {
  private latestText: string;
  /** The text known to be on disk, or null while the note has never been saved. */
  private savedText: string | null;
  private savedRevision: number | null;
  private inFlight: Promise<void> | null = null;
  private debounceTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private disposed = false;
  private current: NoteSaveStatus;
  private readonly debounceMs: number;
  private readonly retryDelaysMs: readonly number[];

  constructor(private readonly options: NoteAutosaverOptions) {
    this.latestText = options.initialText;
    this.savedRevision = options.initialRevision;
    this.savedText = options.initialRevision === null ? null : options.initialText;
    this.debounceMs = options.debounceMs ?? NOTE_DEBOUNCE_MS;
    this.retryDelaysMs = options.retryDelaysMs ?? NOTE_RETRY_DELAYS_MS;
    this.current = this.savedRevision === null ? { kind: 'new' } : { kind: 'saved', revision: this.savedRevision };
  }

  get text(): string {
    return this.latestText;
  }

  get status(): NoteSaveStatus {
    return this.current;
  }

  /** True while something typed is not yet known to be on disk. */
  get hasUnsavedText(): boolean {
    return !this.isUpToDate();
  }

  /** Record what the editor holds now; a save follows once the typing pauses. */
  edit(text: string): void {
    if (this.disposed) return;
    this.latestText = text;
    this.clearDebounce();
    if (this.isUpToDate() && !this.inFlight) {
      this.clearRetry();
      this.emitSettled();
      return;
    }
    if (this.current.kind !== 'failed') this.emit({ kind: 'saving' });
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.saveNow();
    }, this.debounceMs);
  }

  /**
   * Save now instead of after the pause (blur, leaving the page, reconnect). Resolves when
   * the latest text is on disk or the attempt in progress has failed.
   */
  async flush(): Promise<void> {
    if (this.disposed) return;
    this.clearDebounce();
    this.clearRetry();
    this.saveNow();
    // Wait through the chain: an answer for older text starts the next save at once.
    while (this.inFlight) await this.inFlight;
  }

  /** Stop timers and status reports; a save already sent still completes on the server. */
  dispose(): void {
    this.disposed = true;
    this.clearDebounce();
    this.clearRetry();
  }

  private isUpToDate(): boolean {
    if (this.savedText === null) return this.latestText === '';
    return this.latestText === this.savedText;
  }

  private saveNow(): void {
    if (this.disposed || this.inFlight) return; // the answer to the current save sends the rest
    this.clearRetry();
    if (this.isUpToDate()) {
      this.emitSettled();
      return;
    }
    const text = this.latestText;
    if (this.current.kind !== 'failed') this.emit({ kind: 'saving' });
    this.inFlight = this.options.save(text).then(
      (saved) => this.acknowledged(text, saved),
      (error: unknown) => this.failed(error),
    );
  }

  private acknowledged(text: string, saved: SavedNote): void {
    this.inFlight = null;
    this.failures = 0;
    // Saves go out one at a time, so this answer describes what is on disk now.
    this.savedText = text;
    this.savedRevision = saved.revision;
    if (this.disposed) return;
    if (this.isUpToDate()) {
      this.emitSettled();
    } else if (this.debounceTimer === null) {
      // Typing went on and already paused while this save was out: send the rest now.
      this.emit({ kind: 'saving' });
      this.saveNow();
    }
    // else the debounce still running will send the latest text.
  }

  private failed(error: unknown): void {
    this.inFlight = null;
    this.failures += 1;
    if (this.disposed) return;
    const delays = this.retryDelaysMs;
    const retryInMs = delays[Math.min(this.failures, delays.length) - 1] ?? NOTE_RETRY_DELAYS_MS[0] ?? 1000;
    const reason = this.options.describeError?.(error) ?? (error instanceof Error ? error.message : String(error));
    this.emit({ kind: 'failed', reason, retryInMs, failures: this.failures });
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.saveNow();
    }, retryInMs);
  }

  private emitSettled(): void {
    this.emit(this.savedRevision === null ? { kind: 'new' } : { kind: 'saved', revision: this.savedRevision });
  }

  private emit(status: NoteSaveStatus): void {
    if (this.disposed) return;
    const previous = this.current;
    if (previous.kind === status.kind && JSON.stringify(previous) === JSON.stringify(status)) return;
    this.current = status;
    this.options.onStatus(status);
  }

  private clearDebounce(): void {
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
