// A bounded number of places per key (the station's buses), granted first come, first
// served. A unit waits in its bus's queue until a place is free; leaving the queue (an
// abort) never takes a place, and a place is always given back, whatever the work did.

export type SlotRelease = () => void;

interface Waiter<K> {
  key: K;
  grant(release: SlotRelease): void;
}

export class BusSlots<K> {
  private readonly holding = new Map<K, number>();
  private readonly queue: Waiter<K>[] = [];

  /** `limitOf` is asked at every grant, so a new limit applies to the next unit that waits. */
  constructor(private readonly limitOf: (key: K) => number) {}

  /** Places held on the key now. */
  running(key: K): number {
    return this.holding.get(key) ?? 0;
  }

  /** Units waiting for a place on the key. */
  queued(key: K): number {
    return this.queue.filter((waiter) => waiter.key === key).length;
  }

  /**
   * Resolves with the release once a place on the key is free; rejects with the signal's
   * reason if it is aborted while still queued (the place is then never taken).
   */
  acquire(key: K, signal?: AbortSignal): Promise<SlotRelease> {
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    return new Promise<SlotRelease>((resolve, reject) => {
      const onAbort = () => {
        const index = this.queue.indexOf(waiter);
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(signal!.reason as unknown);
      };
      const waiter: Waiter<K> = {
        key,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.grantFree();
    });
  }

  /** Runs the work in a place on the key; the place is given back when it ends, however it ends. */
  async run<T>(key: K, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(key, signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private grantFree(): void {
    for (let index = 0; index < this.queue.length; ) {
      const waiter = this.queue[index]!;
      if (this.running(waiter.key) >= Math.max(1, this.limitOf(waiter.key))) {
        index += 1;
        continue;
      }
      this.queue.splice(index, 1);
      this.holding.set(waiter.key, this.running(waiter.key) + 1);
      waiter.grant(this.releaseFor(waiter.key));
    }
  }

  private releaseFor(key: K): SlotRelease {
    let released = false;
    return () => {
      if (released) return; // a second release must not free someone else's place
      released = true;
      this.holding.set(key, this.running(key) - 1);
      this.grantFree();
    };
  }
}
