// The errors every device registry (serial, USB) answers with for the same situations, worded
// once so a person reads the same sentence whichever transport the device is on.
import { FieldbenchError } from '../../api/errors';

/** No device with this id in the list (any more). */
export function noSuchDevice(deviceId: string): FieldbenchError {
  return new FieldbenchError({
    code: 'not-found',
    message: `no device ${deviceId}`,
    step: 'find device',
    hint: 'It may have been unplugged; look at the device list again.',
  });
}

/** A long operation (a firmware update) holds the device; others fail at once rather than queue for minutes. */
export function deviceBusy(running: string, device: string, step: string): FieldbenchError {
  return new FieldbenchError({
    code: 'device-busy',
    message: `${running} is running on this device`,
    device,
    step,
    hint: 'Wait for it to finish, or cancel it first.',
  });
}

/** Fault knobs on a device that is not virtual. */
export function notVirtual(device: string): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    message: 'fault knobs exist only on virtual devices',
    device,
    step: 'set faults',
    hint: 'Attach a virtual device (Attach virtual device, or --virtual-usb / --virtual-ble in the CLI) to try a fault.',
  });
}

/** Detach asked of a device that is really plugged in. */
export function cannotDetachPlugged(device: string): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    message: 'a plugged-in device goes when it is unplugged; it cannot be detached',
    device,
    step: 'detach',
  });
}
