// NodeBleCentral over a fake node-ble: what it makes of a package that will not load, a bus
// that is not there or never answers, BlueZ's error names, a connection that hangs, and
// several listeners on one characteristic. The real node-ble against a simulated BlueZ is
// in test/integration/ble-transport.test.ts.
import { EventEmitter } from 'node:events';
import { describe, expect, test } from 'vitest';
import { NodeBleCentral, type NodeBleCentralOptions, translate } from '../../src-main/transports/ble/node-ble-central';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const ADDRESS = 'AA:BB:CC:00:11:22';
const SERVICE = '0000180f-0000-1000-8000-00805f9b34fb';
const LEVEL = '00002a19-0000-1000-8000-00805f9b34fb';

function dbusError(type: string, text = ''): Error & { type: string; text: string } {
  return Object.assign(new Error(text), { name: 'DBusError', type, text });
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

class FakeCharacteristic extends EventEmitter {
  starts = 0;
  stops = 0;
  readonly helper = { prop: (name: string) => (name === 'MTU' && this.mtu !== null ? Promise.resolve(this.mtu) : Promise.reject(dbusError('org.freedesktop.DBus.Error.InvalidArgs'))), props: () => Promise.resolve({}) };
  constructor(private readonly mtu: number | null) {
    super();
  }
  getFlags = () => Promise.resolve(['read', 'notify']);
  readValue = () => Promise.resolve(Buffer.from([87]));
  writeValue = () => Promise.resolve();
  startNotifications = () => {
    this.starts += 1;
    return Promise.resolve();
  };
  stopNotifications = () => {
    this.stops += 1;
    return Promise.resolve();
  };
}

interface FakeWorld {
  adapters?: () => Promise<string[]>;
  powered?: boolean;
  connect?: () => Promise<void>;
  mtu?: number | null;
  bus?: EventEmitter;
}

function fakeNodeBle(world: FakeWorld) {
  const characteristic = new FakeCharacteristic(world.mtu === undefined ? 247 : world.mtu);
  const device = Object.assign(new EventEmitter(), {
    disconnects: 0,
    helper: { props: () => Promise.resolve({ Name: 'Fake Node', RSSI: -40 }), prop: () => Promise.resolve(undefined) },
    connect: world.connect ?? (() => Promise.resolve()),
    disconnect() {
      this.disconnects += 1;
      return Promise.resolve();
    },
    gatt: () =>
      Promise.resolve({
        services: () => Promise.resolve([SERVICE]),
        getPrimaryService: () =>
          Promise.resolve({ characteristics: () => Promise.resolve([LEVEL]), getCharacteristic: () => Promise.resolve(characteristic) }),
      }),
  });
  const adapter = {
    adapter: 'hci0',
    isPowered: () => Promise.resolve(world.powered ?? true),
    isDiscovering: () => Promise.resolve(false),
    startDiscovery: () => Promise.resolve(),
    stopDiscovery: () => Promise.resolve(),
    devices: () => Promise.resolve([ADDRESS]),
    getDevice: () => Promise.resolve(device),
    waitDevice: () => Promise.resolve(device),
  };
  const bus = world.bus ?? new EventEmitter();
  let destroyed = 0;
  const module = {
    createBluetooth: () => ({
      bluetooth: { dbus: bus, adapters: world.adapters ?? (() => Promise.resolve(['hci0'])), getAdapter: () => Promise.resolve(adapter) },
      destroy: () => {
        destroyed += 1;
      },
    }),
  };
  return { module, device, characteristic, bus, destroyed: () => destroyed };
}

function central(world: FakeWorld, options: NodeBleCentralOptions = {}) {
  const fake = fakeNodeBle(world);
  const loadNodeBle = () => Promise.resolve(fake.module as unknown as Awaited<ReturnType<NonNullable<NodeBleCentralOptions['loadNodeBle']>>>);
  return { central: new NodeBleCentral({ platform: 'linux', callTimeoutMs: 200, loadNodeBle, ...options }), ...fake };
}

describe('NodeBleCentral status', () => {
  test('a node-ble that will not load is a status line, not a crash', async () => {
    const ble = new NodeBleCentral({ platform: 'linux', loadNodeBle: () => Promise.reject(new Error('Cannot find module dbus-next')) });
    expect(await ble.status()).toEqual({
      transport: 'ble',
      method: 'not available',
      available: false,
      note: 'Could not load node-ble (Cannot find module dbus-next). Reinstall Fieldbench; BLE needs its node-ble package.',
    });
  });

  test('outside Linux it says BLE needs BlueZ, and never loads node-ble', async () => {
    let loaded = false;
    const ble = new NodeBleCentral({
      platform: 'darwin',
      loadNodeBle: () => {
        loaded = true;
        return Promise.reject(new Error('unreachable'));
      },
    });
    expect((await ble.status()).note).toMatch(/BlueZ, on Linux only/);
    expect(loaded).toBe(false);
  });

  test('BlueZ not running, no adapter, powered off: each says what to do', async () => {
    const notRunning = central({ adapters: () => Promise.reject(dbusError('org.freedesktop.DBus.Error.ServiceUnknown', 'The name org.bluez was not provided')) });
    expect((await notRunning.central.status()).note).toBe('BlueZ is not running. Start BlueZ (sudo systemctl start bluetooth) and try again.');
    const noAdapter = central({ adapters: () => Promise.resolve([]) });
    expect((await noAdapter.central.status()).note).toMatch(/^No Bluetooth adapter is present\. Plug in/);
    const off = central({ powered: false });
    expect((await off.central.status()).note).toMatch(/^The Bluetooth adapter hci0 is powered off\. Turn it on/);
    expect(await central({}).central.status()).toEqual({ transport: 'ble', method: 'BlueZ over D-Bus (hci0)', available: true, note: null });
  });

  test('a bus that fails while a call waits ends the call at once, without an unhandled error event', async () => {
    const bus = new EventEmitter();
    const { central: ble } = central({ bus, adapters: never }, { callTimeoutMs: 10_000 });
    setTimeout(() => bus.emit('error', Object.assign(new Error('connect ENOENT /run/dbus/system_bus_socket'), { code: 'ENOENT' })), 20);
    const started = Date.now();
    const status = await ble.status();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(status.note).toMatch(/^The D-Bus system bus cannot be reached \(ENOENT\)\. Start D-Bus and BlueZ/);
  });

  test('a bus that never answers costs one call deadline', async () => {
    const { central: ble } = central({ adapters: never }, { callTimeoutMs: 60 });
    expect((await ble.status()).note).toMatch(/^No answer within 60 ms\. BlueZ did not answer in time/);
  });

  test('a failed session is replaced by a fresh one on the next call', async () => {
    const bus = new EventEmitter();
    const fake = central({ bus });
    expect((await fake.central.status()).available).toBe(true);
    bus.emit('error', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    expect(fake.destroyed()).toBe(0);
    expect((await fake.central.status()).available).toBe(true);
    expect(fake.destroyed()).toBe(1);
  });
});

describe('NodeBleCentral connections', () => {
  test('a connection that hangs fails at its deadline as a time-out naming the device, and BlueZ is told to stop trying', async () => {
    const fake = central({ connect: never });
    const started = Date.now();
    const error = await fieldbenchErrorOf(fake.central.connect(ADDRESS.toLowerCase(), { deadlineMs: 150 }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toMatchObject({ code: 'timeout', device: `Fake Node (${ADDRESS})`, step: 'connect' });
    expect(fake.device.disconnects).toBeGreaterThanOrEqual(1);
  });

  test('a cancelled connection stops at once', async () => {
    const fake = central({ connect: never });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await fieldbenchErrorOf(fake.central.connect(ADDRESS, { deadlineMs: 10_000, signal: controller.signal }));
    expect(error.message).toBe('connect was cancelled');
  });

  test('BlueZ refusing the connection says so in words, naming the device', async () => {
    const fake = central({ connect: () => Promise.reject(dbusError('org.bluez.Error.Failed', 'le-connection-abort-by-local')) });
    const error = await fieldbenchErrorOf(fake.central.connect(ADDRESS, { deadlineMs: 1_000 }));
    expect(error).toMatchObject({ code: 'device-error', device: `Fake Node (${ADDRESS})`, step: 'connect' });
    expect(error.message).toBe('BlueZ reported a failure (le-connection-abort-by-local)');
  });

  test('the MTU comes from BlueZ where it gives one, 23 where it does not', async () => {
    expect((await central({ mtu: 185 }).central.connect(ADDRESS, { deadlineMs: 1_000 })).mtu).toBe(185);
    expect((await central({ mtu: null }).central.connect(ADDRESS, { deadlineMs: 1_000 })).mtu).toBe(23);
  });

  test('UUIDs in any spelling find the characteristic; several listeners share one StartNotify', async () => {
    const fake = central({});
    const connection = await fake.central.connect(ADDRESS, { deadlineMs: 1_000 });
    expect(await connection.read('180F', '0x2A19')).toEqual(Uint8Array.of(87));
    const a: number[] = [];
    const b: number[] = [];
    const stopA = await connection.subscribe('180f', '2a19', (v) => a.push(v[0]!));
    const stopB = await connection.subscribe(SERVICE, LEVEL.toUpperCase(), (v) => b.push(v[0]!));
    fake.characteristic.emit('valuechanged', Buffer.from([55]));
    expect(fake.characteristic.starts).toBe(1);
    await stopA();
    fake.characteristic.emit('valuechanged', Buffer.from([54]));
    expect(fake.characteristic.stops).toBe(0);
    await stopB();
    expect(fake.characteristic.stops).toBe(1);
    expect(a).toEqual([55]);
    expect(b).toEqual([55, 54]);
  });

  test('two listeners subscribing at once share one StartNotify, and each gets every value once', async () => {
    const fake = central({});
    const connection = await fake.central.connect(ADDRESS, { deadlineMs: 1_000 });
    const a: number[] = [];
    const b: number[] = [];
    const [stopA, stopB] = await Promise.all([connection.subscribe('180f', '2a19', (v) => a.push(v[0]!)), connection.subscribe('180f', '2a19', (v) => b.push(v[0]!))]);
    expect(fake.characteristic.starts).toBe(1);
    fake.characteristic.emit('valuechanged', Buffer.from([42]));
    expect(a).toEqual([42]);
    expect(b).toEqual([42]);
    await stopA();
    await stopB();
    expect(fake.characteristic.stops).toBe(1);
  });

  test("the device's disconnect event reaches every listener once, and later calls fail as device-gone", async () => {
    const fake = central({});
    const connection = await fake.central.connect(ADDRESS, { deadlineMs: 1_000 });
    const reasons: string[] = [];
    connection.onDisconnect((reason) => reasons.push(reason));
    fake.device.emit('disconnect', { connected: false });
    fake.device.emit('disconnect', { connected: false });
    expect(reasons).toEqual(['the device disconnected']);
    expect((await fieldbenchErrorOf(connection.write('180f', '2a19', Uint8Array.of(1), { withoutResponse: false }))).code).toBe('device-gone');
  });

  test('a bus failure drops every connection', async () => {
    const bus = new EventEmitter();
    const fake = central({ bus });
    const connection = await fake.central.connect(ADDRESS, { deadlineMs: 1_000 });
    const reasons: string[] = [];
    connection.onDisconnect((reason) => reasons.push(reason));
    bus.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    expect(reasons).toEqual(['the link to BlueZ failed: the D-Bus system bus cannot be reached (ECONNRESET)']);
  });
});

describe('BlueZ errors in words', () => {
  test.each([
    ['org.freedesktop.DBus.Error.ServiceUnknown', 'unavailable', /BlueZ is not running/],
    ['org.bluez.Error.NotReady', 'unavailable', /powered off/],
    ['org.bluez.Error.NotConnected', 'device-gone', /not connected/],
    ['org.bluez.Error.InProgress', 'device-busy', /already doing this/],
    ['org.bluez.Error.NotPermitted', 'device-error', /refused/],
    ['org.bluez.Error.InvalidValueLength', 'invalid-request', /refused the request/],
    ['org.freedesktop.DBus.Error.UnknownObject', 'device-gone', /no longer has it/],
    ['org.bluez.Error.Failed', 'device-error', /BlueZ reported a failure/],
  ])('%s is %s', (type, code, message) => {
    const error = translate(dbusError(type, 'detail'), 'Node (AA:BB:CC:DD:EE:FF)', 'read battery');
    expect(error).toMatchObject({ code, device: 'Node (AA:BB:CC:DD:EE:FF)', step: 'read battery' });
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
  });

  test("node-ble's own words are mapped too", () => {
    expect(translate(new Error('No available adapters found'), 'hci', 's').code).toBe('unavailable');
    expect(translate(new Error('Device not found'), 'd', 's').code).toBe('not-found');
    expect(translate(new Error('operation timed out'), 'd', 's').code).toBe('timeout');
    expect(translate(new Error('Characteristic not available'), 'd', 's').code).toBe('not-found');
  });
});
