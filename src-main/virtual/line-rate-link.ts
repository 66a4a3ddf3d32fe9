// A Link that moves bytes no faster than a UART at a given baud rate: 8N1 puts 10 bits on
// the wire per byte, so baud / 10 bytes a second each way. A virtual device wraps its own
// end in it, so what the host measures (upload throughput, round trips) is what the wire
// would allow, even over a pseudo-terminal or memory pipe that has no speed of its own.
//
// Writes go out in slices of a few milliseconds' worth, each released at its wire time.
// Received bytes are handed to the reader only once they would have finished arriving, in
// slices too, so a device processes a frame's first line before its last has come in, as
// it would from its UART's receive buffer. Times are kept on an absolute schedule, so timer
// lateness does not add up over a long transfer.
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

  async write(data: Uint8Array): Promise<void> {
    for (let at = 0; at < data.length; at += this.sliceBytes) {
      const slice = data.subarray(at, at + this.sliceBytes);
      this.txFreeAt = Math.max(this.txFreeAt, performance.now()) + slice.length / this.bytesPerMs;
      await this.inner.write(slice);
      await sleepUntil(this.txFreeAt);
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

function sleepUntil(time: number): Promise<void> {
  const wait = time - performance.now();
  return wait >= 1 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
}
