// Two Link ends joined in memory: what one end writes, the other reads. It stands in for a
// serial cable where no pseudo-terminal can be made, and lets unit tests drive the shell
// client against the virtual device without any operating-system resources.
import { FieldbenchError } from '../api/errors';
import type { Link, LinkCloseReason } from './link';

interface PendingRead {
  resolve(data: Uint8Array): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

class MemoryLinkEnd implements Link {
  peer: MemoryLinkEnd | null = null;
  private inbox: Uint8Array[] = [];
  private pending: PendingRead | null = null;
  private closeReason: LinkCloseReason | null = null;
  private readonly listeners = new Set<(reason: LinkCloseReason) => void>();

  constructor(readonly label: string) {}

  get isOpen(): boolean {
    return this.closeReason === null;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closeReason !== null || this.peer === null) return Promise.reject(this.goneError('write'));
    // A copy, so a caller reusing its buffer cannot change bytes already "on the wire".
    if (data.length > 0) this.peer.receive(data.slice());
    return Promise.resolve();
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    if (this.pending) {
      return Promise.reject(
        new FieldbenchError({ code: 'internal', message: 'a read is already pending on this link', device: this.label }),
      );
    }
    if (this.inbox.length > 0) return Promise.resolve(this.takeInbox());
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
  }

  close(): Promise<void> {
    this.shut({ kind: 'closed-by-us' });
    this.peer?.shut({ kind: 'lost', message: `${this.label} closed the link` });
    return Promise.resolve();
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

  private receive(data: Uint8Array): void {
    if (this.closeReason !== null) return;
    this.inbox.push(data);
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      clearTimeout(pending.timer);
      pending.resolve(this.takeInbox());
    }
  }

  private shut(reason: LinkCloseReason): void {
    if (this.closeReason !== null) return;
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
  }

  private takeInbox(): Uint8Array {
    const chunks = this.inbox;
    this.inbox = [];
    if (chunks.length === 1 && chunks[0]) return chunks[0];
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    return joined;
  }

  private goneError(operation: 'read' | 'write'): FieldbenchError {
    const reason = this.closeReason;
    const why = reason?.kind === 'lost' ? reason.message : 'the link was closed';
    return new FieldbenchError({
      code: 'device-gone',
      message: `cannot ${operation}: ${why}`,
      device: this.label,
      hint: 'Attach the device again.',
    });
  }
}

/** A connected pair: [host end, device end]. Closing either end closes both; the peer sees 'lost'. */
export function createMemoryLinkPair(hostLabel: string, deviceLabel: string): [host: Link, device: Link] {
  const host = new MemoryLinkEnd(hostLabel);
  const device = new MemoryLinkEnd(deviceLabel);
  host.peer = device;
  device.peer = host;
  return [host, device];
}
