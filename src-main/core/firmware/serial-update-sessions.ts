// Update sessions over a serial port: SMP in the shell's console framing on the port the
// shell uses, and the health check read through the shell.
import type { DeviceRegistry, DeviceSession } from '../devices/device-registry';
import { readDiagnostics } from '../diagnostics/read-diagnostics';
import { smpFor } from './smp-session';
import { type McumgrProfile, notUpdatableOverMcumgr, type UpdateSession, type UpdateSessions } from './update-session';

export function serialUpdateSessions(devices: DeviceRegistry, now: () => Date): UpdateSessions {
  const wrap = (session: DeviceSession): UpdateSession => ({
    label: session.link.label,
    profile: session.profile as McumgrProfile,
    inRecovery: session.inRecovery,
    smp: () => smpFor(session),
    readHealth: (deviceId) => readDiagnostics(session.shell, session.profile, { deviceId, now }),
    reopen: async () => wrap(await session.reopen()),
  });
  return {
    get: (deviceId) => devices.get(deviceId),
    updatableProfile: (deviceId, step) => {
      const profile = devices.profileOf(deviceId);
      if (profile.firmware?.method !== 'mcumgr-serial') throw notUpdatableOverMcumgr(devices.get(deviceId), profile, step);
      return profile as McumgrProfile;
    },
    withSession: (deviceId, step, work, options) => devices.withSession(deviceId, step, (session) => work(wrap(session)), options),
    identify: (deviceId) => devices.identify(deviceId),
  };
}
