// What a USB device offers for DFU, read from its descriptors: whether it runs its
// application (runtime) or its bootloader (DFU mode), DfuSe or plain DFU 1.1, its functional
// descriptor and, per alternate setting, its name and DfuSe memory layout. And the one thing
// done to a device in runtime mode: DETACH it into its bootloader.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { DfuAltSetting, DfuFunctional, UsbDfuInfo } from '../../api/schemas';
import { DFU_DEFAULT_DEADLINE_MS, DfuClient, guardTransfer } from './dfu-client';
import {
  DescriptorType,
  DFU_PROTOCOL_RUNTIME,
  DFUSE_VERSION,
  isDfuAlternate,
  parseConfigurationDescriptor,
  parseLanguageIds,
  parseStringDescriptor,
  type UsbAlternateDescriptor,
} from './dfu-descriptors';
import type { DfuUsbDevice } from './dfu-usb-device';
import { parseDfuseMemoryLayout } from './dfuse-memory-layout';

const GET_DESCRIPTOR = 6;
const CONFIGURATION_HEADER_LENGTH = 9;
const STRING_DESCRIPTOR_MAX = 255;
/** US English, asked for when string 0 lists no language. */
const FALLBACK_LANGID = 0x0409;

/** DFU 1.1 §4.1.3: a device that gives no functional descriptor is taken as download only, 1 KiB blocks. */
export const ASSUMED_DFU_FUNCTIONAL: DfuFunctional = {
  canDownload: true,
  canUpload: false,
  manifestationTolerant: false,
  willDetach: false,
  detachTimeoutMs: 1000,
  transferSize: 1024,
  dfuVersion: '0110',
};

async function getDescriptor(device: DfuUsbDevice, label: string, type: number, index: number, languageId: number, length: number, deadlineMs: number): Promise<Uint8Array> {
  const what = type === DescriptorType.CONFIGURATION ? 'configuration descriptor' : `string descriptor ${index}`;
  const step = `read ${what}`;
  const result = await guardTransfer(
    label,
    `GET_DESCRIPTOR (${what})`,
    step,
    () => device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: GET_DESCRIPTOR, value: (type << 8) | index, index: languageId }, length),
    { timeoutMs: deadlineMs },
  );
  if (result.status !== 'ok' || !result.data) {
    throw new FieldbenchError({
      code: 'device-error',
      message: `GET_DESCRIPTOR (${what}) answered ${result.status}`,
      device: label,
      step,
      hint: 'Unplug the device, plug it in again and retry.',
    });
  }
  return new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength);
}

/**
 * The device's DFU interfaces, or null when it has none (no interface of class 0xFE
 * subclass 0x01). Opens the device when it is closed, and closes it again afterwards.
 */
export async function readDfuInfo(device: DfuUsbDevice, label: string, options: { deadlineMs?: number } = {}): Promise<UsbDfuInfo | null> {
  const deadlineMs = options.deadlineMs ?? DFU_DEFAULT_DEADLINE_MS;
  const openedHere = !device.opened;
  if (openedHere) await guardTransfer(label, 'open device', 'open device', () => device.open(), { timeoutMs: deadlineMs });
  try {
    const header = await getDescriptor(device, label, DescriptorType.CONFIGURATION, 0, 0, CONFIGURATION_HEADER_LENGTH, deadlineMs);
    const totalLength = header.length >= 4 ? header[2]! | (header[3]! << 8) : header.length;
    const bytes = totalLength > header.length ? await getDescriptor(device, label, DescriptorType.CONFIGURATION, 0, 0, totalLength, deadlineMs) : header;
    let configuration;
    try {
      configuration = parseConfigurationDescriptor(bytes);
    } catch (error) {
      if (isFieldbenchError(error)) throw new FieldbenchError({ ...error.toShape(), device: label }, { cause: error });
      throw error;
    }
    const dfuAlternates: { interfaceNumber: number; alternate: UsbAlternateDescriptor }[] = [];
    for (const usbInterface of configuration.interfaces) {
      for (const alternate of usbInterface.alternates) {
        if (isDfuAlternate(alternate)) dfuAlternates.push({ interfaceNumber: usbInterface.interfaceNumber, alternate });
      }
    }
    const first = dfuAlternates[0];
    if (!first) return null;
    const functional = dfuAlternates.find((entry) => entry.alternate.dfuFunctional !== null)?.alternate.dfuFunctional ?? null;
    const languageId = await readLanguageId(device, label, deadlineMs, dfuAlternates.some((entry) => entry.alternate.interfaceStringIndex !== 0));
    const alts: DfuAltSetting[] = [];
    for (const { interfaceNumber, alternate } of dfuAlternates) {
      const name = alternate.interfaceStringIndex === 0 ? null : await readString(device, label, alternate.interfaceStringIndex, languageId, deadlineMs);
      alts.push({ interfaceNumber, alternateSetting: alternate.alternateSetting, name, layout: layoutOf(name) });
    }
    return {
      mode: first.alternate.interfaceProtocol === DFU_PROTOCOL_RUNTIME ? 'runtime' : 'dfu',
      dfuse: functional !== null && Number.parseInt(functional.dfuVersion, 16) === DFUSE_VERSION,
      functional,
      alts,
    };
  } finally {
    if (openedHere && device.opened) {
      try {
        await guardTransfer(label, 'close device', 'close device', () => device.close(), { timeoutMs: deadlineMs });
      } catch {
        // The descriptors are read; a device that will not close is the next opener's problem to report.
      }
    }
  }
}

/** A malformed layout costs that alternate setting its layout, not the whole read. */
function layoutOf(name: string | null): DfuAltSetting['layout'] {
  if (name === null) return null;
  try {
    return parseDfuseMemoryLayout(name);
  } catch (error) {
    if (isFieldbenchError(error)) return null;
    throw error;
  }
}

async function readLanguageId(device: DfuUsbDevice, label: string, deadlineMs: number, needed: boolean): Promise<number> {
  if (!needed) return FALLBACK_LANGID;
  const bytes = await getDescriptor(device, label, DescriptorType.STRING, 0, 0, STRING_DESCRIPTOR_MAX, deadlineMs);
  return parseLanguageIds(bytes)[0] ?? FALLBACK_LANGID;
}

async function readString(device: DfuUsbDevice, label: string, index: number, languageId: number, deadlineMs: number): Promise<string | null> {
  try {
    return parseStringDescriptor(await getDescriptor(device, label, DescriptorType.STRING, index, languageId, STRING_DESCRIPTOR_MAX, deadlineMs));
  } catch (error) {
    // A stalled string request leaves the alternate setting unnamed; a device gone or silent is a failure.
    if (isFieldbenchError(error) && error.code === 'device-error') return null;
    throw error;
  }
}

export interface DetachOutcome {
  /** The host reset the device after DETACH, because it does not detach itself (no bitWillDetach). */
  resetSent: boolean;
  /** wDetachTimeOut sent with DETACH. */
  detachTimeoutMs: number;
}

/**
 * Sends DFU_DETACH to a device in runtime mode. A device without bitWillDetach waits for a USB
 * reset within wDetachTimeOut (DFU 1.1 §5.1), so the host resets it. A device dropping off the
 * bus during either is what detaching looks like; following its re-enumeration is the caller's job.
 */
export async function detachToBootloader(device: DfuUsbDevice, info: UsbDfuInfo, label: string, options: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<DetachOutcome> {
  const step = 'detach to bootloader';
  const alt = info.alts[0];
  if (info.mode !== 'runtime' || !alt) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: info.mode === 'dfu' ? 'the device already runs its DFU bootloader' : 'the device offers no DFU runtime interface',
      device: label,
      step,
      hint: info.mode === 'dfu' ? 'Flash it directly; there is nothing to detach.' : 'Put the device into its bootloader by hand (boot pin or button) and plug it in again.',
    });
  }
  const functional = info.functional ?? ASSUMED_DFU_FUNCTIONAL;
  const deadlineMs = options.deadlineMs ?? DFU_DEFAULT_DEADLINE_MS;
  const clientOptions: { label: string; deadlineMs: number; signal?: AbortSignal } = { label, deadlineMs };
  if (options.signal) clientOptions.signal = options.signal;
  const client = await DfuClient.open(device, { interfaceNumber: alt.interfaceNumber, alternateSetting: alt.alternateSetting }, functional, clientOptions);
  const detachTimeoutMs = functional.detachTimeoutMs;
  try {
    try {
      await client.detach(detachTimeoutMs);
    } catch (error) {
      if (isFieldbenchError(error) && error.code === 'device-gone') return { resetSent: false, detachTimeoutMs };
      throw new FieldbenchError({ ...asShape(error, label), step }, { cause: error });
    }
    if (functional.willDetach) return { resetSent: false, detachTimeoutMs };
    // The device waits for a reset only until wDetachTimeOut runs out; reset well inside it.
    try {
      await guardTransfer(label, 'USB reset', step, () => device.reset(), { timeoutMs: Math.max(deadlineMs, detachTimeoutMs) });
    } catch (error) {
      if (!(isFieldbenchError(error) && error.code === 'device-gone')) throw new FieldbenchError({ ...asShape(error, label), step }, { cause: error });
    }
    return { resetSent: true, detachTimeoutMs };
  } finally {
    await client.close();
  }
}

function asShape(error: unknown, label: string): ReturnType<FieldbenchError['toShape']> {
  if (isFieldbenchError(error)) return error.toShape();
  return { code: 'internal', message: error instanceof Error ? error.message : String(error), device: label };
}
