// Firmware flashing over USB DFU against what the hardware itself needs. The virtual boards
// model a full-speed control pipe and the part's flash (src-main/virtual/usb-dfu/usb-timing.ts)
// and add up, unscaled, the time that model demands: modeledMs. Run at timeScale 1, the board
// really waits that long, so the wall time of the real flasher (flashDfu, with its erase,
// write, read-back and leave) divided into modeledMs says how close to the physical limit the
// host side gets: 1.0 means Fieldbench adds nothing of its own.
import { afterAll, describe, expect, it } from 'vitest';
import type { UsbDfuInfo } from '../src-main/api/schemas';
import type { DfuFlashResult } from '../src-main/protocols/dfu/dfu-flash-request';
import { flashDfu } from '../src-main/protocols/dfu/dfu-flash';
import { readDfuInfo } from '../src-main/protocols/dfu/dfu-info';
import type { DfuUsbDevice } from '../src-main/protocols/dfu/dfu-usb-device';
import { controlTransferMs } from '../src-main/virtual/usb-dfu/usb-timing';
import { VirtualUsbBus } from '../src-main/virtual/usb-dfu/virtual-usb-bus';
import { table, writeSection } from './report';

const KiB = 1024;
/** Modeled / measured, held above this; the rest is this rig's timers, measured by the replay. */
const MODELED_TARGET = 0.7;
/** Replay / measured: what the host code adds beyond the timers the exchange is made of. */
const HOST_TARGET = 0.85;

const rows: (string | number)[][] = [['board', 'image', 'erase', 'transfer size', 'control transfers', 'measured', 'modeled', 'ratio modeled / measured', 'compliant-host floor', 'timer replay', 'ratio replay / measured']];

afterAll(() => {
  if (rows.length === 1) return;
  writeSection(
    'dfu-flash',
    `## Firmware flash over USB DFU\n\n` +
      'The real flasher (`flashDfu`: erase, write, read back and compare, leave or manifest) against the virtual USB DFU ' +
      'boards at timeScale 1, so the board takes as long as the modelled hardware would, through the same WebUSB ' +
      '`USBDevice` interface the usb package gives on a real bus. **Measured** is the wall time of the whole flash; ' +
      '**modeled** is the time the board\'s model demands for the same requests (its `modeledMs`), the physical limit ' +
      'for this exchange; the ratio is modeled / measured (1.0 = at the limit, all the time is the bus and the flash).\n\n' +
      `${table(rows)}\n\n` +
      '**Compliant-host floor**: the bus time of every control transfer the flash made (priced as below) plus every ' +
      'bwPollTimeout the device answered a busy GETSTATUS with, which DFU 1.1 obliges the host to wait: the least any ' +
      'host following the specification could spend on this exchange (above modeled because the device reports ' +
      'bwPollTimeout in whole milliseconds). **Timer replay**: the same waits as bare Node timers one after another, ' +
      'with no USB or DFU code at all, which is the ceiling of this rig (a timer fires up to a millisecond late, and ' +
      'the virtual board\'s bus and the host\'s poll wait are each a timer); replay / measured is the share of the time ' +
      'that is the rig\'s timers rather than Fieldbench (1.0 = the flasher adds nothing). The flash is held to ' +
      `modeled / measured > ${MODELED_TARGET} and replay / measured > ${HOST_TARGET}.\n\n` +
      '**The model.** The bus is USB full speed: a control transfer is a setup transaction, one data transaction per ' +
      '64 bytes and a status transaction, at most 13 transactions in a 1 ms frame, its outcome handed back at a frame ' +
      'boundary (a GETSTATUS costs 1 ms, a 2048-byte DNLOAD 3 ms); a re-enumeration costs 120 ms (attach debounce, bus ' +
      'reset, reset recovery). The STM32 board is an STM32F405 ROM DfuSe bootloader with the F405 datasheet\'s typical ' +
      'flash figures: sector erase 250 ms (16 KiB), 550 ms (64 KiB), 1 s (128 KiB), 16 µs per 32-bit word programmed; ' +
      'its 2048-byte blocks are programmed during the dfuDNBUSY the bootloader reports. The DFU 1.1 gadget plays a part ' +
      'with 4 KiB pages erased as it writes (22 ms each) and 81.7 µs per 64-bit double word. The image is flashed at ' +
      'the start of the flash, pages erased one by one (only those it covers), without leave (the re-enumeration ' +
      'that follows is the core\'s to wait for).',
  );
});

/** Deterministic bytes that differ at every address. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

const GETSTATUS = 3;
const BUSY_STATES = new Set([4, 7]);

/**
 * The device with every control transfer timed as the model prices it on the bus, and every
 * bwPollTimeout it answers a busy GETSTATUS with added up: what a host that follows DFU 1.1 to
 * the letter must spend (the device rounds bwPollTimeout up to whole milliseconds).
 */
function compliantHostFloor(device: DfuUsbDevice): { device: DfuUsbDevice; floorMs: () => number; waits: number[] } {
  let busMs = 0;
  let pollMs = 0;
  /** Each wait the exchange is made of, in order: the bus time of every transfer and every bwPollTimeout. */
  const waits: number[] = [];
  const controlTransferIn: DfuUsbDevice['controlTransferIn'] = async (setup, length) => {
    const result = await device.controlTransferIn(setup, length);
    const bus = controlTransferMs(result.data?.byteLength ?? 0);
    busMs += bus;
    waits.push(bus);
    const data = result.data;
    if (setup.requestType === 'class' && setup.request === GETSTATUS && data && data.byteLength >= 6 && BUSY_STATES.has(data.getUint8(4))) {
      const poll = data.getUint8(1) | (data.getUint8(2) << 8) | (data.getUint8(3) << 16);
      pollMs += poll;
      waits.push(poll);
    }
    return result;
  };
  const controlTransferOut: DfuUsbDevice['controlTransferOut'] = async (setup, data) => {
    const result = await device.controlTransferOut(setup, data);
    const bus = controlTransferMs(result.bytesWritten);
    busMs += bus;
    waits.push(bus);
    return result;
  };
  // Everything else goes to the device itself, so its state stays in one object.
  const timed = new Proxy(device, {
    get(target, key) {
      if (key === 'controlTransferIn') return controlTransferIn;
      if (key === 'controlTransferOut') return controlTransferOut;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { device: timed, floorMs: () => busMs + pollMs, waits };
}

/** The same waits as bare timers, one after another, with no USB or DFU code: the ceiling of this rig's timers. */
async function replay(waits: readonly number[]): Promise<number> {
  const started = performance.now();
  for (const ms of waits) if (ms >= 1) await new Promise((resolve) => setTimeout(resolve, ms));
  return performance.now() - started;
}

async function bootloaderOf(board: ReturnType<VirtualUsbBus['plug']>): Promise<{ device: DfuUsbDevice; info: UsbDfuInfo }> {
  const device = board.current() as DfuUsbDevice;
  const info = await readDfuInfo(device, 'bench board');
  if (!info || info.mode !== 'dfu') throw new Error('the board is not in its DFU bootloader');
  return { device, info };
}

async function measure(model: 'stm32-dfu' | 'dfu-gadget', size: number): Promise<void> {
  const board = new VirtualUsbBus().plug({ model, serialNumber: `BENCH-${model}-${size}`, startIn: 'bootloader', timeScale: 1 });
  try {
    const bootloader = await bootloaderOf(board);
    const { info } = bootloader;
    const { device, floorMs, waits } = compliantHostFloor(bootloader.device);
    const alt = info.alts.find((a) => a.layout !== null && /flash/iu.test(a.layout.name)) ?? info.alts[0]!;
    const address = alt.layout?.regions[0]?.address ?? 0;
    const data = pattern(size, size);
    const before = board.stats();
    const started = performance.now();
    const result: DfuFlashResult = await flashDfu({
      device,
      target: { interfaceNumber: alt.interfaceNumber, alternateSetting: alt.alternateSetting },
      functional: info.functional!,
      dfuse: info.dfuse,
      layout: alt.layout,
      elements: [{ address, data }],
      // Leaving resets the board; its re-enumeration is the core's to wait for, not the flash's.
      leave: false,
      label: `bench ${model}`,
    });
    const measuredMs = performance.now() - started;
    const after = board.stats();
    const modeledMs = after.modeledMs - before.modeledMs;
    expect(result.written).toBe(size);
    expect(Buffer.from(board.readFlash(address, size)).equals(Buffer.from(data))).toBe(true);
    const ratio = modeledMs / measuredMs;
    const floor = floorMs();
    const replayMs = await replay(waits);
    rows.push([
      model === 'stm32-dfu' ? 'STM32F405 DfuSe' : 'DFU 1.1 gadget',
      `${size / KiB} KiB${result.verified ? ', verified' : ''}`,
      result.erasedPages > 0 ? `${result.erasedPages} pages` : 'as it writes',
      info.functional!.transferSize,
      after.controlTransfers - before.controlTransfers,
      `${(measuredMs / 1000).toFixed(2)} s`,
      `${(modeledMs / 1000).toFixed(2)} s`,
      ratio.toFixed(3),
      `${(floor / 1000).toFixed(2)} s`,
      `${(replayMs / 1000).toFixed(2)} s`,
      (replayMs / measuredMs).toFixed(3),
    ]);
    expect(ratio).toBeGreaterThan(MODELED_TARGET);
    expect(replayMs / measuredMs).toBeGreaterThan(HOST_TARGET);
  } finally {
    board.unplug();
  }
}

describe('USB DFU flash against the modelled hardware', () => {
  it('flashes 256 KiB to the STM32 DfuSe bootloader', () => measure('stm32-dfu', 256 * KiB));
  it('flashes 1 MiB to the STM32 DfuSe bootloader', () => measure('stm32-dfu', 1024 * KiB));
  it('flashes 64 KiB to the DFU 1.1 gadget', () => measure('dfu-gadget', 64 * KiB));
});
