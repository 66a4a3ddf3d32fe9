// What a DFU flash is asked to do and what it reports back: the line between the DFU engine
// (this folder) and the firmware job in the core, which turns a file into elements and
// journals each phase.
import type { DfuFunctional, DfuMemoryLayout } from '../../api/schemas';
import type { DfuTarget, DfuUsbDevice } from './dfu-usb-device';

/** The phases of a DFU flash, in the order they run. */
export type DfuPhase = 'erase' | 'write' | 'verify' | 'manifest';

/** Bytes to write at an address. Plain DFU 1.1 has no addresses: one element, address 0. */
export interface DfuFlashElement {
  address: number;
  data: Uint8Array;
}

export interface DfuFlashRequest {
  /** A USB device in DFU mode (not runtime). The flasher opens, claims and releases it. */
  device: DfuUsbDevice;
  target: DfuTarget;
  functional: DfuFunctional;
  /** ST's DfuSe extensions: addressed writes, page erase, read-unprotect, leave. */
  dfuse: boolean;
  /** DfuSe: the target's memory layout; elements are checked against it before anything is erased. */
  layout: DfuMemoryLayout | null;
  elements: DfuFlashElement[];
  /** DfuSe: erase everything (mass erase) instead of only the pages the elements cover. */
  massErase?: boolean;
  /** DfuSe: remove read protection first, which mass-erases the flash. */
  readUnprotect?: boolean;
  /** Read back and compare after writing, where the device allows UPLOAD (default true). */
  verify?: boolean;
  /** DfuSe: leave DFU mode and start the application afterwards; DFU 1.1: manifest (default true). */
  leave?: boolean;
  /** Names the device in every message ("0483:df11 serial 3276…"). */
  label: string;
  /** Deadline for each control transfer, and the margin a busy wait allows beyond bwPollTimeout (default 5000 ms). */
  deadlineMs?: number;
  /** Cancels between blocks; the flasher then ABORTs the device back to dfuIDLE. */
  signal?: AbortSignal;
  onPhase?(phase: DfuPhase, status: 'started' | 'done' | 'skipped', detail: string | null): void;
  /** Bytes (erase: bytes of pages erased) done of total in the phase, after every block. */
  onProgress?(phase: 'erase' | 'write' | 'verify', done: number, total: number): void;
}

export interface DfuFlashResult {
  /** Bytes written. */
  written: number;
  /** Pages erased (DfuSe page erase), or -1 after a mass erase. */
  erasedPages: number;
  /** true: read back identical; false: not read back (the device allows no upload, or verify was off). */
  verified: boolean;
  /** Why it was or was not verified, in a sentence. */
  verifyDetail: string;
  /** The device left DFU mode (DfuSe leave, or DFU 1.1 manifestation finished). */
  left: boolean;
  /**
   * DfuSe read-unprotect ran: the device mass-erased its flash and is resetting, so nothing was
   * written (written 0). The caller follows the re-enumeration and flashes again without
   * readUnprotect.
   */
  readUnprotected?: boolean;
}
