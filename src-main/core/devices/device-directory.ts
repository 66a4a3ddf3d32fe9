// One front over the per-transport registries (serial ports, USB devices, BLE): one list sorted by
// path, one change event with the whole list, and each request about a device routed to the
// registry that owns it, by id, or, for attaching a virtual device, by model.
import { FieldbenchError } from '../../api/errors';
import type { Device, DiscoveryStatus, VirtualFaults, VirtualModel } from '../../api/schemas';
import type { BleRegistry } from '../ble/ble-registry';
import type { UsbRegistry } from '../usb/usb-registry';
import type { DeviceRegistry } from './device-registry';

export type VirtualStartIn = 'application' | 'serial-recovery' | 'bootloader';

export class DeviceDirectory {
  constructor(
    private readonly serial: DeviceRegistry,
    private readonly usb: UsbRegistry,
    private readonly emitList: (devices: Device[]) => void,
    private readonly ble: BleRegistry | null = null,
  ) {}

  /** Every device, serial, USB and BLE, sorted by path. */
  list(): Device[] {
    return [...this.serial.list(), ...this.usb.list(), ...(this.ble?.list() ?? [])].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** A registry's list changed: tell listeners the whole list, as devices.changed promises. */
  changed(): void {
    this.emitList(this.list());
  }

  isUsb(deviceId: string): boolean {
    return this.usb.has(deviceId);
  }

  isBle(deviceId: string): boolean {
    return this.ble?.has(deviceId) ?? false;
  }

  get(deviceId: string): Device {
    if (this.isBle(deviceId)) return this.ble!.get(deviceId);
    return this.isUsb(deviceId) ? this.usb.get(deviceId) : this.serial.get(deviceId);
  }

  identify(deviceId: string): Promise<Device> {
    // A BLE device is recognised from its advert; it says who it is in its Device Information.
    if (this.isBle(deviceId)) return this.ble!.identify(deviceId);
    return this.isUsb(deviceId) ? this.usb.identify(deviceId) : this.serial.identify(deviceId);
  }

  setFaults(deviceId: string, faults: VirtualFaults): Promise<Device> {
    if (this.isBle(deviceId)) return this.ble!.setFaults(deviceId, faults);
    return this.isUsb(deviceId) ? this.usb.setFaults(deviceId, faults) : this.serial.setFaults(deviceId, faults);
  }

  detach(deviceId: string): Promise<void> {
    if (this.isBle(deviceId)) return this.ble!.detach(deviceId);
    return this.isUsb(deviceId) ? this.usb.detach(deviceId) : this.serial.detach(deviceId);
  }

  attachVirtual(
    model: VirtualModel,
    faults: VirtualFaults | undefined,
    startIn: VirtualStartIn | undefined,
    transport: 'serial' | 'ble' = 'serial',
  ): Promise<Device> {
    const step = 'attach virtual device';
    if (transport === 'ble') {
      if (model !== 'sensor-node' || (startIn ?? 'application') !== 'application' || !this.ble) {
        throw new FieldbenchError({
          code: 'invalid-request',
          message: 'over BLE only the virtual sensor node can be attached, running its application',
          step,
          hint: "Ask for { model: 'sensor-node', transport: 'ble' }; set its faults once it is attached.",
        });
      }
      return this.ble.attachVirtual(faults);
    }
    if (model === 'sensor-node') {
      if (startIn === 'bootloader') {
        throw new FieldbenchError({
          code: 'invalid-request',
          message: "the virtual sensor node has no USB DFU bootloader: it starts in 'application' or 'serial-recovery'",
          step,
        });
      }
      return this.serial.attachVirtual(model, faults, startIn ?? 'application');
    }
    if (startIn === 'serial-recovery') {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `the virtual ${model} has no MCUboot serial recovery: it starts in 'application' or 'bootloader'`,
        step,
      });
    }
    return this.usb.attachVirtual(model, faults, startIn ?? 'application');
  }

  enterDfu(deviceId: string): Promise<Device> {
    if (!this.isUsb(deviceId)) {
      const device = this.get(deviceId); // not-found for an id nobody knows
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `not a USB DFU device: it is ${device.transport === 'ble' ? 'a Bluetooth LE device' : 'a serial port'}`,
        device: device.path,
        step: 'enter DFU mode',
        hint: 'Only USB devices whose application offers DFU runtime can be switched into their bootloader.',
      });
    }
    return this.usb.enterDfu(deviceId);
  }

  /** Refuses, with a sentence, a request that needs a serial shell or SMP when the device is a USB one. */
  refuseShell(deviceId: string, step: string): void {
    if (this.isBle(deviceId)) {
      throw new FieldbenchError({
        code: 'unavailable',
        message: `${step} needs the serial shell, which a device reached over Bluetooth LE does not offer`,
        device: this.ble!.get(deviceId).path,
        step,
        hint: 'Connect the device over USB or serial for its shell; diagnostics, SMP and firmware updates work over BLE.',
      });
    }
    if (!this.isUsb(deviceId)) return;
    const message =
      step === 'read diagnostics'
        ? 'a USB DFU device has no diagnostics to read; it offers no serial shell, only its DFU interface'
        : `${step} needs a serial shell or SMP (MCUmgr), which a USB DFU device does not offer`;
    throw new FieldbenchError({
      code: 'unavailable',
      message,
      device: this.usb.get(deviceId).path,
      step,
      hint: 'Open a case on it to record its identity, or flash it under Firmware.',
    });
  }

  discoveryStatus(): DiscoveryStatus[] {
    return [...this.serial.discoveryStatus(), this.usb.discoveryStatus()];
  }

  /** Every transport's line, BLE's asked of BlueZ afresh. */
  async discoveryStatusWithBle(): Promise<DiscoveryStatus[]> {
    return [...this.discoveryStatus(), ...(this.ble ? [await this.ble.discoveryStatus()] : [])];
  }
}
