// Bluetooth LE devices in the device list. A scan runs only when asked (it keeps the radio
// busy and drains batteries): what it hears is sent as 'ble.adverts', and adverts a profile
// recognises become devices (all of them with showAll). A device is connected only for the
// operation that needs it, one operation at a time, and disconnected right after.
import { FieldbenchError } from '../../api/errors';
import type { BleAdvert, BleAdvertList, BleScanAdvert, BleScanState, Device, DiagnosticsReport, DiscoveryStatus, VirtualFaults } from '../../api/schemas';
import { deviceBusy, notVirtual } from '../devices/device-errors';
import type { BleCentral, BleConnection } from '../../transports/ble/ble-central';
import { NodeBleCentral } from '../../transports/ble/node-ble-central';
import { addressFromSerial, startVirtualAir, type VirtualAir } from '../../virtual/ble/attach-ble-sensor-node';
import type { SimulatedBleDeviceHandle } from '../../virtual/ble/simulated-bluez';
import { SensorNodeSimulator } from '../../virtual/sensor-node/sensor-node-firmware';
import type { SimulatedDeviceFaults } from '../../virtual/ble/simulated-ble-device';
import { AsyncMutex } from '../devices/async-mutex';
import type { DeviceProfile } from '../profiles/profile-types';
import type { ProfileRegistry } from '../profiles/profile-registry';
import { readGattDiagnostics } from './read-gatt-diagnostics';
import { type ConnectionHold, SharedConnection } from './shared-connection';

export const BLE_DEVICE_ID_PREFIX = 'ble:';

export interface BleRegistryOptions {
  profiles: ProfileRegistry;
  /** The machine's central, made on first use so a machine without D-Bus starts as usual. */
  central: () => BleCentral;
  now: () => Date;
  onChange: () => void;
  emitAdverts: (list: BleAdvertList) => void;
  /** The clock of virtual nodes: 1 is a real node's pace. */
  virtualTimeScale: number;
  /** Connection, services resolved, within this; 10 s by default. */
  connectDeadlineMs?: number;
  /** Least time between two 'ble.adverts' events; 250 ms by default. */
  advertIntervalMs?: number;
  /** How long a scan looks for a virtual node just put on the air; 10 s by default. */
  virtualFindMs?: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** One way onto the air: the machine's BlueZ, or the private bus of the virtual nodes. */
interface Radio {
  central: BleCentral;
  /** The private bus and simulated BlueZ of the virtual nodes; null for the machine's radio. */
  air: VirtualAir | null;
}

interface Entry {
  device: Device;
  radio: Radio;
  /** Operations that need the device to themselves (a read, a firmware job) queue here. */
  mutex: AsyncMutex;
  /** The one link to the device, shared by whoever holds it. */
  link: SharedConnection;
  /** A long operation (a firmware update) that others are refused during, rather than queued behind. */
  longOperation: string | null;
  /** A virtual node: its place on the simulated air and its firmware. */
  node: VirtualNode | null;
}

interface VirtualNode {
  handle: SimulatedBleDeviceHandle;
  simulator: SensorNodeSimulator;
}

interface Scan {
  controller: AbortController;
  timer: NodeJS.Timeout;
  showAll: boolean;
  endsAt: Date;
  finished: Promise<void>;
}

const DEFAULT_CONNECT_DEADLINE_MS = 10_000;
const DEFAULT_ADVERT_INTERVAL_MS = 250;
const DEFAULT_VIRTUAL_FIND_MS = 10_000;
const STATUS_DEADLINE_MS = 3_000;
/** The seed of the first virtual node: the sensor node's default, so its serial number is the one a serial node has. */
const FIRST_VIRTUAL_SEED = 0x5eed;
/** A scan at least this long that did not hear a listed device takes it off the list. */
const FORGET_AFTER_SCAN_MS = 4_000;
/** The virtual node's firmware knobs that act on SMP itself, and so over any link. */
const BLE_FIRMWARE_FAULTS = new Set(['rebootAtUploadPercent', 'refuseImage', 'smpErrorRc']);

export class BleRegistry {
  private machineRadio: Radio | null = null;
  private virtualRadio: Radio | null = null;
  private startingAir: Promise<Radio> | null = null;
  private virtualNodesMade = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly adverts = new Map<string, BleScanAdvert>();
  private scan: Scan | null = null;
  private scanProblem: string | null = null;
  private lastShowAll = false;
  private emitTimer: NodeJS.Timeout | null = null;
  /** Listed devices whose adverts changed (RSSI, name) since the last throttled emit. */
  private devicesHeardSinceEmit = false;
  private lastEmitAt = 0;

  constructor(private readonly options: BleRegistryOptions) {}

  static isBleId(deviceId: string): boolean {
    return deviceId.startsWith(BLE_DEVICE_ID_PREFIX);
  }

  has(deviceId: string): boolean {
    return this.entries.has(deviceId);
  }

  list(): Device[] {
    return [...this.entries.values()].map((entry) => entry.device);
  }

  get(deviceId: string): Device {
    return this.entry(deviceId).device;
  }

  scanState(): BleScanState {
    return {
      scanning: this.scan !== null,
      showAll: this.scan?.showAll ?? this.lastShowAll,
      endsAt: this.scan?.endsAt.toISOString() ?? null,
      problem: this.scanProblem,
    };
  }

  /** The BLE line of system.info: the machine's BlueZ as it is now, and whether a scan runs. */
  async discoveryStatus(): Promise<DiscoveryStatus> {
    const status = await this.machineStatus();
    const virtual = this.virtualRadio ? ' + virtual nodes on a private bus' : '';
    const scanning = this.scan ? ', scanning' : '';
    if (status.available) return { ...status, method: `${status.method}${virtual}${scanning}` };
    if (this.virtualRadio) return { ...status, method: `virtual nodes on a private bus${scanning}` };
    return status;
  }

  /**
   * Starts a scan of `seconds` and answers at once; a running scan is stopped first. Fails,
   * with what to do, when no radio can scan (no BlueZ, no adapter, adapter off).
   */
  async startScan(seconds: number, showAll: boolean): Promise<BleScanState> {
    await this.stopScan();
    const radios = await this.usableRadios('scan');
    const controller = new AbortController();
    const endsAt = new Date(this.options.now().getTime() + seconds * 1000);
    const timer = setTimeout(() => controller.abort(), seconds * 1000);
    this.adverts.clear();
    this.scanProblem = null;
    this.lastShowAll = showAll;
    const heard = new Set<string>();
    const startedAt = this.options.now().getTime();
    const runs = radios.map((radio) =>
      radio.central
        .scan({
          signal: controller.signal,
          onAdvert: (advert) => {
            heard.add(advert.address);
            this.heard(radio, advert, showAll);
          },
        })
        .catch((error: unknown) => {
          this.scanProblem = error instanceof Error ? error.message : String(error);
          this.options.log('warn', `BLE scan: ${this.scanProblem}`);
        }),
    );
    const scan: Scan = {
      controller,
      timer,
      showAll,
      endsAt,
      finished: Promise.all(runs).then(() => {
        clearTimeout(timer);
        if (this.scan === scan) this.scan = null;
        this.forgetUnheard(radios, heard, this.options.now().getTime() - startedAt);
        this.emitNow();
      }),
    };
    this.scan = scan;
    this.emitNow();
    return this.scanState();
  }

  async stopScan(): Promise<BleScanState> {
    const scan = this.scan;
    if (scan) {
      scan.controller.abort();
      await scan.finished;
    }
    return this.scanState();
  }

  /** The device's profile, or null when none recognises it. */
  profileOf(deviceId: string): DeviceProfile | null {
    const { profileId } = this.entry(deviceId).device;
    return profileId ? (this.options.profiles.get(profileId) ?? null) : null;
  }

  /**
   * Runs one operation with the device to itself (operations queue per device) and a hold on
   * its connection, which `work` opens (and reopens after a drop) as it needs; the link is
   * closed after the operation unless someone else (a live follow) still holds it.
   */
  async withHold<T>(
    deviceId: string,
    step: string,
    work: (hold: ConnectionHold, profile: DeviceProfile | null) => Promise<T>,
    options: { long?: boolean } = {},
  ): Promise<T> {
    const entry = this.entry(deviceId);
    if (entry.longOperation) throw deviceBusy(entry.longOperation, entry.device.path, step);
    if (options.long) entry.longOperation = step;
    return entry.mutex.run(async () => {
      const profile = this.profileOf(deviceId);
      this.update(entry, { state: 'busy' });
      const shared = entry.link.hold();
      let reached = false;
      const hold: ConnectionHold = {
        connection: async () => {
          const connection = await shared.connection();
          reached = true;
          return connection;
        },
        release: () => shared.release(),
      };
      try {
        const result = await work(hold, profile);
        this.update(entry, { state: entry.device.profileId ? 'ready' : 'unknown', stateDetail: undefined });
        return result;
      } catch (error) {
        // Never reached at all: the device did not answer, which is not an error of the operation.
        this.update(entry, { state: reached ? 'error' : 'unresponsive', stateDetail: `${step}: ${error instanceof Error ? error.message : String(error)}` });
        throw error;
      } finally {
        await shared.release();
      }
    }).finally(() => {
      if (options.long) entry.longOperation = null;
    });
  }

  /** Connects (or joins the open connection) for one operation, queued behind the device's others. */
  withConnection<T>(deviceId: string, step: string, work: (connection: BleConnection, profile: DeviceProfile | null) => Promise<T>): Promise<T> {
    return this.withHold(deviceId, step, async (hold, profile) => work(await hold.connection(), profile));
  }

  /**
   * A hold on the device's connection outside the operation queue, for followers that only
   * listen (notifications, the UART log): operations run alongside on the same link.
   */
  hold(deviceId: string): ConnectionHold {
    return this.entry(deviceId).link.hold();
  }

  readDiagnostics(deviceId: string): Promise<DiagnosticsReport> {
    return this.withConnection(deviceId, 'read diagnostics', (connection, profile) => {
      if (!profile) {
        throw new FieldbenchError({
          code: 'profile-error',
          message: 'no device profile recognises this device, so there is nothing to judge its readings by',
          device: connection.label,
          step: 'read diagnostics',
          hint: 'Add a profile with a match.ble entry for this device family to device-profiles/.',
        });
      }
      return readGattDiagnostics(connection, profile, { deviceId, now: this.options.now });
    });
  }

  /**
   * Sets the fault knobs of a virtual node on the air: those of its radio link (out of
   * range, a drop after so many SMP bytes) and those of its firmware that mean something
   * over BLE. Knobs of the serial line are refused by name, so a test never believes a
   * fault is armed that cannot fire.
   */
  async setFaults(deviceId: string, faults: VirtualFaults): Promise<Device> {
    const entry = this.entry(deviceId);
    const onAir = entry.node;
    if (!onAir) throw notVirtual(entry.device.path);
    const split = splitBleFaults(faults, entry.device.path);
    onAir.simulator.setFaults(split.firmware);
    onAir.handle.setFaults(split.radio);
    return entry.device;
  }

  /** Reads who the device says it is (Device Information over GATT) and keeps it in the list. */
  async identify(deviceId: string): Promise<Device> {
    const report = await this.readDiagnostics(deviceId);
    if (report.identity) this.updateIdentity(deviceId, report.identity);
    return this.get(deviceId);
  }

  updateIdentity(deviceId: string, identity: NonNullable<Device['identity']>): void {
    this.update(this.entry(deviceId), { identity });
  }

  /**
   * Puts a virtual sensor node on the air, on a private bus with a simulated BlueZ started
   * once per core (Linux only: it needs dbus-daemon), and answers with it once a scan hears it.
   */
  async attachVirtual(faults?: VirtualFaults): Promise<Device> {
    const step = 'attach virtual BLE device';
    // Refused before anything is put on the air.
    if (faults) splitBleFaults(faults, 'virtual BLE sensor node');
    if (process.platform !== 'linux') {
      throw new FieldbenchError({
        code: 'unavailable',
        message: 'a virtual BLE device needs a D-Bus daemon and runs on Linux only',
        step,
        hint: 'Attach the virtual sensor node over serial instead.',
      });
    }
    const radio = await this.virtualAir();
    const air = radio.air!;
    // The first node has the same serial number (and so address) in every core, so a script
    // can name it; each further one gets the next.
    const simulator = new SensorNodeSimulator({ timeScale: this.options.virtualTimeScale, seed: FIRST_VIRTUAL_SEED + this.virtualNodesMade });
    this.virtualNodesMade += 1;
    let handle: SimulatedBleDeviceHandle;
    try {
      handle = air.bluez.addSensorNode({ node: simulator, address: addressFromSerial(simulator.serialNumber) });
    } catch (error) {
      simulator.stop();
      await this.stopAirIfEmpty();
      throw error;
    }
    try {
      const device = await this.findOn(radio, handle.address, step);
      this.entries.get(device.id)!.node = { handle, simulator };
      return faults ? await this.setFaults(device.id, faults) : device;
    } catch (error) {
      await this.removeVirtualNode(`${BLE_DEVICE_ID_PREFIX}${handle.address}`, { handle, simulator });
      throw error;
    }
  }

  async detach(deviceId: string): Promise<void> {
    const entry = this.entry(deviceId);
    const node = entry.node;
    if (!node) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: 'only virtual devices can be detached; a BLE device leaves the list when a scan no longer hears it',
        device: entry.device.path,
        step: 'detach',
        hint: 'Turn the device off or move it out of range, then scan again.',
      });
    }
    if (entry.longOperation) throw deviceBusy(entry.longOperation, entry.device.path, 'detach');
    await entry.mutex.run(async () => {
      await entry.link.close();
      await this.removeVirtualNode(deviceId, node);
    });
  }

  async close(): Promise<void> {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
    const scan = this.scan;
    scan?.controller.abort();
    await scan?.finished;
    await Promise.all([...this.entries.values()].map((entry) => entry.link.close()));
    await this.machineRadio?.central.close().catch(() => undefined);
    for (const entry of this.entries.values()) entry.node?.simulator.stop();
    await this.stopAir();
  }

  /** The private bus and simulated BlueZ the virtual nodes share, started with the first. */
  private async virtualAir(): Promise<Radio> {
    this.startingAir ??= (async () => {
      const air = await startVirtualAir({ timeScale: this.options.virtualTimeScale });
      const radio: Radio = { central: new NodeBleCentral({ busAddress: air.busAddress, platform: 'linux' }), air };
      this.virtualRadio = radio;
      return radio;
    })().finally(() => {
      this.startingAir = null;
    });
    return this.virtualRadio ?? (await this.startingAir);
  }

  private async removeVirtualNode(deviceId: string, node: VirtualNode): Promise<void> {
    node.simulator.stop();
    this.virtualRadio?.air?.bluez.removeDevice(node.handle.address);
    this.adverts.delete(node.handle.address);
    if (this.entries.delete(deviceId)) this.options.onChange();
    await this.stopAirIfEmpty();
  }

  private async stopAirIfEmpty(): Promise<void> {
    if ([...this.entries.values()].some((entry) => entry.node)) return;
    await this.stopAir();
  }

  private async stopAir(): Promise<void> {
    const radio = this.virtualRadio;
    if (!radio) return;
    this.virtualRadio = null;
    let removed = false;
    for (const [id, entry] of this.entries) {
      if (entry.radio !== radio) continue;
      this.entries.delete(id);
      this.adverts.delete(entry.device.ble!.address);
      removed = true;
    }
    await radio.central.close().catch(() => undefined);
    await radio.air?.stop();
    if (removed) this.options.onChange();
  }

  /**
   * After a scan long enough to hear every device in range (advertising intervals reach a few
   * seconds), a listed device it did not hear is gone: out of range or off. It leaves the
   * list unless something holds it (a connection, an operation), as an unplugged port does.
   */
  private forgetUnheard(radios: Radio[], heard: Set<string>, scannedMs: number): void {
    if (this.scanProblem !== null || scannedMs < FORGET_AFTER_SCAN_MS) return;
    let changed = false;
    for (const [id, entry] of this.entries) {
      if (!radios.includes(entry.radio) || heard.has(entry.device.ble!.address)) continue;
      // A virtual node stays until detached: out of range, it is still there to bring back.
      if (entry.node || entry.link.held || entry.mutex.isLocked || entry.longOperation) continue;
      this.entries.delete(id);
      this.adverts.delete(entry.device.ble!.address);
      changed = true;
    }
    if (changed) this.options.onChange();
  }

  /** Scans one radio until `address` is heard, within a deadline: the device, in the list. */
  private async findOn(radio: Radio, address: string, step: string): Promise<Device> {
    const controller = new AbortController();
    const ms = this.options.virtualFindMs ?? DEFAULT_VIRTUAL_FIND_MS;
    const timer = setTimeout(() => controller.abort(), ms);
    try {
      await radio.central.scan({
        signal: controller.signal,
        onAdvert: (advert) => {
          if (advert.address !== address) return;
          this.heard(radio, advert, true);
          controller.abort();
        },
      });
    } finally {
      clearTimeout(timer);
    }
    const entry = this.entries.get(`${BLE_DEVICE_ID_PREFIX}${address}`);
    if (!entry) {
      throw new FieldbenchError({ code: 'timeout', message: `not heard within ${ms} ms`, device: address, step, hint: 'Try again; if it persists, check that dbus-daemon runs here.' });
    }
    return entry.device;
  }

  private heard(radio: Radio, advert: BleAdvert, showAll: boolean): void {
    const profile = this.options.profiles.matchBle(advert)[0] ?? null;
    this.adverts.set(advert.address, { ...advert, profileId: profile?.id ?? null });
    this.scheduleEmit();
    if (!profile && !showAll) return;
    const id = `${BLE_DEVICE_ID_PREFIX}${advert.address}`;
    const existing = this.entries.get(id);
    if (existing) {
      // RSSI moves with every advert: the device list follows at the advert lists' pace
      // (emitNow), not once per advert for every listed device.
      const ble = existing.device.ble!;
      const next = { ...ble, name: advert.name, rssi: advert.rssi, ...(ble.connected ? {} : { serviceUuids: advert.serviceUuids }) };
      if (JSON.stringify(next) !== JSON.stringify(ble)) {
        existing.device = { ...existing.device, ble: next, seenAt: advert.seenAt };
        this.devicesHeardSinceEmit = true;
      }
      return;
    }
    const device: Device = {
      id,
      transport: 'ble',
      path: `ble ${advert.address}`,
      virtual: radio.air !== null,
      ble: {
        address: advert.address,
        addressType: advert.addressType ?? addressTypeOf(advert.address),
        name: advert.name,
        rssi: advert.rssi,
        connected: false,
        mtu: null,
        serviceUuids: advert.serviceUuids,
      },
      profileId: profile?.id ?? null,
      profileName: profile?.name ?? null,
      identity: null,
      firmware: bleFirmwareOf(profile),
      state: profile ? 'ready' : 'unknown',
      ...(profile ? {} : { stateDetail: 'no device profile recognises its advert' }),
      seenAt: advert.seenAt,
    };
    const entry: Entry = { device, radio, mutex: new AsyncMutex(), link: undefined as unknown as SharedConnection, longOperation: null, node: null };
    entry.link = this.sharedConnection(entry);
    this.entries.set(id, entry);
    this.options.onChange();
  }

  private sharedConnection(entry: Entry): SharedConnection {
    return new SharedConnection({
      connect: () =>
        entry.radio.central.connect(entry.device.ble!.address, { deadlineMs: this.options.connectDeadlineMs ?? DEFAULT_CONNECT_DEADLINE_MS }),
      opened: (connection) => {
        this.updateBle(entry, { connected: true, mtu: connection.mtu });
        connection.services().then(
          (services) => {
            if (connection.connected) this.updateBle(entry, { serviceUuids: services.map((s) => s.uuid), mtu: connection.mtu });
          },
          () => undefined,
        );
      },
      closed: () => this.updateBle(entry, { connected: false, mtu: null }),
    });
  }

  private update(entry: Entry, change: Partial<Device>): void {
    const next: Device = { ...entry.device, ...change };
    if (change.stateDetail === undefined && 'stateDetail' in change) delete next.stateDetail;
    entry.device = next;
    this.options.onChange();
  }

  private updateBle(entry: Entry, change: Partial<NonNullable<Device['ble']>>): void {
    const ble = entry.device.ble!;
    const next = { ...ble, ...change };
    if (JSON.stringify(next) === JSON.stringify(ble)) return;
    this.update(entry, { ble: next });
  }

  private scheduleEmit(): void {
    if (this.emitTimer) return;
    const interval = this.options.advertIntervalMs ?? DEFAULT_ADVERT_INTERVAL_MS;
    const wait = Math.max(0, this.lastEmitAt + interval - Date.now());
    this.emitTimer = setTimeout(() => {
      this.emitTimer = null;
      this.emitNow();
    }, wait);
  }

  private emitNow(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
    this.lastEmitAt = Date.now();
    if (this.devicesHeardSinceEmit) {
      this.devicesHeardSinceEmit = false;
      this.options.onChange();
    }
    const adverts = [...this.adverts.values()].filter((advert) => this.lastShowAll || advert.profileId !== null);
    this.options.emitAdverts({ state: this.scanState(), adverts: adverts.sort((a, b) => (b.rssi ?? -128) - (a.rssi ?? -128)) });
  }

  /** The radios that can scan and connect now: the machine's when BlueZ is up, the virtual one when attached. */
  private async usableRadios(step: string): Promise<Radio[]> {
    const radios: Radio[] = [];
    const status = await this.machineStatus();
    if (status.available) radios.push(this.machine());
    if (this.virtualRadio) radios.push(this.virtualRadio);
    if (radios.length === 0) {
      throw new FieldbenchError({
        code: 'unavailable',
        message: 'Bluetooth LE is not available here',
        device: 'Bluetooth adapter',
        step,
        hint: status.note ?? 'Check that BlueZ runs and the adapter is on.',
      });
    }
    return radios;
  }

  private machine(): Radio {
    this.machineRadio ??= { central: this.options.central(), air: null };
    return this.machineRadio;
  }

  private async machineStatus(): Promise<DiscoveryStatus> {
    const central = this.machine().central;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<DiscoveryStatus>((resolve) => {
      timer = setTimeout(
        () => resolve({ transport: 'ble', method: 'BlueZ (D-Bus)', available: false, note: `BlueZ did not answer within ${STATUS_DEADLINE_MS} ms. Check that D-Bus and bluetoothd run (systemctl status bluetooth).` }),
        STATUS_DEADLINE_MS,
      );
    });
    try {
      return await Promise.race([central.status(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private entry(deviceId: string): Entry {
    const entry = this.entries.get(deviceId);
    if (entry) return entry;
    throw new FieldbenchError({
      code: 'not-found',
      message: `no BLE device '${deviceId}' has been heard`,
      device: deviceId,
      step: 'find device',
      hint: 'Scan for BLE devices first (with show all for devices no profile recognises).',
    });
  }
}

/**
 * For a backend that does not say: a static random address has its two top bits set, which
 * most peripherals use (a guess for a public address that happens to start so).
 */
function addressTypeOf(address: string): 'public' | 'random' {
  return (Number.parseInt(address.slice(0, 2), 16) & 0xc0) === 0xc0 ? 'random' : 'public';
}

/** Updated over SMP on its GATT service when the profile has an MCUmgr firmware section and says the device offers SMP over BLE. */
function bleFirmwareOf(profile: DeviceProfile | null): Device['firmware'] {
  if (!profile?.ble?.smp || profile.firmware?.method !== 'mcumgr-serial') return null;
  return { method: 'mcumgr-ble', slotSize: profile.firmware.slotSize, signatureRequired: (profile.firmware.signingKeys?.length ?? 0) > 0 };
}

/** The knobs for the node's radio link and for its firmware; serial-line knobs are refused by name. */
function splitBleFaults(faults: VirtualFaults, device: string): { radio: SimulatedDeviceFaults; firmware: VirtualFaults } {
  const { outOfRange, dropAtReceivedBytes, ...firmware } = faults;
  const serialOnly = Object.keys(firmware).filter((knob) => !BLE_FIRMWARE_FAULTS.has(knob));
  if (serialOnly.length > 0) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `${serialOnly.join(', ')} ${serialOnly.length === 1 ? 'is a knob' : 'are knobs'} of the serial link, which a node reached over BLE does not use`,
      device,
      step: 'set faults',
      hint: `Over BLE: outOfRange, dropAtReceivedBytes (SMP bytes written), ${[...BLE_FIRMWARE_FAULTS].join(', ')}.`,
    });
  }
  return {
    firmware,
    radio: {
      ...(outOfRange !== undefined ? { outOfRange } : {}),
      ...(dropAtReceivedBytes !== undefined ? { disconnectAtSmpBytes: dropAtReceivedBytes } : {}),
    },
  };
}
