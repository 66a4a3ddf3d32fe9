// The DFU engine against the virtual USB DFU boards: the STM32's DfuSe ROM bootloader and a
// plain DFU 1.1 gadget, through the same USBDevice interface the usb package gives on real
// hardware. Every fault knob the boards have is met here, and each failure is checked for
// what it tells the person holding the device and for the state it leaves the device in.
import { afterEach, describe, expect, it } from 'vitest';
import type { FieldbenchError } from '../../src-main/api/errors';
import type { UsbDfuInfo } from '../../src-main/api/schemas';
import { DfuCancelledError, DfuClient } from '../../src-main/protocols/dfu/dfu-client';
import type { DfuFlashElement, DfuFlashRequest, DfuFlashResult } from '../../src-main/protocols/dfu/dfu-flash-request';
import { flashDfu } from '../../src-main/protocols/dfu/dfu-flash';
import { detachToBootloader, readDfuInfo } from '../../src-main/protocols/dfu/dfu-info';
import type { DfuUsbDevice } from '../../src-main/protocols/dfu/dfu-usb-device';
import { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

type Board = ReturnType<VirtualUsbBus['plug']>;

const KiB = 1024;
const FLASH = 0x08000000;
const boards: Board[] = [];

afterEach(() => {
  for (const board of boards.splice(0)) board.unplug();
});

function plug(model: 'stm32-dfu' | 'dfu-gadget', startIn: 'application' | 'bootloader' = 'bootloader'): Board {
  const board = new VirtualUsbBus().plug({ model, serialNumber: `T-${model}-${boards.length}`, startIn, timeScale: 0 });
  boards.push(board);
  return board;
}

/** Deterministic bytes that differ at every address, so a misplaced block shows. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

async function current(board: Board, mode: 'runtime' | 'dfu', withinMs = 5000): Promise<{ device: DfuUsbDevice; info: UsbDfuInfo }> {
  const deadline = Date.now() + withinMs;
  let last = 'no device';
  while (Date.now() < deadline) {
    const device = board.current() as DfuUsbDevice | null;
    if (device) {
      try {
        const info = await readDfuInfo(device, 'board', { deadlineMs: 1000 });
        if (info?.mode === mode) return { device, info };
        last = info ? `mode ${info.mode}` : 'no DFU interface';
      } catch (error) {
        last = (error as Error).message;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the board did not show up in ${mode} mode within ${withinMs} ms (${last})`);
}

function flashAlt(info: UsbDfuInfo) {
  const alt = info.alts.find((a) => a.layout !== null && /flash/iu.test(a.layout.name)) ?? info.alts[0]!;
  return alt;
}

async function requestFor(board: Board, elements: DfuFlashElement[], extra: Partial<DfuFlashRequest> = {}): Promise<DfuFlashRequest> {
  const { device, info } = await current(board, 'dfu');
  const alt = flashAlt(info);
  return {
    device,
    target: { interfaceNumber: alt.interfaceNumber, alternateSetting: alt.alternateSetting },
    functional: info.functional!,
    dfuse: info.dfuse,
    layout: alt.layout,
    elements,
    label: 'STM32 T1',
    ...extra,
  };
}

/** The device's DFU state after a failure, through a fresh session. */
async function stateAfter(board: Board): Promise<string> {
  const { device, info } = await current(board, 'dfu');
  const alt = flashAlt(info);
  const client = await DfuClient.open(device, { interfaceNumber: alt.interfaceNumber, alternateSetting: alt.alternateSetting }, info.functional!, { label: 'check', deadlineMs: 1000 });
  try {
    return (await client.getStatus()).stateName;
  } finally {
    await client.close();
  }
}

function readBack(board: Board, elements: DfuFlashElement[]): void {
  for (const element of elements) expect(Buffer.from(board.readFlash(element.address, element.data.length)).equals(Buffer.from(element.data))).toBe(true);
}

const twoElements = (): DfuFlashElement[] => [
  { address: FLASH, data: pattern(20 * KiB + 300, 1) },
  { address: FLASH + 0x20000, data: pattern(9 * KiB, 2) },
];

describe('reading a DFU device', () => {
  it('reads the STM32 bootloader: DfuSe, DFU mode, the internal flash layout', async () => {
    const { info } = await current(plug('stm32-dfu'), 'dfu');
    expect(info.dfuse).toBe(true);
    expect(info.functional?.dfuVersion).toBe('011a');
    const layout = flashAlt(info).layout!;
    expect(layout.regions.length).toBeGreaterThan(0);
    expect(layout.regions[0]!.address).toBe(FLASH);
  });

  it('reads the gadget in its application: runtime mode, plain DFU 1.1', async () => {
    const { info } = await current(plug('dfu-gadget', 'application'), 'runtime');
    expect(info.dfuse).toBe(false);
    expect(info.alts.length).toBeGreaterThan(0);
  });
});

describe('DfuSe on the virtual STM32', () => {
  it('flashes two elements, erases only their pages, verifies, and leaves into the application', async () => {
    const board = plug('stm32-dfu');
    const elements = twoElements();
    const phases: string[] = [];
    const progress: Record<string, [number, number][]> = { erase: [], write: [], verify: [] };
    const result = await flashDfu(
      await requestFor(board, elements, {
        onPhase: (phase, status) => phases.push(`${phase} ${status}`),
        onProgress: (phase, done, total) => progress[phase]!.push([done, total]),
      }),
    );
    expect(result).toMatchObject({ written: 29 * KiB + 300, verified: true, left: true });
    expect(result.erasedPages).toBeGreaterThanOrEqual(2);
    expect(board.stats().pagesErased).toBe(result.erasedPages);
    expect(board.stats().massErases).toBe(0);
    expect(phases).toEqual(['erase started', 'erase done', 'write started', 'write done', 'verify started', 'verify done', 'manifest started', 'manifest done']);
    expect(progress.write!.at(-1)).toEqual([29 * KiB + 300, 29 * KiB + 300]);
    expect(progress.verify!.at(-1)).toEqual([29 * KiB + 300, 29 * KiB + 300]);
    expect(progress.write!.every(([done], i, all) => i === 0 || done > all[i - 1]![0])).toBe(true);
    readBack(board, elements);
    await current(board, 'runtime');
  });

  it('mass-erases when asked', async () => {
    const board = plug('stm32-dfu');
    const result = await flashDfu(await requestFor(board, [{ address: FLASH, data: pattern(4 * KiB, 3) }], { massErase: true, leave: false }));
    expect(result).toMatchObject({ erasedPages: -1, verified: true, left: false });
    expect(board.stats().massErases).toBe(1);
    expect(board.stats().pagesErased).toBe(0);
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });

  it('without verify or leave, says why it did not read back and leaves the bootloader in dfuIDLE', async () => {
    const board = plug('stm32-dfu');
    const result = await flashDfu(await requestFor(board, [{ address: FLASH + 0x4000, data: pattern(5000, 13) }], { verify: false, leave: false }));
    expect(result).toEqual({ written: 5000, erasedPages: 1, verified: false, verifyDetail: 'not read back: verification was turned off for this flash', left: false });
    expect(board.stats().bytesRead).toBe(0);
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });

  it('refuses an element outside the layout before erasing anything', async () => {
    const board = plug('stm32-dfu');
    const error = await fieldbenchErrorOf(flashDfu(await requestFor(board, [{ address: 0x20000000, data: pattern(1024, 4) }])));
    expect(error.code).toBe('invalid-request');
    expect(error.step).toBe('check image against memory layout');
    expect(error.message).toContain('0x20000000–0x200003ff');
    expect(board.stats().pagesErased).toBe(0);
    expect(board.stats().massErases).toBe(0);
  });

  it('reports a stalled request as a device error naming it, and leaves the device in dfuIDLE', async () => {
    const board = plug('stm32-dfu');
    const request = await requestFor(board, twoElements(), { leave: false });
    board.setFaults({ usbStallNext: true });
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe('prepare');
    expect(error.message).toBe('the device stalled DFU_GETSTATUS during prepare');
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });

  it('reports a DNLOAD stalled mid-write with the block and byte, and leaves the device in dfuIDLE', async () => {
    const board = plug('stm32-dfu');
    const request = await requestFor(board, [{ address: FLASH, data: pattern(16 * KiB, 12) }], {
      leave: false,
      onProgress: (phase, done) => {
        if (phase === 'write' && done === 4 * KiB) board.setFaults({ usbStallNext: true });
      },
    });
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe('write');
    expect(error.message).toBe('the device stalled DFU_DNLOAD block 4 during write at byte 4096 of 16384 (0x08001000, block 4)');
    expect(error.hint).toContain('read-unprotect');
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });

  it.each([
    ['errWRITE', 'write', 'the device could not write the flash'],
    ['errVERIFY', 'write', 'did not read back as written'],
    ['errADDRESS', 'write', 'outside the memory'],
    ['errPROG', 'write', 'could not program'],
  ] as const)('turns %s into a device error naming the status and the address, then clears it', async (status, step, words) => {
    const board = plug('stm32-dfu');
    const request = await requestFor(board, twoElements(), { leave: false });
    board.setFaults({ dfuError: { status, atByte: 8 * KiB } });
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe(step);
    expect(error.message).toContain(`${status}: `);
    expect(error.message).toContain(words);
    expect(error.message).toMatch(/at byte \d+ of \d+ \(0x080[0-9a-f]{5}, block \d+\)/u);
    expect(error.hint).toBeTruthy();
    expect(error.device).toBe('STM32 T1');
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });

  it('reports an unplug mid-write as device-gone with the byte reached', async () => {
    const board = plug('stm32-dfu');
    const elements = [{ address: FLASH, data: pattern(64 * KiB, 5) }];
    const request = await requestFor(board, elements);
    board.setFaults({ dropAtReceivedBytes: 40 * KiB });
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('device-gone');
    expect(error.step).toBe('write');
    expect(error.message).toMatch(/^unplugged during write at byte \d+ of 65536 \(0x080[0-9a-f]{5}/u);
    expect(error.message).toContain('the flash is partly written; the ROM bootloader is intact');
    const reached = Number(/at byte (\d+)/u.exec(error.message)![1]);
    expect(reached).toBeGreaterThan(32 * KiB);
    expect(reached).toBeLessThanOrEqual(40 * KiB);
  });

  it('meets read protection: refused with a hint to read-unprotect; read-unprotect erases, resets, and a second flash works', async () => {
    const board = plug('stm32-dfu');
    const elements = twoElements();
    board.setFaults({ readProtected: true });
    const refused = await fieldbenchErrorOf(flashDfu(await requestFor(board, elements)));
    expect(refused.code).toBe('device-error');
    expect(refused.step).toBe('erase');
    expect(refused.message).toMatch(/^errVENDOR: .* at page 0x08000000 \(0 of \d+ bytes of pages erased\); on ST's DfuSe bootloader this is how read or write protection shows$/u);
    expect(refused.hint).toContain('read-unprotect');
    expect(board.stats().pagesErased).toBe(0);

    const unprotected = await flashDfu(await requestFor(board, elements, { readUnprotect: true }));
    expect(unprotected).toMatchObject({ written: 0, readUnprotected: true, verified: false });
    expect(board.stats().massErases).toBe(1);

    const result = await flashDfu(await requestFor(board, elements));
    expect(result).toMatchObject({ verified: true, left: true });
    readBack(board, elements);
  });

  it('times out on a device that falls silent mid-write, naming the request, the phase and the byte', async () => {
    const board = plug('stm32-dfu');
    const request = await requestFor(board, [{ address: FLASH, data: pattern(32 * KiB, 10) }], {
      deadlineMs: 300,
      onProgress: (phase, done) => {
        if (phase === 'write' && done === 8 * KiB) board.setFaults({ silent: true });
      },
    });
    const started = Date.now();
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('timeout');
    expect(error.step).toBe('write');
    expect(error.message).toBe('no answer to DFU_DNLOAD block 6 within 300 ms during write at byte 8192 of 32768 (0x08002000, block 6)');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out on a device silent from the start, naming the step', async () => {
    const board = plug('stm32-dfu');
    const request = await requestFor(board, twoElements(), { deadlineMs: 300 });
    board.setFaults({ silent: true });
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('timeout');
    expect(error.step).toBe('select alternate setting 0');
    expect(error.message).toBe('no answer to select alternate setting 0 within 300 ms');
    expect(board.stats().pagesErased).toBe(0);
  });

  it('stops mid-write when cancelled, ABORTs the device back to dfuIDLE', async () => {
    const board = plug('stm32-dfu');
    const controller = new AbortController();
    const elements = [{ address: FLASH, data: pattern(64 * KiB, 6) }];
    const request = await requestFor(board, elements, {
      leave: false,
      signal: controller.signal,
      onProgress: (phase, done) => {
        if (phase === 'write' && done >= 16 * KiB) controller.abort();
      },
    });
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error).toBeInstanceOf(DfuCancelledError);
    expect(error.message).toBe('flash cancelled during write at byte 16384 of 65536 (0x08004000)');
    expect(board.stats().bytesWritten).toBeLessThan(20 * KiB);
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });
});

describe('DFU 1.1 on the virtual gadget', () => {
  it('flashes, manifests, reads back from block 0 and resets into the application', async () => {
    const board = plug('dfu-gadget');
    const data = pattern(40 * KiB + 17, 7);
    const phases: string[] = [];
    const result: DfuFlashResult = await flashDfu(
      await requestFor(board, [{ address: 0, data }], { label: 'gadget T2', onPhase: (phase, status) => phases.push(`${phase} ${status}`) }),
    );
    expect(result).toEqual({ written: data.length, erasedPages: 0, verified: true, verifyDetail: `read back the first ${data.length} bytes from block 0, identical to what was written`, left: true });
    expect(phases).toEqual(['erase skipped', 'write started', 'write done', 'manifest started', 'manifest done', 'verify started', 'verify done']);
    expect(board.stats().bytesWritten).toBe(data.length);
    expect(board.stats().bytesRead).toBeGreaterThanOrEqual(data.length);
    readBack(board, [{ address: 0, data }]);
    await current(board, 'runtime');
  });

  it('says why it did not verify when verify is off, and stays in the bootloader without leave', async () => {
    const board = plug('dfu-gadget');
    const result = await flashDfu(await requestFor(board, [{ address: 0, data: pattern(3000, 11) }], { label: 'gadget T2', verify: false, leave: false }));
    expect(result).toMatchObject({ verified: false, verifyDetail: 'not read back: verification was turned off for this flash' });
    expect(board.stats().bytesRead).toBe(0);
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });

  it('reports errWRITE during write with the block', async () => {
    const board = plug('dfu-gadget');
    const request = await requestFor(board, [{ address: 0, data: pattern(16 * KiB, 8) }], { label: 'gadget T2' });
    board.setFaults({ dfuError: { status: 'errWRITE', atByte: 4 * KiB } });
    const error: FieldbenchError = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe('write');
    expect(error.message).toMatch(/^errWRITE: the device could not write the flash at byte \d+ of 16384 \(block \d+\)/u);
    expect(await stateAfter(board)).toBe('dfuIDLE');
  });

  it('reports an unplug mid-write as device-gone', async () => {
    const board = plug('dfu-gadget');
    const request = await requestFor(board, [{ address: 0, data: pattern(16 * KiB, 9) }], { label: 'gadget T2' });
    board.setFaults({ dropAtReceivedBytes: 6 * KiB });
    const error = await fieldbenchErrorOf(flashDfu(request));
    expect(error.code).toBe('device-gone');
    expect(error.message).toMatch(/^unplugged during write at byte \d+ of 16384/u);
  });
});

describe('detachToBootloader', () => {
  it.each([
    ['stm32-dfu', false],
    ['dfu-gadget', true],
  ] as const)('brings the %s from its application into its DFU bootloader (USB reset sent: %s)', async (model, resetSent) => {
    const board = plug(model, 'application');
    const { device, info } = await current(board, 'runtime');
    expect(info.functional?.willDetach).toBe(!resetSent);
    const outcome = await detachToBootloader(device, info, model);
    expect(outcome.resetSent).toBe(resetSent);
    const back = await current(board, 'dfu');
    expect(back.info.mode).toBe('dfu');
  });

  it('refuses a device already in its bootloader', async () => {
    const board = plug('stm32-dfu');
    const { device, info } = await current(board, 'dfu');
    const error = await fieldbenchErrorOf(detachToBootloader(device, info, 'stm32'));
    expect(error.code).toBe('invalid-request');
  });
});
