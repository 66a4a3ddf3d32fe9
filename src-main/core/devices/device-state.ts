// A device's state as the list shows it, set the same way by every registry: the state,
// why (or no reason at all, rather than a stale one), and when it was last seen.
import type { Device, DeviceState } from '../../api/schemas';

export function setDeviceState(device: Device, state: DeviceState, detail: string | undefined, now: Date): void {
  device.state = state;
  if (detail) device.stateDetail = detail;
  else delete device.stateDetail;
  device.seenAt = now.toISOString();
}
