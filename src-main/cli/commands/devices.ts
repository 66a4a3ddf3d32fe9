// `fieldbench devices [--json]`: what is plugged in now, recognised from the profiles.
import type { Device } from '../../api/schemas';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table } from '../output';

export async function devicesCommand(session: CoreSessionOptions, json: boolean): Promise<number> {
  return withCore(session, async (core) => {
    await core.ready();
    const devices = await call(core, 'devices.list', {});
    const info = await call(core, 'system.info', {});
    if (json) {
      printJson(session.io, { devices, discovery: info.discovery });
      return EXIT_OK;
    }
    for (const status of info.discovery) if (status.note) session.io.err(`${status.transport}: ${status.note}`);
    if (devices.length === 0) {
      session.io.out('No devices found. Plug one in, or run `fieldbench sim sensor-node` to attach a virtual one.');
      return EXIT_OK;
    }
    session.io.out(table([['PORT', 'TRANSPORT', 'MODEL', 'SERIAL', 'FIRMWARE', 'STATE'], ...devices.map(deviceRow)]));
    return EXIT_OK;
  });
}

function deviceRow(device: Device): string[] {
  return [
    device.path,
    device.transport,
    device.identity?.model ?? device.profileName ?? '?',
    device.identity?.serialNumber ?? device.usb?.serialNumber ?? '?',
    device.identity?.firmwareVersion ?? '?',
    device.stateDetail ? `${device.state} (${device.stateDetail})` : device.state,
  ];
}
