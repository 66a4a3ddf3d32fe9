// The BLE registry over a scripted central: advert lists throttled while a scan runs and
// sent once more when it stops, recognised adverts as devices (the rest only with show all),
// a scan refused with the status note when BLE is unavailable, one connection at a time per
// device, and diagnostics that name a characteristic the device lacks.
import { afterEach, describe, expect, it } from 'vitest';
import type { BleAdvert, BleAdvertList, DiscoveryStatus } from '../../src-main/api/schemas';
import { BleRegistry } from '../../src-main/core/ble/ble-registry';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import type { BleCentral, BleConnection, BleScanOptions, BleServiceInfo } from '../../src-main/transports/ble/ble-central';
import { canonicalBleUuid } from '../../src-main/transports/ble/ble-uuid';
import { PROFILES_DIR } from '../helpers/core-fixture';

const NODE = 'C0:FF:EE:00:00:01';
const OTHER = 'C0:FF:EE:00:00:02';
const SENSOR_SERVICE = '5f0a0001-6a63-4f6b-9c55-0d1e5b2e7c11';
const TEMPERATURE = '5f0a0002-6a63-4f6b-9c55-0d1e5b2e7c11';
const DIS = canonicalBleUuid('180a');
const BATTERY = canonicalBleUuid('180f');
const text = (value: string) => new TextEncoder().encode(value);

function advert(address: string, rssi: number, serviceUuids: string[] = [SENSOR_SERVICE]): BleAdvert {
  return { address, name: address === NODE ? 'SensorNode-0001' : 'Kettle', rssi, serviceUuids, manufacturerData: [], txPower: null, seenAt: new Date().toISOString() };
}

/** A central that plays back adverts every few milliseconds and serves a fixed GATT table. */
class ScriptedCentral implements BleCentral {
  available = true;
  connects = 0;
  open = 0;
  mostOpen = 0;
  constructor(
    public adverts: BleAdvert[],
    private readonly gatt: { services: BleServiceInfo[]; values: Map<string, Uint8Array>; notifications: Map<string, Uint8Array> },
  ) {}

  async status(): Promise<DiscoveryStatus> {
    return this.available
      ? { transport: 'ble', method: 'BlueZ over D-Bus (hci0)', available: true, note: null }
      : { transport: 'ble', method: 'not available', available: false, note: 'BlueZ is not running. Start BlueZ (sudo systemctl start bluetooth) and try again.' };
  }

  async scan(options: BleScanOptions): Promise<void> {
    for (let i = 0; !options.signal.aborted; i += 1) {
      const next = this.adverts[i % this.adverts.length]!;
      options.onAdvert({ ...next, rssi: (next.rssi ?? -60) - (i % 5) });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async connect(address: string): Promise<BleConnection> {
    this.connects += 1;
    this.open += 1;
    this.mostOpen = Math.max(this.mostOpen, this.open);
    await new Promise((resolve) => setTimeout(resolve, 10));
    let connected = true;
    const gatt = this.gatt;
    return {
      address,
      label: `SensorNode-0001 (${address})`,
      mtu: 185,
      get connected() {
        return connected;
      },
      services: async () => gatt.services,
      read: async (_service, characteristic) => {
        const value = gatt.values.get(characteristic);
        if (!value) throw new Error(`no read for ${characteristic}`);
        return value;
      },
      write: async () => undefined,
      subscribe: async (_service, characteristic, onValue) => {
        const value = gatt.notifications.get(characteristic);
        if (value) setTimeout(() => onValue(value), 5);
        return async () => undefined;
      },
      onDisconnect: () => () => undefined,
      disconnect: async () => {
        if (connected) this.open -= 1;
        connected = false;
      },
    };
  }

  async close(): Promise<void> {}
}

const SENSOR_GATT = {
  services: [
    { uuid: DIS, characteristics: ['2a24', '2a25', '2a26'].map((id) => ({ uuid: canonicalBleUuid(id), flags: ['read'] })) },
    { uuid: BATTERY, characteristics: [{ uuid: canonicalBleUuid('2a19'), flags: ['read', 'notify'] }] },
    // The temperature notifies only; the uptime characteristic the profile names is missing.
    { uuid: SENSOR_SERVICE, characteristics: [{ uuid: TEMPERATURE, flags: ['notify'] }] },
  ],
  values: new Map([
    [canonicalBleUuid('2a24'), text('sensor-node')],
    [canonicalBleUuid('2a25'), text('SN-0001')],
    [canonicalBleUuid('2a26'), text('1.4.2')],
    [canonicalBleUuid('2a19'), Uint8Array.of(77)],
  ]),
  notifications: new Map([[TEMPERATURE, Uint8Array.of(0xc4, 0x09)]]), // 2500 × 0.01 = 25 °C
};

let registry: BleRegistry | null = null;
afterEach(async () => {
  await registry?.close();
  registry = null;
});

async function rig(central: ScriptedCentral, now: () => Date = () => new Date()): Promise<{ registry: BleRegistry; lists: BleAdvertList[]; changes: number[] }> {
  const lists: BleAdvertList[] = [];
  const changes: number[] = [];
  registry = new BleRegistry({
    profiles: await ProfileRegistry.load(PROFILES_DIR),
    central: () => central,
    now,
    onChange: () => changes.push(Date.now()),
    emitAdverts: (list) => lists.push(list),
    virtualTimeScale: 0,
    advertIntervalMs: 100,
    log: () => undefined,
  });
  return { registry, lists, changes };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BLE registry', () => {
  it('throttles advert lists while scanning, lists only recognised devices, and sends a last list when stopped', async () => {
    const { registry, lists } = await rig(new ScriptedCentral([advert(NODE, -50), advert(OTHER, -70, [])], SENSOR_GATT));
    const started = await registry.startScan(5, false);
    expect(started).toMatchObject({ scanning: true, showAll: false, problem: null });
    await sleep(500);
    const stopped = await registry.stopScan();
    expect(stopped).toMatchObject({ scanning: false, endsAt: null });
    // About a hundred adverts were heard; at most one list per 100 ms went out, plus the first and last.
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.length).toBeLessThanOrEqual(9);
    expect(lists.at(-1)!.state.scanning).toBe(false);
    expect(lists.at(-1)!.adverts.map((a) => [a.address, a.profileId])).toEqual([[NODE, 'fieldbench-sensor-node']]);
    expect(new Set(lists.flatMap((list) => list.adverts.map((a) => a.rssi))).size).toBeGreaterThan(1);
    expect(registry.list().map((d) => d.id)).toEqual([`ble:${NODE}`]);
    expect(registry.get(`ble:${NODE}`)).toMatchObject({ state: 'ready', profileId: 'fieldbench-sensor-node', ble: { addressType: 'random', connected: false } });
  });

  it('with show all, a device no profile recognises is listed as unknown', async () => {
    const { registry, lists } = await rig(new ScriptedCentral([advert(NODE, -50), advert(OTHER, -70, [])], SENSOR_GATT));
    await registry.startScan(5, true);
    await sleep(200);
    await registry.stopScan();
    expect(lists.at(-1)!.adverts.map((a) => a.address).sort()).toEqual([NODE, OTHER]);
    expect(registry.get(`ble:${OTHER}`)).toMatchObject({ profileId: null, state: 'unknown' });
  });

  it('refuses a scan when BLE is unavailable, with the status note as the hint', async () => {
    const central = new ScriptedCentral([advert(NODE, -50)], SENSOR_GATT);
    central.available = false;
    const { registry } = await rig(central);
    await expect(registry.startScan(2, false)).rejects.toMatchObject({ code: 'unavailable', step: 'scan', hint: expect.stringMatching(/Start BlueZ/) });
    expect(await registry.discoveryStatus()).toMatchObject({ available: false, note: expect.stringMatching(/BlueZ is not running/) });
  });

  it('reads diagnostics one connection at a time, takes a notify-only value from its first notification, and names a missing characteristic', async () => {
    const central = new ScriptedCentral([advert(NODE, -50)], SENSOR_GATT);
    const { registry } = await rig(central);
    await registry.startScan(5, false);
    await sleep(50);
    await registry.stopScan();
    const [first, second] = await Promise.all([registry.readDiagnostics(`ble:${NODE}`), registry.readDiagnostics(`ble:${NODE}`)]);
    expect(central.connects).toBe(2);
    expect(central.mostOpen).toBe(1);
    expect(central.open).toBe(0);
    expect(second!.readings.map((r) => r.id)).toEqual(first!.readings.map((r) => r.id));

    const report = first!;
    expect(report.identity).toEqual({ model: 'sensor-node', serialNumber: 'SN-0001', firmwareVersion: '1.4.2' });
    // Only the Device Information characteristics the device has are read.
    expect(report.readings.map((r) => r.id)).toEqual(['model', 'serial-number', 'firmware-revision', 'battery-level', 'temperature', 'uptime']);
    const byId = new Map(report.readings.map((r) => [r.id, r]));
    expect(byId.get('battery-level')).toMatchObject({ value: 77, unit: '%', status: 'ok' });
    expect(byId.get('temperature')).toMatchObject({ value: 25, unit: '°C', status: 'ok' });
    expect(byId.get('uptime')).toMatchObject({ status: 'error', value: null, message: expect.stringContaining('5f0a0003-6a63-4f6b-9c55-0d1e5b2e7c11') });
    expect(registry.get(`ble:${NODE}`)).toMatchObject({ state: 'ready', ble: { connected: false, mtu: null } });
  });

  it('a connection that fails leaves the device unresponsive, with the reason', async () => {
    const central = new ScriptedCentral([advert(NODE, -50)], SENSOR_GATT);
    central.connect = async () => {
      throw Object.assign(new Error('no answer within 10000 ms'), { code: 'timeout' });
    };
    const { registry } = await rig(central);
    await registry.startScan(5, false);
    await sleep(50);
    await registry.stopScan();
    await expect(registry.readDiagnostics(`ble:${NODE}`)).rejects.toThrow(/10000 ms/);
    expect(registry.get(`ble:${NODE}`)).toMatchObject({ state: 'unresponsive', stateDetail: expect.stringMatching(/^read diagnostics: no answer/) });
  });

  it('a scan long enough that did not hear a listed device takes it off the list, unless something holds it', async () => {
    const THIRD = 'C0:FF:EE:00:00:03';
    let clock = Date.parse('2026-11-27T10:00:00Z');
    const central = new ScriptedCentral([advert(NODE, -50), advert(OTHER, -60), advert(THIRD, -65)], SENSOR_GATT);
    const { registry } = await rig(central, () => new Date(clock));
    const ids = () => registry.list().map((d) => d.id).sort();
    const scanFor = async (ms: number) => {
      await registry.startScan(10, true);
      await sleep(60);
      clock += ms;
      await registry.stopScan();
    };
    await scanFor(5_000);
    expect(ids()).toEqual([`ble:${NODE}`, `ble:${OTHER}`, `ble:${THIRD}`]);

    // OTHER and THIRD go out of range; a follow holds THIRD.
    central.adverts = [advert(NODE, -50)];
    const hold = registry.hold(`ble:${THIRD}`);
    await scanFor(1_000); // too short to say a device is gone
    expect(ids()).toEqual([`ble:${NODE}`, `ble:${OTHER}`, `ble:${THIRD}`]);
    await scanFor(5_000);
    expect(ids()).toEqual([`ble:${NODE}`, `ble:${THIRD}`]);
    await hold.release();
    await scanFor(5_000);
    expect(ids()).toEqual([`ble:${NODE}`]);
  });

  it('an id never heard is not-found, telling to scan', async () => {
    const { registry } = await rig(new ScriptedCentral([advert(NODE, -50)], SENSOR_GATT));
    expect(() => registry.get('ble:C0:00:00:00:00:00')).toThrow(expect.objectContaining({ code: 'not-found', hint: expect.stringMatching(/Scan/) }));
  });
});
