// The virtual USB DFU boards driven with raw control transfers (no DFU engine): their
// descriptors, WebUSB's rules, DFU 1.1's state table, ST's DfuSe commands, and the way each
// board moves between its application and its bootloader.
import { afterEach, describe, expect, it } from 'vitest';
import { DFU_ERROR_STATUSES } from '../../src-main/api/schemas';
import { DescriptorType, parseConfigurationDescriptor, parseLanguageIds, parseStringDescriptor } from '../../src-main/protocols/dfu/dfu-descriptors';
import { DfuRequest, DfuState } from '../../src-main/protocols/dfu/dfu-status';
import { parseDfuseMemoryLayout } from '../../src-main/protocols/dfu/dfuse-memory-layout';
import { DFU_GADGET_IDS, STM32_DFU_IDS, STM32_LAYOUTS, VirtualUsbBus, type VirtualUsbBoard } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import {
  bytesOf,
  classIn,
  classOut,
  download,
  getState,
  getStatus,
  nextArrival,
  nextDeparture,
  openDfu,
  rejectionName,
  withAddress,
} from './virtual-usb-dfu-helpers';

const status = (name: (typeof DFU_ERROR_STATUSES)[number]): number => DFU_ERROR_STATUSES.indexOf(name) + 1;

let bus: VirtualUsbBus;
afterEach(async () => {
  await bus?.close();
});

function plug(model: 'stm32-dfu' | 'dfu-gadget', startIn: 'application' | 'bootloader', serialNumber = 'SN-1'): { board: VirtualUsbBoard; device: USBDevice } {
  bus = new VirtualUsbBus();
  const board = bus.plug({ model, serialNumber, startIn, timeScale: 0 });
  return { board, device: board.current()! };
}

async function descriptor(device: USBDevice, type: number, index: number, length: number, languageId = 0): Promise<Uint8Array> {
  const result = await device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value: (type << 8) | index, index: languageId }, length);
  expect(result.status).toBe('ok');
  return bytesOf(result);
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

describe('descriptors', () => {
  it('the STM32 bootloader looks like ST’s system bootloader in dfu-util -l', async () => {
    const { device } = plug('stm32-dfu', 'bootloader', '3276384B3339');
    await device.open();
    const deviceDescriptor = await descriptor(device, DescriptorType.DEVICE, 0, 18);
    const view = new DataView(deviceDescriptor.buffer, deviceDescriptor.byteOffset);
    expect([view.getUint16(8, true), view.getUint16(10, true), view.getUint16(12, true)]).toEqual([0x0483, 0xdf11, 0x2200]);
    expect([device.vendorId, device.productId]).toEqual([STM32_DFU_IDS.bootloader.vendorId, STM32_DFU_IDS.bootloader.productId]);
    expect(parseLanguageIds(await descriptor(device, DescriptorType.STRING, 0, 255))).toEqual([0x0409]);
    const text = async (index: number): Promise<string | null> => parseStringDescriptor(await descriptor(device, DescriptorType.STRING, index, 255, 0x0409));
    expect([await text(deviceDescriptor[14]!), await text(deviceDescriptor[15]!), await text(deviceDescriptor[16]!)]).toEqual([
      'STMicroelectronics',
      'STM32  BOOTLOADER',
      '3276384B3339',
    ]);
    expect([device.manufacturerName, device.productName, device.serialNumber]).toEqual(['STMicroelectronics', 'STM32  BOOTLOADER', '3276384B3339']);

    // The header first, then wTotalLength: how hosts read a configuration.
    const header = await descriptor(device, DescriptorType.CONFIGURATION, 0, 9);
    expect(header.length).toBe(9);
    const config = parseConfigurationDescriptor(await descriptor(device, DescriptorType.CONFIGURATION, 0, header[2]! | (header[3]! << 8)));
    expect(config.interfaces).toHaveLength(1);
    const alternates = config.interfaces[0]!.alternates;
    expect(alternates.map((a) => [a.alternateSetting, a.interfaceClass, a.interfaceSubclass, a.interfaceProtocol])).toEqual([0, 1, 2, 3].map((n) => [n, 0xfe, 1, 2]));
    for (const alternate of alternates) {
      expect(alternate.dfuFunctional).toEqual({ canDownload: true, canUpload: true, manifestationTolerant: false, willDetach: true, detachTimeoutMs: 255, transferSize: 2048, dfuVersion: '011a' });
    }
    const names = await Promise.all(alternates.map((a) => text(a.interfaceStringIndex)));
    expect(names).toEqual([...STM32_LAYOUTS]);
    expect(names.map((name) => parseDfuseMemoryLayout(name!)?.name)).toEqual(['Internal Flash', 'Option Bytes', 'OTP Memory', 'Device Feature']);
    // The WebUSB view says the same as the descriptors.
    expect(device.configuration?.interfaces[0]!.alternates.map((a) => [a.alternateSetting, a.interfaceProtocol, a.interfaceName])).toEqual(
      STM32_LAYOUTS.map((name, n) => [n, 2, name]),
    );
  });

  it('the STM32 application offers a DFU runtime interface that detaches by itself', async () => {
    const { device } = plug('stm32-dfu', 'application');
    await device.open();
    expect([device.vendorId, device.productId]).toEqual([0x0483, 0x5740]);
    const header = await descriptor(device, DescriptorType.CONFIGURATION, 0, 9);
    const config = parseConfigurationDescriptor(await descriptor(device, DescriptorType.CONFIGURATION, 0, header[2]!));
    const alternate = config.interfaces[0]!.alternates[0]!;
    expect([alternate.interfaceClass, alternate.interfaceSubclass, alternate.interfaceProtocol]).toEqual([0xfe, 1, 1]);
    expect(alternate.dfuFunctional).toMatchObject({ willDetach: true, detachTimeoutMs: 255 });
    expect(parseStringDescriptor(await descriptor(device, DescriptorType.STRING, alternate.interfaceStringIndex, 255, 0x0409))).toBe('STM32 DFU runtime');
    expect(device.configuration?.interfaces[0]!.alternate.interfaceName).toBe('STM32 DFU runtime');
  });

  it('the gadget is plain DFU 1.1 on pid.codes test ids, manifestation tolerant, waiting for a reset to detach', async () => {
    const { device, board } = plug('dfu-gadget', 'bootloader');
    await device.open();
    expect([device.vendorId, device.productId]).toEqual([DFU_GADGET_IDS.bootloader.vendorId, DFU_GADGET_IDS.bootloader.productId]);
    const config = parseConfigurationDescriptor(await descriptor(device, DescriptorType.CONFIGURATION, 0, 255));
    const alternates = config.interfaces[0]!.alternates;
    expect(alternates).toHaveLength(1);
    expect(alternates[0]!.interfaceProtocol).toBe(2);
    expect(alternates[0]!.dfuFunctional).toEqual({ canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: false, detachTimeoutMs: 1000, transferSize: 1024, dfuVersion: '0110' });
    expect(parseStringDescriptor(await descriptor(device, DescriptorType.STRING, alternates[0]!.interfaceStringIndex, 255, 0x0409))).toBe('Fieldbench gadget firmware');
    board.unplug();
    const app = plug('dfu-gadget', 'application').device;
    expect([app.vendorId, app.productId]).toEqual([0x1209, 0x0005]);
    expect(app.configuration?.interfaces[0]!.alternates[0]!.interfaceProtocol).toBe(1);
  });

  it('stalls descriptors and standard requests it does not have', async () => {
    const { device } = plug('dfu-gadget', 'bootloader');
    await device.open();
    const get = (value: number): Promise<USBInTransferResult> => device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value, index: 0 }, 255);
    expect((await get((DescriptorType.STRING << 8) | 42)).status).toBe('stall');
    expect((await get(0x0f00)).status).toBe('stall');
    expect((await device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request: 1, value: 0, index: 0 }, 4)).status).toBe('stall');
  });
});

describe('WebUSB rules', () => {
  it('refuses work on a closed device, unclaimed interfaces and settings that do not exist', async () => {
    const { device } = plug('dfu-gadget', 'bootloader');
    expect(await rejectionName(classIn(device, DfuRequest.GETSTATE, 0, 1))).toBe('InvalidStateError');
    expect(await rejectionName(device.claimInterface(0))).toBe('InvalidStateError');
    expect(await rejectionName(device.reset())).toBe('InvalidStateError');
    await device.open();
    await device.open(); // opening an open device is allowed
    expect(await rejectionName(classIn(device, DfuRequest.GETSTATE, 0, 1))).toBe('InvalidStateError');
    expect(await rejectionName(device.claimInterface(3))).toBe('NotFoundError');
    expect(await rejectionName(device.selectAlternateInterface(0, 0))).toBe('InvalidStateError');
    expect(await rejectionName(device.selectConfiguration(7))).toBe('NotFoundError');
    await device.claimInterface(0);
    await device.claimInterface(0); // claiming a claimed interface resolves, as the specification says
    expect(device.configuration!.interfaces[0]!.claimed).toBe(true);
    expect(await rejectionName(device.selectAlternateInterface(0, 5))).toBe('NotFoundError');
    expect(await getState(device)).toBe(DfuState.dfuIDLE);
    expect(await rejectionName(device.transferIn(1, 64))).toBe('NotFoundError');
    await device.releaseInterface(0);
    expect(device.configuration!.interfaces[0]!.claimed).toBe(false);
    expect(await rejectionName(classIn(device, DfuRequest.GETSTATE, 0, 1))).toBe('InvalidStateError');
    await device.claimInterface(0);
    await device.close();
    expect(device.opened).toBe(false);
    expect(await rejectionName(classIn(device, DfuRequest.GETSTATE, 0, 1))).toBe('InvalidStateError');
  });

  it('selecting a configuration drops the claims', async () => {
    const { device } = plug('dfu-gadget', 'bootloader');
    await openDfu(device);
    await device.selectConfiguration(1);
    expect(device.configuration!.interfaces[0]!.claimed).toBe(false);
    expect(await rejectionName(classIn(device, DfuRequest.GETSTATE, 0, 1))).toBe('InvalidStateError');
  });
});

describe('DFU 1.1 state machine (gadget)', () => {
  it('stalls a request its state does not take, reports errSTALLEDPKT in dfuERROR, and CLRSTATUS clears it', async () => {
    const { device } = plug('dfu-gadget', 'bootloader');
    await openDfu(device);
    expect(await getStatus(device)).toEqual({ status: 0, pollMs: 0, state: DfuState.dfuIDLE });
    expect((await classOut(device, DfuRequest.CLRSTATUS)).status).toBe('stall');
    expect(await getStatus(device)).toMatchObject({ status: status('errSTALLEDPKT'), state: DfuState.dfuERROR });
    // In dfuERROR only GETSTATUS, GETSTATE and CLRSTATUS are taken; others stall without losing the status.
    expect((await classOut(device, DfuRequest.ABORT)).status).toBe('stall');
    expect(await getStatus(device)).toMatchObject({ status: status('errSTALLEDPKT'), state: DfuState.dfuERROR });
    expect((await classOut(device, DfuRequest.CLRSTATUS)).status).toBe('ok');
    expect(await getStatus(device)).toEqual({ status: 0, pollMs: 0, state: DfuState.dfuIDLE });
    // Plain DFU has no "leave": a zero-length DNLOAD in dfuIDLE stalls.
    expect((await classOut(device, DfuRequest.DNLOAD, 0, new Uint8Array(0))).status).toBe('stall');
    expect(await getState(device)).toBe(DfuState.dfuERROR);
    await classOut(device, DfuRequest.CLRSTATUS);
    // A block larger than wTransferSize stalls.
    expect((await classOut(device, DfuRequest.DNLOAD, 0, new Uint8Array(1025))).status).toBe('stall');
    await classOut(device, DfuRequest.CLRSTATUS);
    // DETACH belongs to the runtime.
    expect((await classOut(device, DfuRequest.DETACH, 1000)).status).toBe('stall');
  });

  it('downloads through dfuDNLOAD-SYNC and dfuDNBUSY, manifests back to dfuIDLE, uploads to a short frame, and a reset starts the application', async () => {
    const { device, board } = plug('dfu-gadget', 'bootloader', 'GADGET-7');
    await openDfu(device);
    const image = pattern(2500, 3);
    expect((await classOut(device, DfuRequest.DNLOAD, 0, image.subarray(0, 1024))).status).toBe('ok');
    expect(await getState(device)).toBe(DfuState.dfuDNLOAD_SYNC);
    // In dfuDNLOAD-SYNC only GETSTATUS and GETSTATE are taken.
    const busy = await getStatus(device);
    expect(busy.state).toBe(DfuState.dfuDNBUSY);
    expect(await getStatus(device)).toMatchObject({ status: 0, state: DfuState.dfuDNLOAD_IDLE });
    expect((await classIn(device, DfuRequest.UPLOAD, 0, 1024)).status).toBe('stall');
    expect(await getStatus(device)).toMatchObject({ status: status('errSTALLEDPKT'), state: DfuState.dfuERROR });
    await classOut(device, DfuRequest.CLRSTATUS);
    board.resetStats();

    for (let block = 0; block * 1024 < image.length; block++) {
      expect(await download(device, block, image.subarray(block * 1024, (block + 1) * 1024))).toMatchObject({ status: 0, state: DfuState.dfuDNLOAD_IDLE });
    }
    expect((await classOut(device, DfuRequest.DNLOAD, 3, new Uint8Array(0))).status).toBe('ok');
    expect(await getState(device)).toBe(DfuState.dfuMANIFEST_SYNC);
    expect(await getStatus(device)).toMatchObject({ state: DfuState.dfuMANIFEST });
    expect(await getStatus(device)).toMatchObject({ status: 0, state: DfuState.dfuIDLE });
    expect(board.readFlash(0, image.length)).toEqual(image);
    expect(board.stats()).toMatchObject({ pagesErased: 1, bytesWritten: image.length });

    const first = await classIn(device, DfuRequest.UPLOAD, 0, 1024);
    expect(bytesOf(first)).toEqual(image.subarray(0, 1024));
    expect(await getState(device)).toBe(DfuState.dfuUPLOAD_IDLE);
    const last = await classIn(device, DfuRequest.UPLOAD, 255, 1024);
    expect(bytesOf(last)).toHaveLength(1024);
    const past = await classIn(device, DfuRequest.UPLOAD, 256, 1024);
    expect(bytesOf(past)).toHaveLength(0);
    expect(await getState(device)).toBe(DfuState.dfuIDLE);

    const arrival = nextArrival(bus, 'GADGET-7');
    await device.reset();
    const app = await arrival;
    expect(app).not.toBe(device);
    expect(app.mode).toBe('runtime');
    expect([app.productId, app.serialNumber]).toEqual([0x0005, 'GADGET-7']);
    expect(device.opened).toBe(false);
    expect(await rejectionName(classIn(device, DfuRequest.GETSTATE, 0, 1))).toBe('NetworkError');
  });

  it('erases a page once per download, so writing a block twice in one download fails with errPROG; beyond the flash is errADDRESS', async () => {
    const { device, board } = plug('dfu-gadget', 'bootloader');
    await openDfu(device);
    expect(await download(device, 0, pattern(1024, 1))).toMatchObject({ status: 0 });
    expect(await download(device, 0, pattern(1024, 2))).toMatchObject({ status: status('errPROG'), state: DfuState.dfuERROR });
    expect(board.readFlash(0, 1024)).toEqual(pattern(1024, 1));
    await classOut(device, DfuRequest.CLRSTATUS);
    // A new download erases again.
    expect(await download(device, 0, pattern(1024, 2))).toMatchObject({ status: 0 });
    expect(board.readFlash(0, 1024)).toEqual(pattern(1024, 2));
    await classOut(device, DfuRequest.ABORT);
    expect(await download(device, 256, pattern(16, 0))).toMatchObject({ status: status('errADDRESS'), state: DfuState.dfuERROR });
  });

  it('a reset with no firmware in flash leaves the bootloader in dfuERROR with errFIRMWARE', async () => {
    const { device } = plug('dfu-gadget', 'bootloader');
    await openDfu(device);
    await device.reset();
    expect(await getStatus(device)).toMatchObject({ status: status('errFIRMWARE'), state: DfuState.dfuERROR });
  });
});

describe('DfuSe (STM32 bootloader)', () => {
  it('sets the address, erases a sector, writes blocks from 2 at the pointer, reads them back, and lists its commands', async () => {
    const { device, board } = plug('stm32-dfu', 'bootloader');
    await openDfu(device);
    const commands = await classIn(device, DfuRequest.UPLOAD, 0, 2048);
    expect([...bytesOf(commands)]).toEqual([0x00, 0x21, 0x41, 0x92]);
    expect(await getState(device)).toBe(DfuState.dfuIDLE);

    expect(await download(device, 0, withAddress(0x41, 0x08004000))).toMatchObject({ status: 0, state: DfuState.dfuDNLOAD_IDLE });
    expect(board.stats().pagesErased).toBe(1);
    expect(await download(device, 0, withAddress(0x21, 0x08004000))).toMatchObject({ status: 0, state: DfuState.dfuDNLOAD_IDLE });
    const data = pattern(4096 + 100, 9);
    expect(await download(device, 2, data.subarray(0, 2048))).toMatchObject({ status: 0 });
    expect(await download(device, 3, data.subarray(2048, 4096))).toMatchObject({ status: 0 });
    expect(await download(device, 4, data.subarray(4096))).toMatchObject({ status: 0 });
    expect(board.readFlash(0x08004000, data.length)).toEqual(data);
    expect(board.stats().bytesWritten).toBe(data.length);

    // Upload is taken in dfuIDLE: ABORT first, as dfu-util does.
    expect((await classIn(device, DfuRequest.UPLOAD, 2, 2048)).status).toBe('stall');
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(await download(device, 0, withAddress(0x21, 0x08004000))).toMatchObject({ status: 0 });
    await classOut(device, DfuRequest.ABORT);
    expect(bytesOf(await classIn(device, DfuRequest.UPLOAD, 2, 2048))).toEqual(data.subarray(0, 2048));
    expect(bytesOf(await classIn(device, DfuRequest.UPLOAD, 3, 2048))).toEqual(data.subarray(2048, 4096));
    expect(board.stats().bytesRead).toBe(4096);
  });

  it('refuses writes over programmed flash (errPROG), addresses outside the layout (errADDRESS), and erasing what cannot be erased (errTARGET)', async () => {
    const { device, board } = plug('stm32-dfu', 'bootloader');
    await openDfu(device);
    await download(device, 0, withAddress(0x41, 0x08000000));
    await download(device, 0, withAddress(0x21, 0x08000000));
    expect(await download(device, 2, pattern(256, 1))).toMatchObject({ status: 0 });
    expect(await download(device, 2, pattern(256, 2))).toMatchObject({ status: status('errPROG'), state: DfuState.dfuERROR });
    await classOut(device, DfuRequest.CLRSTATUS);
    // An engine that forgets to erase is caught: the sector still holds the first write.
    expect(board.readFlash(0x08000000, 256)).toEqual(pattern(256, 1));
    expect(await download(device, 0, withAddress(0x21, 0x30000000))).toMatchObject({ status: status('errADDRESS') });
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(await download(device, 0, withAddress(0x41, 0x08100000))).toMatchObject({ status: status('errADDRESS') });
    await classOut(device, DfuRequest.CLRSTATUS);
    // Unknown commands and block 1 are refused outright.
    expect((await classOut(device, DfuRequest.DNLOAD, 0, Uint8Array.of(0x55))).status).toBe('stall');
    await classOut(device, DfuRequest.CLRSTATUS);
    expect((await classOut(device, DfuRequest.DNLOAD, 1, new Uint8Array(16))).status).toBe('stall');
    await classOut(device, DfuRequest.CLRSTATUS);

    // Option bytes: readable and writable ('e'), not erasable; a write replaces them.
    await device.selectAlternateInterface(0, 1);
    expect(await download(device, 0, withAddress(0x41, 0x1fffc000))).toMatchObject({ status: status('errTARGET') });
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(board.readFlash(0x1fffc000, 2)).toEqual(Uint8Array.of(0xed, 0xaa));
    await download(device, 0, withAddress(0x21, 0x1fffc000));
    expect(await download(device, 2, Uint8Array.of(0xcd, 0xbb))).toMatchObject({ status: 0 });
    expect(board.readFlash(0x1fffc000, 2)).toEqual(Uint8Array.of(0xcd, 0xbb));
    // The internal flash is not reachable through the option-bytes alternate setting.
    expect(await download(device, 0, withAddress(0x21, 0x08000000))).toMatchObject({ status: status('errADDRESS') });
  });

  it('mass-erases with 0x41 alone', async () => {
    const { device, board } = plug('stm32-dfu', 'bootloader');
    await openDfu(device);
    await download(device, 0, withAddress(0x41, 0x08060000));
    await download(device, 0, withAddress(0x21, 0x08060000));
    await download(device, 2, pattern(2048, 4));
    expect(await download(device, 0, Uint8Array.of(0x41))).toMatchObject({ status: 0, state: DfuState.dfuDNLOAD_IDLE });
    expect(board.stats().massErases).toBe(1);
    expect(board.readFlash(0x08060000, 2048).every((b) => b === 0xff)).toBe(true);
  });

  it('leaves: a zero-length DNLOAD, GETSTATUS enters manifestation, and the board re-enumerates in its application with the same serial', async () => {
    const { device } = plug('stm32-dfu', 'bootloader', 'ST-LEAVE');
    await openDfu(device);
    await download(device, 0, withAddress(0x21, 0x08000000));
    expect((await classOut(device, DfuRequest.DNLOAD, 2, new Uint8Array(0))).status).toBe('ok');
    const departure = nextDeparture(bus, 'ST-LEAVE');
    const arrival = nextArrival(bus, 'ST-LEAVE');
    expect(await getStatus(device)).toMatchObject({ status: 0, state: DfuState.dfuMANIFEST });
    expect(await departure).toBe(device);
    const app = await arrival;
    expect([app.vendorId, app.productId, app.serialNumber, app.mode]).toEqual([0x0483, 0x5740, 'ST-LEAVE', 'runtime']);
    expect(await rejectionName(getStatus(device))).toBe('NetworkError');
    expect((await bus.list()).map((entry) => [entry.device, entry.virtual])).toEqual([[app, true]]);
  });

  it('leaves from dfuIDLE too, as ST’s bootloader allows', async () => {
    const { device } = plug('stm32-dfu', 'bootloader', 'ST-IDLE');
    await openDfu(device);
    const arrival = nextArrival(bus, 'ST-IDLE');
    expect((await classOut(device, DfuRequest.DNLOAD, 0, new Uint8Array(0))).status).toBe('ok');
    expect(await getStatus(device)).toMatchObject({ state: DfuState.dfuMANIFEST });
    expect((await arrival).mode).toBe('runtime');
  });

  it('a USB reset keeps ST’s ROM bootloader where it is, back in dfuIDLE', async () => {
    const { device, board } = plug('stm32-dfu', 'bootloader');
    await openDfu(device);
    await classOut(device, DfuRequest.CLRSTATUS);
    expect(await getState(device)).toBe(DfuState.dfuERROR);
    await device.reset();
    expect(board.current()).toBe(device);
    expect(await getState(device)).toBe(DfuState.dfuIDLE);
  });
});

describe('runtime to bootloader', () => {
  it('STM32: DETACH and the application re-enumerates as the DfuSe bootloader, same serial', async () => {
    const { device, board } = plug('stm32-dfu', 'application', 'ST-DETACH');
    await openDfu(device);
    expect(await getStatus(device)).toEqual({ status: 0, pollMs: 0, state: DfuState.appIDLE });
    // appIDLE takes DETACH, GETSTATUS and GETSTATE only.
    expect((await classOut(device, DfuRequest.DNLOAD, 0, new Uint8Array(4))).status).toBe('stall');
    expect(await getState(device)).toBe(DfuState.appIDLE);
    const arrival = nextArrival(bus, 'ST-DETACH');
    expect((await classOut(device, DfuRequest.DETACH, 255)).status).toBe('ok');
    const bootloader = await arrival;
    expect([bootloader.productId, bootloader.serialNumber, bootloader.mode]).toEqual([0xdf11, 'ST-DETACH', 'dfu']);
    expect(board.current()).toBe(bootloader);
  });

  it('gadget: DETACH, then a USB reset within the window brings up the bootloader', async () => {
    const { device } = plug('dfu-gadget', 'application', 'G-DETACH');
    await openDfu(device);
    expect((await classOut(device, DfuRequest.DETACH, 1000)).status).toBe('ok');
    expect(await getState(device)).toBe(DfuState.appDETACH);
    const arrival = nextArrival(bus, 'G-DETACH');
    await device.reset();
    const bootloader = await arrival;
    expect([bootloader.productId, bootloader.mode]).toEqual([0x0006, 'dfu']);
  });

  it('gadget: without a reset inside wTimeout the application stays, and a reset then restarts it', async () => {
    const { device } = plug('dfu-gadget', 'application', 'G-LATE');
    await openDfu(device);
    expect((await classOut(device, DfuRequest.DETACH, 20)).status).toBe('ok');
    for (let i = 0; i < 100 && (await getState(device)) === DfuState.appDETACH; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await getState(device)).toBe(DfuState.appIDLE);
    const arrival = nextArrival(bus, 'G-LATE');
    await device.reset();
    expect((await arrival).mode).toBe('runtime');
  });
});

describe('the bus', () => {
  it('lists virtual boards, reports itself, refuses a second board with the same serial, and close unplugs all', async () => {
    bus = new VirtualUsbBus();
    const changes: string[] = [];
    bus.onChange((change) => changes.push(`${change.kind} ${change.device.serialNumber}`));
    const a = bus.plug({ model: 'stm32-dfu', serialNumber: 'A', startIn: 'bootloader', timeScale: 0 });
    bus.plug({ model: 'dfu-gadget', serialNumber: 'B', startIn: 'application', timeScale: 0 });
    expect(() => bus.plug({ model: 'dfu-gadget', serialNumber: 'A', startIn: 'application' })).toThrow(/already plugged/u);
    expect(() => bus.plug({ model: 'dfu-gadget', serialNumber: 'C', startIn: 'application', timeScale: -1 })).toThrow(/time scale/u);
    expect(bus.status()).toEqual({ transport: 'usb', method: 'virtual bus', available: true, note: null });
    const listed = await bus.list();
    expect(listed.map((entry) => [entry.device.serialNumber, entry.virtual, 'location' in entry])).toEqual([
      ['A', true, false],
      ['B', true, false],
    ]);
    a.unplug();
    expect(bus.boards().map((board) => board.serialNumber)).toEqual(['B']);
    await bus.close();
    expect(await bus.list()).toEqual([]);
    expect(changes).toEqual(['connect A', 'connect B', 'disconnect A', 'disconnect B']);
  });
});
