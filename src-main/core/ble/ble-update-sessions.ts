// Update sessions over Bluetooth LE: SMP on MCUmgr's GATT service (bare packets in writes
// without response, answers as notifications), sized by the connection's MTU as it is now,
// and the health check read over GATT. Reopening after a reset reconnects the device's
// shared link, so a live follow and the job see the same connection.
import { SmpClient } from '../../protocols/smp/smp-client';
import { smpBleFraming } from '../../protocols/smp/smp-ble';
import { BleSmpLink } from '../../transports/ble/ble-smp-link';
import type { ConnectionHold } from './shared-connection';
import type { BleRegistry } from './ble-registry';
import { readGattDiagnostics } from './read-gatt-diagnostics';
import { type McumgrProfile, notUpdatableOverMcumgr, type UpdateSession, type UpdateSessions } from '../firmware/update-session';

export function bleUpdateSessions(ble: BleRegistry, now: () => Date): UpdateSessions {
  const updatableProfile = (deviceId: string, step: string): McumgrProfile => {
    const device = ble.get(deviceId);
    const profile = ble.profileOf(deviceId);
    if (!profile || profile.firmware?.method !== 'mcumgr-serial') throw notUpdatableOverMcumgr(device, profile, step);
    if (!profile.ble?.smp) {
      throw notUpdatableOverMcumgr(device, profile, step, `the ${profile.name} profile does not say that the device offers MCUmgr's SMP service over Bluetooth LE`);
    }
    return profile as McumgrProfile;
  };

  return {
    get: (deviceId) => ble.get(deviceId),
    updatableProfile,
    // After an update the device may run another image: read its Device Information again.
    identify: (deviceId) => ble.identify(deviceId),
    withSession: (deviceId, step, work, options) => {
      const profile = updatableProfile(deviceId, step);
      return ble.withHold(
        deviceId,
        step,
        async (hold) => {
          let link: BleSmpLink | null = null;
          const open = async (): Promise<UpdateSession> => {
            // The link before this one went with its connection; close it so nothing listens on.
            await link?.close();
            link = null;
            const session = await openSession(hold, profile, now);
            link = session.link;
            return { ...session.session, reopen: open };
          };
          try {
            return await work(await open());
          } finally {
            await (link as BleSmpLink | null)?.close();
          }
        },
        options,
      );
    },
  };
}

async function openSession(hold: ConnectionHold, profile: McumgrProfile, now: () => Date): Promise<{ link: BleSmpLink; session: Omit<UpdateSession, 'reopen'> }> {
  const connection = await hold.connection();
  const link = await BleSmpLink.open(connection);
  const client = new SmpClient(link, { deviceLabel: connection.label, framing: smpBleFraming({ mtu: () => link.mtu }) });
  return {
    link,
    session: {
      label: connection.label,
      profile,
      // A device in MCUboot's serial recovery has no Bluetooth stack: over BLE it is always its application.
      inRecovery: false,
      smp: () => client,
      readHealth: (deviceId) => readGattDiagnostics(connection, profile, { deviceId, now }),
    },
  };
}
