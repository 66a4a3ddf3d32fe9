// The memory behind a virtual DFU bootloader: the regions its layout names, each with what
// it allows (read, erase, write), its erase units and the part's timing. NOR flash can only
// clear bits, so programming a byte that is not erased fails (errPROG) — an engine that skips
// the erase is caught here, as on a board. Operations answer a DFU status and the time the
// part needs; the DFU function decides when that time is spent.
import type { DfuErrorStatus, DfuMemoryRegion } from '../../api/schemas';
import { regionAt } from '../../protocols/dfu/dfuse-memory-layout';
import { programMs, type DfuFlashTiming } from './usb-timing';

export const ERASED = 0xff;

export interface DfuMemoryRegionSpec extends DfuMemoryRegion {
  /**
   * How a write lands: 'nor' programs erased bytes only (flash, OTP); 'replace' takes any
   * value (option bytes and feature registers, which the bootloader rewrites whole).
   */
  writes: 'nor' | 'replace';
  /** What the region holds when the board leaves the factory (default: erased). */
  initial?: { offset: number; bytes: number[] }[];
}

export interface MemoryOutcome {
  /** null when it worked. */
  error: DfuErrorStatus | null;
  /** Time the part is busy for it (unscaled ms); spent even when it fails part-way. */
  ms: number;
  /** Bytes programmed. */
  programmed: number;
}

interface Cells {
  spec: DfuMemoryRegionSpec;
  bytes: Uint8Array;
}

export class DfuMemory {
  private readonly cells: Cells[];

  constructor(
    regions: DfuMemoryRegionSpec[],
    private readonly timing: DfuFlashTiming,
  ) {
    this.cells = regions.map((spec) => {
      const bytes = new Uint8Array(spec.size).fill(ERASED);
      for (const run of spec.initial ?? []) bytes.set(run.bytes, run.offset);
      return { spec, bytes };
    });
  }

  get regions(): DfuMemoryRegion[] {
    return this.cells.map((c) => c.spec);
  }

  /** The region holding `address`, or undefined. */
  region(address: number): DfuMemoryRegionSpec | undefined {
    return regionAt({ name: '', regions: this.cells.map((c) => c.spec) }, address) as DfuMemoryRegionSpec | undefined;
  }

  /** Whether [address, address + length) lies wholly in this memory's regions. */
  contains(address: number, length: number): boolean {
    for (let at = address; at < address + Math.max(length, 1); ) {
      const cells = this.cellsAt(at);
      if (!cells) return false;
      at = cells.spec.address + cells.spec.size;
    }
    return true;
  }

  /** Bytes as the part holds them; outside every region reads 0x00 (unmapped), for tests only. */
  peek(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (const { spec, bytes } of this.cells) {
      const from = Math.max(address, spec.address);
      const to = Math.min(address + length, spec.address + spec.size);
      if (from < to) out.set(bytes.subarray(from - spec.address, to - spec.address), from - address);
    }
    return out;
  }

  /**
   * Up to `length` readable bytes from `address`, stopping at the end of the readable run.
   * errADDRESS outside every region, errTARGET in one that cannot be read.
   */
  read(address: number, length: number): { error: DfuErrorStatus | null; data: Uint8Array } {
    const first = this.cellsAt(address);
    if (!first) return { error: 'errADDRESS', data: new Uint8Array(0) };
    if (!first.spec.readable) return { error: 'errTARGET', data: new Uint8Array(0) };
    const chunks: Uint8Array[] = [];
    let at = address;
    let left = length;
    while (left > 0) {
      const cells = this.cellsAt(at);
      if (!cells || !cells.spec.readable) break;
      const offset = at - cells.spec.address;
      const take = Math.min(left, cells.spec.size - offset);
      chunks.push(cells.bytes.slice(offset, offset + take));
      at += take;
      left -= take;
    }
    const data = new Uint8Array(length - left);
    let offset = 0;
    for (const chunk of chunks) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    return { error: null, data };
  }

  /** errADDRESS when the first byte is in no region, errTARGET when any byte is not in a writable one. */
  checkWrite(address: number, length: number): DfuErrorStatus | null {
    if (!this.cellsAt(address)) return 'errADDRESS';
    for (let at = address; at < address + length; ) {
      const cells = this.cellsAt(at);
      if (!cells || !cells.spec.writable) return 'errTARGET';
      at = cells.spec.address + cells.spec.size;
    }
    return null;
  }

  /**
   * Programs `data` at `address` in program units. A unit over bytes that are not erased (in
   * a NOR region) fails with errPROG after the units before it are written, as the part's
   * programming error flag would stop the bootloader there.
   */
  program(address: number, data: Uint8Array): MemoryOutcome {
    const refused = this.checkWrite(address, data.length);
    if (refused) return { error: refused, ms: 0, programmed: 0 };
    const unit = this.timing.programUnit;
    let done = 0;
    while (done < data.length) {
      const at = address + done;
      const cells = this.cellsAt(at)!;
      const offset = at - cells.spec.address;
      const take = Math.min(unit - (at % unit), data.length - done, cells.spec.size - offset);
      const chunk = data.subarray(done, done + take);
      if (cells.spec.writes === 'nor' && !isErased(cells.bytes.subarray(offset, offset + take))) {
        return { error: 'errPROG', ms: programMs(this.timing, done + take), programmed: done };
      }
      cells.bytes.set(chunk, offset);
      done += take;
    }
    return { error: null, ms: programMs(this.timing, data.length), programmed: data.length };
  }

  /** The erase unit holding `address` and what erasing it costs; errADDRESS outside every region, errTARGET where erasing is not allowed. */
  eraseUnitAt(address: number): { error: DfuErrorStatus | null; start: number; size: number } {
    const cells = this.cellsAt(address);
    if (!cells) return { error: 'errADDRESS', start: address, size: 0 };
    const { spec } = cells;
    const start = spec.address + Math.floor((address - spec.address) / spec.pageSize) * spec.pageSize;
    return { error: spec.erasable ? null : 'errTARGET', start, size: spec.pageSize };
  }

  /** Erases the unit holding `address`. */
  erasePage(address: number): MemoryOutcome {
    const unit = this.eraseUnitAt(address);
    if (unit.error) return { error: unit.error, ms: 0, programmed: 0 };
    const cells = this.cellsAt(unit.start)!;
    const offset = unit.start - cells.spec.address;
    cells.bytes.fill(ERASED, offset, offset + unit.size);
    return { error: null, ms: this.timing.eraseMs(unit.size), programmed: 0 };
  }

  /** Erases every erasable region. */
  massErase(): MemoryOutcome {
    for (const { spec, bytes } of this.cells) if (spec.erasable) bytes.fill(ERASED);
    return { error: null, ms: this.timing.massEraseMs, programmed: 0 };
  }

  /** Whether every byte of the range is erased (used by a bootloader that erases pages on first touch). */
  isErased(address: number, length: number): boolean {
    return isErased(this.peek(address, length));
  }

  private cellsAt(address: number): Cells | undefined {
    return this.cells.find(({ spec }) => address >= spec.address && address < spec.address + spec.size);
  }
}

function isErased(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== ERASED) return false;
  return true;
}
