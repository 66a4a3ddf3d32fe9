// The D-Bus interfaces BlueZ exports (doc/adapter-api.txt, device-api.txt, gatt-api.txt),
// as dbus-next service interfaces. Each one only translates: properties are read from, and
// methods handed to, a controller that holds the simulated state, so what the bus shows and
// what the simulation does cannot drift apart.
import dbus from 'dbus-next';

const { Interface } = dbus.interface;
type Variant = InstanceType<typeof dbus.Variant>;

export type BluezErrorName = 'Failed' | 'NotReady' | 'InProgress' | 'AlreadyConnected' | 'NotConnected' | 'DoesNotExist' | 'InvalidArguments' | 'NotPermitted' | 'NotSupported' | 'InvalidValueLength' | 'InvalidOffset';

/** An error as BlueZ names it on the bus: org.bluez.Error.<name>. */
export function bluezError(name: BluezErrorName, text: string): Error {
  return new dbus.DBusError(`org.bluez.Error.${name}`, text);
}

/** Every readable property of an exported interface, as GetAll and ObjectManager give them. */
export function propertiesOf(iface: InstanceType<typeof Interface>): Record<string, Variant> {
  const table = (iface as unknown as { $properties?: Record<string, { signature: string; access: string }> }).$properties ?? {};
  const result: Record<string, Variant> = {};
  for (const [name, options] of Object.entries(table)) {
    if (options.access === 'write') continue;
    const value = (iface as unknown as Record<string, unknown>)[name];
    if (value !== undefined) result[name] = new dbus.Variant(options.signature, value);
  }
  return result;
}

export function emitChanged(iface: InstanceType<typeof Interface>, changed: Record<string, unknown>): void {
  Interface.emitPropertiesChanged(iface, changed, []);
}

// ------------------------------------------------------------------ ObjectManager

export type ManagedObjects = Record<string, Record<string, Record<string, Variant>>>;

export class ObjectManagerInterface extends Interface {
  constructor(private readonly managed: () => ManagedObjects) {
    super('org.freedesktop.DBus.ObjectManager');
  }
  GetManagedObjects(): ManagedObjects {
    return this.managed();
  }
  InterfacesAdded(path: string, interfaces: Record<string, Record<string, Variant>>): [string, Record<string, Record<string, Variant>>] {
    return [path, interfaces];
  }
  InterfacesRemoved(path: string, interfaces: string[]): [string, string[]] {
    return [path, interfaces];
  }
}
ObjectManagerInterface.configureMembers({
  methods: { GetManagedObjects: { outSignature: 'a{oa{sa{sv}}}' } },
  signals: { InterfacesAdded: { signature: 'oa{sa{sv}}' }, InterfacesRemoved: { signature: 'oas' } },
});

// ------------------------------------------------------------------ AgentManager1 (/org/bluez)

/** node-ble opens /org/bluez through this interface; agents are accepted and never called, as no pairing happens here. */
export class AgentManagerInterface extends Interface {
  constructor() {
    super('org.bluez.AgentManager1');
  }
  RegisterAgent(): void {}
  UnregisterAgent(): void {}
  RequestDefaultAgent(): void {}
}
AgentManagerInterface.configureMembers({
  methods: { RegisterAgent: { inSignature: 'os' }, UnregisterAgent: { inSignature: 'o' }, RequestDefaultAgent: { inSignature: 'o' } },
});

// ------------------------------------------------------------------ Adapter1

export interface AdapterController {
  readonly address: string;
  readonly name: string;
  alias: string;
  powered: boolean;
  readonly discovering: boolean;
  startDiscovery(): void;
  stopDiscovery(): void;
  setDiscoveryFilter(filter: Record<string, Variant>): void;
  removeDevice(path: string): void;
}

export class AdapterInterface extends Interface {
  constructor(private readonly adapter: AdapterController) {
    super('org.bluez.Adapter1');
  }
  get Address(): string {
    return this.adapter.address;
  }
  get AddressType(): string {
    return 'public';
  }
  get Name(): string {
    return this.adapter.name;
  }
  get Alias(): string {
    return this.adapter.alias;
  }
  set Alias(value: string) {
    this.adapter.alias = value;
  }
  get Class(): number {
    return 0x000000;
  }
  get Powered(): boolean {
    return this.adapter.powered;
  }
  set Powered(value: boolean) {
    this.adapter.powered = value;
  }
  get Discoverable(): boolean {
    return false;
  }
  get Pairable(): boolean {
    return true;
  }
  get Discovering(): boolean {
    return this.adapter.discovering;
  }
  get UUIDs(): string[] {
    return [];
  }
  StartDiscovery(): void {
    this.adapter.startDiscovery();
  }
  StopDiscovery(): void {
    this.adapter.stopDiscovery();
  }
  SetDiscoveryFilter(filter: Record<string, Variant>): void {
    this.adapter.setDiscoveryFilter(filter);
  }
  GetDiscoveryFilters(): string[] {
    return ['UUIDs', 'RSSI', 'Pathloss', 'Transport', 'DuplicateData', 'Discoverable', 'Pattern'];
  }
  RemoveDevice(path: string): void {
    this.adapter.removeDevice(path);
  }
}
AdapterInterface.configureMembers({
  properties: {
    Address: { signature: 's', access: 'read' },
    AddressType: { signature: 's', access: 'read' },
    Name: { signature: 's', access: 'read' },
    Alias: { signature: 's', access: 'readwrite' },
    Class: { signature: 'u', access: 'read' },
    Powered: { signature: 'b', access: 'readwrite' },
    Discoverable: { signature: 'b', access: 'read' },
    Pairable: { signature: 'b', access: 'read' },
    Discovering: { signature: 'b', access: 'read' },
    UUIDs: { signature: 'as', access: 'read' },
  },
  methods: {
    StartDiscovery: {},
    StopDiscovery: {},
    SetDiscoveryFilter: { inSignature: 'a{sv}' },
    GetDiscoveryFilters: { outSignature: 'as' },
    RemoveDevice: { inSignature: 'o' },
  },
});

// ------------------------------------------------------------------ Device1

export interface DeviceController {
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly name: string;
  alias: string;
  readonly adapterPath: string;
  readonly rssi: number;
  readonly txPower: number;
  readonly uuids: string[];
  readonly manufacturerData: Record<number, Uint8Array>;
  readonly connected: boolean;
  readonly servicesResolved: boolean;
  trusted: boolean;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export class DeviceInterface extends Interface {
  constructor(private readonly device: DeviceController) {
    super('org.bluez.Device1');
  }
  get Address(): string {
    return this.device.address;
  }
  get AddressType(): string {
    return this.device.addressType;
  }
  get Name(): string {
    return this.device.name;
  }
  get Alias(): string {
    return this.device.alias;
  }
  set Alias(value: string) {
    this.device.alias = value;
  }
  get Appearance(): number {
    return 0x0540; // Generic Sensor
  }
  get Paired(): boolean {
    return false;
  }
  get Bonded(): boolean {
    return false;
  }
  get Trusted(): boolean {
    return this.device.trusted;
  }
  set Trusted(value: boolean) {
    this.device.trusted = value;
  }
  get Blocked(): boolean {
    return false;
  }
  get LegacyPairing(): boolean {
    return false;
  }
  get RSSI(): number {
    return this.device.rssi;
  }
  get TxPower(): number {
    return this.device.txPower;
  }
  get Connected(): boolean {
    return this.device.connected;
  }
  get ServicesResolved(): boolean {
    return this.device.servicesResolved;
  }
  get UUIDs(): string[] {
    return this.device.uuids;
  }
  get Adapter(): string {
    return this.device.adapterPath;
  }
  get ManufacturerData(): Record<number, Variant> {
    const data: Record<number, Variant> = {};
    for (const [id, bytes] of Object.entries(this.device.manufacturerData)) data[Number(id)] = new dbus.Variant('ay', Buffer.from(bytes));
    return data;
  }
  async Connect(): Promise<void> {
    await this.device.connect();
  }
  async Disconnect(): Promise<void> {
    await this.device.disconnect();
  }
  Pair(): void {
    throw bluezError('NotSupported', 'Operation is not supported');
  }
  CancelPairing(): void {
    throw bluezError('DoesNotExist', 'Does Not Exist');
  }
}
DeviceInterface.configureMembers({
  properties: {
    Address: { signature: 's', access: 'read' },
    AddressType: { signature: 's', access: 'read' },
    Name: { signature: 's', access: 'read' },
    Alias: { signature: 's', access: 'readwrite' },
    Appearance: { signature: 'q', access: 'read' },
    Paired: { signature: 'b', access: 'read' },
    Bonded: { signature: 'b', access: 'read' },
    Trusted: { signature: 'b', access: 'readwrite' },
    Blocked: { signature: 'b', access: 'read' },
    LegacyPairing: { signature: 'b', access: 'read' },
    RSSI: { signature: 'n', access: 'read' },
    TxPower: { signature: 'n', access: 'read' },
    Connected: { signature: 'b', access: 'read' },
    ServicesResolved: { signature: 'b', access: 'read' },
    UUIDs: { signature: 'as', access: 'read' },
    Adapter: { signature: 'o', access: 'read' },
    ManufacturerData: { signature: 'a{qv}', access: 'read' },
  },
  methods: { Connect: {}, Disconnect: {}, Pair: {}, CancelPairing: {} },
});

// ------------------------------------------------------------------ GattService1

export class GattServiceInterface extends Interface {
  constructor(
    private readonly uuid: string,
    private readonly devicePath: string,
  ) {
    super('org.bluez.GattService1');
  }
  get UUID(): string {
    return this.uuid;
  }
  get Primary(): boolean {
    return true;
  }
  get Device(): string {
    return this.devicePath;
  }
}
GattServiceInterface.configureMembers({
  properties: { UUID: { signature: 's', access: 'read' }, Primary: { signature: 'b', access: 'read' }, Device: { signature: 'o', access: 'read' } },
});

// ------------------------------------------------------------------ GattCharacteristic1

export interface CharacteristicController {
  readonly uuid: string;
  readonly servicePath: string;
  readonly flags: string[];
  readonly value: Uint8Array;
  readonly notifying: boolean;
  readonly mtu: number;
  read(offset: number): Promise<Uint8Array>;
  write(value: Uint8Array, type: string, offset: number): Promise<void>;
  startNotify(): void;
  stopNotify(): void;
}

export class GattCharacteristicInterface extends Interface {
  constructor(private readonly characteristic: CharacteristicController) {
    super('org.bluez.GattCharacteristic1');
  }
  get UUID(): string {
    return this.characteristic.uuid;
  }
  get Service(): string {
    return this.characteristic.servicePath;
  }
  get Flags(): string[] {
    return this.characteristic.flags;
  }
  get Value(): Buffer {
    return Buffer.from(this.characteristic.value);
  }
  get Notifying(): boolean {
    return this.characteristic.notifying;
  }
  get MTU(): number {
    return this.characteristic.mtu;
  }
  async ReadValue(options: Record<string, Variant>): Promise<Buffer> {
    return Buffer.from(await this.characteristic.read(optionNumber(options, 'offset')));
  }
  async WriteValue(value: Buffer, options: Record<string, Variant>): Promise<void> {
    const type = options.type?.value;
    await this.characteristic.write(new Uint8Array(value), typeof type === 'string' ? type : 'request', optionNumber(options, 'offset'));
  }
  StartNotify(): void {
    this.characteristic.startNotify();
  }
  StopNotify(): void {
    this.characteristic.stopNotify();
  }
}
GattCharacteristicInterface.configureMembers({
  properties: {
    UUID: { signature: 's', access: 'read' },
    Service: { signature: 'o', access: 'read' },
    Flags: { signature: 'as', access: 'read' },
    Value: { signature: 'ay', access: 'read' },
    Notifying: { signature: 'b', access: 'read' },
    MTU: { signature: 'q', access: 'read' },
  },
  methods: {
    ReadValue: { inSignature: 'a{sv}', outSignature: 'ay' },
    WriteValue: { inSignature: 'aya{sv}' },
    StartNotify: {},
    StopNotify: {},
  },
});

function optionNumber(options: Record<string, Variant>, key: string): number {
  const value = options[key]?.value;
  return typeof value === 'number' ? value : 0;
}
