// The fault knobs a virtual DFU board listens to, and the counting they need. setFaults
// replaces every knob and re-arms the byte counter, as VirtualFaults does for the sensor
// node; the sensor node's own knobs are ignored here. Stalls, injected errors and drops are
// one-shot: once they fire they are gone, so the host can recover the way it would on a
// bench.
import type { DfuErrorStatus, VirtualFaults } from '../../api/schemas';

export class BoardFaults {
  private knobs: VirtualFaults = {};
  /** DNLOAD data bytes received since the knobs were set. */
  private received = 0;

  constructor(initial: VirtualFaults | undefined) {
    this.set(initial ?? {});
  }

  set(faults: VirtualFaults): void {
    this.knobs = { ...faults };
    this.received = 0;
  }

  get silent(): boolean {
    return this.knobs.silent === true;
  }

  get readProtected(): boolean {
    return this.knobs.readProtected === true;
  }

  clearReadProtection(): void {
    delete this.knobs.readProtected;
  }

  /** Whether this class request is to be stalled (usbStallNext), consuming the knob. */
  takeStall(): boolean {
    if (!this.knobs.usbStallNext) return false;
    delete this.knobs.usbStallNext;
    return true;
  }

  /**
   * A DNLOAD block arrived with `dataLength` bytes of firmware data (0 for a command).
   * Answers whether the board falls off the bus now (dropAtReceivedBytes reached) and which
   * error status the block is to fail with (dfuError: at its byte, or this block when it
   * names none).
   */
  onDownload(dataLength: number): { drop: boolean; error: DfuErrorStatus | null } {
    this.received += dataLength;
    let drop = false;
    const dropAt = this.knobs.dropAtReceivedBytes;
    if (dropAt !== undefined && dataLength > 0 && this.received >= dropAt) {
      delete this.knobs.dropAtReceivedBytes;
      drop = true;
    }
    let error: DfuErrorStatus | null = null;
    const injected = this.knobs.dfuError;
    if (injected && !drop) {
      const atByte = injected.atByte;
      if (atByte === undefined || (dataLength > 0 && atByte < this.received)) {
        delete this.knobs.dfuError;
        error = injected.status;
      }
    }
    return { drop, error };
  }
}
