// The readings every BLE device may offer whatever its profile: Device Information (0x180A)
// and Battery (0x180F), as the Bluetooth SIG defines them. Like gatt-value.ts, each value
// becomes a Reading and nothing here throws: a malformed value is an error reading.
import type { DeviceIdentity, Reading } from '../../api/schemas';
import { canonicalBleUuid } from '../../transports/ble/ble-uuid';
import type { NumberLimits } from '../profiles/profile-types';
import { gattReading, gattValueProblem, parseGattValue } from './gatt-value';
import { describeLimits, formatQuantity, judgeAgainstLimits } from './judge-reading';

export const DEVICE_INFORMATION_SERVICE_UUID = canonicalBleUuid('180a');
export const BATTERY_SERVICE_UUID = canonicalBleUuid('180f');
export const BATTERY_LEVEL_UUID = canonicalBleUuid('2a19');
export const PNP_ID_UUID = canonicalBleUuid('2a50');

export interface DeviceInformationCharacteristic {
  /** The reading's id; profiles may not give their own diagnostics these ids. */
  id: string;
  label: string;
  uuid: string;
}

/** Device Information's characteristics, in the order the device page shows them. */
export const DEVICE_INFORMATION_CHARACTERISTICS: readonly DeviceInformationCharacteristic[] = [
  { id: 'manufacturer', label: 'Manufacturer', uuid: canonicalBleUuid('2a29') },
  { id: 'model', label: 'Model', uuid: canonicalBleUuid('2a24') },
  { id: 'serial-number', label: 'Serial number', uuid: canonicalBleUuid('2a25') },
  { id: 'hardware-revision', label: 'Hardware revision', uuid: canonicalBleUuid('2a27') },
  { id: 'firmware-revision', label: 'Firmware revision', uuid: canonicalBleUuid('2a26') },
  { id: 'software-revision', label: 'Software revision', uuid: canonicalBleUuid('2a28') },
  { id: 'pnp-id', label: 'PnP ID', uuid: PNP_ID_UUID },
];

export const BATTERY_LEVEL_READING = { id: 'battery-level', label: 'Battery level' } as const;

/** The ids of the readings above: a profile's own GATT diagnostics must not take them. */
export const STANDARD_GATT_READING_IDS: ReadonlySet<string> = new Set([
  ...DEVICE_INFORMATION_CHARACTERISTICS.map((entry) => entry.id),
  BATTERY_LEVEL_READING.id,
]);

/** One Device Information characteristic's value: text, or the PnP ID in words. */
export function deviceInformationReading(characteristic: DeviceInformationCharacteristic, bytes: Uint8Array, readAt: Date): Reading {
  const spec = {
    id: characteristic.id,
    label: characteristic.label,
    service: DEVICE_INFORMATION_SERVICE_UUID,
    characteristic: characteristic.uuid,
    mode: 'read' as const,
  };
  if (characteristic.uuid !== PNP_ID_UUID) return gattReading({ ...spec, parser: { type: 'utf8' } }, bytes, readAt);
  const base = { id: spec.id, label: spec.label, unit: null, limits: null, readAt: readAt.toISOString() };
  const pnp = parsePnpId(bytes);
  if (!pnp.ok) return { ...base, value: null, status: 'error', message: gattValueProblem(spec.label, spec.characteristic, bytes, pnp.reason) };
  return { ...base, value: describePnpId(pnp.pnpId), status: 'ok', message: null };
}

export interface PnpId {
  /** Who assigned vendorId: the Bluetooth SIG (company identifiers) or the USB-IF (USB vendor ids). */
  vendorIdSource: 'bluetooth-sig' | 'usb-if';
  vendorId: number;
  productId: number;
  /** 0xJJMN by the Device Information Service's convention: major JJ, minor M, sub-minor N. */
  productVersion: number;
}

const PNP_ID_LENGTH = 7;
const VENDOR_ID_SOURCES: Record<number, PnpId['vendorIdSource']> = { 1: 'bluetooth-sig', 2: 'usb-if' };

/** PnP ID (0x2A50): vendor id source, then vendor id, product id and product version, each uint16 little-endian. */
export function parsePnpId(bytes: Uint8Array): { ok: true; pnpId: PnpId } | { ok: false; reason: string } {
  if (bytes.length !== PNP_ID_LENGTH) return { ok: false, reason: `a PnP ID is exactly ${PNP_ID_LENGTH} bytes long` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vendorIdSource = VENDOR_ID_SOURCES[view.getUint8(0)];
  if (!vendorIdSource) {
    return { ok: false, reason: `vendor id source ${view.getUint8(0)} is neither 1 (Bluetooth SIG) nor 2 (USB-IF)` };
  }
  return {
    ok: true,
    pnpId: { vendorIdSource, vendorId: view.getUint16(1, true), productId: view.getUint16(3, true), productVersion: view.getUint16(5, true) },
  };
}

/** "Bluetooth SIG vendor 0x0059, product 0x5e05, version 1.2.3 (0x0123)". */
export function describePnpId(pnpId: PnpId): string {
  const hex = (value: number) => `0x${value.toString(16).padStart(4, '0')}`;
  const source = pnpId.vendorIdSource === 'bluetooth-sig' ? 'Bluetooth SIG' : 'USB-IF';
  const version = `${pnpId.productVersion >> 8}.${(pnpId.productVersion >> 4) & 0xf}.${pnpId.productVersion & 0xf}`;
  return `${source} vendor ${hex(pnpId.vendorId)}, product ${hex(pnpId.productId)}, version ${version} (${hex(pnpId.productVersion)})`;
}

const BATTERY_LEVEL_PARSER = { type: 'integer', signed: false, bytes: 1, unit: '%' } as const;

/**
 * Battery Level (0x2A19): one byte, a percentage. Anything above 100 is a device fault, not
 * a charge, so it is an error reading rather than a value judged against the limits.
 */
export function batteryLevelReading(bytes: Uint8Array, readAt: Date, limits?: NumberLimits): Reading {
  const { unit } = BATTERY_LEVEL_PARSER;
  const base = { ...BATTERY_LEVEL_READING, unit, readAt: readAt.toISOString() };
  const parsed = parseGattValue(BATTERY_LEVEL_PARSER, bytes);
  const problem = (reason: string): Reading => ({
    ...base,
    limits: null,
    value: null,
    status: 'error',
    message: gattValueProblem(base.label, BATTERY_LEVEL_UUID, bytes, reason),
  });
  if (!parsed.ok) return problem(parsed.reason);
  const percent = Number(parsed.value);
  if (percent > 100) return problem(`${percent} % is not a battery level, which goes up to 100 %`);
  const judged = judgeAgainstLimits(`${formatQuantity(percent, unit)} is`, percent, limits, unit);
  return { ...base, limits: describeLimits(limits, unit), value: percent, ...judged };
}

/**
 * Who the device says it is, from its Device Information readings: null unless model,
 * serial number and firmware revision all read as text, since a partial identity would
 * be taken for a different device.
 */
export function identityFromDeviceInformation(readings: readonly Reading[]): DeviceIdentity | null {
  const text = (id: string): string | undefined => {
    const reading = readings.find((entry) => entry.id === id && entry.status !== 'error');
    return typeof reading?.value === 'string' && reading.value.trim() !== '' ? reading.value.trim() : undefined;
  };
  const model = text('model');
  const serialNumber = text('serial-number');
  const firmwareVersion = text('firmware-revision');
  if (model === undefined || serialNumber === undefined || firmwareVersion === undefined) return null;
  const hardwareRevision = text('hardware-revision');
  return { model, serialNumber, firmwareVersion, ...(hardwareRevision === undefined ? {} : { hardwareRevision }) };
}
