// What every Link does the same way, whatever carries the bytes: buffer what arrives until
// it is read, serve one read at a time with its deadline, hand over what was received
// before a close, then fail reads as 'device-gone', and tell close listeners exactly once.
// A transport supplies the bytes (receive) and the close (shut); BLE will too.
import { FieldbenchError } from '../api/errors';
import type { Link, LinkCloseReason } from './link';

interface PendingRead {
  resolve(data: Uint8Array): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

export abstract class BufferedLink implements Link {
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private pending: PendingRead | null = null;
  private closeReason: LinkCloseReason | null = null;
  private readonly listeners = new Set<(reason: LinkCloseReason) => void>();
  private readonly taps = new Set<(chunk: Uint8Array, time: number) => void>();

  /**
   * @param maxBufferedBytes bytes kept for a reader that is not reading (a device streaming
   * logs between commands); the oldest are dropped beyond it.
   */
  protected constructor(
    readonly label: string,
    private readonly maxBufferedBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  abstract write(data: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;

  /** Words for a read or write after the link closed, by the transport: what happened and what to do. */
  protected abstract describeClosed(reason: LinkCloseReason): { message: string; hint: string };

  get isOpen(): boolean {
    return this.closeReason === null;
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    if (this.pending) {
      return Promise.reject(new FieldbenchError({ code: 'internal', message: 'a read is already pending on this link', device: this.label }));
    }
    if (this.inboxBytes > 0) return Promise.resolve(this.takeInbox());
    if (this.closeReason !== null) return Promise.reject(this.goneError('read'));
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        resolve(new Uint8Array(0));
      }, Math.max(0, timeoutMs));
      this.pending = { resolve, reject, timer };
    });
  }

  discardInput(): void {
    this.inbox = [];
    this.inboxBytes = 0;
  }

  onClose(listener: (reason: LinkCloseReason) => void): () => void {
    const reason = this.closeReason;
    if (reason !== null) {
      // Registered too late to see the close happen: tell it anyway, so no caller waits forever.
      queueMicrotask(() => listener(reason));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onData(listener: (chunk: Uint8Array, time: number) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** Bytes from the transport. Ignored once closed. */
  protected receive(chunk: Uint8Array): void {
    if (this.closeReason !== null || chunk.length === 0) return;
    const time = Date.now();
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
    while (this.inboxBytes > this.maxBufferedBytes && this.inbox.length > 1) {
      this.inboxBytes -= this.inbox.shift()?.length ?? 0;
    }
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      clearTimeout(pending.timer);
      pending.resolve(this.takeInbox());
    }
    // After the reader: a tap may empty the inbox (nobody reads while a console watches).
    for (const tap of this.taps) {
      try {
        tap(chunk, time);
      } catch {
        // A watcher's failure is its own; the bytes still reach the reader.
      }
    }
  }

  /** The link is closed for good; the first reason given is the one reported. Returns false if it already was. */
  protected shut(reason: LinkCloseReason): boolean {
    if (this.closeReason !== null) return false;
    this.closeReason = reason;
    // A pending read means the inbox is empty: nothing left to drain.
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      clearTimeout(pending.timer);
      pending.reject(this.goneError('read'));
    }
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener(reason);
    return true;
  }

  protected goneError(operation: 'read' | 'write'): FieldbenchError {
    const { message, hint } = this.describeClosed(this.closeReason ?? { kind: 'closed-by-us' });
    return new FieldbenchError({ code: 'device-gone', message: `cannot ${operation}: ${message}`, device: this.label, hint });
  }

  private takeInbox(): Uint8Array {
    const chunks = this.inbox;
    const total = this.inboxBytes;
    this.discardInput();
    if (chunks.length === 1 && chunks[0]) return chunks[0];
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    return joined;
  }
}
