// The sensor node's GATT server, played by the same simulator object the serial side talks
// to: Device Information and Battery from the node's identity and sensors, the Fieldbench
// sensor service (temperature, uptime), MCUmgr's SMP service on the node's own SMP server
// and image slots, and the Nordic UART Service as a second shell backend and log output,
// as Zephyr's shell_bt_nus gives one. So one virtual device can be reached over serial and
// over BLE, and an image uploaded over either is the one the node boots.
import type { SensorNodeSimulator } from '../sensor-node/sensor-node-firmware';
import { logTimestamp } from '../sensor-node/sensor-node-log';
import { attWritePayload } from '../../transports/ble/att';
import type { GattConnection, GattServer, GattServiceDefinition } from './gatt-database';
import {
  BATTERY_LEVEL_UUID,
  BATTERY_SERVICE_UUID,
  DEVICE_INFORMATION_SERVICE_UUID,
  DeviceInformationUuid,
  FIELDBENCH_SENSOR_SERVICE_UUID,
  FIELDBENCH_TEMPERATURE_UUID,
  FIELDBENCH_UPTIME_UUID,
  NUS_RX_UUID,
  NUS_SERVICE_UUID,
  NUS_TX_UUID,
  SENSOR_NODE_COMPANY_ID,
  SMP_CHARACTERISTIC_UUID,
  SMP_SERVICE_UUID,
} from './gatt-uuids';
import { SmpRequestAssembler } from './smp-request-assembler';

export const SENSOR_NODE_MANUFACTURER = 'Fieldbench Virtual Devices';
export const SENSOR_NODE_MODEL = 'sensor-node';
export const SENSOR_NODE_HARDWARE_REVISION = 'rev C';
/** The Zephyr release the firmware is built on, as its boot banner says. */
export const SENSOR_NODE_SOFTWARE_REVISION = 'Zephyr 3.7.0';
/** PnP ID: vendor id from the Bluetooth SIG list (Nordic), and the node's product id. */
export const SENSOR_NODE_PNP = { vendorIdSource: 0x01, vendorId: SENSOR_NODE_COMPANY_ID, productId: 0x5e05 } as const;

export interface SensorNodeGattOptions {
  /** How often notifying values (battery, temperature) are sampled; 1000 ms by default. */
  sensorPollMs?: number;
  /** How often the node logs a sensor line on the UART service; 1000 ms by default. */
  logIntervalMs?: number;
}

export class SensorNodeGatt implements GattServer {
  readonly services: GattServiceDefinition[];
  private connection: GattConnection | null = null;
  private readonly smpRequests = new SmpRequestAssembler();
  /** SMP requests are answered one at a time, in order, as Zephyr's SMP work queue does. */
  private smpQueue: Promise<void> = Promise.resolve();
  private nusLine = '';
  private nusQueue: Promise<void> = Promise.resolve();
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private logTimer: ReturnType<typeof setInterval> | null = null;
  private lastBatteryPercent: number | null = null;
  /** Bumped at every disconnect: work started on an older link sends nothing. */
  private linkEpoch = 0;
  private readonly sensorPollMs: number;
  private readonly logIntervalMs: number;

  constructor(
    readonly node: SensorNodeSimulator,
    options: SensorNodeGattOptions = {},
  ) {
    this.sensorPollMs = options.sensorPollMs ?? 1_000;
    this.logIntervalMs = options.logIntervalMs ?? 1_000;
    const text = (value: () => string) => () => new TextEncoder().encode(value());
    this.services = [
      {
        uuid: DEVICE_INFORMATION_SERVICE_UUID,
        characteristics: [
          { uuid: DeviceInformationUuid.manufacturerName, flags: ['read'], read: text(() => SENSOR_NODE_MANUFACTURER) },
          { uuid: DeviceInformationUuid.modelNumber, flags: ['read'], read: text(() => SENSOR_NODE_MODEL) },
          { uuid: DeviceInformationUuid.serialNumber, flags: ['read'], read: text(() => node.serialNumber) },
          { uuid: DeviceInformationUuid.hardwareRevision, flags: ['read'], read: text(() => SENSOR_NODE_HARDWARE_REVISION) },
          { uuid: DeviceInformationUuid.firmwareRevision, flags: ['read'], read: text(() => node.firmwareVersion) },
          { uuid: DeviceInformationUuid.softwareRevision, flags: ['read'], read: text(() => SENSOR_NODE_SOFTWARE_REVISION) },
          { uuid: DeviceInformationUuid.pnpId, flags: ['read'], read: () => encodePnpId(node.firmwareVersion) },
        ],
      },
      {
        uuid: BATTERY_SERVICE_UUID,
        characteristics: [{ uuid: BATTERY_LEVEL_UUID, flags: ['read', 'notify'], read: () => Uint8Array.of(node.readSensors().batteryPercent) }],
      },
      {
        uuid: FIELDBENCH_SENSOR_SERVICE_UUID,
        characteristics: [
          { uuid: FIELDBENCH_TEMPERATURE_UUID, flags: ['read', 'notify'], read: () => this.temperatureValue() },
          { uuid: FIELDBENCH_UPTIME_UUID, flags: ['read'], read: () => encodeUint32(Math.floor(node.uptimeMs / 1_000)) },
        ],
      },
      {
        uuid: SMP_SERVICE_UUID,
        characteristics: [
          {
            uuid: SMP_CHARACTERISTIC_UUID,
            // MCUmgr's characteristic is readable (it reads empty) so tools can discover it.
            flags: ['read', 'write-without-response', 'notify'],
            read: () => new Uint8Array(0),
            write: (value) => this.smpWritten(value),
          },
        ],
      },
      {
        uuid: NUS_SERVICE_UUID,
        characteristics: [
          { uuid: NUS_RX_UUID, flags: ['write', 'write-without-response'], write: (value) => this.nusWritten(value) },
          { uuid: NUS_TX_UUID, flags: ['notify'] },
        ],
      },
    ];
  }

  connected(connection: GattConnection): void {
    this.connection = connection;
    this.lastBatteryPercent = this.node.readSensors().batteryPercent;
    this.pollTimer = setInterval(() => this.pollSensors(), this.sensorPollMs);
    this.logTimer = setInterval(() => this.logSensorLine(), this.logIntervalMs);
  }

  notifyingChanged(characteristicUuid: string, notifying: boolean): void {
    if (characteristicUuid === NUS_TX_UUID && notifying) {
      this.log('inf', 'main', `${SENSOR_NODE_MODEL} ${this.node.serialNumber} firmware ${this.node.firmwareVersion}`);
    }
  }

  disconnected(): void {
    this.connection = null;
    this.linkEpoch += 1;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.logTimer) clearInterval(this.logTimer);
    this.pollTimer = null;
    this.logTimer = null;
    this.smpRequests.reset();
    this.nusLine = '';
  }

  // ------------------------------------------------------------------ SMP

  private smpWritten(value: Uint8Array): void {
    for (const packet of this.smpRequests.push(value)) this.answerSmp(packet);
  }

  private answerSmp(packet: Uint8Array): void {
    const epoch = this.linkEpoch;
    this.smpQueue = this.smpQueue.then(async () => {
      const response = await this.node.smp.server.handle(packet);
      const connection = this.connection;
      if (!response || !connection || epoch !== this.linkEpoch) return;
      // Each notification carries at most MTU − 3 bytes; the central reassembles by the SMP header.
      const piece = attWritePayload(connection.mtu);
      for (let at = 0; at < response.length && epoch === this.linkEpoch; at += piece) {
        await connection.notify(SMP_CHARACTERISTIC_UUID, response.subarray(at, at + piece));
      }
    }).catch(() => undefined);
  }

  // ------------------------------------------------------------------ UART service

  private nusWritten(value: Uint8Array): void {
    const text = new TextDecoder().decode(value);
    for (const character of text) {
      if (character === '\r' || character === '\n') {
        const line = this.nusLine;
        this.nusLine = '';
        if (line.trim() !== '') this.runCommand(line);
      } else {
        this.nusLine += character;
      }
    }
  }

  private runCommand(line: string): void {
    const epoch = this.linkEpoch;
    this.nusQueue = this.nusQueue.then(async () => {
      const output = await this.node.runShellCommand(line);
      if (epoch !== this.linkEpoch) return;
      for (const out of output) await this.sendLine(out.error ? `\u001b[1;31m${out.text}\u001b[0m` : out.text);
    }).catch(() => undefined);
  }

  /** A Zephyr log line on the UART service, stamped with the node's uptime. */
  private log(level: 'inf' | 'wrn' | 'err', module: string, message: string): void {
    const line = `[${logTimestamp(this.node.uptimeMs)}] <${level}> ${module}: ${message}`;
    this.nusQueue = this.nusQueue.then(() => this.sendLine(line)).catch(() => undefined);
  }

  private logSensorLine(): void {
    if (!this.connection?.isNotifying(NUS_TX_UUID)) return;
    const { temperatureCelsius, batteryVolts, batteryPercent } = this.node.readSensors();
    this.log('inf', 'sensor', `temperature ${temperatureCelsius.toFixed(2)} C, battery ${batteryVolts.toFixed(2)} V (${batteryPercent} %)`);
  }

  /** One line out on TX, cut into notifications of at most MTU − 3 bytes. */
  private async sendLine(line: string): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    const bytes = new TextEncoder().encode(`${line}\r\n`);
    const piece = attWritePayload(connection.mtu);
    for (let at = 0; at < bytes.length; at += piece) await connection.notify(NUS_TX_UUID, bytes.subarray(at, at + piece));
  }

  // ------------------------------------------------------------------ sensors

  private pollSensors(): void {
    const connection = this.connection;
    if (!connection) return;
    const percent = this.node.readSensors().batteryPercent;
    if (percent !== this.lastBatteryPercent) {
      this.lastBatteryPercent = percent;
      void connection.notify(BATTERY_LEVEL_UUID, Uint8Array.of(percent));
    }
    if (connection.isNotifying(FIELDBENCH_TEMPERATURE_UUID)) void connection.notify(FIELDBENCH_TEMPERATURE_UUID, this.temperatureValue());
  }

  private temperatureValue(): Uint8Array {
    const hundredths = Math.round(this.node.readSensors().temperatureCelsius * 100);
    const value = new Uint8Array(2);
    new DataView(value.buffer).setInt16(0, Math.max(-0x8000, Math.min(0x7fff, hundredths)), true);
    return value;
  }
}

function encodeUint32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
  return bytes;
}

/**
 * PnP ID (0x2A50): vendor id source, vendor id, product id, product version, little-endian;
 * the version is 0xJJMN (major, minor, revision), as the Device Information Service defines it.
 */
export function encodePnpId(firmwareVersion: string): Uint8Array {
  const [major = 0, minor = 0, revision = 0] = firmwareVersion.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const version = ((major & 0xff) << 8) | ((minor & 0x0f) << 4) | (revision & 0x0f);
  const bytes = new Uint8Array(7);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, SENSOR_NODE_PNP.vendorIdSource);
  view.setUint16(1, SENSOR_NODE_PNP.vendorId, true);
  view.setUint16(3, SENSOR_NODE_PNP.productId, true);
  view.setUint16(5, version, true);
  return bytes;
}
