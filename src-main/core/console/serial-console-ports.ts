// A console's serial source: the device's port held through the registry, which keeps it
// open for its own operations in between, and a lost device found again on its path or, by
// its serial number, on another one (a USB CDC device re-enumerating).
import type { SerialSettings } from '../../api/console-schemas';
import type { Device } from '../../api/schemas';
import type { DeviceRegistry } from '../devices/device-registry';
import { serialNumbersOf } from './capture-names';
import type { ConsolePort, ConsolePortListener, ConsolePorts } from './console-port';
import { consoleDefaults } from './console-settings';

const HOLDER_NAME = 'a log console';

export function serialConsolePorts(registry: Pick<DeviceRegistry, 'holdPort' | 'list'>, reconnectIntervalMs: number): ConsolePorts {
  return {
    source: 'serial',
    medium: 'port',
    hold: (deviceId: string, framing: SerialSettings | null, listener: ConsolePortListener): Promise<ConsolePort> =>
      registry.holdPort(deviceId, { name: HOLDER_NAME, framing: { ...(framing ?? consoleDefaults(null).settings) }, ...listener }),
    candidates: (deviceId: string, serialNumbers: readonly string[]): Device[] => {
      const devices = registry.list();
      const same = devices.filter((device) => device.id === deviceId);
      const known = new Set(serialNumbers);
      const moved = devices.filter((device) => device.id !== deviceId && serialNumbersOf(device).some((serial) => known.has(serial)));
      return [...same, ...moved];
    },
    retryDelayMs: () => reconnectIntervalMs,
  };
}
