// `fieldbench diag --port PATH [--json]`: recognise the device on a port and read its diagnostics
// (`diag --ble ADDRESS` is in ble.ts).
import type { Device, DiagnosticsReport, Reading } from '../../api/schemas';
import type { Core } from '../../core/core';
import { FieldbenchError } from '../../api/errors';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table, type Io } from '../output';

/** The device on a port, recognised from a profile, or a clear error saying why not. */
export async function identifiedDevice(core: Core, port: string): Promise<Device> {
  const device = await call(core, 'devices.addPort', { path: port });
  if (!device.profileId) {
    throw new FieldbenchError({
      code: 'profile-error',
      message: 'no device profile recognised the device',
      device: port,
      step: 'identify',
      hint: device.stateDetail ?? 'Check the baud rate and that a profile for this device family is in device-profiles/.',
    });
  }
  return device;
}

export async function diagCommand(session: CoreSessionOptions, port: string, json: boolean): Promise<number> {
  return withCore(session, async (core) => {
    const device = await identifiedDevice(core, port);
    const report = await call(core, 'diagnostics.read', { deviceId: device.id });
    if (json) {
      printJson(session.io, { device: { ...device, identity: report.identity ?? device.identity }, ...report });
      return EXIT_OK;
    }
    printReport(session.io, device, port, report);
    return EXIT_OK;
  });
}

/** The device's name, where it is, who it says it is, then a table of its readings. */
export function printReport(io: Io, device: Device, where: string, report: DiagnosticsReport): void {
  const identity = report.identity ?? device.identity;
  io.out(
    `${device.profileName ?? '?'} on ${where}: ${identity ? `${identity.model}, serial ${identity.serialNumber}, firmware ${identity.firmwareVersion}` : 'identity unknown'}`,
  );
  io.out(table([['STATUS', 'READING', 'VALUE', 'NOTE'], ...report.readings.map(readingRow)]));
}

function readingRow(reading: Reading): string[] {
  const value = reading.value === null ? '—' : `${String(reading.value)}${reading.unit ? ` ${reading.unit}` : ''}`;
  return [reading.status.toUpperCase(), reading.label, value, reading.message ?? reading.limits ?? ''];
}
