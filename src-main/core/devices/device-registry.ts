// The live list of devices: what discovery sees on the serial bus, ports added by hand, and
// virtual devices. It recognises each device from the profiles, owns the one open link and
// shell per device, and runs one operation at a time on it.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { Device, DeviceIdentity, DeviceState, DiscoveryStatus, VirtualFaults } from '../../api/schemas';
import type { Link } from '../../transports/link';
import type { SerialLinkOptions } from '../../transports/serial/serial-link';
import { ShellClient } from '../../protocols/shell/shell-client';
import type { SerialProfile } from '../profiles/profile-types';
import type { ProfileRegistry } from '../profiles/profile-registry';
import { readIdentity } from '../diagnostics/read-diagnostics';
import { AsyncMutex } from './async-mutex';
import { cannotDetachPlugged, deviceBusy, noSuchDevice, notVirtual } from './device-errors';
import { describeFraming, portHeld, sameFraming, sendRefusedWhile, waitedTooLong, type PortFraming } from './port-hold';
import { describeRecovery, probeSerialRecovery } from './serial-recovery-probe';
import type { VirtualAttachment, VirtualStart } from './virtual-attachment';
import { setDeviceState } from './device-state';

export interface SerialPortSeen {
  path: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  manufacturer?: string;
}

export interface DeviceRegistryDeps {
  profiles: ProfileRegistry;
  listSerialPorts(): Promise<{ ports: SerialPortSeen[]; status: DiscoveryStatus }>;
  openSerialLink(path: string, options: SerialLinkOptions): Promise<Link>;
  attachVirtual(model: 'sensor-node', faults: VirtualFaults | undefined, startIn: VirtualStart): Promise<VirtualAttachment>;
  portExists(path: string): Promise<boolean>;
  now(): Date;
  onChange(devices: Device[]): void;
  /** Throws the reason a device this registry does not hold (a USB one) cannot take a shell or SMP request. */
  refuseForeign?(deviceId: string, step: string): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** How long a probe of an unknown port may take per profile: short, since the port may not be a shell at all. */
const PROBE_TIMEOUT_MS = 1500;
/** How long taking or changing a held port waits for an operation under way (a diagnostics read) to end. */
const HOLD_WAIT_MS = 20_000;
/** How long a command sent from a console waits for its turn behind an operation under way. */
const SEND_WAIT_MS = 10_000;

type Source = 'discovered' | 'added' | 'virtual';

interface DeviceEntry {
  device: Device;
  source: Source;
  virtual: VirtualAttachment | null;
  profile: SerialProfile | null;
  link: Link | null;
  shell: ShellClient | null;
  mutex: AsyncMutex;
  removed: boolean;
  /** What long operation holds the device (a firmware update), if any. */
  longOperation: string | null;
  /** Only the bootloader answers (MCUboot serial recovery): no shell to wake. */
  inRecovery: boolean;
  /** The operation running under the mutex now, for messages to those who wait. */
  running: string | null;
  /** Who watches the port (a console), keeping it open with their framing. */
  holder: Holder | null;
  /** How the open link was opened; null for an in-memory link, which has no UART to frame. */
  linkFraming: PortFraming | null;
  /** The link whose bytes are tapped for the holder: each link is tapped once. */
  tapped: Link | null;
}

interface Holder extends PortHoldOptions {
  released: boolean;
}

/** What a port holder (the log console) gives: its framing and where the bytes and news go. */
export interface PortHoldOptions {
  /** Who holds the port, for the refusals others get: "a log console". */
  name: string;
  framing: PortFraming;
  /** Every chunk the port receives, with the host time it arrived, whoever reads it. */
  onData(chunk: Uint8Array, time: number): void;
  /** The port went away (unplug, re-enumeration) or the device left the list: the hold is over. */
  onLost(reason: string): void;
  /** Sending became refused (a firmware update writes to the port) or allowed again (null). */
  onSendRefusal(reason: string | null): void;
}

/** A held port: the holder sees every byte and may send between the registry's operations. */
export interface PortHold {
  readonly deviceId: string;
  /** The port's path, or a description for an in-memory device. */
  readonly path: string;
  /** Sends bytes in turn with operations (waiting at most SEND_WAIT_MS); refused while a long operation runs. */
  write(bytes: Uint8Array, step: string): Promise<void>;
  /** Why sending is refused now, or null. */
  sendRefusal(): string | null;
  /** Opens the port again with other framing. */
  change(framing: PortFraming): Promise<void>;
  /** Lets the port go; it stays open for the registry's own operations. */
  release(): void;
}

/** What an operation gets: the open link, the shell on it, the profile, and a way to reopen after a reset. */
export interface DeviceSession {
  link: Link;
  shell: ShellClient;
  profile: SerialProfile;
  /** The device is in MCUboot serial recovery: SMP only, one slot, the shell is not there. */
  inRecovery: boolean;
  reopen(): Promise<DeviceSession>;
}

export class DeviceRegistry {
  private readonly entries = new Map<string, DeviceEntry>();
  private serialStatus: DiscoveryStatus = {
    transport: 'serial',
    method: 'not started',
    available: false,
    note: 'Serial discovery has not run yet.',
  };
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private closed = false;
  private virtualCount = 0;
  /** Identifications started by discovery, so a one-shot CLI can wait for them. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly deps: DeviceRegistryDeps) {}

  // ------------------------------------------------------------ discovery

  /**
   * Look at the serial bus now and then every intervalMs (0: once only, for one-shot CLI
   * commands). serialport has no hot-plug events, and a second is quick enough for a person.
   */
  start(intervalMs: number): void {
    if (this.timer) return;
    const tick = () => {
      this.polling ??= this.poll()
        .catch((error: unknown) => this.deps.log('error', `serial discovery failed: ${String(error)}`))
        .finally(() => {
          this.polling = null;
        });
    };
    tick();
    if (intervalMs > 0) {
      this.timer = setInterval(tick, intervalMs);
      this.timer.unref?.();
    }
  }

  /** The discovery pass under way (if any) and the identifications it started are done. */
  async quiet(): Promise<void> {
    await this.polling;
    await this.settled();
  }

  /** One discovery pass; also used directly by one-shot CLI commands. */
  async poll(): Promise<void> {
    if (this.closed) return;
    const { ports, status } = await this.deps.listSerialPorts();
    let changed = JSON.stringify(status) !== JSON.stringify(this.serialStatus);
    this.serialStatus = status;
    const seen = new Set<string>();
    for (const port of ports) {
      const id = serialDeviceId(port.path);
      seen.add(id);
      const existing = this.entries.get(id);
      if (existing) continue;
      // A port we opened for a virtual device or added by hand may also be listed; keep one entry.
      const entry = this.addEntry(id, 'discovered', port.path, false, port);
      changed = true;
      const matches = port.vendorId && port.productId ? this.deps.profiles.matchSerialPort(port.vendorId, port.productId) : [];
      if (matches.length > 0) {
        // A USB id a profile claims: safe to talk to. Unknown ports are only probed when asked.
        this.track(this.identifyEntry(entry, matches));
      } else {
        this.setState(entry, 'unknown', 'No profile claims this port’s USB id. Use Identify to probe it.');
      }
    }
    for (const [id, entry] of this.entries) {
      if (entry.source === 'discovered' && !seen.has(id)) {
        await this.removeEntry(entry, 'unplugged');
        changed = true;
      } else if (entry.source === 'added' && !(await this.deps.portExists(entry.device.path))) {
        await this.removeEntry(entry, 'port vanished');
        changed = true;
      }
    }
    if (changed) this.emit();
  }

  /** Resolves when the identifications discovery started have finished (each has its own deadlines). */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track(work: Promise<void>): void {
    // The outcome is already in the device's state; the rejection needs no other handler.
    const settled = work.catch(() => undefined);
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
  }

  discoveryStatus(): DiscoveryStatus[] {
    return [this.serialStatus];
  }

  // ------------------------------------------------------------ the list

  list(): Device[] {
    return [...this.entries.values()]
      .map((entry) => ({ ...entry.device }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  get(deviceId: string): Device {
    return { ...this.entry(deviceId).device };
  }

  profileOf(deviceId: string): SerialProfile {
    const entry = this.entry(deviceId);
    if (!entry.profile) {
      throw new FieldbenchError({
        code: 'profile-error',
        message: 'no device profile recognises this device',
        device: entry.device.path,
        step: 'choose profile',
        hint: 'Use Identify to probe it, or add a profile for this device family to device-profiles/.',
      });
    }
    return entry.profile;
  }

  // ------------------------------------------------------------ adding and removing

  async attachVirtual(model: 'sensor-node', faults: VirtualFaults | undefined, startIn: VirtualStart = 'application'): Promise<Device> {
    const attachment = await this.deps.attachVirtual(model, faults, startIn);
    this.virtualCount += 1;
    const id = attachment.link ? `virtual:${model}-${this.virtualCount}` : serialDeviceId(attachment.path);
    const entry = this.addEntry(id, 'virtual', attachment.path, true);
    entry.virtual = attachment;
    this.emit();
    const profile = this.deps.profiles.serialProfiles().find((candidate) => candidate.id === attachment.profileId);
    if (!profile) {
      await this.removeEntry(entry, 'no profile');
      throw new FieldbenchError({
        code: 'profile-error',
        message: `the virtual ${model} needs the profile '${attachment.profileId}', which did not load`,
        step: 'attach virtual device',
        hint: 'Check the profile problems listed under Devices, or restore device-profiles/.',
      });
    }
    await this.identifyEntry(entry, [profile]);
    return this.get(id);
  }

  async addPort(path: string): Promise<Device> {
    const id = serialDeviceId(path);
    const existing = this.entries.get(id);
    if (existing) return this.identify(id);
    if (!(await this.deps.portExists(path))) {
      throw new FieldbenchError({
        code: 'not-found',
        message: `there is no port at ${path}`,
        device: path,
        step: 'add port',
        hint: 'Check the path (for example /dev/ttyUSB0, /dev/ttyACM0, or the port printed by fieldbench sim).',
      });
    }
    const entry = this.addEntry(id, 'added', path, false);
    this.emit();
    // The port stays in the list either way; a failed probe is the answer to this request.
    await this.identifyEntry(entry, this.deps.profiles.serialProfiles());
    return this.get(id);
  }

  async identify(deviceId: string): Promise<Device> {
    const entry = this.entry(deviceId);
    const candidates = entry.profile ? [entry.profile] : this.deps.profiles.serialProfiles();
    await this.identifyEntry(entry, candidates);
    return this.get(deviceId);
  }

  async setFaults(deviceId: string, faults: VirtualFaults): Promise<Device> {
    const entry = this.entry(deviceId);
    if (!entry.virtual) throw notVirtual(entry.device.path);
    entry.virtual.setFaults(faults);
    return this.get(deviceId);
  }

  async detach(deviceId: string): Promise<void> {
    const entry = this.entry(deviceId);
    if (entry.source === 'discovered') throw cannotDetachPlugged(entry.device.path);
    await this.removeEntry(entry, 'detached');
    this.emit();
  }

  // ------------------------------------------------------------ operations

  /**
   * Run an operation with the device's shell, one at a time per device. The device state
   * says busy meanwhile, and afterwards says what happened: ready, unresponsive after a
   * time-out (with the message), or error.
   */
  async withShell<T>(deviceId: string, step: string, operation: (shell: ShellClient, profile: SerialProfile) => Promise<T>): Promise<T> {
    return this.withSession(deviceId, step, (session) => {
      if (session.inRecovery) {
        throw new FieldbenchError({
          code: 'unavailable',
          message: 'the device is in MCUboot serial recovery: no application runs to answer its shell',
          device: session.link.label,
          step,
          hint: 'Flash an image to bring the application back.',
        });
      }
      return operation(session.shell, session.profile);
    });
  }

  /**
   * Like withShell, with the link itself, for protocols that share the shell's port (SMP).
   * A long operation (a firmware update) makes other callers fail at once with device-busy,
   * saying what runs, instead of queueing behind it for minutes.
   */
  async withSession<T>(
    deviceId: string,
    step: string,
    operation: (session: DeviceSession) => Promise<T>,
    options: { long?: boolean } = {},
  ): Promise<T> {
    if (!this.entries.has(deviceId)) this.deps.refuseForeign?.(deviceId, step);
    const entry = this.entry(deviceId);
    const profile = this.profileOf(deviceId);
    if (entry.longOperation) throw deviceBusy(entry.longOperation, entry.device.path, step);
    if (options.long) {
      entry.longOperation = step;
      this.tellRefusal(entry);
    }
    try {
      return await entry.mutex.run(async () => {
        this.ensurePresent(entry, step);
        this.setState(entry, 'busy', step);
        entry.running = step;
        try {
          const { link, shell } = await this.ensureShell(entry, profile);
          const result = await operation({ link, shell, profile, inRecovery: entry.inRecovery, reopen: () => this.reopen(entry, profile) });
          if (entry.inRecovery) this.setState(entry, 'recovery', entry.device.stateDetail);
          else this.setState(entry, 'ready');
          return result;
        } catch (error) {
          this.recordFailure(entry, error);
          throw error;
        } finally {
          entry.running = null;
        }
      });
    } finally {
      if (options.long) {
        entry.longOperation = null;
        this.tellRefusal(entry);
      }
    }
  }

  // ------------------------------------------------------------ holding a port

  /**
   * Keep a device's port open for a watcher (the log console) with its framing: every byte
   * the port receives goes to onData, through operations and reopens after a reset. Sending
   * takes its turn with operations; while a long one (a firmware update) runs, the holder
   * watches and sending is refused. One holder per port.
   */
  async holdPort(deviceId: string, options: PortHoldOptions): Promise<PortHold> {
    const step = 'hold port';
    const entry = this.entry(deviceId);
    this.ensurePresent(entry, step);
    if (entry.holder) throw portHeld(entry.holder.name, entry.device.path, step);
    const holder: Holder = { ...options, released: false };
    entry.holder = holder;
    try {
      if (entry.longOperation) {
        // The long operation owns the link (it may be reopening it after a reset); watch it as it
        // is, or as the operation will open it again.
        const framing = entry.link?.isOpen ? entry.linkFraming : entry.virtual?.link ? null : this.plainFraming(entry);
        if (framing && !sameFraming(framing, options.framing)) {
          throw new FieldbenchError({
            code: 'device-busy',
            message: `${entry.longOperation} is using the port at ${describeFraming(framing)}`,
            device: entry.device.path,
            step,
            hint: `Open the console at ${describeFraming(framing)} to watch it, or wait until it ends.`,
          });
        }
        if (entry.link) this.tap(entry, entry.link);
      } else {
        await this.whenFree(entry, step, HOLD_WAIT_MS, async () => {
          this.ensurePresent(entry, step);
          const open = entry.link?.isOpen === true;
          if (open && entry.link && (entry.linkFraming === null || sameFraming(entry.linkFraming, options.framing))) {
            this.tap(entry, entry.link);
          } else {
            await this.closeLink(entry);
            entry.link = await this.openLink(entry, options.framing.baudRate);
          }
          // The port answers again after a loss; the shell is woken by the next operation.
          if (entry.device.state === 'error') this.setState(entry, entry.profile ? 'ready' : 'present');
        });
      }
    } catch (error) {
      if (entry.holder === holder) entry.holder = null;
      throw error;
    }
    return {
      deviceId,
      path: entry.device.path,
      write: (bytes, writeStep) => this.holderWrite(entry, holder, bytes, writeStep),
      sendRefusal: () => (entry.longOperation ? sendRefusedWhile(entry.longOperation) : null),
      change: (framing) => this.changeFraming(entry, holder, framing),
      release: () => {
        holder.released = true;
        if (entry.holder === holder) entry.holder = null;
      },
    };
  }

  private async holderWrite(entry: DeviceEntry, holder: Holder, bytes: Uint8Array, step: string): Promise<void> {
    this.ensureHeld(entry, holder, step);
    const refuse = () => {
      if (entry.longOperation) {
        throw new FieldbenchError({
          code: 'device-busy',
          message: sendRefusedWhile(entry.longOperation),
          device: entry.device.path,
          step,
          hint: 'The console keeps showing what the device prints; send again once the update has ended.',
        });
      }
    };
    refuse();
    await this.whenFree(entry, step, SEND_WAIT_MS, async () => {
      refuse();
      this.ensureHeld(entry, holder, step);
      const link = entry.link;
      if (!link?.isOpen) {
        throw new FieldbenchError({
          code: 'device-gone',
          message: 'the port is not open: it was lost',
          device: entry.device.path,
          step,
          hint: 'Wait for the console to find the device again, then send.',
        });
      }
      await link.write(bytes);
    });
  }

  private async changeFraming(entry: DeviceEntry, holder: Holder, framing: PortFraming): Promise<void> {
    const step = 'change serial settings';
    this.ensureHeld(entry, holder, step);
    if (entry.longOperation) throw deviceBusy(entry.longOperation, entry.device.path, step);
    await this.whenFree(entry, step, HOLD_WAIT_MS, async () => {
      this.ensureHeld(entry, holder, step);
      const before = holder.framing;
      holder.framing = framing;
      // An in-memory device has no UART: there is nothing to open again.
      if (entry.virtual?.link) return;
      await this.closeLink(entry);
      try {
        entry.link = await this.openLink(entry, framing.baudRate);
      } catch (error) {
        // Back to what worked, so a refused rate leaves the console as it was.
        holder.framing = before;
        try {
          entry.link = await this.openLink(entry, before.baudRate);
        } catch (again) {
          this.loseHolder(entry, `the port could not be opened again: ${again instanceof Error ? again.message : String(again)}`);
        }
        throw error;
      }
    });
  }

  private ensureHeld(entry: DeviceEntry, holder: Holder, step: string): void {
    if (holder.released || entry.holder !== holder) {
      throw new FieldbenchError({
        code: 'device-gone',
        message: 'the console no longer holds the port',
        device: entry.device.path,
        step,
        hint: 'Open the console again.',
      });
    }
  }

  /**
   * Run work under the device's mutex, giving up if the operations ahead of it take longer
   * than waitMs; work that gave up never runs later.
   */
  private whenFree(entry: DeviceEntry, step: string, waitMs: number, work: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let gaveUp = false;
      const timer = setTimeout(() => {
        gaveUp = true;
        reject(waitedTooLong(entry.running, waitMs, entry.device.path, step));
      }, waitMs);
      entry.mutex
        .run(async () => {
          if (gaveUp) return;
          clearTimeout(timer);
          await work();
        })
        .then(resolve, (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        });
    });
  }

  private tellRefusal(entry: DeviceEntry): void {
    entry.holder?.onSendRefusal(entry.longOperation ? sendRefusedWhile(entry.longOperation) : null);
  }

  /** The holder's port is gone: the hold ends, and the holder is told why. */
  private loseHolder(entry: DeviceEntry, reason: string): void {
    const holder = entry.holder;
    if (!holder) return;
    entry.holder = null;
    holder.released = true;
    holder.onLost(reason);
  }

  /** The holder sees this link's bytes; nobody reads them between operations, so they are not kept. */
  private tap(entry: DeviceEntry, link: Link): void {
    if (entry.tapped === link || !link.onData) return;
    entry.tapped = link;
    link.onData((chunk, time) => {
      const holder = entry.holder;
      if (!holder || entry.link !== link) return;
      holder.onData(chunk, time);
      if (!entry.mutex.isLocked) link.discardInput();
    });
  }

  /**
   * After a reset the device may come back on the same port (a UART, a pseudo-terminal) or
   * drop off and re-appear (USB CDC ACM re-enumerating). Close what we hold, open the port
   * again and wake the shell; the caller retries until its own deadline.
   */
  private async reopen(entry: DeviceEntry, profile: SerialProfile): Promise<DeviceSession> {
    this.ensurePresent(entry, 'reconnect');
    await this.closeLink(entry);
    // After a reset the application should be back; if only the bootloader answers, say so.
    entry.inRecovery = false;
    try {
      const { link, shell } = await this.ensureShell(entry, profile);
      return { link, shell, profile, inRecovery: false, reopen: () => this.reopen(entry, profile) };
    } catch (error) {
      if (!(await this.enterRecoveryIfBootloader(entry, profile))) throw error;
      const { link, shell } = await this.ensureShell(entry, profile);
      return { link, shell, profile, inRecovery: true, reopen: () => this.reopen(entry, profile) };
    }
  }

  /** Keep what a diagnostics read learnt about the device's identity. */
  updateIdentity(deviceId: string, identity: DeviceIdentity): void {
    const entry = this.entries.get(deviceId);
    if (!entry) return;
    entry.device.identity = identity;
    this.emit();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling?.catch(() => undefined);
    for (const entry of [...this.entries.values()]) await this.removeEntry(entry, 'closing');
  }

  // ------------------------------------------------------------ internals

  private entry(deviceId: string): DeviceEntry {
    const entry = this.entries.get(deviceId);
    if (!entry) throw noSuchDevice(deviceId);
    return entry;
  }

  private ensurePresent(entry: DeviceEntry, step: string): void {
    if (entry.removed) {
      throw new FieldbenchError({
        code: 'device-gone',
        message: 'the device was removed',
        device: entry.device.path,
        step,
        hint: 'Plug it in again and retry.',
      });
    }
  }

  private addEntry(id: string, source: Source, path: string, isVirtual: boolean, port?: SerialPortSeen): DeviceEntry {
    const device: Device = {
      id,
      transport: 'serial',
      path,
      virtual: isVirtual,
      profileId: null,
      profileName: null,
      identity: null,
      firmware: null,
      state: 'present',
      seenAt: this.deps.now().toISOString(),
    };
    if (port?.vendorId && port.productId) {
      device.usb = { vendorId: port.vendorId, productId: port.productId };
      if (port.serialNumber) device.usb.serialNumber = port.serialNumber;
      if (port.manufacturer) device.usb.manufacturer = port.manufacturer;
    }
    const entry: DeviceEntry = {
      device,
      source,
      virtual: null,
      profile: null,
      link: null,
      shell: null,
      mutex: new AsyncMutex(),
      removed: false,
      longOperation: null,
      inRecovery: false,
      running: null,
      holder: null,
      linkFraming: null,
      tapped: null,
    };
    this.entries.set(id, entry);
    return entry;
  }

  private async removeEntry(entry: DeviceEntry, why: string): Promise<void> {
    if (entry.removed) return;
    entry.removed = true;
    this.entries.delete(entry.device.id);
    this.deps.log('info', `${entry.device.path}: removed (${why})`);
    this.loseHolder(entry, `the device left the list (${why})`);
    await this.closeLink(entry);
    await entry.virtual?.detach().catch((error: unknown) => {
      this.deps.log('warn', `${entry.device.path}: detaching the virtual device failed: ${String(error)}`);
    });
  }

  private async closeLink(entry: DeviceEntry): Promise<void> {
    const link = entry.link;
    entry.link = null;
    entry.shell = null;
    entry.linkFraming = null;
    // A virtual in-memory link belongs to its attachment, which closes it on detach.
    if (link && link !== entry.virtual?.link) await link.close().catch(() => undefined);
  }

  /** 8N1 without flow control at the profile's rate: how operations open a port nobody holds. */
  private plainFraming(entry: DeviceEntry): PortFraming {
    return { baudRate: entry.profile?.shell.baudRate ?? 115_200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' };
  }

  /** Opens the device's port: with the holder's framing while one holds it, else 8N1 at the profile's rate. */
  private async openLink(entry: DeviceEntry, baudRate: number): Promise<Link> {
    if (entry.virtual?.link) {
      this.tap(entry, entry.virtual.link);
      return entry.virtual.link;
    }
    const framing: PortFraming = entry.holder?.framing ?? { ...this.plainFraming(entry), baudRate };
    const link = await this.deps.openSerialLink(entry.device.path, { ...framing });
    if (entry.removed) {
      // Removed while the port was opening (unplugged or detached mid-reconnect): nobody would
      // ever close this port, and it would hold the path for the next device plugged in there.
      await link.close().catch(() => undefined);
      this.ensurePresent(entry, 'open port');
    }
    entry.linkFraming = framing;
    link.onClose((reason) => {
      if (reason.kind !== 'lost' || entry.link !== link) return;
      entry.link = null;
      entry.shell = null;
      entry.linkFraming = null;
      if (!entry.removed) {
        this.setState(entry, 'error', `Link lost: ${reason.message}`);
        this.emit();
      }
      this.loseHolder(entry, reason.message);
    });
    this.tap(entry, link);
    return link;
  }

  /** The open link and its shell, opened and woken if need be; a pair, so a removal in between cannot split them. */
  private async ensureShell(entry: DeviceEntry, profile: SerialProfile): Promise<{ link: Link; shell: ShellClient }> {
    if (entry.shell && entry.link?.isOpen && entry.profile === profile) return { link: entry.link, shell: entry.shell };
    // A held port stays as its holder opened it: a new shell on the same link.
    let link = entry.holder && entry.link?.isOpen ? entry.link : null;
    if (!link) {
      await this.closeLink(entry);
      link = await this.openLink(entry, profile.shell.baudRate);
      entry.link = link;
    }
    const shell = new ShellClient(link, profile.shell, { deviceLabel: entry.device.path });
    if (!entry.inRecovery) await shell.sync();
    entry.shell = shell;
    return { link, shell };
  }

  /** The shell did not answer: if the bootloader does (serial recovery), mark the device so. */
  private async enterRecoveryIfBootloader(entry: DeviceEntry, profile: SerialProfile): Promise<boolean> {
    const link = entry.link;
    if (!link?.isOpen) return false;
    const slots = await probeSerialRecovery(link, profile);
    if (!slots) return false;
    entry.inRecovery = true;
    entry.shell = new ShellClient(link, profile.shell, { deviceLabel: entry.device.path });
    applyProfile(entry, profile);
    this.setState(entry, 'recovery', describeRecovery(slots));
    return true;
  }

  /** Try the candidate profiles in turn; the first whose probe answers as expected wins. */
  private async identifyEntry(entry: DeviceEntry, candidates: SerialProfile[]): Promise<void> {
    await entry.mutex.run(async () => {
      this.ensurePresent(entry, 'identify');
      this.setState(entry, 'identifying');
      let lastError: unknown = null;
      for (const profile of candidates) {
        entry.inRecovery = false;
        try {
          const { shell } = await this.ensureShell(entry, profile);
          if (profile !== entry.profile && profile.match.serialProbe) {
            const probe = profile.match.serialProbe;
            const answer = await shell.run(probe.command, { timeoutMs: PROBE_TIMEOUT_MS, step: 'identify: probe' });
            if (!new RegExp(probe.expect, 'm').test(answer.join('\n'))) continue;
          }
          const identity = await readIdentity(shell, profile);
          entry.inRecovery = false;
          applyProfile(entry, profile);
          entry.device.identity = identity;
          this.setState(entry, 'ready');
          return;
        } catch (error) {
          lastError = error;
          if (isFieldbenchError(error) && error.code === 'device-gone') break;
          if (isFieldbenchError(error) && error.code === 'timeout' && (await this.enterRecoveryIfBootloader(entry, profile))) return;
        }
      }
      // A console holding the port keeps watching it, whatever the probe found.
      if (!entry.holder) await this.closeLink(entry);
      if (lastError) {
        this.recordFailure(entry, lastError);
        throw lastError;
      }
      this.setState(entry, 'unknown', 'No profile recognised the device’s answers.');
    });
  }

  private recordFailure(entry: DeviceEntry, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (isFieldbenchError(error) && error.code === 'timeout') this.setState(entry, 'unresponsive', message);
    else this.setState(entry, 'error', message);
  }

  private setState(entry: DeviceEntry, state: DeviceState, detail?: string): void {
    setDeviceState(entry.device, state, detail, this.deps.now());
    if (!entry.removed) this.emit();
  }

  private emit(): void {
    if (!this.closed) this.deps.onChange(this.list());
  }
}

/** The device is of this family: its profile, and what the profile says about updating it. */
function applyProfile(entry: DeviceEntry, profile: SerialProfile): void {
  entry.profile = profile;
  entry.device.profileId = profile.id;
  entry.device.profileName = profile.name;
  // A serial device is updated over its shell's port; a usb-dfu section is for the same board seen on USB.
  entry.device.firmware =
    profile.firmware?.method === 'mcumgr-serial'
      ? { method: profile.firmware.method, slotSize: profile.firmware.slotSize, signatureRequired: (profile.firmware.signingKeys?.length ?? 0) > 0 }
      : null;
}

export function serialDeviceId(path: string): string {
  return `serial:${path}`;
}
