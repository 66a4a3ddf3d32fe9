// A virtual DFU board: its flash, its fault knobs and counters, and the USBDevice it shows on
// the bus in its present mode. The flash outlives every re-enumeration (detach, leave,
// read-unprotect, a drop and replug), as it does on hardware; the USBDevice does not.
import { FieldbenchError } from '../../api/errors';
import type { VirtualFaults } from '../../api/schemas';
import { BOARD_MODELS, type BoardModelSpec, type UsbDfuMode, type VirtualUsbModel } from './board-models';
import { BoardFaults } from './board-faults';
import { DfuBootloaderFunction, DfuRuntimeFunction, type BoardCounters, type DfuBoardPort, type ResetOutcome } from './dfu-function';
import type { DfuMemory } from './dfu-memory';
import { VirtualUsbDevice, type UsbDeviceHost } from './virtual-usb-device';
import { REENUMERATION_MS } from './usb-timing';

export interface VirtualUsbBoardOptions {
  model: VirtualUsbModel;
  serialNumber: string;
  startIn: 'application' | 'bootloader';
  faults?: VirtualFaults;
  /** 1 = realistic timing (default), 0 = instant, 0.1 = ten times faster: scales every modeled delay. */
  timeScale?: number;
  /**
   * After a dropAtReceivedBytes unplug, come back (in the bootloader) after this long; absent:
   * stays unplugged. Real milliseconds: it stands for a person plugging the cable back in,
   * not for work the board models, so timeScale does not shrink it.
   */
  replugAfterMs?: number;
}

export type VirtualUsbDeviceInMode = USBDevice & { readonly mode: UsbDfuMode };

export interface VirtualUsbBoard {
  readonly model: VirtualUsbModel;
  readonly serialNumber: string;
  /** The USBDevice on the bus now (a new object after every re-enumeration), or null while off the bus. */
  current(): VirtualUsbDeviceInMode | null;
  /** Replaces the fault knobs and re-arms their byte counter. */
  setFaults(faults: VirtualFaults): void;
  /** Memory contents at any address of any alternate setting's layout, for tests. */
  readFlash(address: number, length: number): Uint8Array;
  stats(): BoardCounters;
  resetStats(): void;
  /** Off the bus for good. */
  unplug(): void;
}

export interface BoardBusEvents {
  connect(device: USBDevice): void;
  disconnect(device: USBDevice): void;
  /** The board was unplugged for good. */
  removed(board: VirtualUsbBoard): void;
}

const zeroCounters = (): BoardCounters => ({ pagesErased: 0, massErases: 0, bytesWritten: 0, bytesRead: 0, controlTransfers: 0, modeledMs: 0 });

function invalid(message: string, hint: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message, step: 'plug virtual USB board', hint });
}

export class VirtualDfuBoard implements VirtualUsbBoard, DfuBoardPort, UsbDeviceHost {
  readonly model: VirtualUsbModel;
  readonly serialNumber: string;
  readonly spec: BoardModelSpec;
  readonly memories: DfuMemory[];
  readonly faults: BoardFaults;
  counters: BoardCounters = zeroCounters();
  private readonly timeScale: number;
  private readonly replugAfterMs: number | undefined;
  private device: VirtualUsbDevice | null = null;
  private unplugged = false;
  /** Bumped by each departure from the bus, so a return planned before it does not happen twice. */
  private generation = 0;
  private busFreeAt = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    options: VirtualUsbBoardOptions,
    private readonly events: BoardBusEvents,
  ) {
    const spec = BOARD_MODELS[options.model];
    if (!spec) throw invalid(`no virtual USB board model "${String(options.model)}"`, `Use one of ${Object.keys(BOARD_MODELS).join(', ')}.`);
    if (options.serialNumber.length === 0 || options.serialNumber.length > 126) {
      throw invalid(`serial number "${options.serialNumber}" is empty or longer than a USB string descriptor holds`, 'Give 1 to 126 characters.');
    }
    const timeScale = options.timeScale ?? 1;
    if (!Number.isFinite(timeScale) || timeScale < 0) throw invalid(`time scale ${timeScale} is not a finite number ≥ 0`, 'Use 1 for real time, 0 for instant, or a fraction.');
    if (options.replugAfterMs !== undefined && (!Number.isFinite(options.replugAfterMs) || options.replugAfterMs < 0)) {
      throw invalid(`replugAfterMs ${options.replugAfterMs} is not a finite number ≥ 0`, 'Leave it out to stay unplugged after a drop.');
    }
    this.model = options.model;
    this.serialNumber = options.serialNumber;
    this.spec = spec;
    this.memories = spec.memories();
    this.faults = new BoardFaults(options.faults);
    this.timeScale = timeScale;
    this.replugAfterMs = options.replugAfterMs;
  }

  /** Puts the board on the bus in `mode`; the bus calls it once at plug time. */
  enumerate(mode: 'application' | 'bootloader'): void {
    if (this.unplugged || this.device) return;
    const modeSpec = mode === 'application' ? this.spec.application : this.spec.bootloader;
    const dfu = modeSpec.mode === 'runtime' ? new DfuRuntimeFunction(this, modeSpec) : new DfuBootloaderFunction(this, modeSpec);
    this.device = new VirtualUsbDevice(modeSpec, this.serialNumber, dfu, this);
    this.events.connect(this.device);
  }

  current(): VirtualUsbDeviceInMode | null {
    return this.device;
  }

  setFaults(faults: VirtualFaults): void {
    this.faults.set(faults);
  }

  readFlash(address: number, length: number): Uint8Array {
    const memory = this.memories.find((m) => m.contains(address, length));
    if (!memory) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `${length} bytes at 0x${address.toString(16)} are not all inside one memory of the ${this.model} board`,
        device: this.serialNumber,
        step: 'read virtual flash',
        hint: 'Read within one region run of the board layout.',
      });
    }
    return memory.peek(address, length);
  }

  stats(): BoardCounters {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = zeroCounters();
  }

  unplug(): void {
    if (this.unplugged) return;
    this.leaveBus();
    this.unplugged = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.events.removed(this);
  }

  // ---------------------------------------------------------------- DfuBoardPort, UsbDeviceHost

  get silent(): boolean {
    return this.faults.silent;
  }

  countTransfer(): void {
    this.counters.controlTransfers += 1;
  }

  spend(ms: number): number {
    this.counters.modeledMs += ms;
    return ms * this.timeScale;
  }

  /**
   * Waits out bus time. Waits under a millisecond only move the bus's finishing time on and
   * are slept off together, so timer granularity does not turn thousands of short transfers
   * at a small timeScale into thousands of 1 ms waits.
   */
  busWait(scaledMs: number): Promise<void> {
    if (scaledMs <= 0) return Promise.resolve();
    const now = performance.now();
    this.busFreeAt = Math.max(this.busFreeAt, now) + scaledMs;
    const wait = this.busFreeAt - now;
    if (wait < 1) return Promise.resolve();
    // A plain timer, not later(): it must resolve even if the board is unplugged meanwhile,
    // so nothing waiting on the bus hangs.
    return new Promise((resolve) => setTimeout(resolve, wait));
  }

  later(ms: number, work: () => void): void {
    if (this.unplugged) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  reenumerate(mode: 'application' | 'bootloader', afterScaledMs: number): void {
    const generation = this.generation;
    const depart = (): void => {
      if (generation !== this.generation) return;
      // The answer that announced the departure (DETACH, the leave GETSTATUS) may still be
      // on the wire: a real device finishes its status stage before it lets go of the bus.
      if (this.device && this.device.transfersOnTheWire > 0) {
        this.later(Math.max(0, this.busFreeAt - performance.now()), depart);
        return;
      }
      this.leaveBus();
      const returning = this.generation;
      this.later(this.spend(REENUMERATION_MS), () => {
        if (returning === this.generation) this.enumerate(mode);
      });
    };
    this.later(afterScaledMs, depart);
  }

  drop(): void {
    this.leaveBus();
    if (this.replugAfterMs === undefined) return;
    const returning = this.generation;
    this.later(this.replugAfterMs, () => {
      if (returning === this.generation) this.enumerate('bootloader');
    });
  }

  afterReset(outcome: ResetOutcome): void {
    if (outcome !== 'stay') this.reenumerate(outcome, 0);
  }

  private leaveBus(): void {
    this.generation += 1;
    const device = this.device;
    if (!device) return;
    this.device = null;
    device.disconnect();
    this.events.disconnect(device);
  }
}
