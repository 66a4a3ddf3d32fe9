// The BLE devices followed live, at most one follow per device: 'ble.follow' starts one (or
// answers the running one's state), 'ble.unfollow' stops it. Each follow holds the device's
// shared connection outside the operation queue, so diagnostics reads and firmware jobs run
// on the same link meanwhile.
import { FieldbenchError } from '../../api/errors';
import type { BleFollowState, BleValues, Device, LogLines } from '../../api/schemas';
import { bleDeviceLabel } from '../../transports/ble/ble-central';
import type { BleRegistry } from './ble-registry';
import { DEFAULT_FOLLOW_TIMING, DeviceFollow, type FollowTiming } from './ble-follow';

export interface BleFollowersOptions {
  registry: Pick<BleRegistry, 'has' | 'get' | 'hold' | 'profileOf'>;
  /** The device with this id on another transport, if any: following it is a wrong request, not a missing device. */
  otherDevice: (deviceId: string) => Device | null;
  now: () => Date;
  emitValues: (values: BleValues) => void;
  emitLines: (lines: LogLines) => void;
  emitState: (state: BleFollowState) => void;
  timing?: Partial<FollowTiming>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Entry {
  follow: DeviceFollow;
  /** Settles once the first connection is up and subscribed, or failed. */
  started: Promise<void>;
}

export class BleFollowers {
  private readonly follows = new Map<string, Entry>();
  private readonly timing: FollowTiming;

  constructor(private readonly options: BleFollowersOptions) {
    this.timing = { ...DEFAULT_FOLLOW_TIMING, ...options.timing };
  }

  /** Follows the device (idempotent); fails, holding nothing, when it cannot be reached at all. */
  async follow(deviceId: string): Promise<BleFollowState> {
    const running = this.follows.get(deviceId);
    if (running) {
      await running.started;
      return running.follow.state;
    }
    const device = this.bleDevice(deviceId, 'follow');
    const { registry } = this.options;
    const follow: DeviceFollow = new DeviceFollow({
      deviceId,
      label: bleDeviceLabel(device.ble?.address ?? device.path, device.ble?.name),
      profile: registry.profileOf(deviceId),
      hold: registry.hold(deviceId),
      stillListed: () => registry.has(deviceId),
      now: this.options.now,
      timing: this.timing,
      emitValues: (readings) => this.options.emitValues({ deviceId, readings }),
      emitLines: (lines) => this.options.emitLines({ deviceId, source: 'nus', lines }),
      emitState: (state) => this.options.emitState(state),
      ended: () => {
        if (this.follows.get(deviceId)?.follow === follow) this.follows.delete(deviceId);
      },
      log: this.options.log,
    });
    const entry: Entry = { follow, started: follow.start() };
    this.follows.set(deviceId, entry);
    try {
      await entry.started;
    } catch (error) {
      if (this.follows.get(deviceId) === entry) this.follows.delete(deviceId);
      throw error;
    }
    return follow.state;
  }

  /** Stops following; a device that was not followed answers so, which is no error. */
  async unfollow(deviceId: string): Promise<BleFollowState> {
    const entry = this.follows.get(deviceId);
    if (!entry) {
      this.bleDevice(deviceId, 'unfollow');
      return { deviceId, following: false, log: false, problem: null };
    }
    this.follows.delete(deviceId);
    // A follow still connecting finishes that first (within the connection's deadline).
    await entry.started.catch(() => undefined);
    await entry.follow.stop();
    return entry.follow.state;
  }

  /** Stops every follow: their notifications off and holds released, before the registry closes the links. */
  async close(): Promise<void> {
    await Promise.all([...this.follows.keys()].map((deviceId) => this.unfollow(deviceId)));
  }

  private bleDevice(deviceId: string, step: string): Device {
    const { registry } = this.options;
    if (registry.has(deviceId)) return registry.get(deviceId);
    const other = this.options.otherDevice(deviceId);
    if (other) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `${other.path} is a ${other.transport} device; only Bluetooth LE devices can be followed`,
        device: other.path,
        step,
        hint: 'Pick a BLE device from the device list (scan for BLE devices first).',
      });
    }
    throw new FieldbenchError({
      code: 'not-found',
      message: `no device '${deviceId}' is in the device list`,
      device: deviceId,
      step,
      hint: 'Scan for BLE devices first; a device is followed by its id in the device list (ble:ADDRESS).',
    });
  }
}
