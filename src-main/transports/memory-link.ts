// Two Link ends joined in memory: what one end writes, the other reads. It stands in for a
// serial cable where no pseudo-terminal can be made, and lets unit tests drive the shell
// client against the virtual device without any operating-system resources.
import { BufferedLink } from './buffered-link';
import type { Link, LinkCloseReason } from './link';

class MemoryLinkEnd extends BufferedLink {
  peer: MemoryLinkEnd | null = null;

  constructor(label: string) {
    super(label);
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen || this.peer === null) return Promise.reject(this.goneError('write'));
    // A copy, so a caller reusing its buffer cannot change bytes already "on the wire".
    if (data.length > 0) this.peer.receive(data.slice());
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.shut({ kind: 'closed-by-us' });
    this.peer?.shut({ kind: 'lost', message: `${this.label} closed the link` });
    return Promise.resolve();
  }

  protected describeClosed(reason: LinkCloseReason): { message: string; hint: string } {
    return { message: reason.kind === 'lost' ? reason.message : 'the link was closed', hint: 'Attach the device again.' };
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
