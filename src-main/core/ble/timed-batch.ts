// Values that arrive one by one (notifications, log lines) go out in batches: the first item
// starts a timer and everything gathered until it fires goes out together, so listeners (an
// IPC channel, a WebSocket) see a few events a second however fast a device notifies.

export class TimedBatch<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** Past `maxItems` waiting, the oldest are dropped: a runaway device cannot grow memory without end. */
  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (items: T[]) => void,
    private readonly maxItems = Number.POSITIVE_INFINITY,
  ) {}

  add(items: readonly T[]): void {
    if (items.length === 0) return;
    this.items.push(...items);
    if (this.items.length > this.maxItems) this.items.splice(0, this.items.length - this.maxItems);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Hands over what is waiting now (the follow stops, or a marker must not wait). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.deliver(items);
  }
}
