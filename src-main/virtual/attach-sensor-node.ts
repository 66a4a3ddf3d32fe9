// Puts a virtual sensor node on a port: on a real pseudo-terminal when socat is there, so
// the host opens it like any USB-serial adapter, or on an in-memory link when it is not.
import { createMemoryLinkPair } from '../transports/memory-link';
import type { Link } from '../transports/link';
import { openSerialLink } from '../transports/serial/serial-link';
import { openPtyPair } from './pty-pair';
import { SensorNodeSimulator, type SensorNodeOptions } from './sensor-node/sensor-node-firmware';

export interface SensorNodeOnPty {
  /** The serial port to open, e.g. /dev/pts/3. */
  hostPath: string;
  simulator: SensorNodeSimulator;
  detach(): Promise<void>;
}

export interface SensorNodeInMemory {
  hostLink: Link;
  simulator: SensorNodeSimulator;
  detach(): Promise<void>;
}

/**
 * Pass `simulator` to plug a node that is already running back in (after an unplug): it
 * keeps its flash, slots and RAM state and comes up on a new port, as a board re-enumerates.
 */
export interface ReplugOption {
  simulator?: SensorNodeSimulator;
}

export async function attachSensorNodeOnPty(
  options: SensorNodeOptions & ReplugOption & { baudRate?: number; timeoutMs?: number } = {},
): Promise<SensorNodeOnPty> {
  const { baudRate = 115_200, timeoutMs, simulator: existing, ...simulatorOptions } = options;
  const pty = await openPtyPair(timeoutMs !== undefined ? { timeoutMs } : {});
  let deviceLink: Link;
  try {
    deviceLink = await openSerialLink(pty.devicePath, { baudRate });
  } catch (error) {
    await pty.close();
    throw error;
  }
  const simulator = existing ?? new SensorNodeSimulator(simulatorOptions);
  // When the node drops off its link (the dropAfterBytes fault), the port must vanish for
  // the host too, as /dev/ttyUSB0 does when the cable is pulled. Closing the device end of
  // a PTY is not enough: socat keeps the host end alive.
  deviceLink.onClose(() => void pty.close());
  simulator.attach(deviceLink);

  let detached: Promise<void> | null = null;
  return {
    hostPath: pty.hostPath,
    simulator,
    detach: () => {
      detached ??= (async () => {
        simulator.stop();
        await deviceLink.close().catch(() => undefined);
        await pty.close();
      })();
      return detached;
    },
  };
}

export function attachSensorNodeInMemory(options: SensorNodeOptions & ReplugOption = {}): SensorNodeInMemory {
  const { simulator: existing, ...simulatorOptions } = options;
  const simulator = existing ?? new SensorNodeSimulator(simulatorOptions);
  const [hostLink, deviceLink] = createMemoryLinkPair(
    `virtual sensor-node ${simulator.serialNumber} (in memory)`,
    'virtual sensor-node (device end)',
  );
  simulator.attach(deviceLink);
  return {
    hostLink,
    simulator,
    detach: async () => {
      simulator.stop();
      await deviceLink.close();
    },
  };
}
