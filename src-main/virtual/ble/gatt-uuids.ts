// The GATT UUIDs the simulated sensor node exposes, in the lower-case 128-bit form BlueZ
// reports them in (GattService1.UUID, Device1.UUIDs). Profiles and the host side compare
// against these, so a 16-bit SIG number is always written out on the Bluetooth base UUID.

/** A 16-bit SIG-assigned number on the Bluetooth base UUID, as BlueZ prints it. */
export function sigUuid(shortUuid: number): string {
  return `0000${shortUuid.toString(16).padStart(4, '0')}-0000-1000-8000-00805f9b34fb`;
}

export const DEVICE_INFORMATION_SERVICE_UUID = sigUuid(0x180a);
export const DeviceInformationUuid = {
  manufacturerName: sigUuid(0x2a29),
  modelNumber: sigUuid(0x2a24),
  serialNumber: sigUuid(0x2a25),
  hardwareRevision: sigUuid(0x2a27),
  firmwareRevision: sigUuid(0x2a26),
  softwareRevision: sigUuid(0x2a28),
  pnpId: sigUuid(0x2a50),
} as const;

export const BATTERY_SERVICE_UUID = sigUuid(0x180f);
export const BATTERY_LEVEL_UUID = sigUuid(0x2a19);

/** Client Characteristic Configuration: the descriptor a client writes to turn notifications on. */
export const CCCD_UUID = sigUuid(0x2902);

/** MCUmgr's SMP service and its one characteristic (write without response, answers as notifications). */
export const SMP_SERVICE_UUID = '8d53dc1d-1db7-4cd3-868b-8a527460aa84';
export const SMP_CHARACTERISTIC_UUID = 'da2e7828-fbce-4e01-ae9e-261174997c48';

/** Nordic UART Service: the host side defines it, and the node must offer exactly that. */
export { NUS_RX_UUID, NUS_SERVICE_UUID, NUS_TX_UUID } from '../../transports/ble/ble-uuid';

/** The sensor node's own service: temperature (sint16, 0.01 °C) and uptime (uint32, seconds), little-endian. */
export const FIELDBENCH_SENSOR_SERVICE_UUID = '5f0a0001-6a63-4f6b-9c55-0d1e5b2e7c11';
export const FIELDBENCH_TEMPERATURE_UUID = '5f0a0002-6a63-4f6b-9c55-0d1e5b2e7c11';
export const FIELDBENCH_UPTIME_UUID = '5f0a0003-6a63-4f6b-9c55-0d1e5b2e7c11';

/** Bluetooth SIG company identifier in the node's manufacturer data: Nordic Semiconductor, whose SoC it runs on. */
export const SENSOR_NODE_COMPANY_ID = 0x0059;
