// The pieces of the BLE central interface every backend shares: UUID spelling, scan filters,
// device labels and the deadline every wait runs under.
import { describe, expect, test } from 'vitest';
import { advertMatches, type BleAdvert, bleDeviceLabel, withDeadline } from '../../src-main/transports/ble/ble-central';
import { canonicalBleUuid } from '../../src-main/transports/ble/ble-uuid';
import { fieldbenchErrorFrom, fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const advert: BleAdvert = {
  address: 'C0:FF:EE:00:00:01',
  name: 'SensorNode-0042',
  rssi: -61,
  serviceUuids: ['8d53dc1d-1db7-4cd3-868b-8a527460aa84'],
  manufacturerData: [{ companyId: 0x0059, dataHex: '01' }],
  txPower: null,
  seenAt: '2026-11-27T07:00:00.000Z',
};

describe('BLE UUIDs', () => {
  test('16-bit, 32-bit and 128-bit spellings come out in the one form BlueZ reports', () => {
    expect(canonicalBleUuid('180A')).toBe('0000180a-0000-1000-8000-00805f9b34fb');
    expect(canonicalBleUuid('0x2a19')).toBe('00002a19-0000-1000-8000-00805f9b34fb');
    expect(canonicalBleUuid('0000FEED')).toBe('0000feed-0000-1000-8000-00805f9b34fb');
    expect(canonicalBleUuid(' 6E400001-B5A3-F393-E0A9-E50E24DCCA9E ')).toBe('6e400001-b5a3-f393-e0a9-e50e24dcca9e');
  });

  test('anything else is refused with what to write instead', () => {
    for (const bad of ['', '18A', 'battery', '6e400001-b5a3-f393-e0a9']) {
      const error = fieldbenchErrorFrom(() => canonicalBleUuid(bad));
      expect(error.code).toBe('invalid-request');
      expect(error.hint).toMatch(/180A/);
    }
  });
});

describe('scan filters', () => {
  test('no filter, or an empty one, passes everything', () => {
    expect(advertMatches(advert, undefined)).toBe(true);
    expect(advertMatches(advert, {})).toBe(true);
  });

  test('any one of service, name prefix or company id is enough', () => {
    expect(advertMatches(advert, { serviceUuids: ['8d53dc1d-1db7-4cd3-868b-8a527460aa84'] })).toBe(true);
    expect(advertMatches(advert, { namePrefixes: ['Thermo', 'SensorNode-'] })).toBe(true);
    expect(advertMatches(advert, { companyIds: [0x004c, 0x0059] })).toBe(true);
    expect(advertMatches(advert, { serviceUuids: ['0000180f-0000-1000-8000-00805f9b34fb'], namePrefixes: ['Thermo'], companyIds: [0x004c] })).toBe(false);
    expect(advertMatches({ ...advert, name: null }, { namePrefixes: [''] })).toBe(false);
  });
});

test('a device is named by its name and address, or its address alone', () => {
  expect(bleDeviceLabel('C0:FF:EE:00:00:01', 'SensorNode-0042')).toBe('SensorNode-0042 (C0:FF:EE:00:00:01)');
  expect(bleDeviceLabel('C0:FF:EE:00:00:01', null)).toBe('C0:FF:EE:00:00:01');
});

describe('withDeadline', () => {
  const where = { device: 'Node (C0:FF:EE:00:00:01)', step: 'read battery', hint: 'Bring it closer.' };

  test('passes on the result or the failure of work that finishes in time', async () => {
    expect(await withDeadline(Promise.resolve(5), { ms: 100, ...where })).toBe(5);
    await expect(withDeadline(Promise.reject(new Error('boom')), { ms: 100, ...where })).rejects.toThrow('boom');
  });

  test('a deadline passed is a time-out naming the device and step, and the caller may undo the work', async () => {
    let undone = 0;
    const error = await fieldbenchErrorOf(withDeadline(new Promise(() => {}), { ms: 20, ...where, onGiveUp: () => (undone += 1) }));
    expect(error).toMatchObject({ code: 'timeout', message: 'no answer within 20 ms', ...where });
    expect(undone).toBe(1);
  });

  test('an abort, before or during the wait, ends it at once', async () => {
    const controller = new AbortController();
    const waiting = fieldbenchErrorOf(withDeadline(new Promise(() => {}), { ms: 10_000, signal: controller.signal, ...where }));
    controller.abort();
    expect((await waiting).message).toBe('read battery was cancelled');
    expect((await fieldbenchErrorOf(withDeadline(new Promise(() => {}), { ms: 10_000, signal: controller.signal, ...where }))).code).toBe('unavailable');
  });
});
