// Diagnostics of a BLE device over one GATT connection: Device Information (every
// characteristic the device has), Battery level, then the characteristics its profile
// declares. A characteristic the device lacks, or whose value is malformed, is an error
// reading naming it; only a lost connection ends the read.
import { isFieldbenchError } from '../../api/errors';
import type { DiagnosticsReport, Reading } from '../../api/schemas';
import { type BleConnection, type BleServiceInfo, withDeadline } from '../../transports/ble/ble-central';
import { characteristicName, gattReading } from '../diagnostics/gatt-value';
import {
  BATTERY_LEVEL_READING,
  BATTERY_LEVEL_UUID,
  BATTERY_SERVICE_UUID,
  DEVICE_INFORMATION_CHARACTERISTICS,
  DEVICE_INFORMATION_SERVICE_UUID,
  batteryLevelReading,
  deviceInformationReading,
  identityFromDeviceInformation,
} from '../diagnostics/gatt-standard-readings';
import type { DeviceProfile, GattDiagnosticSpec } from '../profiles/profile-types';

export interface GattDiagnosticsOptions {
  deviceId: string;
  now: () => Date;
  /** How long a 'notify' characteristic that cannot be read may take to send its first value. */
  notifyDeadlineMs?: number;
}

const DEFAULT_NOTIFY_DEADLINE_MS = 3_000;

export async function readGattDiagnostics(
  connection: BleConnection,
  profile: DeviceProfile,
  options: GattDiagnosticsOptions,
): Promise<DiagnosticsReport> {
  const { now } = options;
  const startedAt = now().toISOString();
  const services = await connection.services();
  const flagsOf = (service: string, characteristic: string): string[] | null =>
    services.find((s) => s.uuid === service)?.characteristics.find((c) => c.uuid === characteristic)?.flags ?? null;

  const readings: Reading[] = [];
  const information = services.find((s) => s.uuid === DEVICE_INFORMATION_SERVICE_UUID);
  for (const characteristic of DEVICE_INFORMATION_CHARACTERISTICS) {
    // Device Information's characteristics are each optional: only those present are shown.
    if (!information?.characteristics.some((c) => c.uuid === characteristic.uuid)) continue;
    const bytes = await readOrProblem(connection, DEVICE_INFORMATION_SERVICE_UUID, characteristic.uuid);
    readings.push(
      bytes instanceof Uint8Array
        ? deviceInformationReading(characteristic, bytes, now())
        : errorReading(characteristic.id, characteristic.label, null, bytes.problem, now()),
    );
  }
  const identity = identityFromDeviceInformation(readings);

  if (flagsOf(BATTERY_SERVICE_UUID, BATTERY_LEVEL_UUID)) {
    const bytes = await readOrProblem(connection, BATTERY_SERVICE_UUID, BATTERY_LEVEL_UUID);
    readings.push(
      bytes instanceof Uint8Array
        ? batteryLevelReading(bytes, now())
        : errorReading(BATTERY_LEVEL_READING.id, BATTERY_LEVEL_READING.label, '%', bytes.problem, now()),
    );
  }

  for (const spec of profile.ble?.diagnostics ?? []) {
    readings.push(await readSpec(connection, spec, flagsOf(spec.service, spec.characteristic), services, options));
  }

  return { deviceId: options.deviceId, profileId: profile.id, identity, readings, startedAt, finishedAt: now().toISOString() };
}

async function readSpec(
  connection: BleConnection,
  spec: GattDiagnosticSpec,
  flags: string[] | null,
  services: BleServiceInfo[],
  options: GattDiagnosticsOptions,
): Promise<Reading> {
  const unit = spec.parser.type === 'integer' ? (spec.parser.unit ?? null) : null;
  if (!flags) {
    const where = services.some((s) => s.uuid === spec.service)
      ? `its service ${characteristicName(spec.service)} has no characteristic ${characteristicName(spec.characteristic)}`
      : `it has no service ${characteristicName(spec.service)}`;
    return errorReading(spec.id, spec.label, unit, `${spec.label} cannot be read: ${where}`, options.now());
  }
  const notifies = flags.includes('notify') || flags.includes('indicate');
  const value =
    spec.mode === 'notify' && notifies && !flags.includes('read')
      ? await firstNotification(connection, spec, options.notifyDeadlineMs ?? DEFAULT_NOTIFY_DEADLINE_MS)
      : await readOrProblem(connection, spec.service, spec.characteristic);
  if (!(value instanceof Uint8Array)) return errorReading(spec.id, spec.label, unit, value.problem, options.now());
  return gattReading(spec, value, options.now());
}

/** The first notification after subscribing, for a characteristic that offers no read. */
async function firstNotification(connection: BleConnection, spec: GattDiagnosticSpec, deadlineMs: number): Promise<Uint8Array | { problem: string }> {
  let unsubscribe: (() => Promise<void>) | null = null;
  try {
    const first = new Promise<Uint8Array>((resolve, reject) => {
      connection.subscribe(spec.service, spec.characteristic, resolve).then((stop) => {
        unsubscribe = stop;
      }, reject);
    });
    return await withDeadline(first, {
      ms: deadlineMs,
      device: connection.label,
      step: `wait for ${spec.label}`,
      hint: 'The device did not notify a value; check that it is measuring.',
    });
  } catch (error) {
    if (!isFieldbenchError(error) || !connection.connected) throw error;
    return { problem: `${spec.label}: no notification within ${deadlineMs} ms` };
  } finally {
    const stop = unsubscribe as (() => Promise<void>) | null;
    await stop?.().catch(() => undefined);
  }
}

/** A read's bytes, or the reason it failed while the connection holds (a lost connection throws). */
async function readOrProblem(connection: BleConnection, service: string, characteristic: string): Promise<Uint8Array | { problem: string }> {
  try {
    return await connection.read(service, characteristic);
  } catch (error) {
    if (!isFieldbenchError(error) || !connection.connected) throw error;
    return { problem: `${characteristicName(characteristic)} could not be read: ${error.message}` };
  }
}

function errorReading(id: string, label: string, unit: string | null, message: string, readAt: Date): Reading {
  return { id, label, value: null, unit, status: 'error', limits: null, message, readAt: readAt.toISOString() };
}
