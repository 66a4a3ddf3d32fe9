// What the MCUboot update job (and every SMP request) needs of a device, whatever carries
// SMP to it: a serial port with its shell, or a BLE connection with SMP's GATT service. The
// job is written against this, so a transport is added by writing its sessions, not by
// touching the job.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { Device, DiagnosticsReport } from '../../api/schemas';
import type { SmpClient } from '../../protocols/smp/smp-client';
import type { DeviceProfile, McumgrSerialFirmware } from '../profiles/profile-types';

/** A device's profile, known to have an MCUmgr firmware section. */
export type McumgrProfile = DeviceProfile & { firmware: McumgrSerialFirmware };

export interface UpdateSession {
  /** Names the device in every message: a port path, or "Name (AA:BB:…)". */
  readonly label: string;
  readonly profile: McumgrProfile;
  /** The device is in MCUboot serial recovery: SMP only, one slot. */
  readonly inRecovery: boolean;
  /** The SMP client on this session's link; the same one for the session's life. */
  smp(): SmpClient;
  /** The readings the health check judges, as this transport can read them. */
  readHealth(deviceId: string): Promise<DiagnosticsReport>;
  /**
   * Reaches the device again after a reset or a drop: one attempt, within its own deadline;
   * fails with step 'reconnect' when the device can no longer come back through it.
   */
  reopen(): Promise<UpdateSession>;
}

export interface UpdateSessions {
  /** The device as listed; not-found for an unknown id. */
  get(deviceId: string): Device;
  /** The device's profile when it can be updated over MCUmgr here; otherwise a sentence saying why not. */
  updatableProfile(deviceId: string, step: string): McumgrProfile;
  /** Runs `work` with the device to itself; `long` marks an operation that may take minutes. */
  withSession<T>(deviceId: string, step: string, work: (session: UpdateSession) => Promise<T>, options?: { long?: boolean }): Promise<T>;
  /** Reads who the device is again (after an update it may run another image). */
  identify(deviceId: string): Promise<unknown>;
}

/** Sends each device to the sessions of the transport that owns it. */
export function routedUpdateSessions(routes: { owns(deviceId: string): boolean; sessions: UpdateSessions }[], fallback: UpdateSessions): UpdateSessions {
  const of = (deviceId: string) => routes.find((route) => route.owns(deviceId))?.sessions ?? fallback;
  return {
    get: (deviceId) => of(deviceId).get(deviceId),
    updatableProfile: (deviceId, step) => of(deviceId).updatableProfile(deviceId, step),
    withSession: (deviceId, step, work, options) => of(deviceId).withSession(deviceId, step, work, options),
    identify: (deviceId) => of(deviceId).identify(deviceId),
  };
}

/** The refusal for a device whose profile has no MCUmgr firmware section. */
export function notUpdatableOverMcumgr(device: Device, profile: DeviceProfile | null, step: string, why?: string): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    message: why ?? (profile ? `the ${profile.name} profile says nothing about firmware updates over MCUmgr` : 'no device profile recognises this device'),
    device: device.path,
    step,
    hint: profile ? 'Add a firmware section (method mcumgr-serial) to the device profile.' : 'Add a profile for this device family to device-profiles/.',
  });
}

/** Between attempts to reopen a device that is restarting. */
const RECONNECT_PAUSE_MS = 250;
/** How long a device may take to come back after a reset when its profile does not say. */
export const DEFAULT_REBOOT_TIMEOUT_MS = 20_000;
/** Zephyr answers a reset and resets 250 ms later by default; looking sooner finds the old image still up. */
const DEFAULT_RESET_DELAY_MS = 1000;

/** The profile's reboot timeout, or the default. */
export function rebootTimeoutOf(profile: McumgrProfile): number {
  return profile.firmware.rebootTimeoutMs ?? DEFAULT_REBOOT_TIMEOUT_MS;
}

/**
 * Resets the device over SMP and follows it until it answers again (within the reboot
 * timeout); `onReset` is told once the reset is sent and the device given its time to go.
 */
export async function resetAndReconnect(session: UpdateSession, rebootTimeoutMs: number, onReset?: () => void): Promise<UpdateSession> {
  try {
    await session.smp().reset();
  } catch (error) {
    // A device may reset before its answer gets out; the reconnect tells the truth.
    if (!isFieldbenchError(error) || (error.code !== 'device-gone' && error.code !== 'timeout')) throw error;
  }
  await new Promise((resolve) => setTimeout(resolve, session.profile.firmware.resetDelayMs ?? DEFAULT_RESET_DELAY_MS));
  onReset?.();
  return reconnectSession(session, rebootTimeoutMs);
}

/** Reopen the port and wake the shell until the device answers or the deadline passes. */
export async function reconnectSession(session: UpdateSession, deadlineMs: number): Promise<UpdateSession> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      return await session.reopen();
    } catch (error) {
      lastError = error;
      // A device that is gone from the registry will not come back through this session.
      if (isFieldbenchError(error) && error.step === 'reconnect') throw error;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS));
    }
  }
  throw new FieldbenchError(
    {
      code: 'timeout',
      message: `the device did not come back within ${Math.round(deadlineMs / 1000)} s after the reset${lastError instanceof Error ? ` (${lastError.message})` : ''}`,
      device: session.label,
      step: 'reconnect',
      hint: 'Check that it is powered and connected. MCUboot reverts an unconfirmed image at the next reset.',
    },
    { cause: lastError },
  );
}
