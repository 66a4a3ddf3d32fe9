// Several USB buses as one: the real one and the virtual one in the app, so the registry above
// never asks where a device came from. The first bus's status is the one the device list shows:
// a virtual bus is always there, and saying so would hide that the real one is not.
import type { DiscoveryStatus } from '../../api/schemas';
import type { UsbBus, UsbBusDevice } from './usb-bus';

export class JoinedUsbBus implements UsbBus {
  private readonly buses: UsbBus[];

  constructor(
    private readonly primary: UsbBus,
    ...others: UsbBus[]
  ) {
    this.buses = [primary, ...others];
  }

  async list(): Promise<UsbBusDevice[]> {
    // Each bus answers [] when it cannot be read, so one failing bus never hides another's devices.
    const lists = await Promise.all(this.buses.map((bus) => bus.list()));
    return lists.flat();
  }

  status(): DiscoveryStatus {
    return this.primary.status();
  }

  onChange(listener: Parameters<UsbBus['onChange']>[0]): () => void {
    const stops = this.buses.map((bus) => bus.onChange(listener));
    return () => {
      for (const stop of stops) stop();
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.buses.map((bus) => bus.close()));
  }
}
