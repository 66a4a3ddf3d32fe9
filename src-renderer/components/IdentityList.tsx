// Who a device is: model, serial number, firmware and hardware, plus where it is reached.
import type { DeviceIdentity, Transport } from '../../src-main/api/schemas';
import { transportLabel } from '../stores/selectors';

interface IdentityListProps {
  identity: DeviceIdentity | null;
  transport: Transport;
  path: string;
  profileName?: string | null;
}

export function IdentityList({ identity, transport, path, profileName }: IdentityListProps) {
  return (
    <dl className="identity" data-testid="identity">
      <div>
        <dt>Model</dt>
        <dd data-testid="identity-model">{identity?.model ?? 'Not identified'}</dd>
      </div>
      <div>
        <dt>Serial number</dt>
        <dd data-testid="identity-serial">{identity?.serialNumber ?? '—'}</dd>
      </div>
      <div>
        <dt>Firmware</dt>
        <dd data-testid="identity-firmware">{identity?.firmwareVersion ?? '—'}</dd>
      </div>
      <div>
        <dt>Hardware</dt>
        <dd>{identity?.hardwareRevision ?? '—'}</dd>
      </div>
      {profileName !== undefined && (
        <div>
          <dt>Profile</dt>
          <dd>{profileName ?? 'No matching profile'}</dd>
        </div>
      )}
      <div>
        <dt>Connection</dt>
        <dd>
          {transportLabel[transport]} · <code>{path}</code>
        </dd>
      </div>
    </dl>
  );
}
