// What to do when the host will not let Fieldbench read the USB bus or open a device. The bus
// status line and a device's own error entry say the same thing, so it is worded once here.

/** The platform's fix for "cannot read the bus / open the device", as one sentence or two. */
export function usbAccessHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'linux':
      return (
        'On Linux, install the udev rules (resources/linux/70-fieldbench-usb.rules, see README "USB access") ' +
        'and join the plugdev group, then log in again and replug the device.'
      );
    case 'win32':
      return 'On Windows, install the WinUSB driver for the device with Zadig, then replug it.';
    case 'darwin':
      return 'On macOS, no driver is needed: check that no other program (a vendor tool, dfu-util) holds the device, then replug it.';
    default:
      return `Check that this user may open USB devices on ${platform}, then replug the device.`;
  }
}

/** libusb's and the kernel's ways of saying "not allowed". */
export function isUsbAccessError(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /LIBUSB_ERROR_ACCESS|EACCES|EPERM|access denied|permission denied|SecurityError/iu.test(text);
}
