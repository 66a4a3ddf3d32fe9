// `fieldbench ble scan --seconds N [--all] [--json]`: what is advertising nearby,
// `fieldbench ble follow ADDRESS [--seconds N]`: a BLE device's values and log as they come,
// and `fieldbench diag --ble ADDRESS`: a BLE device's diagnostics over GATT. `--virtual-ble`
// puts a virtual sensor node on a private bus in this command's own core first.
import { FieldbenchError } from '../../api/errors';
import { BleAddress, type BleFollowState, type BleScanAdvert, type Device, type Reading } from '../../api/schemas';
import { clockTime } from '../../core/clock-time';
import type { Core } from '../../core/core';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table, UsageError, type Io } from '../output';
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

/**
 * Follows a device until `seconds` have passed or `signal` aborts (Ctrl-C), printing its
 * values, log lines and follow state as they arrive; the virtual node when no address is given.
 */
export async function bleFollowCommand(
  session: CoreSessionOptions,
  options: { address: string | null; seconds: number | null; virtualBle: boolean },
  json: boolean,
  signal: AbortSignal,
): Promise<number> {
  const wanted = options.address === null ? null : bleAddress(options.address, 'ble follow');
  if (wanted === null && !options.virtualBle) throw new UsageError('ble follow needs a Bluetooth address such as C0:DE:00:00:00:01 (or --virtual-ble)');
  return withCore(session, async (core) => {
    const virtual = await attachVirtualBle(core, options.virtualBle);
    const device = wanted === null ? virtual! : await heardDevice(core, wanted);
    const { io } = session;
    /** The follow ended without being asked (the device left the list): a failure, not a clean stop. */
    const outcome: { endedBySelf: BleFollowState | null } = { endedBySelf: null };
    let unfollowing = false;
    let stopFollowing: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stopFollowing = resolve));
    const offs = [
      core.events.on('ble.values', (event) => {
        if (event.deviceId !== device.id) return;
        if (json) printJson(io, { type: 'values', ...event });
        else for (const reading of event.readings) io.out(`${clockTime(new Date(reading.readAt))} ${readingText(reading)}`);
      }),
      core.events.on('logs.lines', (event) => {
        if (event.deviceId !== device.id) return;
        for (const line of event.lines) {
          if (json) printJson(io, { type: 'log', deviceId: event.deviceId, source: event.source, ...line });
          else io.out(`${clockTime(new Date(line.at))} [log] ${line.text}`);
        }
      }),
      core.events.on('ble.follow', (state) => {
        if (state.deviceId !== device.id) return;
        printState(io, state, json);
        if (!state.following && !unfollowing) {
          outcome.endedBySelf = state;
          stopFollowing();
        }
      }),
    ];
    const timer = options.seconds === null ? null : setTimeout(stopFollowing, options.seconds * 1000);
    signal.addEventListener('abort', stopFollowing, { once: true });
    try {
      await call(core, 'ble.follow', { deviceId: device.id });
      await stopped;
      if (!outcome.endedBySelf) {
        // Its last lines and its final state come as it stops, so listening goes on until then.
        unfollowing = true;
        await call(core, 'ble.unfollow', { deviceId: device.id });
      }
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', stopFollowing);
      for (const off of offs) off();
    }
    const ended = outcome.endedBySelf;
    if (ended) {
      throw new FieldbenchError({
        code: 'device-gone',
        message: ended.problem ?? 'the follow ended',
        device: device.path,
        step: 'follow',
        hint: 'Check that the device is on and in range, then follow it again.',
      });
    }
    return EXIT_OK;
  });
}

function printState(io: Io, state: BleFollowState, json: boolean): void {
  if (json) {
    printJson(io, { type: 'state', ...state });
    return;
  }
  const what = !state.following ? 'stopped following' : state.log ? 'following, with its UART log' : 'following';
  io.out(`${clockTime(new Date())} [state] ${what}${state.problem ? `: ${state.problem}` : ''}`);
}

/** "Battery level 87 %", "Temperature 91.2 °C (fail: ...)", or what went wrong reading it. */
function readingText(reading: Reading): string {
  if (reading.value === null) return `${reading.label}: ${reading.status} (${reading.message ?? 'no value'})`;
  const value = `${reading.label} ${String(reading.value)}${reading.unit ? ` ${reading.unit}` : ''}`;
  return reading.status === 'ok' ? value : `${value} (${reading.status}${reading.message ? `: ${reading.message}` : ''})`;
}

function bleAddress(address: string, command: string): string {
  const wanted = address.trim().toUpperCase();
  if (!BleAddress.safeParse(wanted).success) throw new UsageError(`${command} takes a Bluetooth address such as C0:DE:00:00:00:01, not '${address}'`);
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
