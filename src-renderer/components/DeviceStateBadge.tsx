import type { Device } from '../../src-main/api/schemas';
import { deviceStateLabel, deviceStateTone } from '../stores/selectors';
import { Badge } from './Badge';

export function DeviceStateBadge({ state }: { state: Device['state'] }) {
  return (
    <Badge tone={deviceStateTone(state)} testId="device-state">
      {deviceStateLabel[state]}
    </Badge>
  );
}
