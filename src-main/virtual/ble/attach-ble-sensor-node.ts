// Puts virtual sensor nodes on the air: a private D-Bus, a simulated BlueZ owning
// org.bluez on it, and each node as one of its devices. A BLE central reaches it by opening
// the system bus at `busAddress` (set DBUS_SYSTEM_BUS_ADDRESS before creating it), as the
// tests and demo mode do. Pass the simulator the serial side already runs to reach one node
// both ways.
import { type SensorNodeOptions, SensorNodeSimulator } from '../sensor-node/sensor-node-firmware';
import { type PrivateDbus, startPrivateDbus } from './private-dbus';
import { type AddSensorNodeOptions, type SimulatedBleDeviceHandle, SimulatedBluez, type SimulatedBluezOptions } from './simulated-bluez';

export interface SensorNodeOnAir {
  /** The private system bus to point a central at. */
  readonly busAddress: string;
  readonly bluez: SimulatedBluez;
  readonly device: SimulatedBleDeviceHandle;
  readonly simulator: SensorNodeSimulator;
  /** Take the node off the air, stop BlueZ and the bus. The simulator keeps running for its other links. */
  detach(): Promise<void>;
}

export interface AttachOnAirOptions extends Omit<AddSensorNodeOptions, 'node' | 'address'>, Omit<SimulatedBluezOptions, 'busAddress'> {
  /** The node to put on the air; a new one from `node` options when not given. */
  simulator?: SensorNodeSimulator;
  node?: SensorNodeOptions;
  /** AA:BB:CC:DD:EE:FF; derived from the node's serial number by default. */
  address?: string;
}

/** A private system bus with a simulated BlueZ on it: the air virtual nodes are put on, one or many. */
export interface VirtualAir {
  readonly busAddress: string;
  readonly bluez: SimulatedBluez;
  /** Stop BlueZ (every node leaves the air) and the bus. */
  stop(): Promise<void>;
}

export async function startVirtualAir(options: Omit<SimulatedBluezOptions, 'busAddress'> = {}): Promise<VirtualAir> {
  const bus: PrivateDbus = await startPrivateDbus();
  let bluez: SimulatedBluez;
  try {
    bluez = await SimulatedBluez.start({ busAddress: bus.address, ...options });
  } catch (error) {
    await bus.stop();
    throw error;
  }
  let stopped: Promise<void> | null = null;
  return {
    busAddress: bus.address,
    bluez,
    stop: () =>
      (stopped ??= (async () => {
        await bluez.stop();
        await bus.stop();
      })()),
  };
}

export async function attachSensorNodeOnAir(options: AttachOnAirOptions = {}): Promise<SensorNodeOnAir> {
  const { simulator: existing, node: nodeOptions, address, adapterAddress, adapterName, timeScale, advertIntervalMs, staleDeviceTimeoutMs, ...deviceOptions } = options;
  const simulator = existing ?? new SensorNodeSimulator(nodeOptions);
  const air = await startVirtualAir({
    ...(adapterAddress !== undefined ? { adapterAddress } : {}),
    ...(adapterName !== undefined ? { adapterName } : {}),
    ...(timeScale !== undefined ? { timeScale } : {}),
    ...(advertIntervalMs !== undefined ? { advertIntervalMs } : {}),
    ...(staleDeviceTimeoutMs !== undefined ? { staleDeviceTimeoutMs } : {}),
  });
  let device: SimulatedBleDeviceHandle;
  try {
    device = air.bluez.addSensorNode({ ...deviceOptions, node: simulator, address: address ?? addressFromSerial(simulator.serialNumber) });
  } catch (error) {
    await air.stop();
    throw error;
  }
  return { busAddress: air.busAddress, bluez: air.bluez, device, simulator, detach: () => air.stop() };
}

/**
 * A static random address from the serial number's hex digits, so the same node always has
 * the same address; it starts C0, as a static random address must have its top two bits set.
 */
export function addressFromSerial(serialNumber: string): string {
  const digits = serialNumber.replace(/[^0-9A-Fa-f]/g, '').toUpperCase().padStart(8, '0').slice(-8);
  return ['C0', 'DE', ...(digits.match(/../g) ?? [])].join(':');
}
