// One front over the per-transport registries (serial ports, USB devices): one list sorted by
// path, one change event with the whole list, and each request about a device routed to the
// registry that owns it, by id, or, for attaching a virtual device, by model.
import { FieldbenchError } from '../../api/errors';
import type { Device, DiscoveryStatus, VirtualFaults, VirtualModel } from '../../api/schemas';
import type { UsbRegistry } from '../usb/usb-registry';
import type { DeviceRegistry } from './device-registry';

export type VirtualStartIn = 'application' | 'serial-recovery' | 'bootloader';

export class DeviceDirectory {
  constructor(
    private readonly serial: DeviceRegistry,
    private readonly usb: UsbRegistry,
    private readonly emitList: (devices: Device[]) => void,
  ) {}

  /** Every device, serial and USB, sorted by path. */
  list(): Device[] {
    return [...this.serial.list(), ...this.usb.list()].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** A registry's list changed: tell listeners the whole list, as devices.changed promises. */
  changed(): void {
    this.emitList(this.list());
  }

  isUsb(deviceId: string): boolean {
    return this.usb.has(deviceId);
  }

  get(deviceId: string): Device {
    return this.isUsb(deviceId) ? this.usb.get(deviceId) : this.serial.get(deviceId);
  }

  identify(deviceId: string): Promise<Device> {
    return this.isUsb(deviceId) ? this.usb.identify(deviceId) : this.serial.identify(deviceId);
  }

  setFaults(deviceId: string, faults: VirtualFaults): Promise<Device> {
    return this.isUsb(deviceId) ? this.usb.setFaults(deviceId, faults) : this.serial.setFaults(deviceId, faults);
  }

  detach(deviceId: string): Promise<void> {
    return this.isUsb(deviceId) ? this.usb.detach(deviceId) : this.serial.detach(deviceId);
  }

  attachVirtual(model: VirtualModel, faults: VirtualFaults | undefined, startIn: VirtualStartIn | undefined): Promise<Device> {
    const step = 'attach virtual device';
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
      const device = this.serial.get(deviceId); // not-found for an id nobody knows
      throw new FieldbenchError({
        code: 'invalid-request',
        message: 'not a USB DFU device: it is a serial port',
        device: device.path,
        step: 'enter DFU mode',
        hint: 'Only USB devices whose application offers DFU runtime can be switched into their bootloader.',
      });
    }
    return this.usb.enterDfu(deviceId);
  }

  /** Refuses, with a sentence, a request that needs a serial shell or SMP when the device is a USB one. */
  refuseShell(deviceId: string, step: string): void {
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
}
