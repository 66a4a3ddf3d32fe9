// What the DFU code needs of a USB device: a slice of the W3C WebUSB USBDevice interface.
// `usb` 3.x implements USBDevice in the main process, and the virtual DFU device implements
// it in tests and demo mode, so the protocol code cannot tell them apart.

export type DfuUsbDevice = Pick<
  USBDevice,
  | 'vendorId'
  | 'productId'
  | 'deviceClass'
  | 'serialNumber'
  | 'productName'
  | 'manufacturerName'
  | 'opened'
  | 'configuration'
  | 'configurations'
  | 'open'
  | 'close'
  | 'selectConfiguration'
  | 'claimInterface'
  | 'releaseInterface'
  | 'selectAlternateInterface'
  | 'controlTransferIn'
  | 'controlTransferOut'
  | 'reset'
>;

/** The interface and alternate setting a DFU session talks to. */
export interface DfuTarget {
  interfaceNumber: number;
  alternateSetting: number;
}
