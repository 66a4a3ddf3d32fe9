// The checks before a USB DFU flash touches a device: the file as elements for this device
// (dfu-image-elements), the alternate setting exists and takes downloads, the elements sit in
// memory the bootloader can erase and write (the DfuSe layout, with the engine's own plan),
// and the options fit the bootloader. Pure: what the device's descriptors say in, a verdict
// out. A device still in its application shows only its runtime interface, so then only the
// file is checked; the job checks again once the bootloader is up.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { DfuAltSetting, DfuFunctional, DfuMemoryLayout, FirmwareImageInfo, FirmwareJobOptions, UsbDfuInfo } from '../../api/schemas';
import type { DfuFlashElement } from '../../protocols/dfu/dfu-flash-request';
import { ASSUMED_DFU_FUNCTIONAL } from '../../protocols/dfu/dfu-info';
import { describeLayout } from '../../protocols/dfu/dfuse-memory-layout';
import { planDfuseFlash } from '../../protocols/dfu/dfuse-plan';
import type { DeviceProfile, UsbDfuFirmware } from '../profiles/profile-types';
import { dfuImageElements, type DfuImageElements } from './dfu-image-elements';

const STEP = 'firmware preflight';

export interface DfuDeviceFacts {
  /** Names the device in refusals. */
  label: string;
  vendorId: number;
  productId: number;
  info: UsbDfuInfo;
  profile: DeviceProfile | null;
}

export interface DfuFlashInput {
  fileName: string;
  bytes: Uint8Array;
  options: FirmwareJobOptions;
}

/** What a flash in DFU mode needs, checked. */
export interface DfuPreflight {
  elements: DfuFlashElement[];
  total: number;
  image: FirmwareImageInfo;
  alt: DfuAltSetting;
  functional: DfuFunctional;
  dfuse: boolean;
  layout: DfuMemoryLayout | null;
  /** Sentences for the journal: what was checked and found good, then warnings. */
  checked: string[];
  warnings: string[];
}

export function usbDfuFirmwareOf(profile: DeviceProfile | null): UsbDfuFirmware | null {
  return profile?.firmware?.method === 'usb-dfu' ? profile.firmware : null;
}

/** The alternate setting to flash through: the request's, else the profile's, else 0. */
export function chosenAlt(options: FirmwareJobOptions, profile: DeviceProfile | null): number {
  return options.dfu?.alt ?? usbDfuFirmwareOf(profile)?.alt ?? 0;
}

function refusal(label: string, message: string, hint: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message, device: label, step: STEP, hint });
}

function imageOptions(input: DfuFlashInput, profile: DeviceProfile | null) {
  return {
    address: input.options.dfu?.address,
    defaultAddress: usbDfuFirmwareOf(profile)?.defaultAddress,
    ignoreIdMismatch: input.options.dfu?.ignoreIdMismatch,
  };
}

/**
 * The bootloader's ids, as far as the profile tells them while the application runs: its one
 * DFU-mode match. Null when it does not say (the job checks once the bootloader is up).
 */
export function bootloaderIds(profile: DeviceProfile | null): { vendorId: number; productId: number } | null {
  const dfuMatches = profile?.match.usb?.filter((m) => m.dfu === 'dfu') ?? [];
  if (dfuMatches.length !== 1) return null;
  return { vendorId: Number.parseInt(dfuMatches[0]!.vendorId, 16), productId: Number.parseInt(dfuMatches[0]!.productId, 16) };
}

/**
 * What can be told while the device still runs its application: the file, for the bootloader
 * it will detach into. An application's runtime descriptor need not say whether that
 * bootloader is DfuSe, so what only one kind of bootloader would refuse waits for it.
 */
export function checkForRuntime(input: DfuFlashInput, device: DfuDeviceFacts): DfuImageElements {
  const check = (dfuse: boolean) => {
    checkOptions(input, device.label, dfuse);
    return dfuImageElements(
      input.bytes,
      input.fileName,
      { label: device.label, ids: bootloaderIds(device.profile), dfuse, alt: chosenAlt(input.options, device.profile) },
      imageOptions(input, device.profile),
    );
  };
  try {
    return check(device.info.dfuse);
  } catch (error) {
    if (!isFieldbenchError(error) || error.code !== 'invalid-request') throw error;
    let other: DfuImageElements;
    try {
      other = check(!device.info.dfuse);
    } catch {
      throw error;
    }
    return { ...other, warnings: [...other.warnings, `refused if the bootloader is ${device.info.dfuse ? 'DfuSe' : 'plain DFU'} as the application says: ${error.message}`] };
  }
}

/** Everything, for a device in DFU mode. Throws invalid-request with what to do. */
export function checkForDfuMode(input: DfuFlashInput, device: DfuDeviceFacts): DfuPreflight {
  const { label, info } = device;
  const altNumber = chosenAlt(input.options, device.profile);
  const alt = info.alts.find((a) => a.alternateSetting === altNumber);
  if (!alt) {
    const offered = info.alts.map((a) => `alt ${a.alternateSetting}${a.name ? ` "${a.name}"` : ''}`).join(', ');
    throw refusal(label, `the device has no DFU alternate setting ${altNumber}; it offers ${offered || 'none'}`, 'Choose one of the alternate settings it offers (the alt option), or fix firmware.alt in the device profile.');
  }
  const functional = info.functional ?? ASSUMED_DFU_FUNCTIONAL;
  if (!functional.canDownload) {
    throw refusal(label, 'the device does not accept downloads (no bitCanDnload in its DFU functional descriptor)', 'This interface cannot be flashed over DFU; check that this is the board\'s bootloader.');
  }
  checkOptions(input, label, info.dfuse);
  const file = dfuImageElements(input.bytes, input.fileName, { label, ids: { vendorId: device.vendorId, productId: device.productId }, dfuse: info.dfuse, alt: altNumber }, imageOptions(input, device.profile));
  const checked = [...file.checked, `alt ${altNumber}${alt.name ? ` "${alt.name}"` : ''} takes downloads`];
  const warnings = [...file.warnings];
  let layout: DfuMemoryLayout | null = null;
  if (info.dfuse) {
    layout = alt.layout;
    if (!layout) {
      throw refusal(label, `alternate setting ${altNumber} names no DfuSe memory layout, so the image cannot be checked against it`, 'Choose the alternate setting of the internal flash (its name starts with "@").');
    }
    const massErase = input.options.dfu?.massErase === true || input.options.dfu?.readUnprotect === true;
    let plan;
    try {
      plan = planDfuseFlash(file.elements, layout, { massErase });
    } catch (error) {
      if (isFieldbenchError(error)) throw new FieldbenchError({ ...error.toShape(), device: label, step: STEP }, { cause: error });
      throw error;
    }
    checked.push(`fits the memory layout ${describeLayout(layout)}`);
    checked.push(massErase ? 'the whole flash is mass-erased first' : `${plan.pages.length} page(s), ${plan.eraseBytes} bytes, to erase`);
  }
  if (functional.canUpload) checked.push('the device can be read back, so the flash is verified');
  else warnings.push('the device does not allow reading its memory back: the flash is written but cannot be verified');
  return { elements: file.elements, total: file.total, image: file.image, alt, functional, dfuse: info.dfuse, layout, checked, warnings };
}

/** Mass erase and read-unprotect are ST's DfuSe commands; asking them of a plain DFU bootloader is a mistake to say, not to ignore. */
function checkOptions(input: DfuFlashInput, label: string, dfuse: boolean): void {
  const dfu = input.options.dfu;
  if (dfuse || (!dfu?.massErase && !dfu?.readUnprotect)) return;
  throw refusal(
    label,
    `${dfu.readUnprotect ? 'read-unprotect' : 'mass erase'} is an ST DfuSe command, but this device's bootloader is plain DFU 1.1`,
    'Flash without it: a plain DFU bootloader erases what it writes.',
  );
}
