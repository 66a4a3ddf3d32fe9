// The BLE central on Linux: node-ble, which drives BlueZ over the D-Bus system bus. The only
// file that loads 'node-ble' (an eslint rule keeps it so), lazily, so a machine without
// D-Bus or BlueZ starts as usual and only says so in status(). node-ble has no deadlines of
// its own, and a D-Bus call to a bus that went away never settles, so every call here is
// raced against one. Three of node-ble's internals are used, all present in the pinned
// 1.13: the bus behind a Bluetooth object (to hear it fail), Device.helper.props() (every
// advert property in one GetAll, where the getters would fail on a missing RSSI), and a
// characteristic's helper.prop('MTU').
import type NodeBle from 'node-ble';
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { DiscoveryStatus } from '../../api/schemas';
import {
  advertMatches,
  type BleAdvert,
  type BleCentral,
  type BleConnectOptions,
  type BleConnection,
  bleDeviceLabel,
  type BleScanOptions,
  type BleServiceInfo,
  type BleWriteOptions,
  withDeadline,
} from './ble-central';
import { ATT_DEFAULT_MTU } from './att';
import { canonicalBleUuid } from './ble-uuid';

type NodeBleModule = Pick<typeof NodeBle, 'createBluetooth'>;

/** What node-ble keeps inside its objects and this file reads. */
interface BusLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PropsHelper {
  props(): Promise<Record<string, unknown>>;
  prop(name: string): Promise<unknown>;
}
type DeviceWithHelper = NodeBle.Device & { helper: PropsHelper };
type CharacteristicWithHelper = NodeBle.GattCharacteristic & { helper: PropsHelper };

export interface NodeBleCentralOptions {
  /** Loads the package; tests pass one that fails, as on a machine where it cannot load. */
  loadNodeBle?: () => Promise<NodeBleModule>;
  /** How often a scan reads the adapter's devices for new adverts and RSSI; 250 ms by default. */
  scanPollMs?: number;
  /** Deadline for each single D-Bus call (a read, a write, a property); 5000 ms by default. */
  callTimeoutMs?: number;
  /** process.platform by default; BlueZ exists only on Linux. */
  platform?: NodeJS.Platform;
  /**
   * The system bus to reach BlueZ on, when it is not the machine's (a private bus with a
   * simulated BlueZ, next to a central on the real one); DBUS_SYSTEM_BUS_ADDRESS otherwise.
   */
  busAddress?: string;
}

const DEFAULT_SCAN_POLL_MS = 250;
const DEFAULT_CALL_TIMEOUT_MS = 5000;
const ADAPTER_LABEL = 'Bluetooth adapter';
const START_BLUEZ = 'Start BlueZ (sudo systemctl start bluetooth) and try again.';
const POWER_ON = 'Turn it on (bluetoothctl power on, or unblock it with rfkill unblock bluetooth).';
const NO_ADAPTER = 'Plug in a Bluetooth adapter, or check that the kernel sees it (bluetoothctl list).';

async function loadNodeBle(): Promise<NodeBleModule> {
  const loaded = (await import('node-ble')) as NodeBleModule & { default?: NodeBleModule };
  return typeof loaded.createBluetooth === 'function' ? loaded : (loaded.default as NodeBleModule);
}

interface Session {
  bluetooth: NodeBle.Bluetooth;
  destroy(): void;
  /** Set once the bus connection failed: every call from then on fails with it. */
  failure: FieldbenchError | null;
  readonly onFailure: Set<(error: FieldbenchError) => void>;
}

/**
 * node-ble opens the system bus at DBUS_SYSTEM_BUS_ADDRESS and takes no address of its own:
 * the variable is set only while it reads it (synchronously), so the rest of the process
 * keeps the machine's bus.
 */
function onSystemBus<T>(busAddress: string | undefined, open: () => T): T {
  if (busAddress === undefined) return open();
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  process.env.DBUS_SYSTEM_BUS_ADDRESS = busAddress;
  try {
    return open();
  } finally {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
  }
}

export class NodeBleCentral implements BleCentral {
  private session: Session | null = null;
  private readonly scanPollMs: number;
  private readonly callTimeoutMs: number;
  private readonly platform: NodeJS.Platform;
  private readonly connections = new Set<NodeBleConnection>();

  constructor(private readonly options: NodeBleCentralOptions = {}) {
    this.scanPollMs = options.scanPollMs ?? DEFAULT_SCAN_POLL_MS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.platform = options.platform ?? process.platform;
  }

  async status(): Promise<DiscoveryStatus> {
    const down = (note: string): DiscoveryStatus => ({ transport: 'ble', method: 'not available', available: false, note });
    if (this.platform !== 'linux') {
      return down('Bluetooth LE works through BlueZ, on Linux only for now; USB and serial devices work as usual.');
    }
    try {
      const adapter = await this.adapter('check Bluetooth');
      const name = adapter.adapter as string;
      return { transport: 'ble', method: `BlueZ over D-Bus (${name})`, available: true, note: null };
    } catch (error) {
      const problem = isFieldbenchError(error) ? error : translate(error, ADAPTER_LABEL, 'check Bluetooth');
      return down(`${sentence(problem.message)} ${problem.hint ?? ''}`.trim());
    }
  }

  async scan(options: BleScanOptions): Promise<void> {
    const { signal, onAdvert, filter } = options;
    const step = 'scan';
    const adapter = await this.adapter(step);
    const session = this.session!;
    if (signal.aborted) return;
    const startedHere = !(await this.call(adapter.isDiscovering(), ADAPTER_LABEL, step));
    if (startedHere) {
      await this.call(adapter.startDiscovery(), ADAPTER_LABEL, step).catch((error: unknown) => {
        // Another program may have started discovery between the check and the call: fine.
        if (!(error instanceof Error && /already in progress/i.test(error.message))) throw error;
      });
    }
    const devices = new Map<string, DeviceWithHelper>();
    const lastSeen = new Map<string, string>();
    try {
      while (!signal.aborted) {
        if (session.failure) throw session.failure;
        const addresses = await this.call(adapter.devices(), ADAPTER_LABEL, step, signal).catch(ignoreAbort(signal));
        if (!addresses) break;
        for (const address of [...devices.keys()]) {
          if (!addresses.includes(address)) {
            devices.delete(address);
            lastSeen.delete(address);
          }
        }
        for (const address of addresses) {
          if (signal.aborted) break;
          const advert = await this.readAdvert(adapter, devices, address, signal);
          if (!advert || advert.rssi === null || !advertMatches(advert, filter)) continue;
          const fingerprint = JSON.stringify({ ...advert, seenAt: null });
          if (lastSeen.get(address) === fingerprint) continue;
          lastSeen.set(address, fingerprint);
          onAdvert(advert);
        }
        await sleep(this.scanPollMs, signal);
      }
    } finally {
      if (startedHere && !session.failure) {
        // Left running, BlueZ would keep the radio scanning for nobody.
        await this.call(adapter.stopDiscovery(), ADAPTER_LABEL, 'stop scan').catch(() => undefined);
      }
    }
  }

  async connect(address: string, options: BleConnectOptions): Promise<BleConnection> {
    const wanted = address.trim().toUpperCase();
    const started = Date.now();
    const remaining = (): number => Math.max(1, options.deadlineMs - (Date.now() - started));
    let label = wanted;
    const step = (what: string): { ms: number; signal?: AbortSignal; device: string; step: string; hint: string } => ({
      ms: remaining(),
      ...(options.signal ? { signal: options.signal } : {}),
      device: label,
      step: what,
      hint: 'Bring the device closer, check that it advertises and is not connected to another phone or computer, and try again.',
    });
    const adapter = await this.adapter('connect');
    const device = (await this.findDevice(adapter, wanted, step('find device'))) as DeviceWithHelper;
    const props = await this.call(device.helper.props(), label, 'read device', options.signal).catch(() => ({}) as Record<string, unknown>);
    const name = typeof props['Name'] === 'string' ? props['Name'] : null;
    label = bleDeviceLabel(wanted, name);
    const connection = new NodeBleConnection(wanted, label, device, this.session!, this.callTimeoutMs, () => this.connections.delete(connection));
    try {
      await withDeadline(guard(device.connect(), label, 'connect'), {
        ...step('connect'),
        // BlueZ cancels a connection attempt still in progress on Disconnect.
        onGiveUp: () => void device.disconnect().catch(() => undefined),
      });
      const gatt = await withDeadline(guard(device.gatt(), label, 'resolve services'), step('resolve services'));
      await connection.load(gatt, step);
    } catch (error) {
      connection.dispose();
      await device.disconnect().catch(() => undefined);
      throw error;
    }
    this.connections.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    for (const connection of [...this.connections]) await connection.disconnect().catch(() => undefined);
    if (!session) return;
    // A D-Bus call in flight when the bus is closed never settles: end the ones still waiting (a scan's) now.
    if (!session.failure) {
      session.failure = new FieldbenchError({ code: 'unavailable', message: 'Bluetooth was closed', device: ADAPTER_LABEL, step: 'close Bluetooth', hint: 'Start it again.' });
      for (const listener of [...session.onFailure]) listener(session.failure);
    }
    session.destroy();
  }

  /** The default adapter, powered; fails with what to do when there is none or it is off. */
  private async adapter(step: string): Promise<NodeBle.Adapter & { adapter?: unknown }> {
    const session = await this.open(step);
    const names = await this.call(session.bluetooth.adapters(), ADAPTER_LABEL, step);
    const first = names[0];
    if (first === undefined) {
      throw new FieldbenchError({ code: 'unavailable', message: 'no Bluetooth adapter is present', device: ADAPTER_LABEL, step, hint: NO_ADAPTER });
    }
    const adapter = await this.call(session.bluetooth.getAdapter(first), first, step);
    const powered = await this.call(adapter.isPowered(), first, step);
    if (!powered) {
      throw new FieldbenchError({ code: 'unavailable', message: `the Bluetooth adapter ${first} is powered off`, device: first, step, hint: POWER_ON });
    }
    return adapter;
  }

  private async open(step: string): Promise<Session> {
    if (this.session && !this.session.failure) return this.session;
    this.session?.destroy();
    this.session = null;
    let module: NodeBleModule;
    try {
      module = await (this.options.loadNodeBle ?? loadNodeBle)();
    } catch (error) {
      throw new FieldbenchError(
        { code: 'unavailable', message: `could not load node-ble (${describe(error)})`, device: ADAPTER_LABEL, step, hint: 'Reinstall Fieldbench; BLE needs its node-ble package.' },
        { cause: error },
      );
    }
    const { bluetooth, destroy } = onSystemBus(this.options.busAddress, () => module.createBluetooth());
    const session: Session = { bluetooth, destroy, failure: null, onFailure: new Set() };
    const bus = (bluetooth as unknown as { dbus?: BusLike }).dbus;
    // Without a listener, a bus that cannot be reached would throw from an event and take the process down.
    bus?.on('error', (error) => {
      if (session.failure) return;
      session.failure = translate(error, ADAPTER_LABEL, 'connect to D-Bus');
      for (const listener of [...session.onFailure]) listener(session.failure);
    });
    this.session = session;
    return session;
  }

  private async findDevice(adapter: NodeBle.Adapter, address: string, step: Parameters<typeof withDeadline>[1]): Promise<NodeBle.Device> {
    const known = await this.call(adapter.devices(), step.device, step.step, step.signal);
    if (known.includes(address)) return this.call(adapter.getDevice(address), step.device, step.step, step.signal);
    // BlueZ knows only devices it has heard: listen until this one advertises.
    const startedHere = !(await this.call(adapter.isDiscovering(), ADAPTER_LABEL, step.step));
    if (startedHere) await this.call(adapter.startDiscovery(), ADAPTER_LABEL, step.step).catch(() => undefined);
    try {
      // node-ble's own time-out is set past ours, so the deadline that fires is the one that says what happened.
      return await withDeadline(guard(adapter.waitDevice(address, step.ms + 1_000, Math.min(this.scanPollMs, 500)), step.device, step.step), {
        ...step,
        hint: 'The device was not heard: check that it is on, in range and advertising.',
      });
    } finally {
      if (startedHere) await this.call(adapter.stopDiscovery(), ADAPTER_LABEL, step.step).catch(() => undefined);
    }
  }

  private async readAdvert(adapter: NodeBle.Adapter, devices: Map<string, DeviceWithHelper>, address: string, signal: AbortSignal): Promise<BleAdvert | null> {
    try {
      let device = devices.get(address);
      if (!device) {
        device = (await this.call(adapter.getDevice(address), address, 'scan', signal)) as DeviceWithHelper;
        devices.set(address, device);
      }
      return advertFrom(address, await this.call(device.helper.props(), address, 'scan', signal));
    } catch (error) {
      // A device BlueZ dropped between the list and the read: it is out of range, not an error.
      if (isFieldbenchError(error) && (error.code === 'not-found' || error.code === 'device-gone')) return null;
      if (signal.aborted) return null;
      throw error;
    }
  }

  private call<T>(work: Promise<T>, device: string, step: string, signal?: AbortSignal): Promise<T> {
    const session = this.session;
    return callWithin(work, { session, device, step, ms: this.callTimeoutMs, ...(signal ? { signal } : {}) });
  }
}

/** A D-Bus call with a deadline, translated errors, and the bus's own failure ending it early. */
function callWithin<T>(work: Promise<T>, options: { session: Session | null; device: string; step: string; ms: number; signal?: AbortSignal }): Promise<T> {
  const { session, device, step, ms, signal } = options;
  if (session?.failure) return Promise.reject(session.failure);
  let stop: (() => void) | null = null;
  const busFailure = new Promise<never>((_, reject) => {
    if (!session) return;
    const listener = (error: FieldbenchError): void => reject(new FieldbenchError({ ...error.toShape(), device, step }, { cause: error }));
    session.onFailure.add(listener);
    stop = () => session.onFailure.delete(listener);
  });
  busFailure.catch(() => undefined);
  return withDeadline(Promise.race([guard(work, device, step), busFailure]), {
    ms,
    ...(signal ? { signal } : {}),
    device,
    step,
    hint: 'BlueZ did not answer in time; check that the bluetooth service is healthy (systemctl status bluetooth).',
  }).finally(() => stop?.());
}

/** node-ble and D-Bus errors as FieldbenchErrors naming the device and the step. */
function guard<T>(work: Promise<T>, device: string, step: string): Promise<T> {
  return work.catch((error: unknown) => {
    throw isFieldbenchError(error) ? error : translate(error, device, step);
  });
}

/** What a D-Bus or BlueZ error means for the person at the bench. */
export function translate(error: unknown, device: string, step: string): FieldbenchError {
  const type = typeof (error as { type?: unknown })?.type === 'string' ? (error as { type: string }).type : '';
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const text = describe(error);
  const make = (shape: { code: FieldbenchError['code']; message: string; hint: string }): FieldbenchError =>
    new FieldbenchError({ ...shape, device, step }, { cause: error });
  if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPIPE', 'ECONNRESET'].includes(code)) {
    return make({ code: 'unavailable', message: `the D-Bus system bus cannot be reached (${code})`, hint: 'Start D-Bus and BlueZ (sudo systemctl start dbus bluetooth).' });
  }
  switch (type) {
    case 'org.freedesktop.DBus.Error.ServiceUnknown':
    case 'org.freedesktop.DBus.Error.NameHasNoOwner':
      return make({ code: 'unavailable', message: 'BlueZ is not running', hint: START_BLUEZ });
    case 'org.freedesktop.DBus.Error.AccessDenied':
      return make({ code: 'unavailable', message: `D-Bus refused access to BlueZ (${text})`, hint: 'Add your user to the bluetooth group, log in again and retry.' });
    case 'org.freedesktop.DBus.Error.UnknownObject':
    case 'org.freedesktop.DBus.Error.UnknownMethod':
    case 'org.bluez.Error.DoesNotExist':
      return make({ code: 'device-gone', message: `BlueZ no longer has it (${text})`, hint: 'The device went out of range or was removed; scan for it again.' });
    case 'org.bluez.Error.NotReady':
      return make({ code: 'unavailable', message: 'the Bluetooth adapter is powered off', hint: POWER_ON });
    case 'org.bluez.Error.NotConnected':
      return make({ code: 'device-gone', message: 'the device is not connected', hint: 'Connect to it again.' });
    case 'org.bluez.Error.InProgress':
    case 'org.bluez.Error.AlreadyConnected':
      return make({ code: 'device-busy', message: `BlueZ is already doing this (${text})`, hint: 'Wait for the other operation to finish, then retry.' });
    case 'org.bluez.Error.NotPermitted':
    case 'org.bluez.Error.NotAuthorized':
    case 'org.bluez.Error.NotPaired':
      return make({ code: 'device-error', message: `the device refused (${text})`, hint: 'The characteristic may need pairing or a different operation; check the device profile.' });
    case 'org.bluez.Error.NotSupported':
      return make({ code: 'device-error', message: `the device does not support this (${text})`, hint: 'Check the device profile against its firmware.' });
    case 'org.bluez.Error.InvalidArguments':
    case 'org.bluez.Error.InvalidValueLength':
    case 'org.bluez.Error.InvalidOffset':
      return make({ code: 'invalid-request', message: `BlueZ refused the request (${text})`, hint: 'Check the value against the characteristic the profile declares.' });
    case 'org.bluez.Error.Failed':
      return make({ code: 'device-error', message: `BlueZ reported a failure (${text})`, hint: 'Bring the device closer and retry; if it persists, restart it.' });
  }
  if (/No available adapters found|Adapter not found/.test(text)) {
    return make({ code: 'unavailable', message: 'no Bluetooth adapter is present', hint: NO_ADAPTER });
  }
  if (/operation timed out/.test(text)) return make({ code: 'timeout', message: 'BlueZ did not find the device in time', hint: 'Check that the device is on, in range and advertising.' });
  if (/Device not found/.test(text)) return make({ code: 'not-found', message: 'BlueZ has not heard this device', hint: 'Scan first, and check that the device advertises.' });
  if (/(Service|Characteristic) not available/.test(text)) {
    return make({ code: 'not-found', message: `the device has no such GATT entry (${text})`, hint: 'Check the UUID against the services the device lists.' });
  }
  return make({ code: 'device-error', message: text, hint: 'Retry; if it persists, restart the device and check BlueZ (systemctl status bluetooth).' });
}

class NodeBleConnection implements BleConnection {
  private readonly characteristics = new Map<string, CharacteristicWithHelper>();
  private serviceList: BleServiceInfo[] = [];
  private readonly listeners = new Set<(reason: string) => void>();
  private readonly subscriptions = new Map<string, Set<(value: Uint8Array) => void>>();
  private readonly relays = new Map<string, (value: Buffer) => void>();
  /** StartNotify calls under way, per characteristic. */
  private readonly starting = new Map<string, Promise<Set<(value: Uint8Array) => void>>>();
  private isConnected = true;
  mtu = ATT_DEFAULT_MTU;
  private readonly onDeviceDisconnect = (): void => this.lost('the device disconnected');
  private readonly onBusFailure = (error: FieldbenchError): void => this.lost(`the link to BlueZ failed: ${error.message}`);

  constructor(
    readonly address: string,
    readonly label: string,
    private readonly device: NodeBle.Device,
    private readonly session: Session,
    private readonly callTimeoutMs: number,
    private readonly forget: () => void,
  ) {
    device.on('disconnect', this.onDeviceDisconnect);
    session.onFailure.add(this.onBusFailure);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Lists services and characteristics once, keeping node-ble's objects for later calls. */
  async load(gatt: NodeBle.GattServer, step: (what: string) => Parameters<typeof withDeadline>[1]): Promise<void> {
    const within = <T>(work: Promise<T>, what: string): Promise<T> => withDeadline(guard(work, this.label, what), step(what));
    const list: BleServiceInfo[] = [];
    for (const serviceUuid of await within(gatt.services(), 'list services')) {
      const service = await within(gatt.getPrimaryService(serviceUuid), 'list services');
      const characteristics = [];
      for (const characteristicUuid of await within(service.characteristics(), 'list characteristics')) {
        const characteristic = (await within(service.getCharacteristic(characteristicUuid), 'list characteristics')) as CharacteristicWithHelper;
        const flags = await within(characteristic.getFlags(), 'list characteristics');
        const uuid = canonicalBleUuid(characteristicUuid);
        this.characteristics.set(key(canonicalBleUuid(serviceUuid), uuid), characteristic);
        characteristics.push({ uuid, flags: [...flags] });
      }
      list.push({ uuid: canonicalBleUuid(serviceUuid), characteristics });
    }
    this.serviceList = list;
    // BlueZ (5.62 and later) gives the connection's ATT MTU on every characteristic.
    const first = this.characteristics.values().next().value;
    if (first) {
      const mtu = await within(first.helper.prop('MTU'), 'read MTU').catch(() => null);
      if (typeof mtu === 'number' && mtu >= ATT_DEFAULT_MTU) this.mtu = mtu;
    }
  }

  services(): Promise<BleServiceInfo[]> {
    return Promise.resolve(this.serviceList.map((service) => ({ ...service, characteristics: service.characteristics.map((c) => ({ ...c, flags: [...c.flags] })) })));
  }

  async read(service: string, characteristic: string): Promise<Uint8Array> {
    const step = `read ${characteristic}`;
    const value = await this.call(this.characteristic(service, characteristic, step).readValue(), step);
    return new Uint8Array(value);
  }

  async write(service: string, characteristic: string, bytes: Uint8Array, options: BleWriteOptions): Promise<void> {
    const step = `write ${characteristic}`;
    const target = this.characteristic(service, characteristic, step);
    await this.call(target.writeValue(Buffer.from(bytes), { type: options.withoutResponse ? 'command' : 'request', offset: 0 }), step);
  }

  async subscribe(service: string, characteristic: string, onValue: (value: Uint8Array) => void): Promise<() => Promise<void>> {
    const step = `subscribe to ${characteristic}`;
    const target = this.characteristic(service, characteristic, step);
    const id = key(canonicalBleUuid(service), canonicalBleUuid(characteristic));
    let listeners = this.subscriptions.get(id);
    if (!listeners) {
      // One StartNotify per characteristic, however many listen: node-ble relays each value once
      // per start. Two listeners asking at once (a follow and a console after a reconnect) share it.
      let starting = this.starting.get(id);
      if (!starting) {
        starting = this.startNotifications(target, id, step).finally(() => this.starting.delete(id));
        this.starting.set(id, starting);
      }
      listeners = await starting;
    }
    listeners.add(onValue);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      listeners.delete(onValue);
      if (listeners.size > 0 || this.subscriptions.get(id) !== listeners) return;
      this.subscriptions.delete(id);
      const relay = this.relays.get(id);
      this.relays.delete(id);
      if (relay) target.off('valuechanged', relay);
      if (this.isConnected) await this.call(target.stopNotifications(), `unsubscribe from ${characteristic}`);
    };
  }

  private async startNotifications(target: CharacteristicWithHelper, id: string, step: string): Promise<Set<(value: Uint8Array) => void>> {
    const set = new Set<(value: Uint8Array) => void>();
    const relay = (value: Buffer): void => {
      for (const listener of [...set]) listener(new Uint8Array(value));
    };
    target.on('valuechanged', relay);
    try {
      await this.call(target.startNotifications(), step);
    } catch (error) {
      target.off('valuechanged', relay);
      throw error;
    }
    this.subscriptions.set(id, set);
    this.relays.set(id, relay);
    return set;
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    if (!this.isConnected) {
      queueMicrotask(() => listener('the device is not connected'));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async disconnect(): Promise<void> {
    if (!this.isConnected) return;
    this.lost('the connection was closed');
    await callWithin(this.device.disconnect(), { session: this.session, device: this.label, step: 'disconnect', ms: this.callTimeoutMs }).catch(() => undefined);
  }

  /** Stops listening without telling anyone: for a connection that never finished opening. */
  dispose(): void {
    this.isConnected = false;
    this.listeners.clear();
    this.detach();
  }

  private lost(reason: string): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.detach();
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener(reason);
  }

  private detach(): void {
    this.device.off('disconnect', this.onDeviceDisconnect);
    this.session.onFailure.delete(this.onBusFailure);
    for (const [id, relay] of this.relays) this.characteristics.get(id)?.off('valuechanged', relay);
    this.relays.clear();
    this.subscriptions.clear();
    this.forget();
  }

  private characteristic(service: string, characteristic: string, step: string): CharacteristicWithHelper {
    if (!this.isConnected) {
      throw new FieldbenchError({ code: 'device-gone', message: 'the device is not connected', device: this.label, step, hint: 'Connect to it again.' });
    }
    const found = this.characteristics.get(key(canonicalBleUuid(service), canonicalBleUuid(characteristic)));
    if (!found) {
      throw new FieldbenchError({
        code: 'not-found',
        message: `the device has no characteristic ${characteristic} in service ${service}`,
        device: this.label,
        step,
        hint: 'Check the UUIDs against the services the device lists; the profile may not fit this firmware.',
      });
    }
    return found;
  }

  private async call<T>(work: Promise<T>, step: string): Promise<T> {
    try {
      return await callWithin(work, { session: this.session, device: this.label, step, ms: this.callTimeoutMs });
    } catch (error) {
      if (!this.isConnected) {
        throw new FieldbenchError({ code: 'device-gone', message: 'the device disconnected', device: this.label, step, hint: 'Bring it in range and connect again.' }, { cause: error });
      }
      throw error;
    }
  }
}

function key(service: string, characteristic: string): string {
  return `${service}/${characteristic}`;
}

function advertFrom(address: string, props: Record<string, unknown>): BleAdvert {
  const name = typeof props['Name'] === 'string' ? props['Name'] : null;
  const rssi = typeof props['RSSI'] === 'number' ? props['RSSI'] : null;
  const txPower = typeof props['TxPower'] === 'number' ? props['TxPower'] : null;
  const uuids = Array.isArray(props['UUIDs']) ? props['UUIDs'].filter((u): u is string => typeof u === 'string') : [];
  const serviceUuids = uuids.flatMap((uuid) => {
    try {
      return [canonicalBleUuid(uuid)];
    } catch {
      return [];
    }
  });
  const type = props['AddressType'];
  const addressType = type === 'public' || type === 'random' ? { addressType: type as 'public' | 'random' } : {};
  return { address, name, rssi, serviceUuids, manufacturerData: manufacturerDataFrom(props['ManufacturerData']), txPower, ...addressType, seenAt: new Date().toISOString() };
}

/** BlueZ's ManufacturerData: a{qv}, company id to a variant holding the bytes. */
function manufacturerDataFrom(value: unknown): BleAdvert['manufacturerData'] {
  if (value === null || typeof value !== 'object') return [];
  const entries: BleAdvert['manufacturerData'] = [];
  for (const [id, raw] of Object.entries(value as Record<string, unknown>)) {
    const inner = raw !== null && typeof raw === 'object' && 'value' in raw ? (raw as { value: unknown }).value : raw;
    const companyId = Number(id);
    if (!Number.isInteger(companyId)) continue;
    if (inner instanceof Uint8Array) entries.push({ companyId, dataHex: Buffer.from(inner).toString('hex') });
    else if (Array.isArray(inner)) entries.push({ companyId, dataHex: Buffer.from(inner as number[]).toString('hex') });
  }
  return entries.sort((a, b) => a.companyId - b.companyId);
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as { text?: string }).text || error.message;
  return String(error);
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function ignoreAbort(signal: AbortSignal): (error: unknown) => null {
  return (error) => {
    if (signal.aborted) return null;
    throw error;
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
