// SMP over GATT carries bare SMP packets, and a central whose MTU is smaller than a request
// writes it in several pieces. The device puts them back together by the length in the
// 8-byte SMP header, as Zephyr's SMP Bluetooth transport does with reassembly enabled.
import { SMP_HEADER_SIZE } from '../../protocols/smp/smp-packet';

export class SmpRequestAssembler {
  private pending = new Uint8Array(0);

  /** Bytes held for a packet not yet complete. */
  get heldBytes(): number {
    return this.pending.length;
  }

  /** Take one write; returns every request packet it completed, in order. */
  push(piece: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.pending.length + piece.length);
    joined.set(this.pending, 0);
    joined.set(piece, this.pending.length);
    const packets: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= SMP_HEADER_SIZE) {
      const bodyLength = ((joined[at + 2] ?? 0) << 8) | (joined[at + 3] ?? 0);
      const end = at + SMP_HEADER_SIZE + bodyLength;
      if (end > joined.length) break;
      packets.push(joined.slice(at, end));
      at = end;
    }
    this.pending = joined.slice(at);
    return packets;
  }

  /** The link went down: a request cut off halfway is dropped. */
  reset(): void {
    this.pending = new Uint8Array(0);
  }
}
