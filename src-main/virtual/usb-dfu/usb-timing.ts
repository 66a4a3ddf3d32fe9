// How long the virtual DFU boards take, so a flash through them lasts what it would on the
// bench. Two things cost time:
//
// The bus. USB 2.0 §5.5 (control transfers) and §5.5.4 (bus access constraints): a
// full-speed control endpoint moves at most 64 bytes per data transaction, and the host may
// give control transfers no more than what fits in a 1 ms frame after periodic traffic —
// 13 transactions of 64 bytes in practice. Every control transfer is a setup transaction,
// ⌈length / 64⌉ data transactions (none without a data stage) and a status transaction, and
// a host controller hands its outcome back at a frame boundary, so one transfer costs
// ⌈transactions / 13⌉ frames of 1 ms: a GETSTATUS is 1 ms, a 2048-byte DNLOAD is 3 ms.
// Re-enumeration after a reset or detach costs the host's attach debounce (100 ms, USB 2.0
// §7.1.7.3 TATTDB), the bus reset (10 ms, TDRST) and the reset recovery (10 ms, TRSTRCY).
//
// The flash. STM32F405/407 datasheet (DS8626), "Flash memory programming" table, typical
// figures at ×32 parallelism (2.7–3.6 V): sector erase 16 KiB 250 ms, 64 KiB 550 ms,
// 128 KiB 1 s; mass erase 8 s; word (32-bit) programming 16 µs. The plain DFU gadget plays
// an STM32WB55/L4-class part with 4 KiB pages (the sensor node's flash timing): page erase
// 22 ms, 64-bit double-word programming 81.7 µs.
//
// Every delay is multiplied by a board's timeScale (1 = real time, 0 = instant); what the
// model demands unscaled is added up separately, so a benchmark at any scale can say what the
// hardware would have needed.
import { CORTEX_M4_FLASH_TIMING } from '../sensor-node/simulated-flash';

export const FULL_SPEED_MAX_PACKET = 64;
export const CONTROL_TRANSACTIONS_PER_FRAME = 13;
export const FRAME_MS = 1;
/** Attach debounce + bus reset + reset recovery (USB 2.0 §7.1.7.3, §7.1.7.5). */
export const REENUMERATION_MS = 100 + 10 + 10;

/** The least time a full-speed control transfer with `dataLength` bytes in its data stage can take. */
export function controlTransferMs(dataLength: number): number {
  const transactions = 2 + Math.ceil(Math.max(0, dataLength) / FULL_SPEED_MAX_PACKET);
  return Math.ceil(transactions / CONTROL_TRANSACTIONS_PER_FRAME) * FRAME_MS;
}

export interface DfuFlashTiming {
  /** Erase time of one erase unit (sector or page) of the given size, in ms. */
  eraseMs(unitSize: number): number;
  /** Erase of everything erasable at once. */
  massEraseMs: number;
  /** Bytes the part programs in one go. */
  programUnit: number;
  /** Time to program one unit, in µs. */
  programUnitUs: number;
}

/** STM32F405 sector erase times by sector size (DS8626, typical, ×32). */
const STM32F405_SECTOR_ERASE_MS = new Map<number, number>([
  [16 * 1024, 250],
  [64 * 1024, 550],
  [128 * 1024, 1000],
]);

export const STM32F405_FLASH_TIMING: DfuFlashTiming = {
  // Sizes the datasheet does not list (never used by the layouts here) scale with the 16 KiB figure.
  eraseMs: (size) => STM32F405_SECTOR_ERASE_MS.get(size) ?? (250 * size) / (16 * 1024),
  massEraseMs: 8000,
  programUnit: 4,
  programUnitUs: 16,
};

export const GADGET_FLASH_TIMING: DfuFlashTiming = {
  eraseMs: (size) => (CORTEX_M4_FLASH_TIMING.pageEraseMs * size) / 4096,
  massEraseMs: CORTEX_M4_FLASH_TIMING.pageEraseMs * 64,
  programUnit: 8,
  programUnitUs: CORTEX_M4_FLASH_TIMING.programUsPerByte * 8,
};

/** Programming time for `length` bytes: whole program units, as the part writes them. */
export function programMs(timing: DfuFlashTiming, length: number): number {
  return (Math.ceil(length / timing.programUnit) * timing.programUnitUs) / 1000;
}
