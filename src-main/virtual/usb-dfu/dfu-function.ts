// The DFU interface of a virtual board: the runtime side an application offers (appIDLE,
// appDETACH) and the bootloader side (dfuIDLE … dfuERROR), with the state table of USB DFU
// 1.1 Appendix A. A request the table does not allow in the present state stalls and moves
// to dfuERROR with errSTALLEDPKT. The bootloader speaks plain DFU 1.1 or ST's DfuSe (AN3156:
// commands in block 0, data from block 2 at the address pointer).
//
// Work happens when the host asks for it: the first GETSTATUS after a DNLOAD carries the
// block out and answers dfuDNBUSY with bwPollTimeout = the flash time under the timing model
// (scaled); until that time has passed the part is busy and GETSTATUS answers dfuDNBUSY again
// with what is left. Refusals known before any flash is touched (address, region, read
// protection, an injected error) are reported by that first GETSTATUS; a program failure
// (errPROG) after the time the part spent getting there.
import type { DfuErrorStatus } from '../../api/schemas';
import { DFU_ERROR_STATUSES } from '../../api/schemas';
import { DFU_STATUS_OK, DfuRequest, DfuState } from '../../protocols/dfu/dfu-status';
import { DFUSE_FIRST_DATA_BLOCK, DfuseCommand } from '../../protocols/dfu/dfuse-commands';
import { DfuAttribute, type BoardModelSpec, type UsbDfuMode, type UsbModeSpec } from './board-models';
import type { BoardFaults } from './board-faults';
import type { DfuMemory, MemoryOutcome } from './dfu-memory';

export interface ClassAnswer {
  status: 'ok' | 'stall';
  data?: Uint8Array;
}

/** What a USB reset makes of the board: the same enumeration, or a new one in another mode. */
export type ResetOutcome = 'stay' | 'application' | 'bootloader';

export interface DfuFunction {
  readonly mode: UsbDfuMode;
  classIn(request: number, value: number, length: number): ClassAnswer;
  classOut(request: number, value: number, data: Uint8Array): ClassAnswer;
  selectAlternate(alternate: number): void;
  usbReset(): ResetOutcome;
}

export interface BoardCounters {
  pagesErased: number;
  massErases: number;
  bytesWritten: number;
  bytesRead: number;
  controlTransfers: number;
  modeledMs: number;
}

/** The board as its DFU interface sees it. */
export interface DfuBoardPort {
  readonly spec: BoardModelSpec;
  readonly memories: DfuMemory[];
  readonly faults: BoardFaults;
  readonly counters: BoardCounters;
  /** Adds unscaled model time and answers what it lasts at this board's timeScale. */
  spend(ms: number): number;
  /** Leaves the bus once `afterScaledMs` has passed and comes back enumerated in `mode`. */
  reenumerate(mode: 'application' | 'bootloader', afterScaledMs: number): void;
  /** Falls off the bus now (dropAtReceivedBytes). */
  drop(): void;
  /** A timer cleared when the board is unplugged or re-enumerates. */
  later(ms: number, work: () => void): void;
}

const MAX_POLL_TIMEOUT = 0xffffff;

export function statusCode(status: DfuErrorStatus): number {
  return DFU_ERROR_STATUSES.indexOf(status) + 1;
}

function statusReport(status: number, pollMs: number, state: number): Uint8Array {
  const poll = Math.min(MAX_POLL_TIMEOUT, Math.max(0, Math.ceil(pollMs)));
  return Uint8Array.of(status, poll & 0xff, (poll >> 8) & 0xff, (poll >> 16) & 0xff, state, 0);
}

function trim(data: Uint8Array, length: number): ClassAnswer {
  return { status: 'ok', data: data.subarray(0, Math.min(length, data.length)) };
}

const STALL: ClassAnswer = { status: 'stall' };
const OK: ClassAnswer = { status: 'ok' };

/** An application's DFU runtime interface: DETACH takes the board into its bootloader. */
export class DfuRuntimeFunction implements DfuFunction {
  readonly mode = 'runtime';
  private state: number = DfuState.appIDLE;
  private detachToken = 0;

  constructor(
    private readonly port: DfuBoardPort,
    private readonly spec: UsbModeSpec,
  ) {}

  classIn(request: number, _value: number, length: number): ClassAnswer {
    if (this.port.faults.takeStall()) return STALL;
    if (request === DfuRequest.GETSTATUS) return trim(statusReport(DFU_STATUS_OK, 0, this.state), length);
    if (request === DfuRequest.GETSTATE) return trim(Uint8Array.of(this.state), length);
    return this.refuse();
  }

  classOut(request: number, value: number): ClassAnswer {
    if (this.port.faults.takeStall()) return STALL;
    if (request !== DfuRequest.DETACH || this.state !== DfuState.appIDLE) return this.refuse();
    if (this.spec.functional.attributes & DfuAttribute.WILL_DETACH) {
      // bitWillDetach: the application detaches and re-attaches as the bootloader by itself.
      this.state = DfuState.appDETACH;
      this.port.reenumerate('bootloader', 0);
      return OK;
    }
    // Otherwise the host has wTimeout (capped by wDetachTimeOut) to reset the bus. The window
    // is the host's deadline, not work the board models, so it runs in real time at any scale.
    this.state = DfuState.appDETACH;
    const token = ++this.detachToken;
    this.port.later(Math.min(value, this.spec.functional.detachTimeoutMs), () => {
      if (this.detachToken === token && this.state === DfuState.appDETACH) this.state = DfuState.appIDLE;
    });
    return OK;
  }

  selectAlternate(): void {
    // One alternate setting only.
  }

  usbReset(): ResetOutcome {
    return this.state === DfuState.appDETACH ? 'bootloader' : 'application';
  }

  /** DFU 1.1 A.1: a request appDETACH does not take sends the device back to appIDLE. */
  private refuse(): ClassAnswer {
    this.state = DfuState.appIDLE;
    this.detachToken += 1;
    return STALL;
  }
}

/** A block waiting for the GETSTATUS that carries it out. */
type PendingWork =
  | { kind: 'data'; block: number; data: Uint8Array }
  | { kind: 'command'; bytes: Uint8Array }
  | { kind: 'injected'; status: DfuErrorStatus };

/** What the part is busy with, and how it ends. */
interface BusyWork {
  until: number;
  /** Reported once the time is up. */
  error: DfuErrorStatus | null;
}

interface WorkOutcome extends MemoryOutcome {
  /** Refused before any flash was touched: reported by the first GETSTATUS. */
  refused?: DfuErrorStatus;
  /** The board resets itself when the work is done (read-unprotect). */
  resetsAfter?: boolean;
}

const DFUSE_COMMANDS = Uint8Array.of(0x00, DfuseCommand.SET_ADDRESS_POINTER, DfuseCommand.ERASE, DfuseCommand.READ_UNPROTECT);

export class DfuBootloaderFunction implements DfuFunction {
  readonly mode = 'dfu';
  private state: number = DfuState.dfuIDLE;
  private status = DFU_STATUS_OK;
  private alternate = 0;
  private pointer: number;
  private pending: PendingWork | null = null;
  private busy: BusyWork | null = null;
  private manifesting = false;
  /** Pages the plain DFU bootloader erased in this download. */
  private readonly erasedPages = new Set<number>();

  constructor(
    private readonly port: DfuBoardPort,
    private readonly spec: UsbModeSpec,
  ) {
    this.pointer = this.memory.regions[0]?.address ?? 0;
  }

  private get memory(): DfuMemory {
    return this.port.memories[this.alternate]!;
  }

  private get transferSize(): number {
    return this.spec.functional.transferSize;
  }

  private has(attribute: number): boolean {
    return (this.spec.functional.attributes & attribute) !== 0;
  }

  selectAlternate(alternate: number): void {
    this.alternate = alternate;
    this.pointer = this.memory.regions[0]?.address ?? 0;
  }

  usbReset(): ResetOutcome {
    this.pending = null;
    this.busy = null;
    this.manifesting = false;
    // ST's ROM bootloader only restarts its USB stack; a plain DFU 1.1 bootloader starts
    // valid firmware after a reset (DFU 1.1 §7) and stays with errFIRMWARE otherwise.
    if (this.port.spec.dfuse) {
      this.enter(DfuState.dfuIDLE, DFU_STATUS_OK);
      return 'stay';
    }
    if (this.firmwareValid()) return 'application';
    this.enter(DfuState.dfuERROR, statusCode('errFIRMWARE'));
    return 'stay';
  }

  classIn(request: number, value: number, length: number): ClassAnswer {
    this.settle();
    if (this.port.faults.takeStall()) return this.stall();
    if (this.state === DfuState.dfuMANIFEST_WAIT_RESET) return STALL;
    if (request === DfuRequest.GETSTATUS) return trim(this.getStatus(), length);
    if (this.state === DfuState.dfuDNBUSY || this.state === DfuState.dfuMANIFEST) return this.stall();
    if (request === DfuRequest.GETSTATE) return trim(Uint8Array.of(this.state), length);
    if (request === DfuRequest.UPLOAD) return this.upload(value, length);
    return this.stall();
  }

  classOut(request: number, value: number, data: Uint8Array): ClassAnswer {
    this.settle();
    if (this.port.faults.takeStall()) return this.stall();
    if (this.state === DfuState.dfuMANIFEST_WAIT_RESET) return STALL;
    if (this.state === DfuState.dfuDNBUSY || this.state === DfuState.dfuMANIFEST) return this.stall();
    switch (request) {
      case DfuRequest.DNLOAD:
        return this.download(value, data);
      case DfuRequest.CLRSTATUS:
        if (this.state !== DfuState.dfuERROR) return this.stall();
        this.enter(DfuState.dfuIDLE, DFU_STATUS_OK);
        return OK;
      case DfuRequest.ABORT:
        if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuDNLOAD_IDLE && this.state !== DfuState.dfuUPLOAD_IDLE) return this.stall();
        this.enter(DfuState.dfuIDLE, DFU_STATUS_OK);
        return OK;
      default:
        return this.stall();
    }
  }

  /** Moves the busy states on once their time is up (DFU 1.1: dfuDNBUSY → dfuDNLOAD-SYNC, dfuMANIFEST → dfuMANIFEST-SYNC). */
  private settle(): void {
    const busy = this.busy;
    if (!busy || performance.now() < busy.until) return;
    if (this.state === DfuState.dfuDNBUSY) this.state = DfuState.dfuDNLOAD_SYNC;
    else if (this.state === DfuState.dfuMANIFEST) {
      this.state = this.has(DfuAttribute.MANIFESTATION_TOLERANT) ? DfuState.dfuMANIFEST_SYNC : DfuState.dfuMANIFEST_WAIT_RESET;
    }
  }

  private getStatus(): Uint8Array {
    const now = performance.now();
    switch (this.state) {
      case DfuState.dfuDNBUSY:
      case DfuState.dfuMANIFEST:
        return statusReport(this.status, this.busy ? this.busy.until - now : 0, this.state);
      case DfuState.dfuDNLOAD_SYNC: {
        if (this.busy) {
          const { error } = this.busy;
          this.busy = null;
          if (error) this.enter(DfuState.dfuERROR, statusCode(error));
          else this.state = DfuState.dfuDNLOAD_IDLE;
          return statusReport(this.status, 0, this.state);
        }
        const work = this.pending;
        this.pending = null;
        const outcome: WorkOutcome = work ? this.carryOut(work) : { error: null, ms: 0, programmed: 0 };
        if (outcome.refused) {
          this.enter(DfuState.dfuERROR, statusCode(outcome.refused));
          return statusReport(this.status, 0, this.state);
        }
        if (outcome.ms === 0 && outcome.error === null) {
          this.state = DfuState.dfuDNLOAD_IDLE;
          return statusReport(this.status, 0, this.state);
        }
        const scaled = this.port.spend(outcome.ms);
        this.busy = { until: now + scaled, error: outcome.error };
        this.state = DfuState.dfuDNBUSY;
        // The part resets by itself once the work is done, whether or not the host is polling.
        if (outcome.resetsAfter) this.port.reenumerate('bootloader', scaled);
        return statusReport(this.status, scaled, this.state);
      }
      case DfuState.dfuMANIFEST_SYNC: {
        if (this.manifesting) {
          // Manifestation over (a tolerant device): back to dfuIDLE, ready for more.
          this.manifesting = false;
          this.busy = null;
          this.state = DfuState.dfuIDLE;
          return statusReport(this.status, 0, this.state);
        }
        return this.manifest(now);
      }
      default:
        return statusReport(this.status, 0, this.state);
    }
  }

  /**
   * The firmware is all there: a tolerant device checks it and returns to dfuIDLE; ST's
   * bootloader jumps to the application, which re-enumerates in its place. Neither touches
   * the flash, so the model gives manifestation no time of its own.
   */
  private manifest(now: number): Uint8Array {
    this.manifesting = true;
    this.state = DfuState.dfuMANIFEST;
    this.busy = { until: now, error: null };
    if (!this.has(DfuAttribute.MANIFESTATION_TOLERANT) && this.has(DfuAttribute.WILL_DETACH)) this.port.reenumerate('application', 0);
    return statusReport(this.status, 0, this.state);
  }

  private download(block: number, data: Uint8Array): ClassAnswer {
    if (!this.has(DfuAttribute.CAN_DOWNLOAD) || data.length > this.transferSize) return this.stall();
    if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuDNLOAD_IDLE) return this.stall();
    if (data.length === 0) {
      // End of the download; DfuSe also takes it in dfuIDLE as "leave" (AN3156).
      if (this.state === DfuState.dfuIDLE && !this.port.spec.dfuse) return this.stall();
      this.state = DfuState.dfuMANIFEST_SYNC;
      this.manifesting = false;
      return OK;
    }
    const dfuse = this.port.spec.dfuse;
    const isCommand = dfuse && block === 0;
    if (dfuse && block === 1) return this.stall();
    if (isCommand && !validCommand(data)) return this.stall();
    if (this.state === DfuState.dfuIDLE) this.erasedPages.clear();
    const fault = this.port.faults.onDownload(isCommand ? 0 : data.length);
    if (fault.drop) {
      this.port.drop();
      return OK;
    }
    this.pending = fault.error ? { kind: 'injected', status: fault.error } : isCommand ? { kind: 'command', bytes: data.slice() } : { kind: 'data', block, data: data.slice() };
    this.state = DfuState.dfuDNLOAD_SYNC;
    return OK;
  }

  private upload(block: number, length: number): ClassAnswer {
    if (!this.has(DfuAttribute.CAN_UPLOAD) || length > this.transferSize) return this.stall();
    if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuUPLOAD_IDLE) return this.stall();
    let data: Uint8Array;
    if (this.port.spec.dfuse) {
      if (block === 0) data = DFUSE_COMMANDS.subarray(0, Math.min(length, DFUSE_COMMANDS.length));
      else if (block === 1) return this.stall();
      else {
        if (this.port.faults.readProtected) return this.stall('errVENDOR');
        const read = this.memory.read(this.pointer + (block - DFUSE_FIRST_DATA_BLOCK) * this.transferSize, length);
        if (read.error) return this.stall(read.error);
        data = read.data;
      }
    } else {
      const address = block * this.transferSize;
      const size = this.memory.regions.reduce((end, r) => Math.max(end, r.address + r.size), 0);
      data = address >= size ? new Uint8Array(0) : this.memory.read(address, length).data;
    }
    if (!(this.port.spec.dfuse && block === 0)) this.port.counters.bytesRead += data.length;
    // A short frame ends the upload (DFU 1.1 §6.2).
    this.state = data.length < length ? DfuState.dfuIDLE : DfuState.dfuUPLOAD_IDLE;
    return { status: 'ok', data };
  }

  private carryOut(work: PendingWork): WorkOutcome {
    if (work.kind === 'injected') return { error: null, ms: 0, programmed: 0, refused: work.status };
    if (work.kind === 'command') return this.command(work.bytes);
    const address = this.port.spec.dfuse ? this.pointer + (work.block - DFUSE_FIRST_DATA_BLOCK) * this.transferSize : work.block * this.transferSize;
    if (this.port.spec.dfuse && this.port.faults.readProtected) return refused('errVENDOR');
    const check = this.memory.checkWrite(address, work.data.length);
    if (check) return refused(check);
    let eraseMs = 0;
    if (this.port.spec.erasesOnWrite) {
      for (let at = address; at < address + work.data.length; ) {
        const unit = this.memory.eraseUnitAt(at);
        if (!this.erasedPages.has(unit.start)) {
          const erased = this.memory.erasePage(unit.start);
          if (erased.error) return refused(erased.error);
          this.erasedPages.add(unit.start);
          this.port.counters.pagesErased += 1;
          eraseMs += erased.ms;
        }
        at = unit.start + unit.size;
      }
    }
    const programmed = this.memory.program(address, work.data);
    this.port.counters.bytesWritten += programmed.programmed;
    return { ...programmed, ms: programmed.ms + eraseMs };
  }

  private command(bytes: Uint8Array): WorkOutcome {
    const address = bytes.length >= 5 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(1, true) : null;
    switch (bytes[0]) {
      case DfuseCommand.SET_ADDRESS_POINTER:
        if (!this.memory.region(address!)) return refused('errADDRESS');
        this.pointer = address!;
        return { error: null, ms: 0, programmed: 0 };
      case DfuseCommand.ERASE: {
        if (this.port.faults.readProtected) return refused('errVENDOR');
        if (address === null) {
          if (!this.memory.regions.some((r) => r.erasable)) return refused('errTARGET');
          this.port.counters.massErases += 1;
          return this.memory.massErase();
        }
        const erased = this.memory.erasePage(address);
        if (erased.error) return refused(erased.error);
        this.port.counters.pagesErased += 1;
        return erased;
      }
      default: {
        // Read unprotect (RDP level 1 → 0): the part mass-erases its flash, drops the
        // protection and resets, so the host sees the bootloader re-enumerate.
        const erased = this.port.memories[0]!.massErase();
        this.port.counters.massErases += 1;
        this.port.faults.clearReadProtection();
        return { ...erased, resetsAfter: true };
      }
    }
  }

  private firmwareValid(): boolean {
    // A plain bootloader's check: an image starts with its vector table, never with erased flash.
    return !this.memory.isErased(this.memory.regions[0]!.address, 8);
  }

  private enter(state: number, status: number): void {
    this.state = state;
    this.status = status;
    this.pending = null;
    this.busy = null;
  }

  /** Refuses the request with a STALL: DFU 1.1 sends the device to dfuERROR (errSTALLEDPKT unless a reason is given). */
  private stall(reason: DfuErrorStatus = 'errSTALLEDPKT'): ClassAnswer {
    // dfuERROR keeps the status that put it there; a further stall does not overwrite it.
    if (this.state !== DfuState.dfuERROR) this.enter(DfuState.dfuERROR, statusCode(reason));
    return STALL;
  }
}

function refused(status: DfuErrorStatus): WorkOutcome {
  return { error: null, ms: 0, programmed: 0, refused: status };
}

/** DfuSe block 0: 0x21 or 0x41 with a 32-bit address, 0x41 alone (mass erase), 0x92 alone. */
function validCommand(bytes: Uint8Array): boolean {
  switch (bytes[0]) {
    case DfuseCommand.SET_ADDRESS_POINTER:
      return bytes.length === 5;
    case DfuseCommand.ERASE:
      return bytes.length === 1 || bytes.length === 5;
    case DfuseCommand.READ_UNPROTECT:
      return bytes.length === 1;
    default:
      return false;
  }
}
