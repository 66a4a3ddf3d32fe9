// The virtual DFU boards' fault knobs, and what leaving the bus does to transfers in flight.
import { afterEach, describe, expect, it } from 'vitest';
import { DFU_ERROR_STATUSES, type VirtualFaults } from '../../src-main/api/schemas';
import { DfuRequest, DfuState } from '../../src-main/protocols/dfu/dfu-status';
import { VirtualUsbBus, type VirtualUsbBoard, type VirtualUsbBoardOptions } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { classIn, classOut, download, getState, getStatus, nextArrival, nextDeparture, openDfu, rejectionName, withAddress } from './virtual-usb-dfu-helpers';

const status = (name: (typeof DFU_ERROR_STATUSES)[number]): number => DFU_ERROR_STATUSES.indexOf(name) + 1;

let bus: VirtualUsbBus;
afterEach(async () => {
  await bus?.close();
});

async function bootloader(model: 'stm32-dfu' | 'dfu-gadget', extra: Partial<VirtualUsbBoardOptions> = {}): Promise<{ board: VirtualUsbBoard; device: USBDevice }> {
  bus = new VirtualUsbBus();
  const board = bus.plug({ model, serialNumber: 'FAULTY', startIn: 'bootloader', timeScale: 0, ...extra });
  const device = board.current()!;
  await openDfu(device);
  return { board, device };
}

/** Whether the promise is still pending after `ms`. */
async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  const outcome = await Promise.race([promise.then(() => 'settled', () => 'settled'), new Promise((resolve) => setTimeout(() => resolve(marker), ms))]);
  return outcome === marker;
}

const block = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i + seed) & 0xff);

describe('usbStallNext', () => {
  it('stalls the next class request only, and the bootloader lands in dfuERROR with errSTALLEDPKT', async () => {
    const { board, device } = await bootloader('dfu-gadget');
    board.setFaults({ usbStallNext: true });
    expect((await classIn(device, DfuRequest.GETSTATE, 0, 1)).status).toBe('stall');
    expect(await getStatus(device)).toMatchObject({ status: status('errSTALLEDPKT'), state: DfuState.dfuERROR });
    expect((await classOut(device, DfuRequest.CLRSTATUS)).status).toBe('ok');
    expect(await getState(device)).toBe(DfuState.dfuIDLE);
  });

  it('given at plug time, stalls the runtime too', async () => {
    bus = new VirtualUsbBus();
    const board = bus.plug({ model: 'stm32-dfu', serialNumber: 'RT', startIn: 'application', timeScale: 0, faults: { usbStallNext: true } });
    const device = board.current()!;
    await openDfu(device);
    expect((await classOut(device, DfuRequest.DETACH, 255)).status).toBe('stall');
    expect(await getStatus(device)).toMatchObject({ status: 0, state: DfuState.appIDLE });
  });
});

describe('dfuError', () => {
  it('fails the block holding atByte: the next GETSTATUS reports dfuERROR with that status, once', async () => {
    const { board, device } = await bootloader('dfu-gadget');
    board.setFaults({ dfuError: { status: 'errWRITE', atByte: 1500 } });
    expect(await download(device, 0, block(1024, 0))).toMatchObject({ status: 0, state: DfuState.dfuDNLOAD_IDLE });
    expect((await classOut(device, DfuRequest.DNLOAD, 1, block(1024, 1))).status).toBe('ok');
    expect(await getStatus(device)).toMatchObject({ status: status('errWRITE'), state: DfuState.dfuERROR });
    expect(board.readFlash(1024, 1024).every((b) => b === 0xff)).toBe(true);
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(await download(device, 1, block(1024, 1))).toMatchObject({ status: 0 });
    expect(board.readFlash(1024, 1024)).toEqual(block(1024, 1));
  });

  it('without atByte, fails the next DNLOAD, a DfuSe command included', async () => {
    const { board, device } = await bootloader('stm32-dfu');
    board.setFaults({ dfuError: { status: 'errERASE' } });
    expect((await classOut(device, DfuRequest.DNLOAD, 0, withAddress(0x41, 0x08000000))).status).toBe('ok');
    expect(await getStatus(device)).toMatchObject({ status: status('errERASE'), state: DfuState.dfuERROR });
    expect(board.stats().pagesErased).toBe(0);
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(await download(device, 0, withAddress(0x41, 0x08000000))).toMatchObject({ status: 0 });
  });

  it('counts only the data received since the knobs were set', async () => {
    const { board, device } = await bootloader('dfu-gadget');
    await download(device, 0, block(1024, 0));
    board.setFaults({ dfuError: { status: 'errVERIFY', atByte: 100 } });
    expect((await classOut(device, DfuRequest.DNLOAD, 1, block(1024, 0))).status).toBe('ok');
    expect(await getStatus(device)).toMatchObject({ status: status('errVERIFY') });
  });
});

describe('readProtected (DfuSe)', () => {
  it('refuses upload, erase and write with errVENDOR until read-unprotect mass-erases and re-enumerates the board', async () => {
    const { board, device } = await bootloader('stm32-dfu');
    await download(device, 0, withAddress(0x41, 0x08000000));
    await download(device, 0, withAddress(0x21, 0x08000000));
    await download(device, 2, block(2048, 5));
    await classOut(device, DfuRequest.ABORT);
    board.setFaults({ readProtected: true });

    expect((await classIn(device, DfuRequest.UPLOAD, 2, 2048)).status).toBe('stall');
    expect(await getStatus(device)).toMatchObject({ status: status('errVENDOR'), state: DfuState.dfuERROR });
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(await download(device, 0, withAddress(0x41, 0x08000000))).toMatchObject({ status: status('errVENDOR') });
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(await download(device, 0, Uint8Array.of(0x41))).toMatchObject({ status: status('errVENDOR') });
    await classOut(device, DfuRequest.CLRSTATUS);
    await download(device, 0, withAddress(0x21, 0x08004000));
    expect(await download(device, 2, block(16, 0))).toMatchObject({ status: status('errVENDOR') });
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(board.stats().massErases).toBe(0);

    const departure = nextDeparture(bus, 'FAULTY');
    const arrival = nextArrival(bus, 'FAULTY');
    expect((await classOut(device, DfuRequest.DNLOAD, 0, Uint8Array.of(0x92))).status).toBe('ok');
    expect(await getStatus(device)).toMatchObject({ status: 0, state: DfuState.dfuDNBUSY });
    expect(await departure).toBe(device);
    const again = await arrival;
    expect([again.productId, again.serialNumber]).toEqual([0xdf11, 'FAULTY']);
    expect(board.stats().massErases).toBe(1);
    expect(board.readFlash(0x08000000, 2048).every((b) => b === 0xff)).toBe(true);
    await openDfu(again);
    expect(await download(again, 0, withAddress(0x41, 0x08000000))).toMatchObject({ status: 0 });
  });
});

describe('dropAtReceivedBytes', () => {
  it('falls off the bus in the DNLOAD that reaches the count, rejects it with NetworkError, and comes back in the bootloader after replugAfterMs', async () => {
    const { board, device } = await bootloader('stm32-dfu', { replugAfterMs: 10 });
    await download(device, 0, withAddress(0x41, 0x08000000));
    await download(device, 0, withAddress(0x21, 0x08000000));
    board.setFaults({ dropAtReceivedBytes: 3000 });
    expect(await download(device, 2, block(2048, 1))).toMatchObject({ status: 0 });
    const departure = nextDeparture(bus, 'FAULTY');
    const arrival = nextArrival(bus, 'FAULTY');
    expect(await rejectionName(classOut(device, DfuRequest.DNLOAD, 3, block(2048, 2)))).toBe('NetworkError');
    expect(await departure).toBe(device);
    expect(board.current()).toBeNull();
    expect(await rejectionName(getStatus(device))).toBe('NetworkError');
    expect(await rejectionName(device.open())).toBe('NotFoundError');
    const back = await arrival;
    expect([back.productId, (back as USBDevice & { mode: string }).mode]).toEqual([0xdf11, 'dfu']);
    expect(board.readFlash(0x08000000, 2048)).toEqual(block(2048, 1));
    expect(board.readFlash(0x08000800, 2048).every((b) => b === 0xff)).toBe(true);
  });

  it('without replugAfterMs the board stays off the bus', async () => {
    const { board, device } = await bootloader('dfu-gadget', { faults: { dropAtReceivedBytes: 0 } });
    expect(await rejectionName(classOut(device, DfuRequest.DNLOAD, 0, block(1024, 0)))).toBe('NetworkError');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(board.current()).toBeNull();
    expect(await bus.list()).toEqual([]);
  });
});

describe('silent and unplugged', () => {
  it('silent: transfers never settle, until the board is unplugged, which rejects them and every later one', async () => {
    const { board, device } = await bootloader('dfu-gadget');
    board.setFaults({ silent: true });
    const pending = getStatus(device);
    expect(await stillPending(pending, 50)).toBe(true);
    board.unplug();
    expect(await rejectionName(pending)).toBe('NetworkError');
    expect(await rejectionName(getStatus(device))).toBe('NetworkError');
    expect(board.current()).toBeNull();
  });

  it('closing the device cancels what a silent board left in flight', async () => {
    const { board, device } = await bootloader('stm32-dfu');
    board.setFaults({ silent: true });
    const pending = getState(device);
    expect(await stillPending(pending, 20)).toBe(true);
    await device.close();
    expect(await rejectionName(pending)).toBe('AbortError');
  });

  it('a transfer in flight when the board is unplugged rejects with NetworkError', async () => {
    bus = new VirtualUsbBus();
    // Real time: the GETSTATUS spends its 1 ms frame on the bus while the board is pulled.
    const board = bus.plug({ model: 'dfu-gadget', serialNumber: 'PULL', startIn: 'bootloader', timeScale: 5 });
    const device = board.current()!;
    await openDfu(device);
    const inFlight = getStatus(device);
    board.unplug();
    expect(await rejectionName(inFlight)).toBe('NetworkError');
  });

  it('ignores the sensor node’s knobs', async () => {
    const { board, device } = await bootloader('dfu-gadget');
    const sensorOnly: VirtualFaults = { answerDelayMs: 60_000, garbage: 1, corruptNextFrame: true, stallMs: 100_000 };
    board.setFaults(sensorOnly);
    expect(await getStatus(device)).toEqual({ status: 0, pollMs: 0, state: DfuState.dfuIDLE });
  });
});
