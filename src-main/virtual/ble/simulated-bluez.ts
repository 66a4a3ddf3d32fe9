// A simulated BlueZ: a D-Bus service that owns org.bluez on a bus (a private one from
// private-dbus.ts) and exports what bluetoothd exports, so node-ble, bluetoothctl or any
// other BlueZ client drives it unmodified. One adapter, hci0; devices that appear only
// while discovering and go when out of range; each device a GATT server, usually a virtual
// sensor node (sensor-node-gatt.ts) that the serial side can reach too. Adapter fault knobs
// live here, device ones on each device.
import dbus from 'dbus-next';
import { FieldbenchError } from '../../api/errors';
import type { SensorNodeSimulator } from '../sensor-node/sensor-node-firmware';
import { type BleLinkParameters, DEFAULT_LINK_PARAMETERS, checkLinkParameters } from './ble-link-model';
import { type AdapterController, AdapterInterface, AgentManagerInterface, bluezError, emitChanged } from './bluez-interfaces';
import { BluezObjectTree } from './bluez-object-tree';
import { allowIntegerDictionaryKeys } from './dbus-integer-dict-keys';
import type { GattServer } from './gatt-database';
import { FIELDBENCH_SENSOR_SERVICE_UUID, SENSOR_NODE_COMPANY_ID, SMP_SERVICE_UUID } from './gatt-uuids';
import { SensorNodeGatt, type SensorNodeGattOptions } from './sensor-node-gatt';
import { SimulatedBleDevice, type SimulatedDeviceFaults } from './simulated-ble-device';

export const BLUEZ_SERVICE = 'org.bluez';
export const ADAPTER_PATH = '/org/bluez/hci0';

export interface SimulatedBluezOptions {
  /** The bus to own org.bluez on (unix:path=...). */
  busAddress: string;
  adapterAddress?: string;
  adapterName?: string;
  /** 1 real time (default), 0 instant: connection setup and link pacing. */
  timeScale?: number;
  /** How often a discovering adapter sees each device advertise (RSSI updates); 100 ms by default. */
  advertIntervalMs?: number;
  /**
   * How long a device that stopped advertising (out of range, reset) stays listed before it
   * is removed, as bluetoothd's TemporaryTimeout; 30 s by default. A Connect meanwhile fails.
   */
  staleDeviceTimeoutMs?: number;
}

export interface AdapterFaults {
  /** The adapter is powered off: discovery and connections fail with org.bluez.Error.NotReady. */
  poweredOff?: boolean;
  /** There is no adapter at all: /org/bluez/hci0 is gone. */
  noAdapter?: boolean;
}

export interface AddSensorNodeOptions extends SensorNodeGattOptions {
  /** The same simulator object the serial side attaches to. */
  node: SensorNodeSimulator;
  /** AA:BB:CC:DD:EE:FF. */
  address: string;
  /** Advertised name; "SensorNode-" and the serial number's last four digits by default. */
  name?: string;
  addressType?: 'public' | 'random';
  /** Base RSSI in dBm; -60 by default. */
  rssi?: number;
  /** Advertised TX power in dBm; 0 by default. */
  txPower?: number;
  /** This connection's link; DEFAULT_LINK_PARAMETERS where not given. */
  link?: Partial<BleLinkParameters>;
  faults?: SimulatedDeviceFaults;
}

/** A device on the simulated air, as a test or the app holds it. */
export interface SimulatedBleDeviceHandle {
  readonly address: string;
  readonly path: string;
  readonly connected: boolean;
  /** Why the last link ended ('local', 'remote', 'supervision timeout', 'device reset', 'fault: disconnect mid-upload'), null before any. */
  readonly lastDisconnectReason: string | null;
  readonly faults: SimulatedDeviceFaults;
  setFaults(faults: SimulatedDeviceFaults): void;
  /** Drop the link from the device's side, as a reset or a supervision timeout does. */
  dropLink(): void;
}

const ADDRESS = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;

export class SimulatedBluez {
  private readonly devices = new Map<string, { device: SimulatedBleDevice; handle: SimulatedBleDeviceHandle; node: SensorNodeSimulator | null; lastUptimeMs: number; lastSeenAt: number }>();
  private readonly tree: BluezObjectTree;
  private readonly adapterInterface: AdapterInterface;
  private powered = true;
  /**
   * Discovery is per client, as in bluetoothd: the bus names that started it. The adapter
   * discovers while any of them does, and a client that leaves the bus ends its session.
   */
  private readonly discoverySessions = new Set<string>();
  /** The bus name of the method call being handled, for the adapter's per-client discovery. */
  private caller = '';
  private adapterPresent = false;
  private adapterAlias: string;
  private timer: ReturnType<typeof setInterval>;
  private stopped = false;

  private constructor(
    private readonly bus: ReturnType<typeof dbus.sessionBus>,
    private readonly options: Required<Omit<SimulatedBluezOptions, 'busAddress'>>,
  ) {
    this.adapterAlias = options.adapterName;
    this.tree = new BluezObjectTree(bus);
    this.tree.add('/org/bluez', [new AgentManagerInterface()]);
    this.adapterInterface = new AdapterInterface(this.adapterController());
    this.setAdapterPresent(true);
    this.timer = setInterval(() => this.tick(), options.advertIntervalMs);
    // Handlers run synchronously just after this one, so `caller` is the sender of the call they handle.
    bus.addMethodHandler((message: { sender?: string }) => {
      this.caller = message.sender ?? '';
      return false;
    });
  }

  private get discovering(): boolean {
    return this.discoverySessions.size > 0;
  }

  /** Ends the discovery session of a client that left the bus. */
  private async watchClients(): Promise<void> {
    const daemon = await this.bus.getProxyObject('org.freedesktop.DBus', '/org/freedesktop/DBus');
    daemon.getInterface('org.freedesktop.DBus').on('NameOwnerChanged', (name: string, _old: string, owner: string) => {
      if (owner === '' && this.discoverySessions.has(name)) this.endDiscovery(name);
    });
  }

  /** Connect to the bus, own org.bluez, and export the adapter. */
  static async start(options: SimulatedBluezOptions): Promise<SimulatedBluez> {
    const step = 'start simulated BlueZ';
    allowIntegerDictionaryKeys();
    const bus = dbus.sessionBus({ busAddress: options.busAddress });
    try {
      const reply = await withDeadline(bus.requestName(BLUEZ_SERVICE, dbus.NameFlag.DO_NOT_QUEUE), 5_000, step);
      if (reply !== dbus.RequestNameReply.PRIMARY_OWNER) {
        throw new FieldbenchError({
          code: 'device-busy',
          message: `another process owns ${BLUEZ_SERVICE} on ${options.busAddress}`,
          device: 'simulated BlueZ',
          step,
          hint: 'Start the simulated BlueZ on a private bus (startPrivateDbus), never on the real system bus.',
        });
      }
    } catch (error) {
      bus.disconnect();
      if (error instanceof FieldbenchError) throw error;
      throw new FieldbenchError(
        { code: 'unavailable', message: `could not own ${BLUEZ_SERVICE}: ${(error as Error).message}`, device: 'simulated BlueZ', step, hint: 'Check the bus address and that its dbus-daemon is running.' },
        { cause: error },
      );
    }
    const bluez = new SimulatedBluez(bus, {
      adapterAddress: options.adapterAddress ?? '00:1A:7D:DA:71:13',
      adapterName: options.adapterName ?? 'fieldbench-sim',
      timeScale: options.timeScale ?? 1,
      advertIntervalMs: options.advertIntervalMs ?? 100,
      staleDeviceTimeoutMs: options.staleDeviceTimeoutMs ?? 30_000,
    });
    try {
      await withDeadline(bluez.watchClients(), 5_000, step);
    } catch (error) {
      await bluez.stop();
      throw error;
    }
    return bluez;
  }

  /** Put a virtual sensor node on the air. */
  addSensorNode(options: AddSensorNodeOptions): SimulatedBleDeviceHandle {
    const { node } = options;
    const gatt = new SensorNodeGatt(node, {
      ...(options.sensorPollMs !== undefined ? { sensorPollMs: options.sensorPollMs } : {}),
      ...(options.logIntervalMs !== undefined ? { logIntervalMs: options.logIntervalMs } : {}),
    });
    const advertisedSerial = new TextEncoder().encode(node.serialNumber.replace(/^SN-/, ''));
    return this.addDevice(
      {
        address: options.address,
        addressType: options.addressType ?? 'random',
        name: options.name ?? `SensorNode-${node.serialNumber.slice(-4)}`,
        rssi: options.rssi ?? -60,
        txPower: options.txPower ?? 0,
        advertisedUuids: [SMP_SERVICE_UUID, FIELDBENCH_SENSOR_SERVICE_UUID],
        manufacturerData: { [SENSOR_NODE_COMPANY_ID]: advertisedSerial },
        link: options.link,
        faults: options.faults,
      },
      gatt,
      node,
    );
  }

  /** Put any GATT server on the air. `node` is watched for resets (which drop the link) when given. */
  addDevice(
    identity: {
      address: string;
      addressType?: 'public' | 'random';
      name: string;
      rssi?: number;
      txPower?: number;
      advertisedUuids?: string[];
      manufacturerData?: Record<number, Uint8Array>;
      link?: Partial<BleLinkParameters> | undefined;
      faults?: SimulatedDeviceFaults | undefined;
    },
    gatt: GattServer,
    node: SensorNodeSimulator | null = null,
  ): SimulatedBleDeviceHandle {
    const address = identity.address.toUpperCase();
    if (!ADDRESS.test(address)) {
      throw new FieldbenchError({ code: 'invalid-request', message: `"${identity.address}" is not a Bluetooth address`, device: 'simulated BlueZ', step: 'add device', hint: 'Give the address as six hex bytes, AA:BB:CC:DD:EE:FF.' });
    }
    if (this.devices.has(address)) {
      throw new FieldbenchError({ code: 'device-busy', message: `a device with address ${address} is already on the air`, device: address, step: 'add device', hint: 'Give each simulated device its own address.' });
    }
    const link = checkLinkParameters({ ...DEFAULT_LINK_PARAMETERS, ...identity.link });
    const device = new SimulatedBleDevice(
      {
        address,
        addressType: identity.addressType ?? 'random',
        name: identity.name,
        rssi: identity.rssi ?? -60,
        txPower: identity.txPower ?? 0,
        advertisedUuids: identity.advertisedUuids ?? [],
        manufacturerData: identity.manufacturerData ?? {},
      },
      gatt,
      {
        tree: this.tree,
        adapterPath: ADAPTER_PATH,
        adapterPowered: () => this.adapterPresent && this.powered,
        link,
        timeScale: this.options.timeScale,
        advertising: () => node === null || node.mode === 'application',
      },
    );
    if (identity.faults) device.setFaults(identity.faults);
    const handle: SimulatedBleDeviceHandle = {
      address,
      path: device.path,
      get connected() {
        return device.connected;
      },
      get lastDisconnectReason() {
        return device.lastDisconnectReason;
      },
      get faults() {
        return device.faults;
      },
      setFaults: (faults) => device.setFaults(faults),
      dropLink: () => device.dropLink('remote'),
    };
    this.devices.set(address, { device, handle, node, lastUptimeMs: node?.uptimeMs ?? 0, lastSeenAt: performance.now() });
    return handle;
  }

  /** A device put on the air earlier, by address. */
  device(address: string): SimulatedBleDeviceHandle {
    const entry = this.devices.get(address.toUpperCase());
    if (!entry) {
      throw new FieldbenchError({ code: 'not-found', message: `no simulated device has address ${address}`, device: address, step: 'find simulated device', hint: 'Add it first with addSensorNode or addDevice.' });
    }
    return entry.handle;
  }

  /** Take a device off the air altogether. */
  removeDevice(address: string): void {
    const entry = this.devices.get(address.toUpperCase());
    if (!entry) return;
    entry.device.vanish();
    this.devices.delete(address.toUpperCase());
  }

  get faults(): AdapterFaults {
    return { poweredOff: !this.powered, noAdapter: !this.adapterPresent };
  }

  setFaults(faults: AdapterFaults): void {
    this.setAdapterPresent(!faults.noAdapter);
    this.setPowered(!faults.poweredOff);
  }

  get isDiscovering(): boolean {
    return this.discovering;
  }

  /** Release org.bluez, drop every link and leave the bus. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    for (const { device } of this.devices.values()) device.dropLink('adapter stopped');
    await withDeadline(this.bus.releaseName(BLUEZ_SERVICE), 2_000, 'stop simulated BlueZ').catch(() => undefined);
    this.bus.disconnect();
  }

  // ------------------------------------------------------------------ adapter

  private adapterController(): AdapterController {
    // The getters below read live state from this instance; an object literal's own `this` is the controller.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const bluez = this;
    return {
      get address() {
        return bluez.options.adapterAddress;
      },
      get name() {
        return bluez.options.adapterName;
      },
      get alias() {
        return bluez.adapterAlias;
      },
      set alias(value: string) {
        bluez.adapterAlias = value;
        emitChanged(bluez.adapterInterface, { Alias: value });
      },
      get powered() {
        return bluez.powered;
      },
      // bluetoothctl's "power on/off" sets this property.
      set powered(value: boolean) {
        bluez.setPowered(value);
      },
      get discovering() {
        return bluez.discovering;
      },
      // A second StartDiscovery from a client already discovering succeeds, as in bluetoothd.
      startDiscovery: () => {
        if (!this.powered) throw bluezError('NotReady', 'Resource Not Ready');
        const started = this.discovering;
        this.discoverySessions.add(this.caller);
        if (!started) emitChanged(this.adapterInterface, { Discovering: true });
      },
      stopDiscovery: () => {
        if (!this.powered) throw bluezError('NotReady', 'Resource Not Ready');
        if (!this.discoverySessions.has(this.caller)) throw bluezError('Failed', 'No discovery started');
        this.endDiscovery(this.caller);
      },
      setDiscoveryFilter: (filter) => {
        if (!this.powered) throw bluezError('NotReady', 'Resource Not Ready');
        const transport = filter.Transport?.value;
        if (transport !== undefined && !['auto', 'le', 'bredr'].includes(String(transport))) throw bluezError('InvalidArguments', 'Invalid arguments in method call');
      },
      removeDevice: (path) => {
        const entry = [...this.devices.values()].find((e) => e.device.path === path);
        if (!entry || !entry.device.visible) throw bluezError('DoesNotExist', 'Does Not Exist');
        entry.device.vanish();
      },
    };
  }

  private setAdapterPresent(present: boolean): void {
    if (present === this.adapterPresent) return;
    this.adapterPresent = present;
    if (present) {
      this.tree.add(ADAPTER_PATH, [this.adapterInterface]);
      return;
    }
    this.discoverySessions.clear();
    for (const { device } of this.devices.values()) device.vanish();
    this.tree.remove(ADAPTER_PATH);
  }

  private setPowered(powered: boolean): void {
    if (powered === this.powered) return;
    this.powered = powered;
    if (!powered) {
      // Powering down ends discovery and every link, and BlueZ forgets devices it only saw advertising.
      if (this.discovering) {
        this.discoverySessions.clear();
        emitChanged(this.adapterInterface, { Discovering: false });
      }
      for (const { device } of this.devices.values()) device.vanish();
    }
    if (this.adapterPresent) emitChanged(this.adapterInterface, { Powered: powered });
  }

  private endDiscovery(client: string): void {
    this.discoverySessions.delete(client);
    if (!this.discovering && this.adapterPresent) emitChanged(this.adapterInterface, { Discovering: false });
  }

  /** Every advertising interval: devices in range show up and move, those gone vanish, rebooted nodes drop their links. */
  private tick(): void {
    const now = performance.now();
    for (const entry of this.devices.values()) {
      const { device, node } = entry;
      if (node) {
        const uptime = node.uptimeMs;
        // Uptime going back means the MCU reset: its radio went with it.
        if (uptime < entry.lastUptimeMs && device.connected) device.dropLink('device reset');
        entry.lastUptimeMs = uptime;
      }
      if (!this.adapterPresent || !this.powered) continue;
      if (!device.reachable) {
        if (device.connected) device.dropLink('supervision timeout');
        if (device.visible && now - entry.lastSeenAt > this.options.staleDeviceTimeoutMs) device.vanish();
        continue;
      }
      if (!this.discovering) continue;
      entry.lastSeenAt = now;
      if (!device.visible) device.appear();
      else if (!device.connected) device.advertised();
    }
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number, step: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FieldbenchError({ code: 'timeout', message: `the bus did not answer within ${ms} ms`, device: 'simulated BlueZ', step, hint: 'Check that the dbus-daemon behind the bus address is running.' })),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
