// One simulated peripheral as BlueZ shows it: its Device1 object, and once it is connected
// and its services are resolved, its GattService1 / GattCharacteristic1 objects, which stay
// (BlueZ caches them) after a disconnect. Connection state, notifications, the link's
// pacing and the device's fault knobs live here; what the device answers is its GattServer's.
import { attWritePayload } from '../../transports/ble/att';
import { type BleLinkParameters, BleLinkPacer } from './ble-link-model';
import {
  type CharacteristicController,
  type DeviceController,
  DeviceInterface,
  GattCharacteristicInterface,
  GattServiceInterface,
  bluezError,
  emitChanged,
} from './bluez-interfaces';
import type { BluezObjectTree } from './bluez-object-tree';
import { GattRefusal, type GattCharacteristicDefinition, type GattConnection, type GattServer } from './gatt-database';
import { SMP_CHARACTERISTIC_UUID } from './gatt-uuids';

export interface SimulatedDeviceFaults {
  /** The device is out of range: it stops advertising, a connection to it drops, Connect fails. */
  outOfRange?: boolean;
  /** The link drops once this many bytes have been written to the SMP characteristic since armed. */
  disconnectAtSmpBytes?: number;
  /** How far RSSI wanders from its base, in dB, while discovering; 3 by default. */
  rssiDriftDbm?: number;
}

export interface SimulatedDeviceIdentity {
  /** AA:BB:CC:DD:EE:FF, upper case. */
  address: string;
  addressType: 'public' | 'random';
  name: string;
  /** RSSI in dBm the drift moves around. */
  rssi: number;
  txPower: number;
  /** Advertised service UUIDs. */
  advertisedUuids: string[];
  manufacturerData: Record<number, Uint8Array>;
}

export interface SimulatedDeviceContext {
  tree: BluezObjectTree;
  adapterPath: string;
  adapterPowered(): boolean;
  link: BleLinkParameters;
  /** 1 real time, 0 instant: connection setup and link pacing. */
  timeScale: number;
  /** Whether the device is running and advertising (not rebooting, not in its bootloader). */
  advertising(): boolean;
}

/** How long a connection attempt to a device that does not answer takes to give up, at time scale 1. */
const CONNECT_GIVE_UP_MS = 2_000;
/** Link setup and service discovery, in connection intervals. */
const SETUP_INTERVALS = 3;

interface CharacteristicState {
  definition: GattCharacteristicDefinition;
  path: string;
  iface: GattCharacteristicInterface;
  value: Uint8Array;
  notifying: boolean;
}

export class SimulatedBleDevice implements DeviceController {
  readonly path: string;
  readonly addressType: 'public' | 'random';
  readonly name: string;
  alias: string;
  trusted = false;
  connected = false;
  servicesResolved = false;
  /** Why the last link ended ('local', 'remote', 'supervision timeout', 'device reset', a fault), null before any. */
  lastDisconnectReason: string | null = null;
  private connecting = false;
  private rssiNow: number;
  private rssiPhase = Math.random() * Math.PI * 2;
  private currentFaults: SimulatedDeviceFaults = {};
  private smpBytesSinceArmed = 0;
  private readonly deviceInterface: DeviceInterface;
  private readonly characteristics = new Map<string, CharacteristicState>();
  private readonly services: { path: string; iface: GattServiceInterface }[] = [];
  private gattExported = false;
  private pacer: BleLinkPacer;
  /** Bumped at every link loss: work begun on an older link is dropped. */
  private linkEpoch = 0;

  constructor(
    private readonly identity: SimulatedDeviceIdentity,
    readonly gatt: GattServer,
    private readonly context: SimulatedDeviceContext,
  ) {
    this.path = `${context.adapterPath}/dev_${identity.address.replace(/:/g, '_')}`;
    this.addressType = identity.addressType;
    this.name = identity.name;
    this.alias = identity.name;
    this.rssiNow = identity.rssi;
    this.deviceInterface = new DeviceInterface(this);
    this.pacer = new BleLinkPacer(context.link, context.timeScale);
    // Object names carry ATT handles as bluetoothd's do: a service declaration, then per
    // characteristic its declaration and value (and a CCCD when it notifies).
    let handle = 0x000a;
    for (const service of gatt.services) {
      const servicePath = `${this.path}/service${hex4(handle)}`;
      this.services.push({ path: servicePath, iface: new GattServiceInterface(service.uuid, this.path) });
      handle += 1;
      for (const definition of service.characteristics) {
        const path = `${servicePath}/char${hex4(handle)}`;
        const state: CharacteristicState = { definition, path, value: new Uint8Array(0), notifying: false, iface: undefined as unknown as GattCharacteristicInterface };
        state.iface = new GattCharacteristicInterface(this.characteristicController(state, servicePath));
        this.characteristics.set(definition.uuid, state);
        handle += definition.flags.includes('notify') ? 3 : 2;
      }
    }
  }

  get address(): string {
    return this.identity.address;
  }
  get adapterPath(): string {
    return this.context.adapterPath;
  }
  get rssi(): number {
    return Math.round(this.rssiNow);
  }
  get txPower(): number {
    return this.identity.txPower;
  }
  get uuids(): string[] {
    // Once resolved, BlueZ lists the services found, not only the advertised ones.
    return this.servicesResolved || this.gattExported ? this.gatt.services.map((s) => s.uuid) : this.identity.advertisedUuids;
  }
  get manufacturerData(): Record<number, Uint8Array> {
    return this.identity.manufacturerData;
  }
  get faults(): SimulatedDeviceFaults {
    return { ...this.currentFaults };
  }

  /** Replace the fault knobs; a new disconnectAtSmpBytes counts from now. */
  setFaults(faults: SimulatedDeviceFaults): void {
    if (faults.disconnectAtSmpBytes !== undefined) this.smpBytesSinceArmed = 0;
    this.currentFaults = { ...faults };
    if (faults.outOfRange && this.connected) this.dropLink('supervision timeout');
  }

  /** Within radio range and running its application: it advertises and can be connected. */
  get reachable(): boolean {
    return !this.currentFaults.outOfRange && this.context.advertising();
  }

  /** The Device1 object appears, as BlueZ adds a device when discovery first sees it. */
  appear(): void {
    this.context.tree.add(this.path, [this.deviceInterface]);
    if (this.gattExported) for (const object of this.gattObjects()) this.context.tree.add(object.path, [object.iface]);
  }

  /** The device object and everything under it go. */
  vanish(): void {
    if (this.connected) this.dropLink('device removed');
    this.context.tree.remove(this.path);
  }

  get visible(): boolean {
    return this.context.tree.has(this.path);
  }

  /** One advertisement seen while discovering: RSSI wanders around its base. */
  advertised(): void {
    const amplitude = this.currentFaults.rssiDriftDbm ?? 3;
    this.rssiPhase += 0.7;
    const next = this.identity.rssi + amplitude * Math.sin(this.rssiPhase) + (Math.random() - 0.5) * Math.min(2, amplitude);
    const before = this.rssi;
    this.rssiNow = next;
    if (this.rssi !== before) emitChanged(this.deviceInterface, { RSSI: this.rssi });
  }

  async connect(): Promise<void> {
    if (!this.context.adapterPowered()) throw bluezError('NotReady', 'Resource Not Ready');
    if (this.connected) throw bluezError('AlreadyConnected', 'Already Connected');
    if (this.connecting) throw bluezError('InProgress', 'In Progress');
    this.connecting = true;
    try {
      if (!this.reachable) {
        await this.wait(CONNECT_GIVE_UP_MS);
        throw bluezError('Failed', 'le-connection-abort-by-local');
      }
      await this.wait(this.context.link.connectionIntervalMs * SETUP_INTERVALS);
      if (!this.reachable) throw bluezError('Failed', 'le-connection-abort-by-local');
      this.connected = true;
      this.pacer = new BleLinkPacer(this.context.link, this.context.timeScale);
      emitChanged(this.deviceInterface, { Connected: true });
      this.gatt.connected(this.connection(this.linkEpoch));
      if (!this.gattExported) {
        this.gattExported = true;
        for (const object of this.gattObjects()) this.context.tree.add(object.path, [object.iface]);
      }
      await this.wait(this.context.link.connectionIntervalMs * SETUP_INTERVALS);
      if (!this.connected) throw bluezError('Failed', 'Software caused connection abort');
      this.servicesResolved = true;
      emitChanged(this.deviceInterface, { ServicesResolved: true, UUIDs: this.uuids });
    } finally {
      this.connecting = false;
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) throw bluezError('NotConnected', 'Not Connected');
    this.dropLink('local');
  }

  /** The link is gone, whoever ended it: Connected and ServicesResolved go false, the objects stay. */
  dropLink(reason: string): void {
    if (!this.connected) return;
    this.lastDisconnectReason = reason;
    this.linkEpoch += 1;
    this.connected = false;
    this.servicesResolved = false;
    for (const state of this.characteristics.values()) {
      if (!state.notifying) continue;
      state.notifying = false;
      emitChanged(state.iface, { Notifying: false });
    }
    this.gatt.disconnected();
    emitChanged(this.deviceInterface, { ServicesResolved: false });
    emitChanged(this.deviceInterface, { Connected: false });
  }

  private gattObjects(): { path: string; iface: GattServiceInterface | GattCharacteristicInterface }[] {
    return [...this.services, ...[...this.characteristics.values()].map((c) => ({ path: c.path, iface: c.iface }))];
  }

  private connection(epoch: number): GattConnection {
    return {
      mtu: this.context.link.mtu,
      isNotifying: (uuid) => this.characteristics.get(uuid)?.notifying === true,
      notify: async (uuid, value) => {
        const state = this.characteristics.get(uuid);
        if (!state?.notifying || epoch !== this.linkEpoch) return;
        await this.pacer.next();
        if (!state.notifying || epoch !== this.linkEpoch) return;
        state.value = value.slice(0, attWritePayload(this.context.link.mtu));
        emitChanged(state.iface, { Value: Buffer.from(state.value) });
      },
    };
  }

  private characteristicController(state: CharacteristicState, servicePath: string): CharacteristicController {
    const link = this.context.link;
    const { definition } = state;
    const requireConnected = (): number => {
      if (!this.connected) throw bluezError('Failed', 'Not connected');
      return this.linkEpoch;
    };
    return {
      uuid: definition.uuid,
      servicePath,
      flags: definition.flags,
      get value() {
        return state.value;
      },
      get notifying() {
        return state.notifying;
      },
      get mtu() {
        return link.mtu;
      },
      read: async (offset) => {
        requireConnected();
        if (!definition.flags.includes('read') || !definition.read) throw bluezError('NotPermitted', 'Read not permitted');
        // A read request and its response: one packet each way.
        await this.pacer.next();
        await this.pacer.next();
        requireConnected();
        const value = definition.read();
        if (offset > value.length) throw bluezError('InvalidOffset', 'Invalid offset');
        state.value = value;
        emitChanged(state.iface, { Value: Buffer.from(value) });
        return value.subarray(offset);
      },
      write: async (value, type, offset) => {
        const epoch = requireConnected();
        const withResponse = type !== 'command';
        if (withResponse ? !definition.flags.includes('write') : !definition.flags.includes('write-without-response')) {
          throw withResponse ? bluezError('NotPermitted', 'Write not permitted') : bluezError('NotSupported', 'Operation is not supported');
        }
        if (offset !== 0) throw bluezError('InvalidOffset', 'Invalid offset');
        const payload = attWritePayload(this.context.link.mtu);
        if (!withResponse && value.length > payload) throw bluezError('InvalidValueLength', `Invalid Length: a write without response carries at most ${payload} bytes`);
        const packets = Math.max(1, Math.ceil(value.length / payload)) + (withResponse ? 1 : 0);
        for (let i = 0; i < packets; i++) await this.pacer.next();
        if (epoch !== this.linkEpoch) throw bluezError('Failed', 'Not connected');
        let delivered = value;
        let cut = false;
        if (definition.uuid === SMP_CHARACTERISTIC_UUID && this.currentFaults.disconnectAtSmpBytes !== undefined) {
          const room = this.currentFaults.disconnectAtSmpBytes - this.smpBytesSinceArmed;
          if (value.length >= room) {
            delivered = value.subarray(0, Math.max(0, room));
            cut = true;
          }
          this.smpBytesSinceArmed += delivered.length;
        }
        try {
          if (delivered.length > 0 || !cut) await definition.write?.(delivered, { withResponse });
        } catch (error) {
          if (error instanceof GattRefusal) throw bluezError(error.bluezError, error.message);
          throw error;
        }
        if (cut) {
          const rest = { ...this.currentFaults };
          delete rest.disconnectAtSmpBytes;
          this.currentFaults = rest;
          this.dropLink('fault: disconnect mid-upload');
          // A write command has no answer to fail; a request loses its response with the link.
          if (withResponse) throw bluezError('Failed', 'Not connected');
        }
      },
      startNotify: () => {
        requireConnected();
        if (!definition.flags.includes('notify') && !definition.flags.includes('indicate')) throw bluezError('NotSupported', 'Operation is not supported');
        if (state.notifying) return;
        state.notifying = true;
        emitChanged(state.iface, { Notifying: true });
        this.gatt.notifyingChanged?.(definition.uuid, true);
      },
      stopNotify: () => {
        if (!state.notifying) return;
        state.notifying = false;
        emitChanged(state.iface, { Notifying: false });
        this.gatt.notifyingChanged?.(definition.uuid, false);
      },
    };
  }

  private wait(ms: number): Promise<void> {
    const scaled = ms * this.context.timeScale;
    return scaled > 0 ? new Promise((resolve) => setTimeout(resolve, scaled)) : Promise.resolve();
  }
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}
