// How the CLI names a USB device: VID:PID[:SERIAL], either mode's ids through the profiles
// that say which ids are a bootloader's and which an application's, and the serial number
// as the one thing that survives re-enumeration.
import { describe, expect, it } from 'vitest';
import type { Device } from '../../src-main/api/schemas';
import { UsageError } from '../../src-main/cli/output';
import { loadUsbProfiles, parseUsbSelector, parseVirtualUsb, selectsDevice } from '../../src-main/cli/usb-target';

function usbDevice(vendorId: string, productId: string, mode: 'runtime' | 'dfu' | null, serialNumber?: string): Device {
  return {
    id: `usb:${serialNumber ?? `${vendorId}:${productId}`}`,
    transport: 'usb',
    path: `usb ${vendorId}:${productId} (virtual)`,
    virtual: true,
    usb: { vendorId, productId, ...(serialNumber ? { serialNumber } : {}), ...(mode ? { dfu: { mode, dfuse: false, functional: null, alts: [] } } : {}) },
    profileId: null,
    profileName: null,
    identity: null,
    firmware: null,
    state: 'ready',
    seenAt: '2026-01-02T03:04:05.000Z',
  };
}

describe('--usb VID:PID[:SERIAL]', () => {
  it('reads ids in hex in any case, and keeps the serial as the device gives it', () => {
    expect(parseUsbSelector('0483:DF11')).toEqual({ vendorId: '0483', productId: 'df11' });
    expect(parseUsbSelector('0483:df11:3276384b3339')).toEqual({ vendorId: '0483', productId: 'df11', serialNumber: '3276384b3339' });
    // A serial may itself hold colons.
    expect(parseUsbSelector('1209:0006:ab:cd')).toEqual({ vendorId: '1209', productId: '0006', serialNumber: 'ab:cd' });
  });

  it.each(['0483', '483:df11', '0483:df1g', '0483-df11', ':df11', '0483:df11:'])('refuses %j as wrong usage', (text) => {
    expect(() => parseUsbSelector(text)).toThrow(UsageError);
  });
});

describe('finding the device in either mode', () => {
  it('matches the ids it has now, and the other mode’s ids the shipped profiles give for the same vendor', async () => {
    const profiles = await loadUsbProfiles();
    const stm32App = usbDevice('0483', '5740', 'runtime', '3276384B3339');
    const stm32Boot = usbDevice('0483', 'df11', 'dfu', '3276384B3339');
    const gadgetApp = usbDevice('1209', '0005', 'runtime', 'G-1');
    const select = (text: string, device: Device) => selectsDevice(parseUsbSelector(text), device, profiles);

    expect(select('0483:df11', stm32Boot)).toBe(true);
    expect(select('0483:df11', stm32App)).toBe(true); // its bootloader's ids
    expect(select('0483:5740', stm32Boot)).toBe(true); // its application's ids
    expect(select('1209:0006', gadgetApp)).toBe(true);
    expect(select('1209:0006', stm32App)).toBe(false); // another vendor's bootloader
    expect(select('0483:df11', gadgetApp)).toBe(false);
    // Ids of the same mode are not the other mode's: a runtime device is not another runtime id.
    expect(select('0483:5740', usbDevice('0483', '5741', 'runtime'))).toBe(false);
    // A device without DFU matches only by its own ids.
    expect(select('0483:df11', usbDevice('0483', '5740', null))).toBe(false);
    expect(select('0483:5740', usbDevice('0483', '5740', null))).toBe(true);
  });

  it('needs the serial to match exactly when one is given', async () => {
    const profiles = await loadUsbProfiles();
    const board = usbDevice('0483', '5740', 'runtime', '3276384B3339');
    expect(selectsDevice(parseUsbSelector('0483:df11:3276384B3339'), board, profiles)).toBe(true);
    expect(selectsDevice(parseUsbSelector('0483:df11:3276384B3338'), board, profiles)).toBe(false);
    expect(selectsDevice(parseUsbSelector('0483:5740:X'), usbDevice('0483', '5740', 'runtime'), profiles)).toBe(false);
    expect(selectsDevice(parseUsbSelector('0483:5740'), { ...board, usb: undefined, transport: 'serial' }, profiles)).toBe(false);
  });
});

describe('--virtual-usb', () => {
  it('starts in the application unless told, and carries validated fault knobs', () => {
    expect(parseVirtualUsb('stm32-dfu', undefined)).toEqual({ model: 'stm32-dfu', startIn: 'application' });
    expect(parseVirtualUsb('dfu-gadget:bootloader', '{"dfuError":{"status":"errWRITE","atByte":4096}}')).toEqual({
      model: 'dfu-gadget',
      startIn: 'bootloader',
      faults: { dfuError: { status: 'errWRITE', atByte: 4096 } },
    });
    expect(parseVirtualUsb(undefined, undefined)).toBeNull();
    expect(() => parseVirtualUsb('stm32-dfu', '{"dfuError":{"status":"errWRITE","atByte":-1}}')).toThrow(/bad knob: dfuError\.atByte/);
  });
});
