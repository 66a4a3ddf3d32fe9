// The virtual DFU boards' timing model: what a control transfer costs on a full-speed bus,
// what each flash operation costs, that bwPollTimeout is that cost at the board's timeScale,
// that the part really is busy until then, and that modeledMs adds it all up unscaled.
// Assertions are on modeled values and on ordering, never on how long the machine took.
import { afterEach, describe, expect, it } from 'vitest';
import { DfuRequest, DfuState } from '../../src-main/protocols/dfu/dfu-status';
import { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { controlTransferMs, GADGET_FLASH_TIMING, programMs, REENUMERATION_MS, STM32F405_FLASH_TIMING } from '../../src-main/virtual/usb-dfu/usb-timing';
import { classOut, getState, getStatus, nextArrival, openDfu, withAddress } from './virtual-usb-dfu-helpers';

let bus: VirtualUsbBus;
afterEach(async () => {
  await bus?.close();
});

async function stm32(timeScale: number): Promise<{ board: ReturnType<VirtualUsbBus['plug']>; device: USBDevice }> {
  bus = new VirtualUsbBus();
  const board = bus.plug({ model: 'stm32-dfu', serialNumber: 'TIMED', startIn: 'bootloader', timeScale });
  const device = board.current()!;
  await openDfu(device);
  board.resetStats();
  return { board, device };
}

describe('the bus', () => {
  it('a control transfer costs whole 1 ms frames of at most 13 transactions: setup, 64-byte data packets, status', () => {
    expect(controlTransferMs(0)).toBe(1);
    expect(controlTransferMs(6)).toBe(1);
    expect(controlTransferMs(11 * 64)).toBe(1); // 2 + 11 = 13 transactions
    expect(controlTransferMs(11 * 64 + 1)).toBe(2);
    expect(controlTransferMs(2048)).toBe(3); // 2 + 32 = 34 transactions
    expect(controlTransferMs(1024)).toBe(2); // 2 + 16 = 18
  });

  it('every transfer adds its bus time to modeledMs, whatever the timeScale', async () => {
    const { board, device } = await stm32(0);
    await getStatus(device);
    await classOut(device, DfuRequest.DNLOAD, 0, withAddress(0x21, 0x08000000));
    expect(board.stats()).toMatchObject({ controlTransfers: 2, modeledMs: controlTransferMs(6) + controlTransferMs(5) });
  });
});

describe('the flash', () => {
  it('a 128 KiB sector erase: bwPollTimeout is its datasheet time at the timeScale, the part stays busy until then, and modeledMs counts it unscaled', async () => {
    // 500 ms of real erase: room for the second GETSTATUS to land inside it on a loaded machine.
    const scale = 0.5;
    const { board, device } = await stm32(scale);
    const eraseMs = STM32F405_FLASH_TIMING.eraseMs(128 * 1024);
    expect(eraseMs).toBe(1000);
    expect((await classOut(device, DfuRequest.DNLOAD, 0, withAddress(0x41, 0x08020000))).status).toBe('ok');
    const first = await getStatus(device);
    expect(first).toEqual({ status: 0, pollMs: Math.ceil(eraseMs * scale), state: DfuState.dfuDNBUSY });
    // Asked again at once, the part is still erasing and says how much is left.
    const again = await getStatus(device);
    expect(again.state).toBe(DfuState.dfuDNBUSY);
    expect(again.pollMs).toBeGreaterThan(0);
    expect(again.pollMs).toBeLessThanOrEqual(first.pollMs);
    await new Promise((resolve) => setTimeout(resolve, again.pollMs + 1));
    expect(await getStatus(device)).toEqual({ status: 0, pollMs: 0, state: DfuState.dfuDNLOAD_IDLE });
    expect(board.stats()).toMatchObject({ pagesErased: 1, controlTransfers: 4, modeledMs: eraseMs + controlTransferMs(5) + 3 * controlTransferMs(6) });
  });

  it('a request other than GETSTATUS while the part is busy stalls into dfuERROR (DFU 1.1: dfuDNBUSY takes none)', async () => {
    const { device } = await stm32(0.5);
    await classOut(device, DfuRequest.DNLOAD, 0, withAddress(0x41, 0x08020000));
    expect((await getStatus(device)).state).toBe(DfuState.dfuDNBUSY);
    expect((await classOut(device, DfuRequest.ABORT)).status).toBe('stall');
    expect(await getState(device)).toBe(DfuState.dfuERROR);
  });

  it('sector erase times follow the sector size, and a 2048-byte block programs in 32-bit words at 16 µs', async () => {
    const { board, device } = await stm32(0);
    const modeled = async (command: Uint8Array, block = 0): Promise<number> => {
      const before = board.stats().modeledMs;
      await classOut(device, DfuRequest.DNLOAD, block, command);
      let state = (await getStatus(device)).state;
      while (state === DfuState.dfuDNBUSY) state = (await getStatus(device)).state;
      return board.stats().modeledMs - before;
    };
    // Each: the DNLOAD, then two GETSTATUS (busy, then idle).
    const commandBus = controlTransferMs(5) + 2 * controlTransferMs(6);
    expect(await modeled(withAddress(0x41, 0x08000000))).toBeCloseTo(250 + commandBus, 6);
    expect(await modeled(withAddress(0x41, 0x08010000))).toBeCloseTo(550 + commandBus, 6);
    expect(await modeled(withAddress(0x41, 0x08040000))).toBeCloseTo(1000 + commandBus, 6);
    expect(await modeled(withAddress(0x21, 0x08000000))).toBe(controlTransferMs(5) + controlTransferMs(6));
    const blockMs = programMs(STM32F405_FLASH_TIMING, 2048);
    expect(blockMs).toBeCloseTo((2048 / 4) * 0.016, 9);
    expect(await modeled(new Uint8Array(2048), 2)).toBeCloseTo(blockMs + controlTransferMs(2048) + 2 * controlTransferMs(6), 6);
    expect(await modeled(Uint8Array.of(0x41))).toBeCloseTo(STM32F405_FLASH_TIMING.massEraseMs + commandBus, 6);
  });

  it('the gadget erases a 4 KiB page on first touch and programs 64-bit double words; bwPollTimeout reports both', async () => {
    const scale = 0.5;
    bus = new VirtualUsbBus();
    const board = bus.plug({ model: 'dfu-gadget', serialNumber: 'G', startIn: 'bootloader', timeScale: scale });
    const device = board.current()!;
    await openDfu(device);
    const firstBlockMs = GADGET_FLASH_TIMING.eraseMs(4096) + programMs(GADGET_FLASH_TIMING, 1024);
    expect(firstBlockMs).toBeCloseTo(22 + 128 * 0.0816, 6);
    await classOut(device, DfuRequest.DNLOAD, 0, new Uint8Array(1024).fill(0x11));
    expect(await getStatus(device)).toMatchObject({ pollMs: Math.ceil(firstBlockMs * scale), state: DfuState.dfuDNBUSY });
    let report = await getStatus(device);
    while (report.state === DfuState.dfuDNBUSY) {
      await new Promise((resolve) => setTimeout(resolve, report.pollMs));
      report = await getStatus(device);
    }
    // The next block is in the same page: programming only.
    await classOut(device, DfuRequest.DNLOAD, 1, new Uint8Array(1024).fill(0x22));
    expect(await getStatus(device)).toMatchObject({ pollMs: Math.ceil(programMs(GADGET_FLASH_TIMING, 1024) * scale), state: DfuState.dfuDNBUSY });
    expect(board.stats().pagesErased).toBe(1);
  });
});

describe('re-enumeration', () => {
  it('a detach costs the attach debounce, bus reset and reset recovery', async () => {
    bus = new VirtualUsbBus();
    const board = bus.plug({ model: 'stm32-dfu', serialNumber: 'RE', startIn: 'application', timeScale: 0.01 });
    const device = board.current()!;
    await openDfu(device);
    board.resetStats();
    const arrival = nextArrival(bus, 'RE');
    await classOut(device, DfuRequest.DETACH, 255);
    await arrival;
    expect(board.stats().modeledMs).toBe(controlTransferMs(0) + REENUMERATION_MS);
  });

  it('at real time the leave GETSTATUS is answered before the board lets go of the bus', async () => {
    const { device } = await stm32(1);
    const arrival = nextArrival(bus, 'TIMED');
    expect((await classOut(device, DfuRequest.DNLOAD, 0, new Uint8Array(0))).status).toBe('ok');
    expect(await getStatus(device)).toMatchObject({ status: 0, state: DfuState.dfuMANIFEST });
    expect((await arrival).productId).toBe(0x5740);
  });
});
