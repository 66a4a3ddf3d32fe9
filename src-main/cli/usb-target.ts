// How the CLI names a USB device (--usb VID:PID[:SERIAL]) and finds it among those the core
// lists, and how it puts a virtual USB board on its own core first (--virtual-usb).
// A DFU device changes ids between its application and its bootloader (STM32: 0483:5740 and
// 0483:df11), so either pair finds it: the profiles say which ids are whose bootloader.
import { FieldbenchError } from '../api/errors';
import { VirtualFaults, type Device, type DiscoveryStatus } from '../api/schemas';
import type { Core } from '../core/core';
import { defaultProfilesDir, ProfileRegistry } from '../core/profiles/profile-registry';
import type { DeviceProfile } from '../core/profiles/profile-types';
import { call } from './core-session';
import { UsageError } from './output';

export interface UsbSelector {
  vendorId: string;
  productId: string;
  serialNumber?: string;
}

const USB_SELECTOR = /^([0-9a-f]{4}):([0-9a-f]{4})(?::(.+))?$/i;

/** "0483:df11" or "0483:df11:3276384B3339" (the serial as the device reports it, case kept). */
export function parseUsbSelector(text: string): UsbSelector {
  const match = USB_SELECTOR.exec(text.trim());
  if (!match?.[1] || !match[2]) throw new UsageError(`--usb takes VID:PID[:SERIAL] in hex, such as 0483:df11 or 0483:df11:3276384B3339, not '${text}'`);
  const selector: UsbSelector = { vendorId: match[1].toLowerCase(), productId: match[2].toLowerCase() };
  if (match[3]) selector.serialNumber = match[3];
  return selector;
}

export function selectorText(selector: UsbSelector): string {
  return `${selector.vendorId}:${selector.productId}${selector.serialNumber ? `:${selector.serialNumber}` : ''}`;
}

export interface VirtualUsbRequest {
  model: 'stm32-dfu' | 'dfu-gadget';
  startIn: 'application' | 'bootloader';
  faults?: VirtualFaults;
}

/** "--virtual-usb stm32-dfu|dfu-gadget[:bootloader|:application]" and "--virtual-faults '<json>'". */
export function parseVirtualUsb(text: string | undefined, faultsJson: string | undefined): VirtualUsbRequest | null {
  if (text === undefined) {
    if (faultsJson !== undefined) throw new UsageError('--virtual-faults sets the knobs of a virtual board: give --virtual-usb too');
    return null;
  }
  const [model, startIn = 'application', ...extra] = text.split(':');
  if ((model !== 'stm32-dfu' && model !== 'dfu-gadget') || (startIn !== 'application' && startIn !== 'bootloader') || extra.length > 0) {
    throw new UsageError(`--virtual-usb takes stm32-dfu or dfu-gadget, optionally :bootloader or :application, not '${text}'`);
  }
  const request: VirtualUsbRequest = { model, startIn };
  if (faultsJson !== undefined) request.faults = parseFaults(faultsJson);
  return request;
}

/** The knobs of --virtual-faults, or a usage error naming the bad one. */
export function parseFaults(text: string): VirtualFaults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--virtual-faults takes a JSON object of fault knobs, such as '{"dfuError":{"status":"errWRITE"}}': ${(error as Error).message}`);
  }
  const faults = VirtualFaults.safeParse(value);
  if (!faults.success) {
    const problems = faults.error.issues.map((issue) => `${issue.path.join('.') || '(the object)'}: ${issue.message}`).join('; ');
    throw new UsageError(`--virtual-faults has a bad knob: ${problems}`);
  }
  return faults.data;
}

/** Attach the requested virtual board to this command's core, so the command finds it like a plugged-in one. */
export async function attachVirtualUsb(core: Core, request: VirtualUsbRequest | null): Promise<Device | null> {
  if (!request) return null;
  return call(core, 'devices.attachVirtual', { model: request.model, startIn: request.startIn, ...(request.faults ? { faults: request.faults } : {}) });
}

/** The profiles, to tell which ids are a device's bootloader; a broken one is reported by the core already. */
export async function loadUsbProfiles(): Promise<DeviceProfile[]> {
  return (await ProfileRegistry.load(defaultProfilesDir())).all();
}

/** Which mode of which device the profiles say a pair of ids is ('runtime': the application, 'dfu': the bootloader). */
function modesOfIds(profiles: readonly DeviceProfile[], vendorId: string, productId: string): Set<'runtime' | 'dfu'> {
  const modes = new Set<'runtime' | 'dfu'>();
  for (const profile of profiles) {
    for (const entry of profile.match.usb ?? []) {
      if (entry.vendorId === vendorId && entry.productId === productId && entry.dfu) modes.add(entry.dfu);
    }
  }
  return modes;
}

/**
 * Whether the selector names this device: its ids now, or the ids of its other mode, which
 * profiles give as the same vendor's DFU bootloader (or application). The serial number, when
 * given, must match exactly: it is what survives the re-enumeration.
 */
export function selectsDevice(selector: UsbSelector, device: Device, profiles: readonly DeviceProfile[]): boolean {
  const usb = device.usb;
  if (!usb) return false;
  if (selector.serialNumber !== undefined && usb.serialNumber !== selector.serialNumber) return false;
  if (usb.vendorId === selector.vendorId && usb.productId === selector.productId) return true;
  const mode = usb.dfu?.mode;
  if (!mode || usb.vendorId !== selector.vendorId) return false;
  const otherMode = mode === 'runtime' ? 'dfu' : 'runtime';
  return modesOfIds(profiles, selector.vendorId, selector.productId).has(otherMode);
}

function seenList(devices: readonly Device[]): string {
  const usb = devices.filter((d) => d.usb);
  if (usb.length === 0) return 'no USB devices were seen';
  return `USB devices seen: ${usb.map((d) => `${d.usb!.vendorId}:${d.usb!.productId}${d.usb!.serialNumber ? `:${d.usb!.serialNumber}` : ''} (${d.profileName ?? d.usb!.product ?? 'unknown'}${d.usb!.dfu ? `, DFU ${d.usb!.dfu.mode}` : ''})`).join(', ')}`;
}

/** The one USB device the selector names, or an error listing what was seen (and why USB may be blind here). */
export async function findUsbDevice(core: Core, selector: UsbSelector, profiles: readonly DeviceProfile[]): Promise<Device> {
  await core.ready();
  const devices = await call(core, 'devices.list', {});
  const matches = devices.filter((device) => selectsDevice(selector, device, profiles));
  if (matches.length === 1) return matches[0]!;
  const wanted = selectorText(selector);
  if (matches.length > 1) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `${matches.length} USB devices match ${wanted}; ${seenList(matches)}`,
      device: wanted,
      step: 'find USB device',
      hint: 'Add the serial number: --usb VID:PID:SERIAL.',
    });
  }
  const info = await call(core, 'system.info', {});
  const usbStatus: DiscoveryStatus | undefined = info.discovery.find((d) => d.transport === 'usb');
  const blind = usbStatus !== undefined && !usbStatus.available;
  throw new FieldbenchError({
    code: blind ? 'unavailable' : 'not-found',
    message: `no USB device matches ${wanted}; ${seenList(devices)}`,
    device: wanted,
    step: 'find USB device',
    hint: blind && usbStatus.note ? `USB is not accessible here: ${usbStatus.note}` : 'Check the cable and the ids with `fieldbench dfu list`; a board may need its BOOT0 pin or button to start its bootloader.',
  });
}
