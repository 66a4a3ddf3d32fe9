// A Link that moves bytes no faster than a UART at a given baud rate: 8N1 puts 10 bits on
// the wire per byte, so baud / 10 bytes a second each way. A virtual device wraps its own
// end in it, so what the host measures (upload throughput, round trips) is what the wire
// would allow, even over a pseudo-terminal or memory pipe that has no speed of its own.
//
// Writes go out in slices of a few milliseconds' worth, each handed on once its last byte
// would have left the wire: the far end cannot act on a byte before it has arrived, so
// neither may it here. Received bytes are handed to the reader only once they would have
// finished arriving, in slices too, so a device processes a frame's first line before its
// last has come in, as it would from its UART's receive buffer. Times are kept on an
// absolute schedule (a write's slices back to back from its first), so timer lateness does
// not add up over a long transfer, and the last stretch of each wait is timed to well under
// a millisecond: at 1 Mbaud an SMP exchange lasts about 15 ms, so the millisecond a plain
// timer can be late would be the emulator's error, not the host's.
import type { Link, LinkCloseReason } from '../transports/link';

const BITS_PER_BYTE = 10;
/** Wire time per slice: short enough to interleave with the other direction, long enough for timers. */
const SLICE_MS = 4;

export class LineRateLink implements Link {
  private readonly bytesPerMs: number;
  private readonly sliceBytes: number;
  /** performance.now() at which the transmit and receive wires are next free. */
  private txFreeAt = 0;
  private rxFreeAt = 0;
  private pendingInput: Uint8Array = new Uint8Array(0);
  /** Writes go out one after another, never interleaved slice by slice. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: Link,
    readonly baud: number,
  ) {
    if (!Number.isFinite(baud) || baud <= 0) throw new RangeError(`line rate must be a positive baud rate, not ${baud}`);
    this.bytesPerMs = baud / BITS_PER_BYTE / 1000;
    this.sliceBytes = Math.max(1, Math.floor(this.bytesPerMs * SLICE_MS));
  }

  get label(): string {
    return this.inner.label;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  write(data: Uint8Array): Promise<void> {
    // Handed to the UART now: if the wire is busy with an earlier write, these bytes follow
    // its last one straight away, however late the earlier write's promise settles.
    const queuedAt = performance.now();
    const done = this.writing.then(() => this.transmit(data, queuedAt));
    this.writing = done.catch(() => undefined);
    return done;
  }

  private async transmit(data: Uint8Array, queuedAt: number): Promise<void> {
    // The wire starts when the bytes were queued, or when it frees up; the slices then follow back to back.
    let sentAt = Math.max(this.txFreeAt, queuedAt);
    for (let at = 0; at < data.length; at += this.sliceBytes) {
      const slice = data.subarray(at, at + this.sliceBytes);
      sentAt += slice.length / this.bytesPerMs;
      this.txFreeAt = sentAt;
      await sleepUntil(sentAt);
      await this.inner.write(slice);
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    if (this.pendingInput.length === 0) {
      const chunk = await this.inner.read(timeoutMs);
      if (chunk.length === 0) return chunk;
      this.pendingInput = chunk;
      // The first byte of a burst starts arriving now, or when the wire frees up.
      this.rxFreeAt = Math.max(this.rxFreeAt, performance.now());
    }
    const slice = this.pendingInput.subarray(0, this.sliceBytes);
    this.pendingInput = this.pendingInput.subarray(slice.length);
    this.rxFreeAt += slice.length / this.bytesPerMs;
    await sleepUntil(this.rxFreeAt);
    return slice;
  }

  discardInput(): void {
    this.pendingInput = new Uint8Array(0);
    this.inner.discardInput();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  onClose(listener: (reason: LinkCloseReason) => void): () => void {
    return this.inner.onClose(listener);
  }
}

/** Timers fire on whole milliseconds and may be a millisecond late; the rest is waited out turn by turn. */
const TIMER_SLACK_MS = 1;

function sleepUntil(time: number): Promise<void> {
  if (time - performance.now() <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      const wait = time - performance.now();
      if (wait <= 0) resolve();
      else if (wait > TIMER_SLACK_MS) setTimeout(check, wait - TIMER_SLACK_MS);
      // setImmediate lets I/O run between checks, so the other end of the link is not starved.
      else setImmediate(check);
    };
    check();
  });
}
