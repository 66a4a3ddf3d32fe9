// The USB devices Fieldbench shows: every device on the bus that offers a DFU interface or
// that a USB profile claims (hubs, keyboards and the like are left out). It reads each new
// device's DFU descriptors, recognises it from the profiles, keeps one entry per device across
// re-enumeration (a board in its application and in its bootloader has two product ids but one
// serial number), and runs one operation at a time on it.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { Device, DeviceIdentity, DeviceState, DiscoveryStatus, UsbDfuInfo, UsbInfo, VirtualFaults } from '../../api/schemas';
import { DFU_INTERFACE_CLASS, DFU_INTERFACE_SUBCLASS } from '../../protocols/dfu/dfu-descriptors';
import { detachToBootloader, readDfuInfo } from '../../protocols/dfu/dfu-info';
import { isUsbAccessError, usbAccessHint } from '../../transports/usb/usb-access-hint';
import type { UsbBus, UsbBusDevice } from '../../transports/usb/usb-bus';
import { AsyncMutex } from '../devices/async-mutex';
import { cannotDetachPlugged, deviceBusy, noSuchDevice, notVirtual } from '../devices/device-errors';
import type { ProfileRegistry, UsbDeviceFacts } from '../profiles/profile-registry';
import { isSerialProfile, type DeviceProfile, type UsbDfuFirmware } from '../profiles/profile-types';
import { setDeviceState } from '../devices/device-state';

/** What an operation on a USB device gets: the device as it is on the bus now, its DFU interfaces, its profile. */
export interface UsbSession {
  device: USBDevice;
  info: UsbDfuInfo;
  profile: DeviceProfile | null;
  /** Names the device in messages: "0483:df11 serial 3276384B3339". */
  label: string;
}

export type UsbVirtualModel = 'stm32-dfu' | 'dfu-gadget';
export type UsbVirtualStart = 'application' | 'bootloader';

/** A virtual board on the virtual bus, as the registry needs it. */
export interface VirtualUsbBoardHandle {
  readonly serialNumber: string;
  setFaults(faults: VirtualFaults): void;
  unplug(): unknown;
}

/** The virtual bus's side that makes boards; the boards then show up on the bus the registry watches. */
export interface VirtualUsbPlugger {
  plug(options: {
    model: UsbVirtualModel;
    serialNumber: string;
    startIn: UsbVirtualStart;
    faults?: VirtualFaults;
    timeScale?: number;
  }): VirtualUsbBoardHandle;
}

export interface UsbRegistryDeps {
  bus: UsbBus;
  profiles: ProfileRegistry;
  /** Where virtual boards are plugged in; null where the registry watches no virtual bus. */
  virtual: VirtualUsbPlugger | null;
  /** Virtual boards' clock: 1 is as slow as real hardware; tests make it faster. */
  virtualTimeScale?: number;
  now(): Date;
  onChange(devices: Device[]): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Per descriptor read while identifying a new device: short, so a silent device cannot hold discovery up. */
const IDENTIFY_DEADLINE_MS = 2000;
/** How long a device may take to leave the bus and come back in its other mode, unless its profile says otherwise. */
export const DEFAULT_REENUMERATE_TIMEOUT_MS = 10_000;
/** The name a DFU device no profile claims is shown and flashed under, as dfu-util would flash it. */
export const GENERIC_DFU_NAME = 'Generic USB DFU device';

const RUNTIME_DETAIL = 'application running; it offers DFU: Enter DFU mode to flash it';
const DFU_MODE_DETAIL = 'DFU bootloader running: ready to flash';
const REENUMERATING_DETAIL = 're-enumerating…';

interface UsbEntry {
  device: Device;
  /** The device as it is on the bus now; null while it is off the bus during a long operation. */
  usb: USBDevice | null;
  /** How the bus listed it (where it sits, virtual or not), for reading it again. */
  listed: UsbBusDevice | null;
  info: UsbDfuInfo | null;
  profile: DeviceProfile | null;
  /** Set for boards attached through the API, which detach unplugs. */
  board: VirtualUsbBoardHandle | null;
  mutex: AsyncMutex;
  /** What long operation holds the device (a firmware update, entering DFU mode), if any. */
  longOperation: string | null;
  /** An operation runs on it now (its state is busy and stays so across a re-enumeration). */
  operating: string | null;
  removed: boolean;
}

interface Waiter {
  deviceId: string;
  mode: 'runtime' | 'dfu';
  resolve(session: UsbSession): void;
}

export class UsbRegistry {
  private readonly entries = new Map<string, UsbEntry>();
  /** Every device seen on the bus, shown or not, and the entry it belongs to (null: not shown, or still being read). */
  private readonly seen = new Map<USBDevice, string | null>();
  private readonly waiters = new Set<Waiter>();
  private readonly background = new Set<Promise<void>>();
  private stopListening: (() => void) | null = null;
  private scanning: Promise<void> | null = null;
  private scanAgain = false;
  private closed = false;
  private virtualCount = 0;

  constructor(private readonly deps: UsbRegistryDeps) {}

  // ------------------------------------------------------------ discovery

  /** Look at the bus now, and again whenever a device arrives or leaves. */
  start(): void {
    if (this.stopListening || this.closed) return;
    this.stopListening = this.deps.bus.onChange(() => this.rescan());
    this.rescan();
  }

  /** The scan under way (if any) and the identifications it started are done. */
  async quiet(): Promise<void> {
    while (this.scanning || this.background.size > 0) {
      await this.scanning;
      await Promise.allSettled([...this.background]);
    }
  }

  discoveryStatus(): DiscoveryStatus {
    return this.deps.bus.status();
  }

  /** Hot-plug events arrive in bursts (a hub, a re-enumeration): scans never overlap, and one more runs after a burst. */
  private rescan(): void {
    if (this.closed) return;
    this.scanAgain = true;
    // The loop clears `scanning` in the same step as it sees no more requests, so none is lost between the two.
    this.scanning ??= this.scanLoop();
  }

  private async scanLoop(): Promise<void> {
    try {
      while (this.scanAgain && !this.closed) {
        this.scanAgain = false;
        try {
          await this.scan();
        } catch (error) {
          this.deps.log('error', `USB discovery failed: ${describe(error)}`);
        }
      }
    } finally {
      this.scanning = null;
    }
  }

  private async scan(): Promise<void> {
    const listed = await this.deps.bus.list();
    if (this.closed) return;
    const present = new Set(listed.map((item) => item.device));
    for (const [device, entryId] of [...this.seen]) {
      if (!present.has(device)) {
        this.seen.delete(device);
        if (entryId !== null) this.departed(entryId, device);
      }
    }
    for (const item of listed) {
      if (this.seen.has(item.device)) continue;
      this.seen.set(item.device, null);
      if (this.isCandidate(item.device)) this.track(this.readDevice(item));
    }
  }

  /** Shown: a device whose descriptors list a DFU interface, or one a USB profile claims. */
  private isCandidate(device: USBDevice): boolean {
    if (offersDfu(device)) return true;
    const vid = hex4(device.vendorId);
    const pid = hex4(device.productId);
    // Serial profiles claim USB-serial adapters, which the serial registry shows as ports.
    return this.deps.profiles.matchUsb(vid, pid).some((profile) => !isSerialProfile(profile));
  }

  private track(work: Promise<void>): void {
    const settled = work.catch((error: unknown) => this.deps.log('error', `USB identification failed: ${describe(error)}`));
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
  }

  /** Read a new device's DFU interfaces and give it its entry, or join the entry it had before re-enumerating. */
  private async readDevice(item: UsbBusDevice): Promise<void> {
    const { device } = item;
    const label = labelOf(device);
    let info: UsbDfuInfo | null = null;
    let failure: unknown = null;
    try {
      info = await readDfuInfo(device, label, { deadlineMs: IDENTIFY_DEADLINE_MS });
    } catch (error) {
      failure = error;
    }
    if (this.closed || !this.seen.has(device)) {
      this.deps.log('info', `${label}: left the bus while it was being read`);
      return;
    }
    if (failure !== null && isFieldbenchError(failure) && failure.code === 'device-gone') {
      // It went while we read it; the scan that sees it gone has nothing to remove.
      this.seen.delete(device);
      this.deps.log('info', `${label}: left the bus while it was being read`);
      return;
    }
    if (failure === null && info === null && !this.claimedByProfile(device, null)) return;

    const id = usbDeviceId(device, item.location);
    this.seen.set(device, id);
    let entry = this.entries.get(id);
    if (!entry) {
      entry = this.newEntry(id);
      this.entries.set(id, entry);
    }
    entry.usb = device;
    entry.listed = item;
    entry.info = info;
    entry.profile = this.deps.profiles.matchUsbDevice(factsOf(device, info?.mode ?? null));
    describeDevice(entry, item, info);
    if (failure !== null) {
      this.setState(entry, 'error', failureDetail(failure));
    } else if (entry.operating) {
      this.setState(entry, 'busy', entry.operating);
    } else {
      this.settleState(entry);
    }
    this.wakeWaiters();
  }

  private claimedByProfile(device: USBDevice, dfuMode: 'runtime' | 'dfu' | null): boolean {
    const profile = this.deps.profiles.matchUsbDevice(factsOf(device, dfuMode));
    return profile !== null && !isSerialProfile(profile);
  }

  /** A device left the bus: its entry goes, unless a long operation holds it across a re-enumeration. */
  private departed(entryId: string, device: USBDevice): void {
    const entry = this.entries.get(entryId);
    if (!entry || entry.usb !== device) return;
    entry.usb = null;
    if (entry.longOperation) {
      this.setState(entry, 'busy', `${entry.longOperation}: ${REENUMERATING_DETAIL}`);
      return;
    }
    this.removeEntry(entry, 'unplugged');
    this.emit();
  }

  // ------------------------------------------------------------ the list

  list(): Device[] {
    return [...this.entries.values()].map((entry) => cloneDevice(entry.device)).sort((a, b) => a.path.localeCompare(b.path));
  }

  has(deviceId: string): boolean {
    return this.entries.has(deviceId);
  }

  get(deviceId: string): Device {
    return cloneDevice(this.entry(deviceId).device);
  }

  profileOf(deviceId: string): DeviceProfile | null {
    return this.entry(deviceId).profile;
  }

  // ------------------------------------------------------------ operations

  /** Read the device's descriptors again and recognise it anew (after a profile was added, or a failed read). */
  async identify(deviceId: string): Promise<Device> {
    const entry = this.entry(deviceId);
    if (entry.longOperation) throw deviceBusy(entry.longOperation, entry.device.path, 'identify');
    await entry.mutex.run(async () => {
      if (!entry.usb || !entry.listed || entry.removed) {
        throw new FieldbenchError({ code: 'device-gone', message: 'the device is not on the bus', device: entry.device.path, step: 'identify', hint: 'Plug it in again.' });
      }
      this.setState(entry, 'identifying');
      await this.readDevice(entry.listed);
    });
    return this.get(deviceId);
  }

  /**
   * Run an operation on the device, one at a time. With long, others fail at once with
   * device-busy naming what runs; the entry then survives the device dropping off the bus and
   * coming back (state busy, "re-enumerating…"), which a DFU detach or leave makes it do.
   */
  async withDevice<T>(deviceId: string, step: string, op: (session: UsbSession) => Promise<T>, options: { long?: boolean } = {}): Promise<T> {
    const entry = this.entry(deviceId);
    if (entry.longOperation) throw deviceBusy(entry.longOperation, entry.device.path, step);
    if (options.long) entry.longOperation = step;
    try {
      return await entry.mutex.run(async () => {
        const session = this.sessionOf(entry, step);
        entry.operating = step;
        this.setState(entry, 'busy', step);
        try {
          const result = await op(session);
          entry.operating = null;
          if (entry.usb) this.settleState(entry);
          return result;
        } catch (error) {
          entry.operating = null;
          if (entry.usb) this.setState(entry, 'error', failureDetail(error));
          throw error;
        }
      });
    } finally {
      if (options.long) entry.longOperation = null;
      // A long operation that ends with the device still off the bus leaves nothing to show.
      if (!entry.usb && !entry.removed) {
        this.removeEntry(entry, 'did not come back on the bus');
        this.emit();
      }
    }
  }

  /**
   * Wait until the device with this id is on the bus in the given mode, its DFU interfaces
   * read: how DETACH, DfuSe leave and USB resets are followed across the re-enumeration.
   */
  waitForMode(deviceId: string, mode: 'runtime' | 'dfu', deadlineMs: number, signal?: AbortSignal): Promise<UsbSession> {
    const step = mode === 'dfu' ? 'wait for the DFU bootloader' : 'wait for the application';
    const ready = this.readyIn(deviceId, mode, step);
    if (ready) return Promise.resolve(ready);
    const label = this.entries.get(deviceId)?.device.path ?? deviceId;
    return new Promise<UsbSession>((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        outcome();
      };
      const waiter: Waiter = { deviceId, mode, resolve: (session) => finish(() => resolve(session)) };
      const onAbort = () =>
        finish(() =>
          reject(
            new FieldbenchError({
              code: 'unavailable',
              message: `cancelled while waiting for the device in ${modeWords(mode)}`,
              device: label,
              step,
              hint: 'Look at the device list to see which mode it is in now.',
            }),
          ),
        );
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new FieldbenchError({
                code: 'timeout',
                message: `the device did not come back on the bus in ${modeWords(mode)} within ${deadlineMs} ms`,
                device: label,
                step,
                hint:
                  mode === 'dfu'
                    ? 'Put it into its bootloader by hand (boot pin or button, then replug), and flash it from there.'
                    : 'Unplug it and plug it in again; if it stays in its bootloader, the new firmware did not start.',
              }),
            ),
          ),
        deadlineMs,
      );
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Switch a device whose application offers DFU runtime into its bootloader, and follow it there. */
  async enterDfu(deviceId: string): Promise<Device> {
    const entry = this.entry(deviceId);
    const step = 'enter DFU mode';
    if (!entry.info || entry.info.mode !== 'runtime') {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: entry.info ? 'the device already runs its DFU bootloader' : 'the device offers no DFU runtime interface to detach with',
        device: entry.device.path,
        step,
        hint: entry.info ? 'Flash it as it is.' : 'Put the device into its bootloader by hand (boot pin or button) and plug it in again.',
      });
    }
    const firmware = usbDfuFirmwareOf(entry.profile);
    await this.withDevice(
      deviceId,
      step,
      async (session) => {
        await detachToBootloader(session.device, session.info, session.label, {
          ...(firmware?.detachTimeoutMs !== undefined ? { deadlineMs: firmware.detachTimeoutMs } : {}),
        });
        return this.waitForMode(deviceId, 'dfu', firmware?.reenumerateTimeoutMs ?? DEFAULT_REENUMERATE_TIMEOUT_MS);
      },
      { long: true },
    );
    return this.get(deviceId);
  }

  // ------------------------------------------------------------ virtual boards

  async attachVirtual(model: UsbVirtualModel, faults: VirtualFaults | undefined, startIn: UsbVirtualStart = 'application'): Promise<Device> {
    const virtual = this.deps.virtual;
    if (!virtual) {
      throw new FieldbenchError({
        code: 'unavailable',
        message: 'virtual USB devices are not available here',
        step: 'attach virtual device',
        hint: 'Attach a virtual sensor node instead, or use a real USB device.',
      });
    }
    this.virtualCount += 1;
    const serialNumber = virtualSerialNumber(model, this.virtualCount);
    const board = virtual.plug({
      model,
      serialNumber,
      startIn,
      ...(faults ? { faults } : {}),
      timeScale: this.deps.virtualTimeScale ?? 1,
    });
    const deviceId = `usb:${serialNumber}`;
    try {
      await this.waitForMode(deviceId, startIn === 'bootloader' ? 'dfu' : 'runtime', DEFAULT_REENUMERATE_TIMEOUT_MS);
    } catch (error) {
      await Promise.resolve(board.unplug()).catch(() => undefined);
      throw error;
    }
    const entry = this.entry(deviceId);
    entry.board = board;
    return this.get(deviceId);
  }

  async setFaults(deviceId: string, faults: VirtualFaults): Promise<Device> {
    const entry = this.entry(deviceId);
    if (!entry.board) throw notVirtual(entry.device.path);
    entry.board.setFaults(faults);
    return this.get(deviceId);
  }

  async detach(deviceId: string): Promise<void> {
    const entry = this.entry(deviceId);
    if (!entry.board) throw cannotDetachPlugged(entry.device.path);
    if (entry.longOperation) throw deviceBusy(entry.longOperation, entry.device.path, 'detach');
    const board = entry.board;
    this.removeEntry(entry, 'detached');
    this.emit();
    await Promise.resolve(board.unplug());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening?.();
    this.stopListening = null;
    await this.scanning?.catch(() => undefined);
    await Promise.allSettled([...this.background]);
    for (const entry of [...this.entries.values()]) {
      this.removeEntry(entry, 'closing');
      if (entry.board) await Promise.resolve(entry.board.unplug()).catch(() => undefined);
    }
    await this.deps.bus.close();
  }

  // ------------------------------------------------------------ internals

  private entry(deviceId: string): UsbEntry {
    const entry = this.entries.get(deviceId);
    if (!entry) throw noSuchDevice(deviceId);
    return entry;
  }

  private sessionOf(entry: UsbEntry, step: string): UsbSession {
    if (entry.removed || !entry.usb) {
      throw new FieldbenchError({
        code: 'device-gone',
        message: 'the device is not on the bus',
        device: entry.device.path,
        step,
        hint: 'Plug it in again and retry.',
      });
    }
    if (!entry.info) {
      const unreadable = entry.device.state === 'error';
      throw new FieldbenchError({
        code: unreadable ? 'device-error' : 'unavailable',
        message: unreadable ? `the device's descriptors could not be read: ${entry.device.stateDetail ?? ''}` : 'the device offers no USB DFU interface',
        device: entry.device.path,
        step,
        hint: unreadable ? usbAccessHint() : 'Nothing can be flashed over USB on this device.',
      });
    }
    return { device: entry.usb, info: entry.info, profile: entry.profile, label: labelOf(entry.usb) };
  }

  private readyIn(deviceId: string, mode: 'runtime' | 'dfu', step: string): UsbSession | null {
    const entry = this.entries.get(deviceId);
    if (!entry?.usb || entry.info?.mode !== mode) return null;
    return this.sessionOf(entry, step);
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.waiters]) {
      const step = waiter.mode === 'dfu' ? 'wait for the DFU bootloader' : 'wait for the application';
      const session = this.readyIn(waiter.deviceId, waiter.mode, step);
      if (session) waiter.resolve(session);
    }
  }

  private newEntry(id: string): UsbEntry {
    return {
      device: {
        id,
        transport: 'usb',
        path: '',
        virtual: false,
        profileId: null,
        profileName: null,
        identity: null,
        firmware: null,
        state: 'present',
        seenAt: this.deps.now().toISOString(),
      },
      usb: null,
      listed: null,
      info: null,
      profile: null,
      board: null,
      mutex: new AsyncMutex(),
      longOperation: null,
      operating: null,
      removed: false,
    };
  }

  private removeEntry(entry: UsbEntry, why: string): void {
    if (entry.removed) return;
    entry.removed = true;
    this.entries.delete(entry.device.id);
    this.deps.log('info', `${entry.device.path}: removed (${why})`);
  }

  /** Ready, with what the device is doing in words. */
  private settleState(entry: UsbEntry): void {
    if (!entry.info) this.setState(entry, 'ready', 'no DFU interface: nothing to flash over USB');
    else this.setState(entry, 'ready', entry.info.mode === 'runtime' ? RUNTIME_DETAIL : DFU_MODE_DETAIL);
  }

  private setState(entry: UsbEntry, state: DeviceState, detail?: string): void {
    setDeviceState(entry.device, state, detail, this.deps.now());
    if (!entry.removed) this.emit();
  }

  private emit(): void {
    if (!this.closed) this.deps.onChange(this.list());
  }
}

// ---------------------------------------------------------------- describing a device

/** The entry's API view, from what the bus and the descriptors say. */
function describeDevice(entry: UsbEntry, item: UsbBusDevice, info: UsbDfuInfo | null): void {
  const { device } = item;
  const vid = hex4(device.vendorId);
  const pid = hex4(device.productId);
  const usb: UsbInfo = { vendorId: vid, productId: pid };
  if (device.serialNumber) usb.serialNumber = device.serialNumber;
  if (device.manufacturerName) usb.manufacturer = device.manufacturerName;
  if (device.productName) usb.product = device.productName;
  if (item.location) usb.location = item.location;
  if (info) usb.dfu = info;

  const view = entry.device;
  view.path = `usb ${vid}:${pid}${item.virtual ? ' (virtual)' : item.location ? ` ${item.location}` : ''}`;
  view.virtual = item.virtual;
  view.usb = usb;
  view.profileId = entry.profile?.id ?? null;
  view.profileName = entry.profile?.name ?? (info ? GENERIC_DFU_NAME : null);
  view.identity = identityOf(device, entry.profile);
  // Any DFU device can be flashed from its descriptors alone, as dfu-util does.
  view.firmware = info ? { method: 'usb-dfu', dfuse: info.dfuse, canVerify: info.functional?.canUpload ?? false, mode: info.mode } : null;
}

/** Who the device says it is in its device descriptor: product string, serial number, bcdDevice as "x.yy". */
export function identityOf(device: USBDevice, profile: DeviceProfile | null): DeviceIdentity {
  return {
    model: device.productName || profile?.name || `${hex4(device.vendorId)}:${hex4(device.productId)}`,
    serialNumber: device.serialNumber || '(none)',
    firmwareVersion: `${device.deviceVersionMajor}.${device.deviceVersionMinor}${device.deviceVersionSubminor}`,
  };
}

/** What profiles match a USB device on. */
function factsOf(device: USBDevice, dfuMode: UsbDeviceFacts['dfuMode']): UsbDeviceFacts {
  return {
    vendorId: hex4(device.vendorId),
    productId: hex4(device.productId),
    ...(device.serialNumber ? { serialNumber: device.serialNumber } : {}),
    dfuMode,
  };
}

/** Stable across re-enumeration: by serial number when the device has one, else by where it is plugged in. */
export function usbDeviceId(device: USBDevice, location: string | undefined): string {
  if (device.serialNumber) return `usb:${device.serialNumber}`;
  return `usb:${location ?? `${hex4(device.vendorId)}:${hex4(device.productId)}`}`;
}

export function labelOf(device: USBDevice): string {
  const ids = `${hex4(device.vendorId)}:${hex4(device.productId)}`;
  return device.serialNumber ? `${ids} serial ${device.serialNumber}` : ids;
}

/** The descriptors the bus already holds list a DFU interface (class 0xFE, subclass 0x01) in some alternate setting. */
function offersDfu(device: USBDevice): boolean {
  return device.configurations.some((configuration) =>
    configuration.interfaces.some((usbInterface) =>
      usbInterface.alternates.some(
        (alternate) => alternate.interfaceClass === DFU_INTERFACE_CLASS && alternate.interfaceSubclass === DFU_INTERFACE_SUBCLASS,
      ),
    ),
  );
}

function usbDfuFirmwareOf(profile: DeviceProfile | null): UsbDfuFirmware | null {
  return profile?.firmware?.method === 'usb-dfu' ? profile.firmware : null;
}

function failureDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (isUsbAccessError(error)) return `cannot open the device: ${message}. ${usbAccessHint()}`;
  return isFieldbenchError(error) && error.hint ? `${message}. ${error.hint}` : message;
}

function modeWords(mode: 'runtime' | 'dfu'): string {
  return mode === 'dfu' ? 'DFU mode' : 'its application (DFU runtime)';
}

function virtualSerialNumber(model: UsbVirtualModel, count: number): string {
  // Random, so several boards (and several runs) are told apart as real ones are; 12 hex digits like ST's.
  const random = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .toUpperCase()
    .padStart(8, '0');
  return `${model === 'stm32-dfu' ? 'ST' : 'GD'}${count.toString(16).toUpperCase().padStart(2, '0')}${random}`;
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, '0');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function cloneDevice(device: Device): Device {
  return structuredClone(device);
}
