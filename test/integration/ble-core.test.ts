// BLE through the core's contract: a private dbus-daemon, a simulated BlueZ with a virtual
// sensor node (and a device no profile knows), and the real node-ble behind NodeBleCentral.
// Scanning, the device list, diagnostics over GATT, a device out of range, and the status
// line when BlueZ is missing or the adapter is off, with serial devices still working.
import { afterEach, describe, expect, it } from 'vitest';
import type { BleAdvertList } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import { NodeBleCentral } from '../../src-main/transports/ble/node-ble-central';
import { type PrivateDbus, startPrivateDbus } from '../../src-main/virtual/ble/private-dbus';
import { type SimulatedBleDeviceHandle, SimulatedBluez } from '../../src-main/virtual/ble/simulated-bluez';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { fails, ok, PROFILES_DIR } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

const NODE = 'C0:FF:EE:00:00:51';
const STRANGER = 'C0:FF:EE:00:00:99';

interface Rig {
  bus: PrivateDbus;
  bluez: SimulatedBluez | null;
  node: SimulatedBleDeviceHandle | null;
  core: Core;
  dir: { path: string; remove(): void };
  adverts: BleAdvertList[];
}

let rig: Rig | null = null;

async function startRig(options: { bluez?: boolean } = {}): Promise<Rig> {
  const bus = await startPrivateDbus();
  let bluez: SimulatedBluez | null = null;
  let node: SimulatedBleDeviceHandle | null = null;
  if (options.bluez !== false) {
    bluez = await SimulatedBluez.start({ busAddress: bus.address, timeScale: 0.05, advertIntervalMs: 40 });
    node = bluez.addSensorNode({ node: new SensorNodeSimulator({ seed: 5, timeScale: 0 }), address: NODE, rssi: -60, faults: { rssiDriftDbm: 8 } });
    bluez.addDevice({ address: STRANGER, name: 'Kettle', rssi: -80, advertisedUuids: ['0000feaa-0000-1000-8000-00805f9b34fb'] }, { services: [], connected: () => undefined, disconnected: () => undefined });
  }
  const dir = makeTempDir('fieldbench-ble-core-');
  const core = await createCore({
    dataDir: dir.path,
    profilesDir: PROFILES_DIR,
    checkResponses: true,
    discoveryIntervalMs: 0,
    virtualTimeScale: 0,
    bleCentral: new NodeBleCentral({ busAddress: bus.address, platform: 'linux', scanPollMs: 40, callTimeoutMs: 3_000 }),
  });
  const adverts: BleAdvertList[] = [];
  core.events.on('ble.adverts', (list) => adverts.push(list));
  rig = { bus, bluez, node, core, dir, adverts };
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  await rig.core.close();
  await rig.bluez?.stop();
  await rig.bus.stop();
  rig.dir.remove();
  rig = null;
});

async function until<T>(what: string, check: () => T | undefined | null | false, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

describe('BLE in the core', () => {
  it('scans: the sensor node is listed with its profile and a moving RSSI; a device no profile knows stays out of the list', async () => {
    const r = await startRig();
    const state = await ok(r.core, 'ble.scan', { seconds: 3 });
    expect(state).toMatchObject({ scanning: true, showAll: false, problem: null });
    const info = await ok(r.core, 'system.info', {});
    expect(info.discovery.find((d) => d.transport === 'ble')).toMatchObject({ available: true, method: expect.stringMatching(/scanning/) });

    const rssis = new Set<number>();
    await until('two RSSI values for the node', () => {
      for (const list of r.adverts) for (const advert of list.adverts) if (advert.address === NODE && advert.rssi !== null) rssis.add(advert.rssi);
      return rssis.size >= 2;
    });
    const last = r.adverts.at(-1)!;
    expect(last.adverts.find((a) => a.address === NODE)).toMatchObject({ profileId: 'fieldbench-sensor-node', name: expect.any(String) });
    expect(last.adverts.some((a) => a.address === STRANGER)).toBe(false);

    const devices = await ok(r.core, 'devices.list', {});
    const node = devices.find((d) => d.id === `ble:${NODE}`);
    expect(node).toMatchObject({ transport: 'ble', path: `ble ${NODE}`, profileId: 'fieldbench-sensor-node', state: 'ready', ble: { address: NODE, connected: false } });
    expect(devices.some((d) => d.id === `ble:${STRANGER}`)).toBe(false);

    const stopped = await ok(r.core, 'ble.stopScan', {});
    expect(stopped).toMatchObject({ scanning: false, endsAt: null });
    expect(r.adverts.at(-1)!.state.scanning).toBe(false);
  });

  it('with show all, lists the device no profile knows too, as unknown', async () => {
    const r = await startRig();
    await ok(r.core, 'ble.scan', { seconds: 3, showAll: true });
    await until('the stranger in the adverts', () => r.adverts.at(-1)?.adverts.find((a) => a.address === STRANGER && a.profileId === null));
    await ok(r.core, 'ble.stopScan', {});
    const stranger = (await ok(r.core, 'devices.list', {})).find((d) => d.id === `ble:${STRANGER}`);
    expect(stranger).toMatchObject({ profileId: null, state: 'unknown' });
  });

  it('reads diagnostics over GATT: identity from Device Information, readings judged against the profile', async () => {
    const r = await startRig();
    await ok(r.core, 'ble.scan', { seconds: 3 });
    await until('the node in the list', () => r.adverts.at(-1)?.adverts.some((a) => a.address === NODE));
    await ok(r.core, 'ble.stopScan', {});
    const report = await ok(r.core, 'diagnostics.read', { deviceId: `ble:${NODE}` });
    expect(report.identity).toMatchObject({ model: expect.any(String), serialNumber: expect.any(String), firmwareVersion: expect.any(String) });
    const byId = new Map(report.readings.map((reading) => [reading.id, reading]));
    for (const id of ['model', 'serial-number', 'firmware-revision', 'battery-level', 'temperature', 'uptime']) {
      expect(byId.get(id), id).toBeDefined();
      expect(byId.get(id)!.status, `${id}: ${byId.get(id)!.message}`).not.toBe('error');
    }
    expect(byId.get('temperature')).toMatchObject({ unit: '°C', limits: expect.any(String) });
    expect(typeof byId.get('temperature')!.value).toBe('number');
    expect(byId.get('battery-level')!.value).toBeGreaterThanOrEqual(0);

    const device = (await ok(r.core, 'devices.list', {})).find((d) => d.id === `ble:${NODE}`)!;
    expect(device.identity).toEqual(report.identity);
    expect(device.ble).toMatchObject({ connected: false, mtu: null });
    expect(await ok(r.core, 'diagnostics.last', { deviceId: `ble:${NODE}` })).toEqual(report);

    const opened = await ok(r.core, 'cases.open', { title: 'BLE node', deviceId: `ble:${NODE}` });
    expect(opened.device).toMatchObject({ transport: 'ble', deviceId: `ble:${NODE}` });
    expect(opened.snapshot?.readings.length).toBe(report.readings.length);
  });

  it('a device out of range fails with an error naming it and the step', async () => {
    const r = await startRig();
    await ok(r.core, 'ble.scan', { seconds: 3 });
    await until('the node in the list', () => r.adverts.at(-1)?.adverts.some((a) => a.address === NODE));
    await ok(r.core, 'ble.stopScan', {});
    r.node!.setFaults({ outOfRange: true });
    const error = await fails(r.core, 'diagnostics.read', { deviceId: `ble:${NODE}` });
    // BlueZ still lists a device it stopped hearing, and its Connect fails: le-connection-abort-by-local.
    expect(['timeout', 'device-gone', 'device-error']).toContain(error.code);
    expect(error.device).toContain(NODE);
    expect(error.step).toMatch(/connect|find device|resolve services/);
    expect(error.hint).toBeTruthy();
    const device = (await ok(r.core, 'devices.list', {})).find((d) => d.id === `ble:${NODE}`)!;
    expect(device.state).toBe('unresponsive');
  }, 20_000);

  it('without BlueZ on the bus: the BLE line says so and what to do, a scan fails with it, serial and USB devices still work', async () => {
    const r = await startRig({ bluez: false });
    const info = await ok(r.core, 'system.info', {});
    const ble = info.discovery.find((d) => d.transport === 'ble');
    expect(ble).toMatchObject({ available: false, note: expect.stringMatching(/BlueZ|bluetooth/i) });
    const error = await fails(r.core, 'ble.scan', { seconds: 2 });
    expect(error).toMatchObject({ code: 'unavailable', hint: ble!.note });
    const serial = await ok(r.core, 'devices.attachVirtual', { model: 'sensor-node' });
    expect(serial.transport).toBe('serial');
    expect((await ok(r.core, 'diagnostics.read', { deviceId: serial.id })).identity?.model).toBe('sensor-node');
    const usb = await ok(r.core, 'devices.attachVirtual', { model: 'dfu-gadget' });
    expect(usb.transport).toBe('usb');
    expect(info.discovery.map((d) => d.transport)).toEqual(['serial', 'usb', 'ble']);
  });

  it('without any D-Bus: the core starts, and the BLE line says D-Bus cannot be reached and what to start', async () => {
    const dir = makeTempDir('fieldbench-ble-core-');
    const core = await createCore({
      dataDir: dir.path,
      profilesDir: PROFILES_DIR,
      checkResponses: true,
      discoveryIntervalMs: 0,
      bleCentral: new NodeBleCentral({ busAddress: `unix:path=${dir.path}/no-such-bus`, platform: 'linux' }),
    });
    try {
      const ble = (await ok(core, 'system.info', {})).discovery.find((d) => d.transport === 'ble');
      expect(ble).toMatchObject({ available: false, note: expect.stringMatching(/D-Bus.*(start|Start)/) });
    } finally {
      await core.close();
      dir.remove();
    }
  });

  it('with no adapter: the BLE line says to plug one in', async () => {
    const r = await startRig();
    r.bluez!.setFaults({ noAdapter: true });
    const ble = (await ok(r.core, 'system.info', {})).discovery.find((d) => d.transport === 'ble');
    expect(ble).toMatchObject({ available: false, note: expect.stringMatching(/no Bluetooth adapter.*Plug in/i) });
  });

  it('with the adapter powered off: the BLE line says to turn it on', async () => {
    const r = await startRig();
    r.bluez!.setFaults({ poweredOff: true });
    const ble = (await ok(r.core, 'system.info', {})).discovery.find((d) => d.transport === 'ble');
    expect(ble).toMatchObject({ available: false, note: expect.stringMatching(/power|turn it on/i) });
  });

  it('attaches a virtual sensor node over BLE on its own private bus, and detaches it', async () => {
    const r = await startRig({ bluez: false });
    const device = await ok(r.core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' });
    expect(device).toMatchObject({ transport: 'ble', virtual: true, profileId: 'fieldbench-sensor-node' });
    const report = await ok(r.core, 'diagnostics.read', { deviceId: device.id });
    expect(report.identity?.model).toBeTruthy();
    await ok(r.core, 'devices.detach', { deviceId: device.id });
    expect((await ok(r.core, 'devices.list', {})).some((d) => d.id === device.id)).toBe(false);
  }, 20_000);
});

describe('several virtual BLE nodes', () => {
  it('share one private bus: each has its own address, they are read apart, and the air stops with the last', async () => {
    const r = await startRig({ bluez: false });
    const first = await ok(r.core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' });
    // A scan running while the second node is put on the air hears both.
    await ok(r.core, 'ble.scan', { seconds: 5 });
    const second = await ok(r.core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' });
    expect(second.id).not.toBe(first.id);
    expect(first.ble?.address).toMatch(/^C0:DE:/);
    await until('both in the scan', () => r.adverts.at(-1)?.adverts.filter((a) => a.profileId === 'fieldbench-sensor-node').length === 2);
    await ok(r.core, 'ble.stopScan', {});
    const [a, b] = await Promise.all([ok(r.core, 'diagnostics.read', { deviceId: first.id }), ok(r.core, 'diagnostics.read', { deviceId: second.id })]);
    expect(a.identity?.serialNumber).not.toBe(b.identity?.serialNumber);

    await ok(r.core, 'devices.detach', { deviceId: first.id });
    expect((await ok(r.core, 'system.info', {})).discovery.find((d) => d.transport === 'ble')?.method).toMatch(/virtual nodes/);
    await ok(r.core, 'devices.detach', { deviceId: second.id });
    const ble = (await ok(r.core, 'system.info', {})).discovery.find((d) => d.transport === 'ble');
    expect(ble?.method ?? '').not.toMatch(/virtual nodes/);
    expect((await ok(r.core, 'devices.list', {})).filter((d) => d.transport === 'ble')).toEqual([]);
  }, 40_000);
});
