// One SMP client per device session, on the session's link with the profile's serial
// framing. Kept for the session's life so the client's sequence numbers and the protocol
// version it settled on carry across the steps of an update.
import { SmpClient } from '../../protocols/smp/smp-client';
import { smpSerialFraming } from '../../protocols/smp/smp-serial';
import type { DeviceSession } from '../devices/device-registry';

const clients = new WeakMap<DeviceSession, SmpClient>();

export function smpFor(session: DeviceSession): SmpClient {
  let client = clients.get(session);
  if (!client) {
    const firmware = session.profile.firmware;
    const lineLength = firmware?.method === 'mcumgr-serial' ? firmware.lineLength : undefined;
    client = new SmpClient(session.link, {
      deviceLabel: session.link.label,
      framing: smpSerialFraming(lineLength === undefined ? {} : { lineLength }),
    });
    clients.set(session, client);
  }
  return client;
}
