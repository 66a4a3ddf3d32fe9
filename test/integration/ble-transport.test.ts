// The BLE transport end to end: NodeBleCentral drives the real node-ble over a private
// dbus-daemon where a simulated BlueZ serves a virtual sensor node. Scanning, connecting,
// the status lines for a missing BlueZ or adapter, and the unchanged SmpClient over
// BleSmpLink with the BLE framing: echo, image state, an upload, and a drop mid-upload.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { smpBleFraming } from '../../src-main/protocols/smp/smp-ble';
import { SmpClient } from '../../src-main/protocols/smp/smp-client';
import type { BleAdvert, BleConnection } from '../../src-main/transports/ble/ble-central';
import { BleSmpLink } from '../../src-main/transports/ble/ble-smp-link';
import { SMP_CHARACTERISTIC_UUID, SMP_SERVICE_UUID } from '../../src-main/transports/ble/ble-uuid';
import { NodeBleCentral } from '../../src-main/transports/ble/node-ble-central';
import type { LinkCloseReason } from '../../src-main/transports/link';
import { type PrivateDbus, startPrivateDbus } from '../../src-main/virtual/ble/private-dbus';
import { type SimulatedBleDeviceHandle, SimulatedBluez } from '../../src-main/virtual/ble/simulated-bluez';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const ADDRESS = 'C0:FF:EE:00:00:42';
const MTU = 185;
const SENSOR_NODE_COMPANY_ID = 0x0059;

interface Rig {
  bus: PrivateDbus;
  bluez: SimulatedBluez | null;
  node: SensorNodeSimulator;
  device: SimulatedBleDeviceHandle | null;
  central: NodeBleCentral;
}

const savedAddress = process.env.DBUS_SYSTEM_BUS_ADDRESS;
let rig: Rig | null = null;

async function startRig(options: { bluez?: boolean } = {}): Promise<Rig> {
  const bus = await startPrivateDbus();
  process.env.DBUS_SYSTEM_BUS_ADDRESS = bus.address;
  const node = new SensorNodeSimulator({ seed: 11, timeScale: 0 });
  let bluez: SimulatedBluez | null = null;
  let device: SimulatedBleDeviceHandle | null = null;
  if (options.bluez !== false) {
    bluez = await SimulatedBluez.start({ busAddress: bus.address, timeScale: 0.05, advertIntervalMs: 40 });
    device = bluez.addSensorNode({ node, address: ADDRESS, rssi: -58, link: { mtu: MTU }, faults: { rssiDriftDbm: 6 } });
  }
  const central = new NodeBleCentral({ scanPollMs: 40, callTimeoutMs: 3_000, platform: 'linux' });
  rig = { bus, bluez, node, device, central };
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  await rig.central.close();
  await rig.bluez?.stop();
  await rig.bus.stop();
  rig = null;
  process.env.DBUS_SYSTEM_BUS_ADDRESS = savedAddress;
});

async function connectTo(r: Rig): Promise<BleConnection> {
  return r.central.connect(ADDRESS, { deadlineMs: 10_000 });
}

function image(version: string, size: number): { bytes: Uint8Array; sha256: Uint8Array } {
  const payload = Uint8Array.from({ length: size }, (_, i) => (i * 13 + (i >> 7)) & 0xff);
  const bytes = createMcubootImage({ version, payload });
  return { bytes, sha256: new Uint8Array(createHash('sha256').update(bytes).digest()) };
}

async function smpOver(connection: BleConnection): Promise<{ link: BleSmpLink; smp: SmpClient }> {
  const link = await BleSmpLink.open(connection);
  const smp = new SmpClient(link, { framing: smpBleFraming({ mtu: () => link.mtu }), timeoutMs: 3_000 });
  return { link, smp };
}

describe('BLE central over node-ble and a simulated BlueZ', () => {
  it('says BLE is available on a bus where BlueZ runs with a powered adapter', async () => {
    const r = await startRig();
    expect(await r.central.status()).toEqual({ transport: 'ble', method: 'BlueZ over D-Bus (hci0)', available: true, note: null });
  });

  it('says BlueZ is not running on a bus without org.bluez, and what to do', async () => {
    const r = await startRig({ bluez: false });
    const status = await r.central.status();
    expect(status.available).toBe(false);
    expect(status.note).toMatch(/^BlueZ is not running\. Start BlueZ \(sudo systemctl start bluetooth\)/);
    const error = await fieldbenchErrorOf(r.central.scan({ onAdvert: () => {}, signal: AbortSignal.timeout(1_000) }));
    expect(error.code).toBe('unavailable');
    expect(error.step).toBe('scan');
  });

  it('says when the D-Bus system bus itself cannot be reached, without crashing', async () => {
    const r = await startRig({ bluez: false });
    process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/fieldbench-no-bus';
    const central = new NodeBleCentral({ callTimeoutMs: 2_000, platform: 'linux' });
    try {
      const status = await central.status();
      expect(status.available).toBe(false);
      expect(status.note).toMatch(/D-Bus system bus cannot be reached/);
    } finally {
      await central.close();
      process.env.DBUS_SYSTEM_BUS_ADDRESS = r.bus.address;
    }
  });

  it('says the adapter is powered off, or missing, with the simulator knobs, and recovers when they clear', async () => {
    const r = await startRig();
    r.bluez!.setFaults({ poweredOff: true });
    const off = await r.central.status();
    expect(off.available).toBe(false);
    expect(off.note).toMatch(/^The Bluetooth adapter hci0 is powered off\. Turn it on/);
    const refused = await fieldbenchErrorOf(r.central.connect(ADDRESS, { deadlineMs: 2_000 }));
    expect(refused.code).toBe('unavailable');
    expect(refused.message).toMatch(/powered off/);

    r.bluez!.setFaults({ noAdapter: true });
    const none = await r.central.status();
    expect(none.available).toBe(false);
    expect(none.note).toMatch(/^No Bluetooth adapter is present\. Plug in a Bluetooth adapter/);

    r.bluez!.setFaults({});
    expect((await r.central.status()).available).toBe(true);
  });

  it('scans: sees the node with its name, services, manufacturer data and an RSSI that updates; filters by what it advertises', async () => {
    const r = await startRig();
    const adverts: BleAdvert[] = [];
    const controller = new AbortController();
    const scanning = r.central.scan({
      signal: controller.signal,
      filter: { serviceUuids: [SMP_SERVICE_UUID] },
      onAdvert: (advert) => {
        adverts.push(advert);
        if (new Set(adverts.map((a) => a.rssi)).size >= 3) controller.abort();
      },
    });
    const timer = setTimeout(() => controller.abort(), 8_000);
    await scanning;
    clearTimeout(timer);
    expect(new Set(adverts.map((a) => a.rssi)).size).toBeGreaterThanOrEqual(3);
    const first = adverts[0]!;
    expect(first.address).toBe(ADDRESS);
    expect(first.name).toBe(`SensorNode-${r.node.serialNumber.slice(-4)}`);
    expect(first.serviceUuids).toContain(SMP_SERVICE_UUID);
    expect(first.manufacturerData).toEqual([{ companyId: SENSOR_NODE_COMPANY_ID, dataHex: Buffer.from(r.node.serialNumber.slice(3)).toString('hex') }]);
    expect(Date.parse(first.seenAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(first.txPower).toBe(0);
    // As BlueZ's AddressType says, not guessed from the address.
    expect(first.addressType).toBe('random');
    for (const advert of adverts) {
      expect(advert.rssi).toBeGreaterThanOrEqual(-58 - 7);
      expect(advert.rssi).toBeLessThanOrEqual(-58 + 7);
    }
    expect(r.bluez!.isDiscovering).toBe(false);

    const unmatched: BleAdvert[] = [];
    await r.central.scan({ signal: AbortSignal.timeout(600), filter: { namePrefixes: ['Thermostat'], companyIds: [0x004c] }, onAdvert: (a) => unmatched.push(a) });
    expect(unmatched).toEqual([]);
  });

  it('connects: lists services with flags, reads, reports the MTU, and sees the device drop the link', async () => {
    const r = await startRig();
    const connection = await connectTo(r);
    expect(connection.label).toBe(`SensorNode-${r.node.serialNumber.slice(-4)} (${ADDRESS})`);
    expect(connection.mtu).toBe(MTU);
    const services = await connection.services();
    const smpService = services.find((s) => s.uuid === SMP_SERVICE_UUID);
    expect(smpService?.characteristics).toEqual([{ uuid: SMP_CHARACTERISTIC_UUID, flags: expect.arrayContaining(['write-without-response', 'notify']) }]);
    const serial = await connection.read('180a', '2a25');
    expect(new TextDecoder().decode(serial)).toBe(r.node.serialNumber);
    const missing = await fieldbenchErrorOf(connection.read('180a', '2a00'));
    expect(missing.code).toBe('not-found');
    expect(missing.device).toBe(connection.label);

    const reasons: string[] = [];
    connection.onDisconnect((reason) => reasons.push(reason));
    r.device!.dropLink();
    await expect.poll(() => reasons, { timeout: 5_000 }).toEqual(['the device disconnected']);
    expect(connection.connected).toBe(false);
    expect((await fieldbenchErrorOf(connection.read('180a', '2a25'))).code).toBe('device-gone');
  });

  it('fails a connection to a device out of range within its deadline, naming the device and the step', async () => {
    const r = await startRig();
    r.device!.setFaults({ outOfRange: true });
    const started = Date.now();
    const error = await fieldbenchErrorOf(r.central.connect(ADDRESS, { deadlineMs: 1_500 }));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error.code).toBe('timeout');
    expect(error.device).toBe(ADDRESS);
    expect(error.step).toBe('find device');
  });

  it('runs the unchanged SmpClient over the SMP characteristic: echo, image state and an upload sized by the MTU', async () => {
    const r = await startRig();
    const connection = await connectTo(r);
    const { smp } = await smpOver(connection);
    expect(await smp.echo('over the air')).toBe('over the air');
    const before = await smp.imageState();
    expect(before.find((slot) => slot.slot === 0)?.active).toBe(true);

    const { bytes, sha256 } = image('2.1.0', 12_000);
    const result = await smp.imageUpload(bytes, { sha256 });
    expect(result.match).toBe(true);
    expect(result.bytes).toBe(bytes.length);
    // Requests end on whole writes of MTU − 3 bytes within the node's 1024-byte buffer.
    expect(result.chunkSize).toBeLessThanOrEqual(Math.floor(1024 / (MTU - 3)) * (MTU - 3));
    expect(result.chunkSize).toBeGreaterThan(1024 - 2 * (MTU - 3));
    const after = await smp.imageState();
    expect(after.find((slot) => slot.slot === 1)?.version).toBe('2.1.0');
  });

  it('a disconnect mid-upload closes the link as lost and fails the upload as device-gone at once', async () => {
    const r = await startRig();
    const connection = await connectTo(r);
    const { link, smp } = await smpOver(connection);
    const closed: LinkCloseReason[] = [];
    link.onClose((reason) => closed.push(reason));
    const { bytes, sha256 } = image('2.2.0', 20_000);
    r.device!.setFaults({ disconnectAtSmpBytes: Math.floor(bytes.length / 2) });
    const started = Date.now();
    const error = await fieldbenchErrorOf(smp.imageUpload(bytes, { sha256 }));
    expect(error.code).toBe('device-gone');
    expect(Date.now() - started).toBeLessThan(3_000 * 2);
    expect(closed).toEqual([{ kind: 'lost', message: 'the device disconnected' }]);
    expect(link.isOpen).toBe(false);

    // Connected again, the same upload runs to the end and the device holds the new image.
    r.device!.setFaults({});
    const again = await smpOver(await connectTo(r));
    const result = await again.smp.imageUpload(bytes, { sha256 });
    expect(result.match).toBe(true);
    expect((await again.smp.imageState()).find((slot) => slot.slot === 1)?.version).toBe('2.2.0');
  });

  it('closing the central ends a scan in progress at once', async () => {
    const r = await startRig();
    const scanning = r.central.scan({ onAdvert: () => {}, signal: new AbortController().signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await r.central.close();
    const error = await fieldbenchErrorOf(scanning);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.message).toBe('Bluetooth was closed');
  });
});
