// The USB bus as the core sees it: the devices present now, and word when one comes or goes.
// `usb` 3.x's WebUSB object sits behind it on a real machine, the virtual bus in tests and
// demo mode, and a bus that joins the two in the app; nothing above this file knows which.
import type { DiscoveryStatus } from '../../api/schemas';

/** A device on the bus, as WebUSB gives it, plus where it sits (real devices only). */
export interface UsbBusDevice {
  device: USBDevice;
  /** Bus and port chain ("1-2.3"), when the backend knows it. */
  location?: string;
  /** Made by Fieldbench (the virtual bus). */
  virtual: boolean;
}

export interface UsbBus {
  /** Every device present now. A bus that cannot be read answers [] and says why in status(). */
  list(): Promise<UsbBusDevice[]>;
  /** How discovery works here, or why it does not: a line for the device list, with what to do. */
  status(): DiscoveryStatus;
  /** Called when a device arrives or leaves; returns a function that stops the calls. */
  onChange(listener: (change: { kind: 'connect' | 'disconnect'; device: USBDevice }) => void): () => void;
  close(): Promise<void>;
}
