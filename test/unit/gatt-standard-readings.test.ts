// Device Information and Battery readings: the SIG-defined values every BLE device may offer,
// read into Readings with the same never-throw rule as a profile's own characteristics.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reading } from '../../src-main/api/schemas';
import {
  BATTERY_LEVEL_UUID,
  DEVICE_INFORMATION_CHARACTERISTICS,
  DEVICE_INFORMATION_SERVICE_UUID,
  PNP_ID_UUID,
  STANDARD_GATT_READING_IDS,
  batteryLevelReading,
  deviceInformationReading,
  identityFromDeviceInformation,
  parsePnpId,
} from '../../src-main/core/diagnostics/gatt-standard-readings';

const readAt = new Date('2026-11-27T07:00:00.000Z');
const characteristic = (id: string) => {
  const found = DEVICE_INFORMATION_CHARACTERISTICS.find((entry) => entry.id === id);
  if (!found) throw new Error(`no Device Information characteristic '${id}'`);
  return found;
};
const text = (value: string) => new TextEncoder().encode(value);

/** PnP ID as the Device Information Service lays it out, written field by field. */
function pnpBytes(source: number, vendorId: number, productId: number, version: number): Uint8Array {
  const bytes = new Uint8Array(7);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, source);
  view.setUint16(1, vendorId, true);
  view.setUint16(3, productId, true);
  view.setUint16(5, version, true);
  return bytes;
}

describe('Device Information', () => {
  it('names the SIG characteristics by their assigned numbers, in BlueZ form', () => {
    expect(DEVICE_INFORMATION_SERVICE_UUID).toBe('0000180a-0000-1000-8000-00805f9b34fb');
    expect(DEVICE_INFORMATION_CHARACTERISTICS.map((entry) => [entry.id, entry.uuid.slice(4, 8)])).toEqual([
      ['manufacturer', '2a29'],
      ['model', '2a24'],
      ['serial-number', '2a25'],
      ['hardware-revision', '2a27'],
      ['firmware-revision', '2a26'],
      ['software-revision', '2a28'],
      ['pnp-id', '2a50'],
    ]);
    expect([...STANDARD_GATT_READING_IDS].sort()).toEqual([...DEVICE_INFORMATION_CHARACTERISTICS.map((entry) => entry.id), 'battery-level'].sort());
  });

  it('reads the strings as text, and refuses what is not UTF-8 naming the characteristic', () => {
    expect(deviceInformationReading(characteristic('model'), text('sensor-node'), readAt)).toEqual({
      id: 'model',
      label: 'Model',
      value: 'sensor-node',
      unit: null,
      status: 'ok',
      limits: null,
      message: null,
      readAt: '2026-11-27T07:00:00.000Z',
    });
    expect(deviceInformationReading(characteristic('hardware-revision'), Uint8Array.of(0x72, 0x65, 0x76, 0x20, 0x43, 0, 0), readAt).value).toBe('rev C');
    expect(deviceInformationReading(characteristic('serial-number'), Uint8Array.of(0x53, 0x4e, 0xff), readAt)).toMatchObject({
      value: null,
      status: 'error',
      message: 'Serial number (0x2A25) sent 3 bytes (53 4e ff): this is not valid UTF-8 text',
    });
  });

  it('reads a PnP ID into its fields and into words', () => {
    expect(parsePnpId(pnpBytes(1, 0x0059, 0x5e05, 0x0123))).toEqual({
      ok: true,
      pnpId: { vendorIdSource: 'bluetooth-sig', vendorId: 0x0059, productId: 0x5e05, productVersion: 0x0123 },
    });
    expect(deviceInformationReading(characteristic('pnp-id'), pnpBytes(1, 0x0059, 0x5e05, 0x0123), readAt)).toMatchObject({
      id: 'pnp-id',
      value: 'Bluetooth SIG vendor 0x0059, product 0x5e05, version 1.2.3 (0x0123)',
      status: 'ok',
    });
    expect(deviceInformationReading(characteristic('pnp-id'), pnpBytes(2, 0x2fe3, 0x0100, 0x1a2b), readAt).value).toBe(
      'USB-IF vendor 0x2fe3, product 0x0100, version 26.2.11 (0x1a2b)',
    );
  });

  it('round-trips every PnP ID and refuses any other length or vendor id source', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (source, vendorId, productId, productVersion) => {
        const parsed = parsePnpId(pnpBytes(source, vendorId, productId, productVersion));
        expect(parsed).toEqual({ ok: true, pnpId: { vendorIdSource: source === 1 ? 'bluetooth-sig' : 'usb-if', vendorId, productId, productVersion } });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        const reading = deviceInformationReading(characteristic('pnp-id'), bytes, readAt);
        expect(Reading.parse(reading)).toEqual(reading);
        const source = bytes[0];
        const valid = bytes.length === 7 && (source === 1 || source === 2);
        expect(reading.status).toBe(valid ? 'ok' : 'error');
        if (!valid) expect(reading.message).toMatch(/^PnP ID \(0x2A50\) sent /);
      }),
    );
    expect(parsePnpId(pnpBytes(0, 1, 2, 3))).toEqual({ ok: false, reason: 'vendor id source 0 is neither 1 (Bluetooth SIG) nor 2 (USB-IF)' });
    expect(parsePnpId(new Uint8Array(6))).toEqual({ ok: false, reason: 'a PnP ID is exactly 7 bytes long' });
    expect(PNP_ID_UUID).toBe('00002a50-0000-1000-8000-00805f9b34fb');
  });

  it('gives the identity only when model, serial number and firmware revision all read', () => {
    const read = (values: Record<string, string | Uint8Array>) =>
      Object.entries(values).map(([id, value]) => deviceInformationReading(characteristic(id), typeof value === 'string' ? text(value) : value, readAt));
    const full = { model: 'sensor-node', 'serial-number': 'SN-0042', 'firmware-revision': '1.2.3', 'hardware-revision': 'rev C', manufacturer: 'Fieldbench' };
    expect(identityFromDeviceInformation(read(full))).toEqual({ model: 'sensor-node', serialNumber: 'SN-0042', firmwareVersion: '1.2.3', hardwareRevision: 'rev C' });
    expect(identityFromDeviceInformation(read({ ...full, 'hardware-revision': '  ' }))).toEqual({ model: 'sensor-node', serialNumber: 'SN-0042', firmwareVersion: '1.2.3' });
    expect(identityFromDeviceInformation(read({ ...full, 'serial-number': Uint8Array.of(0xff) }))).toBeNull();
    expect(identityFromDeviceInformation(read({ model: 'sensor-node', 'serial-number': 'SN-0042' }))).toBeNull();
    expect(identityFromDeviceInformation([])).toBeNull();
  });
});

describe('Battery level', () => {
  it('reads one byte as a percentage, judged against the limits given', () => {
    expect(BATTERY_LEVEL_UUID).toBe('00002a19-0000-1000-8000-00805f9b34fb');
    expect(batteryLevelReading(Uint8Array.of(87), readAt)).toEqual({
      id: 'battery-level',
      label: 'Battery level',
      value: 87,
      unit: '%',
      status: 'ok',
      limits: null,
      message: null,
      readAt: '2026-11-27T07:00:00.000Z',
    });
    const limits = { warn: { min: 20 }, fail: { min: 10 } };
    expect(batteryLevelReading(Uint8Array.of(100), readAt, limits)).toMatchObject({ status: 'ok', limits: 'warn below 20 %, fail below 10 %' });
    expect(batteryLevelReading(Uint8Array.of(20), readAt, limits)).toMatchObject({ status: 'ok' });
    expect(batteryLevelReading(Uint8Array.of(15), readAt, limits)).toMatchObject({ status: 'warn', message: '15 % is below the warn limit 20 %' });
    expect(batteryLevelReading(Uint8Array.of(0), readAt, limits)).toMatchObject({ status: 'fail', value: 0, message: '0 % is below the fail limit 10 %' });
  });

  it('refuses a level above 100 % and a value that is not one byte', () => {
    expect(batteryLevelReading(Uint8Array.of(101), readAt, { warn: { min: 20 } })).toMatchObject({
      value: null,
      status: 'error',
      limits: null,
      message: 'Battery level (0x2A19) sent 1 byte (65): 101 % is not a battery level, which goes up to 100 %',
    });
    expect(batteryLevelReading(new Uint8Array(0), readAt).message).toBe('Battery level (0x2A19) sent no bytes: a 1-byte unsigned integer is exactly 1 byte long');
    expect(batteryLevelReading(Uint8Array.of(50, 0), readAt).message).toBe(
      'Battery level (0x2A19) sent 2 bytes (32 00): a 1-byte unsigned integer is exactly 1 byte long',
    );
  });

  it('never throws: every byte string is a valid Reading, ok exactly for one byte up to 100', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
        const reading = batteryLevelReading(bytes, readAt, { warn: { min: 20 }, fail: { min: 10 } });
        expect(Reading.parse(reading)).toEqual(reading);
        const level = bytes.length === 1 ? (bytes[0] ?? 255) : 255;
        expect(reading.status === 'error').toBe(level > 100);
        if (level <= 100) expect(reading.value).toBe(level);
      }),
    );
  });
});
