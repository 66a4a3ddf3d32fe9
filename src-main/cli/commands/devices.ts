// `fieldbench devices [--json]`: what is plugged in now (serial and USB, and a virtual BLE node), recognised from the
// profiles, with a line for each kind of discovery that cannot see everything here.
import type { Device, DiscoveryStatus } from '../../api/schemas';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table } from '../output';
import { attachVirtualUsb, type VirtualUsbRequest } from '../usb-target';
import { attachVirtualBle } from './ble';

/** "usb: <what failed and what to do>" for each degraded transport, for stderr. */
export function usbStatusLines(discovery: readonly DiscoveryStatus[]): string[] {
  return discovery.filter((status) => status.note).map((status) => `${status.transport}: ${status.note}`);
}

export async function devicesCommand(
  session: CoreSessionOptions,
  json: boolean,
  virtualUsb: VirtualUsbRequest | null = null,
  virtualBle = false,
): Promise<number> {
  return withCore(session, async (core) => {
    await attachVirtualUsb(core, virtualUsb);
    await attachVirtualBle(core, virtualBle);
    await core.ready();
    const devices = await call(core, 'devices.list', {});
    const info = await call(core, 'system.info', {});
    if (json) {
      printJson(session.io, { devices, discovery: info.discovery });
      return EXIT_OK;
    }
    for (const line of usbStatusLines(info.discovery)) session.io.err(line);
    if (devices.length === 0) {
      session.io.out('No devices found. Plug one in, or run `fieldbench sim sensor-node` to attach a virtual one.');
      return EXIT_OK;
    }
    session.io.out(table([['PORT', 'TRANSPORT', 'MODEL', 'SERIAL', 'FIRMWARE', 'STATE'], ...devices.map(deviceRow)]));
    return EXIT_OK;
  });
}

function deviceRow(device: Device): string[] {
  const dfu = device.usb?.dfu;
  return [
    device.path,
    dfu ? `usb (${dfu.mode === 'dfu' ? 'DFU mode' : 'DFU runtime'})` : device.transport,
    device.identity?.model ?? device.profileName ?? device.usb?.product ?? '?',
    device.identity?.serialNumber ?? device.usb?.serialNumber ?? '?',
    device.identity?.firmwareVersion ?? '?',
    device.stateDetail ? `${device.state} (${device.stateDetail})` : device.state,
  ];
}
