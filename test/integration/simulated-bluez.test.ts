// The simulated BlueZ driven by node-ble, unmodified, over a private dbus-daemon: what a
// BLE central in Fieldbench will see. Each test gets its own bus, BlueZ and node.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import dbus from 'dbus-next';
import NodeBle from 'node-ble';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ImageCommand, OsCommand, SmpGroup } from '../../src-main/protocols/smp/smp-groups';
import { SmpOp, decodeSmpPacket, encodeSmpPacket } from '../../src-main/protocols/smp/smp-packet';
import { addressFromSerial, attachSensorNodeOnAir } from '../../src-main/virtual/ble/attach-ble-sensor-node';
import { attWritePayload } from '../../src-main/transports/ble/att';
import { bleLinkLimitBytesPerSecond } from '../../src-main/virtual/ble/ble-link-model';
import {
  BATTERY_LEVEL_UUID,
  BATTERY_SERVICE_UUID,
  DEVICE_INFORMATION_SERVICE_UUID,
  DeviceInformationUuid,
  FIELDBENCH_SENSOR_SERVICE_UUID,
  FIELDBENCH_TEMPERATURE_UUID,
  FIELDBENCH_UPTIME_UUID,
  NUS_RX_UUID,
  NUS_SERVICE_UUID,
  NUS_TX_UUID,
  SMP_CHARACTERISTIC_UUID,
  SMP_SERVICE_UUID,
} from '../../src-main/virtual/ble/gatt-uuids';
import { type PrivateDbus, startPrivateDbus } from '../../src-main/virtual/ble/private-dbus';
import { SimulatedBluez } from '../../src-main/virtual/ble/simulated-bluez';
import { attachSensorNodeInMemory } from '../../src-main/virtual/attach-sensor-node';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';

const ADDRESS = 'C0:FF:EE:00:00:01';
const MTU = 64;

/** The dbus-daemon processes running now (other test files may have their own). */
function dbusDaemons(): string[] {
  try {
    return execFileSync('pgrep', ['-x', 'dbus-daemon'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const ourDaemons: number[] = [];

interface Rig {
  bus: PrivateDbus;
  bluez: SimulatedBluez;
  node: SensorNodeSimulator;
  session: ReturnType<typeof NodeBle.createBluetooth>;
}

let rig: Rig | null = null;
const savedAddress = process.env.DBUS_SYSTEM_BUS_ADDRESS;

async function startRig(options: { mtu?: number; clock?: () => number; timeScale?: number } = {}): Promise<Rig> {
  const bus = await startPrivateDbus();
  ourDaemons.push(bus.pid);
  expect(dbusDaemons()).toContain(String(bus.pid));
  process.env.DBUS_SYSTEM_BUS_ADDRESS = bus.address;
  const bluez = await SimulatedBluez.start({ busAddress: bus.address, timeScale: options.timeScale ?? 0.2, advertIntervalMs: 50, staleDeviceTimeoutMs: 600 });
  const node = new SensorNodeSimulator({ seed: 7, timeScale: 0, ...(options.clock ? { clock: options.clock } : {}) });
  bluez.addSensorNode({ node, address: ADDRESS, rssi: -55, link: { mtu: options.mtu ?? MTU }, sensorPollMs: 50, logIntervalMs: 100, faults: { rssiDriftDbm: 6 } });
  const session = NodeBle.createBluetooth();
  rig = { bus, bluez, node, session };
  return rig;
}

async function connected(r: Rig) {
  const adapter = await r.session.bluetooth.defaultAdapter();
  await adapter.startDiscovery();
  const device = await adapter.waitDevice(ADDRESS, 5_000, 50);
  await device.connect();
  const gatt = await device.gatt();
  return { adapter, device, gatt };
}

afterEach(async () => {
  if (!rig) return;
  rig.session.destroy();
  await rig.bluez.stop();
  await rig.bus.stop();
  rig = null;
  process.env.DBUS_SYSTEM_BUS_ADDRESS = savedAddress;
});

afterAll(() => {
  expect(ourDaemons.length).toBeGreaterThan(0);
  const running = dbusDaemons();
  for (const pid of ourDaemons) expect(running).not.toContain(String(pid));
});

describe('simulated BlueZ through node-ble', () => {
  it('discovers the node only while discovering, with its advertised data and a moving RSSI', async () => {
    const r = await startRig();
    const adapter = await r.session.bluetooth.defaultAdapter();
    expect(await adapter.isPowered()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await adapter.devices()).toEqual([]);
    await adapter.startDiscovery();
    expect(await adapter.isDiscovering()).toBe(true);
    const device = await adapter.waitDevice(ADDRESS, 5_000, 50);
    expect(await device.getName()).toBe(`SensorNode-${r.node.serialNumber.slice(-4)}`);
    expect(await device.getAddressType()).toBe('random');
    const manufacturer = await device.getManufacturerData();
    expect(Buffer.from(manufacturer[0x59] as Buffer).toString()).toBe(r.node.serialNumber.slice(3));
    const rssis = new Set<number>();
    for (let i = 0; i < 20 && rssis.size < 3; i++) {
      // node-ble's types say string; BlueZ's RSSI is an int16, and that is what arrives.
      const rssi = Number(await device.getRSSI());
      expect(rssi).toBeGreaterThanOrEqual(-55 - 7);
      expect(rssi).toBeLessThanOrEqual(-55 + 7);
      rssis.add(rssi);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    expect(rssis.size).toBeGreaterThanOrEqual(3);
    await adapter.stopDiscovery();
    expect(await adapter.isDiscovering()).toBe(false);
  });

  it('connects, resolves services and reads Device Information, battery, temperature and uptime', async () => {
    const r = await startRig();
    const { device, gatt } = await connected(r);
    expect(await device.isConnected()).toBe(true);
    expect(await gatt.services()).toEqual(
      expect.arrayContaining([DEVICE_INFORMATION_SERVICE_UUID, BATTERY_SERVICE_UUID, FIELDBENCH_SENSOR_SERVICE_UUID, SMP_SERVICE_UUID, NUS_SERVICE_UUID]),
    );
    const info = await gatt.getPrimaryService(DEVICE_INFORMATION_SERVICE_UUID);
    const text = async (uuid: string) => (await (await info.getCharacteristic(uuid)).readValue()).toString('utf8');
    expect(await text(DeviceInformationUuid.serialNumber)).toBe(r.node.serialNumber);
    expect(await text(DeviceInformationUuid.firmwareRevision)).toBe('1.4.2');
    expect(await text(DeviceInformationUuid.modelNumber)).toBe('sensor-node');
    expect(await text(DeviceInformationUuid.hardwareRevision)).toBe('rev C');
    const pnp = await (await info.getCharacteristic(DeviceInformationUuid.pnpId)).readValue();
    expect(pnp.length).toBe(7);
    expect(pnp.readUInt16LE(5)).toBe(0x0142);

    const battery = await (await gatt.getPrimaryService(BATTERY_SERVICE_UUID)).getCharacteristic(BATTERY_LEVEL_UUID);
    expect((await battery.readValue())[0]).toBe(r.node.readSensors().batteryPercent);

    const sensor = await gatt.getPrimaryService(FIELDBENCH_SENSOR_SERVICE_UUID);
    const celsius = (await (await sensor.getCharacteristic(FIELDBENCH_TEMPERATURE_UUID)).readValue()).readInt16LE(0) / 100;
    expect(Math.abs(celsius - r.node.readSensors().temperatureCelsius)).toBeLessThan(0.5);
    const uptime = (await (await sensor.getCharacteristic(FIELDBENCH_UPTIME_UUID)).readValue()).readUInt32LE(0);
    expect(uptime).toBe(Math.floor(r.node.uptimeMs / 1000));
    await device.disconnect();
    expect(await device.isConnected()).toBe(false);
  });

  it('notifies the battery level when it changes', async () => {
    // The node's clock runs ahead on demand: ten minutes of uptime drain the battery visibly.
    let aheadMs = 0;
    const r = await startRig({ clock: () => Date.now() + aheadMs });
    const { gatt } = await connected(r);
    const battery = await (await gatt.getPrimaryService(BATTERY_SERVICE_UUID)).getCharacteristic(BATTERY_LEVEL_UUID);
    const levels: number[] = [];
    battery.on('valuechanged', (value: Buffer) => levels.push(value[0] ?? -1));
    await battery.startNotifications();
    const first = r.node.readSensors().batteryPercent;
    aheadMs = 900_000;
    const expected = r.node.readSensors().batteryPercent;
    await until(() => levels.includes(expected), 3_000);
    expect(levels.at(-1)).toBe(expected);
    expect(expected).toBeLessThan(first);
  });

  it('answers SMP echo and image state, a response longer than MTU − 3 arriving in pieces', async () => {
    const r = await startRig();
    const { gatt } = await connected(r);
    const smp = await (await gatt.getPrimaryService(SMP_SERVICE_UUID)).getCharacteristic(SMP_CHARACTERISTIC_UUID);
    const pieces: Buffer[] = [];
    smp.on('valuechanged', (value: Buffer) => pieces.push(value));
    await smp.startNotifications();

    const exchange = async (request: Uint8Array): Promise<Uint8Array> => {
      pieces.length = 0;
      // Written without response in pieces of at most MTU − 3 bytes, as a central must.
      for (let at = 0; at < request.length; at += attWritePayload(MTU)) {
        await smp.writeValue(Buffer.from(request.subarray(at, at + attWritePayload(MTU))), { type: 'command' });
      }
      await until(() => {
        const joined = Buffer.concat(pieces);
        return joined.length >= 8 && joined.length >= 8 + joined.readUInt16BE(2);
      }, 3_000);
      return Buffer.concat(pieces);
    };

    const text = 'x'.repeat(150);
    const echo = encodeSmpPacket({ version: 1, op: SmpOp.WRITE, flags: 0, group: SmpGroup.OS, sequence: 3, command: OsCommand.ECHO }, { d: text });
    expect(echo.length).toBeGreaterThan(attWritePayload(MTU));
    const answer = decodeSmpPacket(await exchange(echo));
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(attWritePayload(MTU));
    expect(answer.header.op).toBe(SmpOp.WRITE_RSP);
    expect(answer.header.sequence).toBe(3);
    expect(answer.body).toEqual({ r: text });

    const state = encodeSmpPacket({ version: 1, op: SmpOp.READ, flags: 0, group: SmpGroup.IMAGE, sequence: 4, command: ImageCommand.STATE }, {});
    const images = decodeSmpPacket(await exchange(state)).body as { images: { version: string; active: boolean; hash: Uint8Array }[] };
    expect(images.images[0]?.version).toBe('1.4.2');
    expect(images.images[0]?.active).toBe(true);
    expect(Buffer.from(images.images[0]?.hash ?? []).equals(Buffer.from(r.node.slots.imageStateSlots()[0]?.hash ?? []))).toBe(true);
  });

  it('streams log lines and runs shell commands over the Nordic UART Service', async () => {
    const r = await startRig();
    const { gatt } = await connected(r);
    const nus = await gatt.getPrimaryService(NUS_SERVICE_UUID);
    const tx = await nus.getCharacteristic(NUS_TX_UUID);
    let received = '';
    tx.on('valuechanged', (value: Buffer) => (received += value.toString('utf8')));
    await tx.startNotifications();
    await until(() => /<inf> sensor: temperature \d+\.\d\d C/.test(received), 3_000);
    expect(received).toContain(`<inf> main: sensor-node ${r.node.serialNumber} firmware 1.4.2`);
    const rx = await nus.getCharacteristic(NUS_RX_UUID);
    await rx.writeValue(Buffer.from('device info\n'), { type: 'request' });
    await until(() => received.includes(`serial: ${r.node.serialNumber}`), 3_000);
    expect(received).toMatch(/\[\d\d:\d\d:\d\d\.\d{3},000\] <inf>/);
  });
});

describe('simulated BlueZ link and resets', () => {
  it('paces writes without response by the link model', async () => {
    const r = await startRig({ timeScale: 1 });
    const { gatt } = await connected(r);
    const rx = await (await gatt.getPrimaryService(NUS_SERVICE_UUID)).getCharacteristic(NUS_RX_UUID);
    const piece = Buffer.alloc(attWritePayload(MTU), 0x20);
    const started = performance.now();
    // 4 packets per 30 ms event: 24 writes take at least 5 more events after the first.
    for (let i = 0; i < 24; i++) await rx.writeValue(piece, { type: 'command' });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(5 * 30 - 5);
    // The first event's packets go at once, so 24 packets occupy the link for 6 whole events.
    expect((24 * piece.length) / ((elapsed + 30) / 1000)).toBeLessThanOrEqual(bleLinkLimitBytesPerSecond({ mtu: MTU, connectionIntervalMs: 30, packetsPerInterval: 4 }) * 1.05);
  });

  it('drops the link when the node resets, and the node advertises again once it has booted', async () => {
    const r = await startRig();
    const { adapter, device, gatt } = await connected(r);
    const smp = await (await gatt.getPrimaryService(SMP_SERVICE_UUID)).getCharacteristic(SMP_CHARACTERISTIC_UUID);
    await smp.startNotifications();
    const dropped = new Promise((resolve) => device.once('disconnect', resolve));
    const reset = encodeSmpPacket({ version: 1, op: SmpOp.WRITE, flags: 0, group: SmpGroup.OS, sequence: 9, command: OsCommand.RESET }, {});
    await smp.writeValue(Buffer.from(reset), { type: 'command' });
    await dropped;
    expect(deviceHandle(r).lastDisconnectReason).toBe('device reset');
    expect(r.node.uptimeMs).toBeLessThan(1_000);
    expect(await adapter.devices()).toContain(ADDRESS);
    await device.connect();
    expect(await device.isConnected()).toBe(true);
  });
});

describe('simulated BlueZ on the bus', () => {
  it('lists exported objects as child nodes in Introspect, which is how node-ble walks the tree', async () => {
    const r = await startRig();
    const { device } = await connected(r);
    const bus = dbus.systemBus();
    try {
      const root = await bus.getProxyObject('org.bluez', '/');
      const org = await bus.getProxyObject('org.bluez', '/org');
      expect(org.nodes).toEqual(['/org/bluez']);
      const bluez = await bus.getProxyObject('org.bluez', '/org/bluez');
      expect(bluez.nodes).toEqual(['/org/bluez/hci0']);
      const adapter = await bus.getProxyObject('org.bluez', '/org/bluez/hci0');
      expect(adapter.nodes).toContain('/org/bluez/hci0/dev_C0_FF_EE_00_00_01');
      const node = await bus.getProxyObject('org.bluez', '/org/bluez/hci0/dev_C0_FF_EE_00_00_01');
      expect(node.nodes.filter((path) => /\/service[0-9a-f]{4}$/.test(path))).toHaveLength(5);
      const manager = root.getInterface('org.freedesktop.DBus.ObjectManager') as unknown as { GetManagedObjects(): Promise<Record<string, Record<string, unknown>>> };
      const objects = await manager.GetManagedObjects();
      expect(Object.keys(objects['/org/bluez/hci0/dev_C0_FF_EE_00_00_01'] ?? {})).toEqual(['org.bluez.Device1']);
      const characteristics = Object.values(objects).filter((o) => 'org.bluez.GattCharacteristic1' in o);
      // Device Information 7, Battery 1, Fieldbench sensor 2, SMP 1, Nordic UART 2.
      expect(characteristics.length).toBe(13);
    } finally {
      bus.disconnect();
    }
    await device.disconnect();
  });

  it('keeps discovery per client: another client cannot stop it, and it ends when its client leaves the bus', async () => {
    const r = await startRig();
    const other = NodeBle.createBluetooth();
    const otherAdapter = await other.bluetooth.defaultAdapter();
    await otherAdapter.startDiscovery();
    const adapter = await r.session.bluetooth.defaultAdapter();
    expect(await adapter.isDiscovering()).toBe(true);
    // node-ble checks Discovering itself before calling StopDiscovery; call it as a client that never started.
    const helper = (adapter as unknown as { helper: { callMethod(name: string): Promise<void> } }).helper;
    await expect(helper.callMethod('StopDiscovery')).rejects.toMatchObject({ type: 'org.bluez.Error.Failed', text: 'No discovery started' });
    other.destroy();
    await until(async () => !(await adapter.isDiscovering()), 3_000);
  });

  it('says what is missing when dbus-daemon is not installed', async () => {
    const error = await startPrivateDbus({ daemonPath: '/nonexistent/dbus-daemon' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unavailable', message: 'dbus-daemon is not installed', device: 'private D-Bus', step: 'start private D-Bus' });
    expect((error as { hint: string }).hint).toMatch(/dbus package/);
  });

  it('stops the daemon and removes its socket folder', async () => {
    const bus = await startPrivateDbus();
    ourDaemons.push(bus.pid);
    const folder = dirname(bus.address.replace(/^unix:path=/, '').split(',')[0] ?? '');
    expect(existsSync(folder)).toBe(true);
    await bus.stop();
    await bus.stop();
    expect(existsSync(folder)).toBe(false);
    expect(dbusDaemons()).not.toContain(String(bus.pid));
  });
});

describe('a sensor node on the air', () => {
  it('is one node over serial and BLE at once', async () => {
    const node = new SensorNodeSimulator({ seed: 21, timeScale: 0 });
    const serial = attachSensorNodeInMemory({ simulator: node });
    const onAir = await attachSensorNodeOnAir({ simulator: node, timeScale: 0, advertIntervalMs: 30 });
    process.env.DBUS_SYSTEM_BUS_ADDRESS = onAir.busAddress;
    const session = NodeBle.createBluetooth();
    try {
      expect(onAir.device.address).toBe(addressFromSerial(node.serialNumber));
      expect(onAir.device.address).toMatch(/^C0:DE(:[0-9A-F]{2}){4}$/);
      const adapter = await session.bluetooth.defaultAdapter();
      await adapter.startDiscovery();
      const device = await adapter.waitDevice(onAir.device.address, 5_000, 30);
      await device.connect();
      const gatt = await device.gatt();
      const info = await gatt.getPrimaryService(DEVICE_INFORMATION_SERVICE_UUID);
      expect((await (await info.getCharacteristic(DeviceInformationUuid.serialNumber)).readValue()).toString()).toBe(node.serialNumber);
      expect(onAir.device.connected).toBe(true);
      await serial.hostLink.write(new TextEncoder().encode('device info\r'));
      let text = '';
      while (!text.includes('hardware:')) text += new TextDecoder().decode(await serial.hostLink.read(2_000));
      expect(text).toContain(`serial: ${node.serialNumber}`);
      expect(onAir.device.connected).toBe(true);
    } finally {
      await serial.detach();
      session.destroy();
      await onAir.detach();
      await onAir.detach();
      process.env.DBUS_SYSTEM_BUS_ADDRESS = savedAddress;
    }
  });
});

describe('simulated BlueZ fault knobs', () => {
  it('powered off: StartDiscovery fails with org.bluez.Error.NotReady', async () => {
    const r = await startRig();
    r.bluez.setFaults({ poweredOff: true });
    const adapter = await r.session.bluetooth.defaultAdapter();
    expect(await adapter.isPowered()).toBe(false);
    await expect(adapter.startDiscovery()).rejects.toMatchObject({ type: 'org.bluez.Error.NotReady' });
  });

  it('no adapter: node-ble finds none', async () => {
    const r = await startRig();
    r.bluez.setFaults({ noAdapter: true });
    await expect(r.session.bluetooth.defaultAdapter()).rejects.toThrow(/No available adapters/);
    r.bluez.setFaults({});
    expect(await r.session.bluetooth.adapters()).toEqual(['hci0']);
  });

  it('out of range: the link drops, Connect fails with le-connection-abort-by-local, then the device disappears', async () => {
    const r = await startRig();
    const { adapter, device } = await connected(r);
    const handle = deviceHandle(r);
    const dropped = new Promise((resolve) => device.once('disconnect', resolve));
    handle.setFaults({ outOfRange: true });
    await dropped;
    expect(handle.connected).toBe(false);
    expect(handle.lastDisconnectReason).toBe('supervision timeout');
    // Still listed for a while, as bluetoothd keeps a device it stopped hearing.
    expect(await adapter.devices()).toContain(ADDRESS);
    await expect(device.connect()).rejects.toMatchObject({ type: 'org.bluez.Error.Failed', text: 'le-connection-abort-by-local' });
    await until(async () => !(await adapter.devices()).includes(ADDRESS), 3_000);
    handle.setFaults({});
    expect(await adapter.waitDevice(ADDRESS, 5_000, 50)).toBeDefined();
  });

  it('a device that stopped advertising (reset into its bootloader): Connect fails with le-connection-abort-by-local', async () => {
    const r = await startRig();
    const adapter = await r.session.bluetooth.defaultAdapter();
    await adapter.startDiscovery();
    const device = await adapter.waitDevice(ADDRESS, 5_000, 50);
    await adapter.stopDiscovery();
    r.node.enterSerialRecovery();
    await until(() => r.node.mode === 'serial-recovery', 3_000);
    await expect(device.connect()).rejects.toMatchObject({ type: 'org.bluez.Error.Failed', text: 'le-connection-abort-by-local' });
  });

  it('disconnects when the SMP characteristic has received N bytes: Connected and ServicesResolved go false, objects stay', async () => {
    const r = await startRig();
    const { device, gatt } = await connected(r);
    const smp = await (await gatt.getPrimaryService(SMP_SERVICE_UUID)).getCharacteristic(SMP_CHARACTERISTIC_UUID);
    deviceHandle(r).setFaults({ disconnectAtSmpBytes: 100 });
    const dropped = new Promise((resolve) => device.once('disconnect', resolve));
    const piece = Buffer.alloc(attWritePayload(MTU), 0);
    // Bytes that never complete an SMP header length: the device only holds them.
    piece.writeUInt16BE(0xffff, 2);
    await smp.writeValue(piece, { type: 'command' });
    await smp.writeValue(Buffer.alloc(attWritePayload(MTU)), { type: 'command' });
    await dropped;
    expect(deviceHandle(r).lastDisconnectReason).toBe('fault: disconnect mid-upload');
    expect(await device.isConnected()).toBe(false);
    const gattAgain = device.gatt();
    // GattServer waits for ServicesResolved: it stays false while the link is down.
    expect(await Promise.race([gattAgain.then(() => 'resolved'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))])).toBe('waiting');
    expect(await r.session.bluetooth.adapters()).toEqual(['hci0']);
    const adapter = await r.session.bluetooth.defaultAdapter();
    expect(await adapter.devices()).toContain(ADDRESS);
    await expect(smp.writeValue(piece, { type: 'command' })).rejects.toMatchObject({ type: 'org.bluez.Error.Failed' });
  });
});

function deviceHandle(r: Rig) {
  return r.bluez.device(ADDRESS);
}

async function until(check: () => boolean | Promise<boolean>, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
