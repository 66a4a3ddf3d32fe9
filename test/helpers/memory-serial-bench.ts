// A serial bus in memory for the device registry: discovery lists the ports a test plugs in,
// opening one joins an in-memory link to the real sensor-node simulator behind it, and
// unplugging drops the link as a pulled USB cable does. No operating-system resources.
import type { DiscoveryStatus } from '../../src-main/api/schemas';
import { DeviceRegistry, type SerialPortSeen } from '../../src-main/core/devices/device-registry';
import type { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';
import type { Link } from '../../src-main/transports/link';
import type { SerialLinkOptions } from '../../src-main/transports/serial/serial-link';
import type { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';

const STATUS: DiscoveryStatus = { transport: 'serial', method: 'test', available: true, note: null };
/** The USB id the sensor-node profile claims, so discovery identifies a plugged node by itself. */
export const SENSOR_NODE_USB = { vendorId: '2fe3', productId: '0100' } as const;

export interface MemorySerialBench {
  registry: DeviceRegistry;
  /** Every open of a port, with the framing it was opened with. */
  opened: { path: string; options: SerialLinkOptions }[];
  /** Put a node on a port (listed by discovery from the next poll on). */
  plug(path: string, simulator: SensorNodeSimulator, usbSerialNumber?: string): void;
  /** Pull the cable: the port leaves the list and its open link is lost. */
  unplug(path: string): Promise<void>;
  close(): Promise<void>;
}

export function memorySerialBench(profiles: ProfileRegistry): MemorySerialBench {
  const ports: SerialPortSeen[] = [];
  const simulators = new Map<string, SensorNodeSimulator>();
  const deviceEnds = new Map<string, Link>();
  const opened: { path: string; options: SerialLinkOptions }[] = [];
  const registry = new DeviceRegistry({
    profiles,
    listSerialPorts: async () => ({ ports: [...ports], status: STATUS }),
    openSerialLink: async (path, options): Promise<Link> => {
      const simulator = simulators.get(path);
      if (!simulator) throw new Error(`no port ${path}`);
      opened.push({ path, options });
      const [host, device] = createMemoryLinkPair(path, `${path} (device)`);
      deviceEnds.set(path, device);
      simulator.attach(device);
      return host;
    },
    attachVirtual: async () => {
      throw new Error('virtual devices are not attached on this bench');
    },
    portExists: async (path) => simulators.has(path),
    now: () => new Date(),
    onChange: () => undefined,
    log: () => undefined,
  });
  return {
    registry,
    opened,
    plug(path, simulator, usbSerialNumber) {
      simulators.set(path, simulator);
      ports.push({ path, ...SENSOR_NODE_USB, ...(usbSerialNumber ? { serialNumber: usbSerialNumber } : {}) });
    },
    async unplug(path) {
      simulators.delete(path);
      const index = ports.findIndex((port) => port.path === path);
      if (index >= 0) ports.splice(index, 1);
      await deviceEnds.get(path)?.close();
      deviceEnds.delete(path);
    },
    async close() {
      await registry.close();
      for (const simulator of simulators.values()) simulator.stop();
    },
  };
}
