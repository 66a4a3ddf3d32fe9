// One BLE device followed live: a hold on its shared connection, notifications of Battery
// Level, of the profile's 'notify' characteristics and of its UART log, turned into readings
// and log lines sent in batches. A dropped link is reconnected with growing pauses until the
// follow stops, and the log shows where the gap was.
import { isFieldbenchError } from '../../api/errors';
import type { BleFollowState, LogLine, Reading } from '../../api/schemas';
import { type BleConnection, type BleServiceInfo, withDeadline } from '../../transports/ble/ble-central';
import { NUS_SERVICE_UUID, NUS_TX_UUID } from '../../transports/ble/ble-uuid';
import { clockTime } from '../clock-time';
import { characteristicName, gattReading } from '../diagnostics/gatt-value';
import { BATTERY_LEVEL_READING, BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, batteryLevelReading } from '../diagnostics/gatt-standard-readings';
import type { DeviceProfile } from '../profiles/profile-types';
import { LogLineAssembler } from './nus-log-lines';
import type { ConnectionHold } from './shared-connection';
import { TimedBatch } from './timed-batch';

export interface FollowTiming {
  /** Least time between two 'ble.values' events of one device. */
  valuesIntervalMs: number;
  /** Least time between two 'logs.lines' events of one device. */
  linesIntervalMs: number;
  /** A line without its end goes out after this much silence: a prompt has no newline. */
  partialLineFlushMs: number;
  /** The first pause between reconnection attempts; it doubles after each failure... */
  reconnectFirstMs: number;
  /** ...up to this. */
  reconnectMaxMs: number;
  /** Turning one characteristic's notifications off when the follow stops. */
  unsubscribeDeadlineMs: number;
}

export const DEFAULT_FOLLOW_TIMING: FollowTiming = {
  valuesIntervalMs: 250,
  linesIntervalMs: 100,
  partialLineFlushMs: 500,
  reconnectFirstMs: 1_000,
  reconnectMaxMs: 10_000,
  unsubscribeDeadlineMs: 5_000,
};

/** Readings, and lines, waiting for their batch past these are dropped oldest first. */
const MAX_WAITING_READINGS = 256;
const MAX_WAITING_LINES = 2_000;

export interface DeviceFollowOptions {
  deviceId: string;
  /** Names the device in messages. */
  label: string;
  profile: DeviceProfile | null;
  hold: ConnectionHold;
  /** False once the device has left the device list (detached, no longer heard): nothing to reconnect to. */
  stillListed: () => boolean;
  now: () => Date;
  timing: FollowTiming;
  emitValues: (readings: Reading[]) => void;
  emitLines: (lines: LogLine[]) => void;
  emitState: (state: BleFollowState) => void;
  /** The follow ended by itself, its hold released (the device left the list). */
  ended: () => void;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A characteristic to subscribe to and what its values become. */
interface Target {
  service: string;
  characteristic: string;
  label: string;
  /** Read once as the follow starts: Battery Level, for one, notifies only when it changes. */
  readable: boolean;
  onValue: (bytes: Uint8Array) => void;
}

export class DeviceFollow {
  private connection: BleConnection | null = null;
  private stopWatching: (() => void) | null = null;
  private subscriptions: Array<() => Promise<void>> = [];
  /** Why the link is down, while it is; it outranks what cannot be followed. */
  private linkProblem: string | null = null;
  private followProblems: string[] = [];
  private logging = false;
  private stopped = false;
  /** A reconnection round runs; a drop meanwhile is its business. */
  private reconnectRunning = false;
  private reconnecting: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private readonly assembler = new LogLineAssembler();
  private readonly values: TimedBatch<Reading>;
  private readonly lines: TimedBatch<LogLine>;

  constructor(private readonly options: DeviceFollowOptions) {
    this.values = new TimedBatch(options.timing.valuesIntervalMs, (readings) => options.emitValues(readings), MAX_WAITING_READINGS);
    this.lines = new TimedBatch(options.timing.linesIntervalMs, (lines) => options.emitLines(lines), MAX_WAITING_LINES);
  }

  get state(): BleFollowState {
    const problem = this.linkProblem ?? (this.followProblems.length > 0 ? this.followProblems.join('; ') : null);
    return { deviceId: this.options.deviceId, following: !this.stopped, log: !this.stopped && this.logging, problem };
  }

  /** Connects and subscribes; when the device cannot be reached, lets go of the hold and throws. */
  async start(): Promise<void> {
    let connection: BleConnection;
    try {
      connection = await this.options.hold.connection();
    } catch (error) {
      this.stopped = true;
      await this.options.hold.release();
      throw error;
    }
    if (await this.attach(connection)) this.options.emitState(this.state);
  }

  /** Stops following: notifications off, what is waiting sent, the hold released. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    await this.reconnecting;
    await this.teardown();
    this.options.emitState(this.state);
  }

  /**
   * Subscribes to everything the device and its profile offer on this connection. False when
   * the link dropped meanwhile (the drop handler reconnects); what cannot be followed while
   * the link holds becomes the state's problem, never an error.
   */
  private async attach(connection: BleConnection): Promise<boolean> {
    this.connection = connection;
    this.stopWatching?.();
    this.stopWatching = connection.onDisconnect((reason) => this.dropped(connection, reason));
    const problems: string[] = [];
    let services: BleServiceInfo[] = [];
    try {
      services = await connection.services();
    } catch (error) {
      problems.push(`its services could not be listed: ${messageOf(error)}`);
    }
    const { targets, cannot } = this.targets(connection, services);
    problems.push(...cannot);
    const followed: Target[] = [];
    let logging = false;
    for (const target of targets) {
      if (this.connection !== connection || this.stopped) break;
      // Read before subscribing: BlueZ reports a read's value as a change of Value, which a
      // subscriber would take for a second notification of the same value.
      const initial = target.readable ? await this.readNow(connection, target) : null;
      try {
        const unsubscribe = await connection.subscribe(target.service, target.characteristic, target.onValue);
        if (this.connection !== connection) {
          // The link dropped while the device turned them on: nothing is left to turn off.
          await unsubscribe().catch(() => undefined);
          break;
        }
        this.subscriptions.push(unsubscribe);
        followed.push(target);
        if (initial) target.onValue(initial);
        if (target.characteristic === NUS_TX_UUID) logging = true;
      } catch (error) {
        problems.push(`${target.label} cannot be followed: ${messageOf(error)}`);
      }
    }
    if (this.connection !== connection || !connection.connected) return false;
    if (followed.length === 0 && targets.length === 0) {
      problems.unshift('nothing can be followed: the device offers no Battery Level, its profile no notifying characteristic and no UART log');
    }
    this.followProblems = problems;
    this.logging = logging;
    return true;
  }

  /** The value as it is now, so a follow shows something before the first change; null when it cannot be read. */
  private async readNow(connection: BleConnection, target: Target): Promise<Uint8Array | null> {
    try {
      return await connection.read(target.service, target.characteristic);
    } catch (error) {
      if (connection.connected) this.options.log('warn', `${this.options.label}: ${target.label} could not be read: ${messageOf(error)}`);
      return null;
    }
  }

  /** What this connection offers to follow, and sentences for what the profile names but the device cannot send. */
  private targets(connection: BleConnection, services: BleServiceInfo[]): { targets: Target[]; cannot: string[] } {
    const flagsOf = (service: string, characteristic: string): string[] | null =>
      services.find((s) => s.uuid === service)?.characteristics.find((c) => c.uuid === characteristic)?.flags ?? null;
    const notifies = (flags: string[] | null): boolean => flags !== null && (flags.includes('notify') || flags.includes('indicate'));
    const readable = (service: string, characteristic: string): boolean => flagsOf(service, characteristic)?.includes('read') ?? false;
    const current = (onValue: (bytes: Uint8Array, at: Date) => void) => (bytes: Uint8Array) => {
      if (this.connection === connection) onValue(bytes, this.options.now());
    };
    const targets: Target[] = [];
    const cannot: string[] = [];

    // Battery Level is optional, so a device without it (or whose level only reads) is no problem.
    if (notifies(flagsOf(BATTERY_SERVICE_UUID, BATTERY_LEVEL_UUID))) {
      targets.push({
        service: BATTERY_SERVICE_UUID,
        characteristic: BATTERY_LEVEL_UUID,
        label: BATTERY_LEVEL_READING.label,
        readable: readable(BATTERY_SERVICE_UUID, BATTERY_LEVEL_UUID),
        onValue: current((bytes, at) => this.values.add([batteryLevelReading(bytes, at)])),
      });
    }
    for (const spec of this.options.profile?.ble?.diagnostics ?? []) {
      if (spec.mode !== 'notify') continue;
      const flags = flagsOf(spec.service, spec.characteristic);
      if (!notifies(flags)) {
        const why = flags ? 'its characteristic does not notify' : `the device has no characteristic ${characteristicName(spec.characteristic)}`;
        cannot.push(`${spec.label} cannot be followed: ${why} (the profile may not fit this firmware)`);
        continue;
      }
      targets.push({
        service: spec.service,
        characteristic: spec.characteristic,
        label: spec.label,
        readable: readable(spec.service, spec.characteristic),
        onValue: current((bytes, at) => this.values.add([gattReading(spec, bytes, at)])),
      });
    }
    if (this.options.profile?.ble?.logService === 'nus') {
      if (notifies(flagsOf(NUS_SERVICE_UUID, NUS_TX_UUID))) {
        targets.push({ service: NUS_SERVICE_UUID, characteristic: NUS_TX_UUID, label: 'UART log', readable: false, onValue: current((bytes, at) => this.logBytes(bytes, at)) });
      } else {
        cannot.push('its UART log cannot be followed: the profile says it logs over the Nordic UART Service, but the device offers no TX characteristic that notifies');
      }
    }
    return { targets, cannot };
  }

  private logBytes(bytes: Uint8Array, at: Date): void {
    this.lines.add(this.assembler.push(bytes, at));
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    if (!this.assembler.hasPartial) return;
    this.silenceTimer = setTimeout(() => {
      this.silenceTimer = null;
      this.lines.add(this.assembler.flushPartial());
    }, this.options.timing.partialLineFlushMs);
  }

  private dropped(connection: BleConnection, reason: string): void {
    if (this.connection !== connection || this.stopped) return;
    this.forgetConnection();
    const at = this.options.now();
    this.endLogStream(at);
    this.marker(`— link lost at ${clockTime(at)} (${reason})`, at);
    this.linkProblem = `the link dropped (${reason}); reconnecting`;
    this.options.emitState(this.state);
    this.options.log('info', `${this.options.label}: the link dropped (${reason}); reconnecting`);
    if (this.reconnectRunning) return;
    this.reconnectRunning = true;
    this.reconnecting = this.reconnect(this.linkProblem);
  }

  /** Tries again and again, pausing longer each time, until the link is back or the follow stops. */
  private async reconnect(dropNote: string): Promise<void> {
    let pause = this.options.timing.reconnectFirstMs;
    while (!this.stopped) {
      if (!this.options.stillListed()) {
        this.reconnectRunning = false;
        await this.endBySelf('the device left the device list (detached, or no longer heard); follow it again once it is back');
        return;
      }
      let failure: string;
      try {
        const connection = await this.options.hold.connection();
        if (this.stopped) break;
        const attached = await this.attach(connection);
        if (this.stopped) break;
        if (attached) {
          // Set before anything can drop the link again, so that drop starts a new round.
          this.reconnectRunning = false;
          const at = this.options.now();
          this.marker(`— link back at ${clockTime(at)}`, at);
          this.linkProblem = null;
          this.options.emitState(this.state);
          return;
        }
        failure = 'the link dropped again while subscribing';
      } catch (error) {
        failure = messageOf(error);
      }
      if (this.stopped) break;
      this.linkProblem = `${dropNote}, next try in ${seconds(pause)} (last try: ${failure})`;
      this.options.emitState(this.state);
      await this.pause(pause);
      pause = Math.min(pause * 2, this.options.timing.reconnectMaxMs);
    }
    this.reconnectRunning = false;
  }

  /** Waits `ms`, or less when the follow stops meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = finish;
    });
  }

  private async endBySelf(problem: string): Promise<void> {
    this.stopped = true;
    await this.teardown();
    this.linkProblem = problem;
    this.options.emitState(this.state);
    this.options.ended();
  }

  private async teardown(): Promise<void> {
    const connection = this.connection;
    const subscriptions = this.subscriptions;
    this.forgetConnection();
    if (connection?.connected) {
      await Promise.all(
        subscriptions.map((unsubscribe) =>
          withDeadline(unsubscribe(), {
            ms: this.options.timing.unsubscribeDeadlineMs,
            device: this.options.label,
            step: 'stop notifications',
            hint: 'Nothing to do: the connection closes when nobody else uses it.',
          }).catch((error: unknown) => this.options.log('warn', `${this.options.label}: ${messageOf(error)}`)),
        ),
      );
    }
    this.endLogStream(this.options.now());
    this.values.flush();
    this.lines.flush();
    await this.options.hold.release();
  }

  /** Lets go of the connection's notifications and drop watch; the subscriptions of a lost link are gone with it. */
  private forgetConnection(): void {
    this.stopWatching?.();
    this.stopWatching = null;
    const lost = this.connection !== null && !this.connection.connected;
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    this.connection = null;
    this.logging = false;
    // A lost link's unsubscribe only forgets listeners; it sends nothing.
    if (lost) for (const unsubscribe of subscriptions) void unsubscribe().catch(() => undefined);
  }

  /** The log's byte stream ended: the line it was in goes out as it is. */
  private endLogStream(at: Date): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    this.lines.add(this.assembler.finish(at));
  }

  /** A line in the log that the device did not write, so a gap in it is visible where it happened. */
  private marker(text: string, at: Date): void {
    if (this.options.profile?.ble?.logService !== 'nus') return;
    this.lines.add([{ at: at.toISOString(), text }]);
  }
}

function messageOf(error: unknown): string {
  if (isFieldbenchError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** "4 s" for the pauses a real device gets, "40 ms" for shorter ones. */
function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
