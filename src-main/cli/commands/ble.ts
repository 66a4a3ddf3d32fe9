// `fieldbench ble scan --seconds N [--all] [--json]`: what is advertising nearby, and
// `fieldbench diag --ble ADDRESS`: a BLE device's diagnostics over GATT. `--virtual-ble`
// puts a virtual sensor node on a private bus in this command's own core first.
import { FieldbenchError } from '../../api/errors';
import { BleAddress, type BleScanAdvert, type Device } from '../../api/schemas';
import type { Core } from '../../core/core';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table, UsageError } from '../output';
import { printReport } from './diag';

/** How long `diag --ble` scans for a device it has not heard yet. */
const FIND_SECONDS = 10;

export async function attachVirtualBle(core: Core, virtualBle: boolean): Promise<Device | null> {
  return virtualBle ? call(core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' }) : null;
}

export async function bleScanCommand(
  session: CoreSessionOptions,
  options: { seconds: number; showAll: boolean; virtualBle: boolean },
  json: boolean,
  signal: AbortSignal,
): Promise<number> {
  return withCore(session, async (core) => {
    await attachVirtualBle(core, options.virtualBle);
    const printed = new Map<string, string>();
    let latest: BleScanAdvert[] = [];
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const off = core.events.on('ble.adverts', (list) => {
      latest = list.adverts;
      if (json) {
        for (const advert of list.adverts) {
          // One line per change a person would notice: seen-at alone moving is not one.
          const fingerprint = JSON.stringify({ ...advert, seenAt: null });
          if (printed.get(advert.address) === fingerprint) continue;
          printed.set(advert.address, fingerprint);
          printJson(session.io, advert);
        }
      }
      if (!list.state.scanning) resolveDone();
    });
    const stop = () => void call(core, 'ble.stopScan', {}).catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      const state = await call(core, 'ble.scan', { seconds: options.seconds, showAll: options.showAll });
      if (state.scanning) await done;
    } finally {
      off();
      signal.removeEventListener('abort', stop);
    }
    if (!json) {
      if (latest.length === 0) {
        session.io.out(options.showAll ? 'No BLE devices heard.' : 'No BLE device a profile recognises was heard (--all lists every device).');
        return EXIT_OK;
      }
      session.io.out(table([['ADDRESS', 'NAME', 'RSSI', 'PROFILE', 'SERVICES'], ...latest.map(advertRow)]));
    }
    return EXIT_OK;
  });
}

/** An address as given (any case, spaces around), as BlueZ writes it; a usage error when it is not one. */
export function parseBleAddress(address: string): string {
  const wanted = address.trim().toUpperCase();
  if (!BleAddress.safeParse(wanted).success) throw new UsageError(`--ble takes a Bluetooth address such as C0:DE:00:00:00:01, not '${address}'`);
  return wanted;
}

export async function bleDiagCommand(session: CoreSessionOptions, address: string, virtualBle: boolean, json: boolean): Promise<number> {
  const wanted = parseBleAddress(address);
  return withCore(session, async (core) => {
    await attachVirtualBle(core, virtualBle);
    const device = await heardDevice(core, wanted);
    const report = await call(core, 'diagnostics.read', { deviceId: device.id });
    const identified = { ...device, identity: report.identity ?? device.identity };
    if (json) {
      printJson(session.io, { device: identified, ...report });
      return EXIT_OK;
    }
    printReport(session.io, identified, device.path, report);
    return EXIT_OK;
  });
}

/** The device at `address`, scanning for it (show all: diag needs no profile to find it) when not yet heard. */
export async function heardDevice(core: Core, address: string): Promise<Device> {
  const id = `ble:${address}`;
  const listed = (devices: Device[]) => devices.find((device) => device.id === id);
  const known = listed(await call(core, 'devices.list', {}));
  if (known) return known;
  let resolveFound: (device: Device | null) => void = () => undefined;
  const found = new Promise<Device | null>((resolve) => (resolveFound = resolve));
  const offDevices = core.events.on('devices.changed', (devices) => {
    const device = listed(devices);
    if (device) resolveFound(device);
  });
  const offAdverts = core.events.on('ble.adverts', (list) => {
    if (!list.state.scanning) resolveFound(null);
  });
  try {
    await call(core, 'ble.scan', { seconds: FIND_SECONDS, showAll: true });
    const device = (await found) ?? listed(await call(core, 'devices.list', {}));
    if (device) return device;
  } finally {
    offDevices();
    offAdverts();
    await call(core, 'ble.stopScan', {});
  }
  throw new FieldbenchError({
    code: 'not-found',
    message: `not heard in a ${FIND_SECONDS} s scan`,
    device: address,
    step: 'find device',
    hint: 'Check the address (fieldbench ble scan --all lists what advertises), that the device is on and in range.',
  });
}

function advertRow(advert: BleScanAdvert): string[] {
  return [
    advert.address,
    advert.name ?? '—',
    advert.rssi === null ? '—' : `${advert.rssi} dBm`,
    advert.profileId ?? '—',
    advert.serviceUuids.join(' '),
  ];
}
