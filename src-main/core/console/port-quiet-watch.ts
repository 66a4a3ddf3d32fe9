// When a port has been quiet long enough for a line without its end (a shell prompt, say) to
// be written as it is. Judged on the thread that reads the port, and only while that thread
// keeps time: a short ticker looks at how long no data has come, and a tick that fires late
// means the thread stalled, so bytes may be waiting in the kernel and the quiet so far proves
// nothing: it counts again from that tick. Nothing ticks while no partial line can be pending (before any data, after the
// call), so an idle console costs no timers.

export interface QuietTimers {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PortQuietOptions {
  /** Quiet seen on time for this long means the device paused (default 250 ms). */
  quietMs?: number;
  /** How often the ticker looks (default 50 ms). */
  tickMs?: number;
  /** A tick later than this means the thread stalled (default 30 ms). */
  lateMs?: number;
  timers?: QuietTimers;
}

const NODE_TIMERS: QuietTimers = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class PortQuietWatch {
  private readonly quietMs: number;
  private readonly tickMs: number;
  private readonly lateMs: number;
  private readonly timers: QuietTimers;
  private handle: unknown = null;
  /** When the pending tick is due. */
  private dueAt = 0;
  /** Since when no data has come, as far as this thread can vouch. */
  private quietSince = 0;

  constructor(
    private readonly onQuiet: () => void,
    options: PortQuietOptions = {},
  ) {
    this.quietMs = options.quietMs ?? 250;
    this.tickMs = options.tickMs ?? 50;
    this.lateMs = options.lateMs ?? 30;
    this.timers = options.timers ?? NODE_TIMERS;
  }

  /** Whether the ticker is running (a partial line may be pending). */
  get watching(): boolean {
    return this.handle !== null;
  }

  /** Bytes arrived: the quiet starts again, and is watched for. */
  data(): void {
    const now = this.timers.now();
    this.quietSince = now;
    if (this.handle === null) this.schedule(now);
  }

  /** Stops watching until data comes again (the port closed or was lost). */
  stop(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }

  private schedule(from: number): void {
    this.dueAt = from + this.tickMs;
    this.handle = this.timers.setTimeout(() => this.tick(), this.tickMs);
  }

  private tick(): void {
    const now = this.timers.now();
    if (now - this.dueAt > this.lateMs) this.quietSince = now;
    if (now - this.quietSince < this.quietMs) {
      this.schedule(now);
      return;
    }
    this.handle = null;
    this.onQuiet();
  }
}
