// The sensor node's internal NOR flash, played in memory: erased bytes read 0xff, a page
// must be erased before any byte in it is programmed again, and erase and program take as
// long as they do on a Cortex-M4 part, so an upload's speed is what a real board's would be.
// timeScale shrinks every delay alike: unit tests run fast, benchmarks run at 1.
import { FieldbenchError } from '../../api/errors';

export interface FlashTiming {
  /** Milliseconds to erase one page. */
  pageEraseMs: number;
  /** Microseconds to program one byte, averaged over the part's write unit. */
  programUsPerByte: number;
}

/**
 * STM32WB55 (Cortex-M4, 4 KiB pages), typical figures from its datasheet: page erase
 * 22.02 ms, 64-bit double-word program 81.7 µs (10.2 µs a byte). The nRF52840, the other
 * common MCUboot target with 4 KiB pages, is in the same range for programming (41 µs per
 * 32-bit word) and slower to erase (85 ms, its maximum); pass that timing to play it.
 */
export const CORTEX_M4_FLASH_TIMING: FlashTiming = { pageEraseMs: 22, programUsPerByte: 10.2 };
export const NRF52840_FLASH_TIMING: FlashTiming = { pageEraseMs: 85, programUsPerByte: 10.25 };

export const DEFAULT_PAGE_SIZE = 4096;
const ERASED = 0xff;

export interface SimulatedFlashOptions {
  size: number;
  pageSize?: number;
  timing?: FlashTiming;
  /** Multiplies every erase and program delay: 1 is real time, 0 is instant. */
  timeScale?: number;
}

export interface FlashCounters {
  pagesErased: number;
  bytesProgrammed: number;
  /** Time the flash was busy, unscaled, in milliseconds. */
  busyMs: number;
}

export class SimulatedFlash {
  readonly size: number;
  readonly pageSize: number;
  readonly timing: FlashTiming;
  private readonly cells: Uint8Array;
  private scale: number;
  /** performance.now() when the flash finishes what it was last asked to do. */
  private busyUntil = 0;
  private readonly counters: FlashCounters = { pagesErased: 0, bytesProgrammed: 0, busyMs: 0 };

  constructor(options: SimulatedFlashOptions) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(options.size) || options.size <= 0 || options.size % this.pageSize !== 0) {
      throw new FieldbenchError({ code: 'internal', message: `flash size ${options.size} is not a whole number of ${this.pageSize}-byte pages` });
    }
    this.size = options.size;
    this.timing = options.timing ?? CORTEX_M4_FLASH_TIMING;
    this.scale = checkScale(options.timeScale ?? 1);
    this.cells = new Uint8Array(this.size).fill(ERASED);
  }

  get timeScale(): number {
    return this.scale;
  }

  set timeScale(scale: number) {
    this.scale = checkScale(scale);
  }

  get stats(): FlashCounters {
    return { ...this.counters };
  }

  /** Reads are memory-mapped on these parts: instant. Returns a copy. */
  read(offset: number, length: number): Uint8Array {
    this.checkRange(offset, length, 'read');
    return this.cells.slice(offset, offset + length);
  }

  isErased(offset: number, length: number): boolean {
    this.checkRange(offset, length, 'check');
    for (let i = offset; i < offset + length; i++) if (this.cells[i] !== ERASED) return false;
    return true;
  }

  /** Erase whole pages covering [offset, offset + length); both ends must sit on page boundaries. */
  async erase(offset: number, length: number): Promise<void> {
    this.checkRange(offset, length, 'erase');
    if (offset % this.pageSize !== 0 || length % this.pageSize !== 0) {
      throw new FieldbenchError({
        code: 'internal',
        message: `flash erase of ${length} bytes at 0x${offset.toString(16)} is not page-aligned (${this.pageSize}-byte pages)`,
      });
    }
    const pages = length / this.pageSize;
    for (let page = 0; page < pages; page++) {
      const start = offset + page * this.pageSize;
      this.cells.fill(ERASED, start, start + this.pageSize);
      this.counters.pagesErased++;
      await this.busy(this.timing.pageEraseMs);
    }
  }

  /** Program bytes. NOR flash can only clear bits, so every target byte must still be erased. */
  async program(offset: number, data: Uint8Array): Promise<void> {
    this.checkRange(offset, data.length, 'program');
    for (let i = 0; i < data.length; i++) {
      if (this.cells[offset + i] !== ERASED) {
        throw new FieldbenchError({
          code: 'internal',
          message: `flash program at 0x${(offset + i).toString(16)} over a byte that is not erased: erase the page first`,
        });
      }
    }
    this.cells.set(data, offset);
    this.counters.bytesProgrammed += data.length;
    await this.busy((data.length * this.timing.programUsPerByte) / 1000);
  }

  /** The factory's programmer: contents written before the board first boots, taking no device time. */
  preload(offset: number, data: Uint8Array): void {
    this.checkRange(offset, data.length, 'preload');
    this.cells.set(data, offset);
  }

  /**
   * Wait as long as the part would be busy. Short operations only move the finishing time on
   * and are slept off together once a millisecond has built up, so timer granularity does not
   * turn thousands of 5 µs writes into thousands of 1 ms waits.
   */
  private async busy(ms: number): Promise<void> {
    this.counters.busyMs += ms;
    const scaled = ms * this.scale;
    if (scaled <= 0) return;
    const now = performance.now();
    this.busyUntil = Math.max(this.busyUntil, now) + scaled;
    const wait = this.busyUntil - now;
    if (wait >= 1) await new Promise<void>((resolve) => setTimeout(resolve, wait));
  }

  private checkRange(offset: number, length: number, what: string): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new FieldbenchError({
        code: 'internal',
        message: `flash ${what} of ${length} bytes at 0x${offset.toString(16)} is outside the ${this.size}-byte part`,
      });
    }
  }
}

function checkScale(scale: number): number {
  if (!Number.isFinite(scale) || scale < 0) {
    throw new FieldbenchError({ code: 'internal', message: `flash timeScale must be a number >= 0, not ${scale}` });
  }
  return scale;
}
