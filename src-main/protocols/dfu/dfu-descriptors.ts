// The USB descriptors a DFU device is recognised by (USB 2.0 §9.6, DFU 1.1 §4.1.3, §4.2.1):
// the configuration descriptor with its interfaces and alternate settings, and the DFU
// functional descriptor (type 0x21) that follows a DFU interface. Descriptors come from the
// device, so every length is checked before it is read: a broken one is refused with a
// FieldbenchError, never a RangeError from a DataView.
import { FieldbenchError } from '../../api/errors';
import type { DfuFunctional } from '../../api/schemas';

export const DescriptorType = {
  DEVICE: 1,
  CONFIGURATION: 2,
  STRING: 3,
  INTERFACE: 4,
  DFU_FUNCTIONAL: 0x21,
} as const;

/** Interface class and subclass of a DFU interface; protocol 1 is runtime, 2 is DFU mode. */
export const DFU_INTERFACE_CLASS = 0xfe;
export const DFU_INTERFACE_SUBCLASS = 0x01;
export const DFU_PROTOCOL_RUNTIME = 1;
export const DFU_PROTOCOL_DFU_MODE = 2;
/** bcdDFUVersion of ST's DfuSe. */
export const DFUSE_VERSION = 0x011a;

const CONFIGURATION_LENGTH = 9;
const INTERFACE_LENGTH = 9;
/** DFU 1.0 functional descriptors stop before bcdDFUVersion. */
const FUNCTIONAL_LENGTH_1_0 = 7;
const FUNCTIONAL_LENGTH = 9;

export interface UsbAlternateDescriptor {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  /** iInterface: the string descriptor naming it, 0 for none. */
  interfaceStringIndex: number;
  /** The DFU functional descriptor that follows this alternate setting, if any. */
  dfuFunctional: DfuFunctional | null;
}

export interface UsbInterfaceDescriptor {
  interfaceNumber: number;
  alternates: UsbAlternateDescriptor[];
}

export interface UsbConfigurationDescriptor {
  configurationValue: number;
  /** wTotalLength: the configuration descriptor and everything after it. */
  totalLength: number;
  interfaces: UsbInterfaceDescriptor[];
}

function malformed(step: string, message: string): FieldbenchError {
  return new FieldbenchError({
    code: 'device-error',
    message,
    step,
    hint: 'The device sent a broken USB descriptor; unplug it and plug it in again, and if that does not help its firmware or bootloader is at fault.',
  });
}

const hex = (value: number, width: number): string => `0x${value.toString(16).padStart(width, '0')}`;

/** The DFU functional descriptor (bLength 7 for DFU 1.0, 9 for 1.1 and DfuSe). */
export function parseDfuFunctionalDescriptor(bytes: Uint8Array): DfuFunctional {
  const step = 'read DFU functional descriptor';
  if (bytes.length < FUNCTIONAL_LENGTH_1_0) throw malformed(step, `DFU functional descriptor: ${bytes.length} bytes, at least ${FUNCTIONAL_LENGTH_1_0} needed`);
  const length = bytes[0]!;
  if (bytes[1] !== DescriptorType.DFU_FUNCTIONAL) {
    throw malformed(step, `DFU functional descriptor: type ${hex(bytes[1]!, 2)}, expected ${hex(DescriptorType.DFU_FUNCTIONAL, 2)}`);
  }
  if (length < FUNCTIONAL_LENGTH_1_0 || length > bytes.length) {
    throw malformed(step, `DFU functional descriptor: bLength ${length} with ${bytes.length} bytes given (expected ${FUNCTIONAL_LENGTH_1_0} to ${bytes.length})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const attributes = bytes[2]!;
  const transferSize = view.getUint16(5, true);
  if (transferSize === 0) throw malformed(step, 'DFU functional descriptor: wTransferSize is 0');
  const version = length >= FUNCTIONAL_LENGTH ? view.getUint16(7, true) : 0x0100;
  return {
    canDownload: (attributes & 0x01) !== 0,
    canUpload: (attributes & 0x02) !== 0,
    manifestationTolerant: (attributes & 0x04) !== 0,
    willDetach: (attributes & 0x08) !== 0,
    detachTimeoutMs: view.getUint16(3, true),
    transferSize,
    dfuVersion: version.toString(16).padStart(4, '0'),
  };
}

/** A configuration descriptor with all that follows it (wTotalLength bytes), walked descriptor by descriptor. */
export function parseConfigurationDescriptor(bytes: Uint8Array): UsbConfigurationDescriptor {
  const step = 'read configuration descriptor';
  if (bytes.length < CONFIGURATION_LENGTH) throw malformed(step, `configuration descriptor: ${bytes.length} bytes, at least ${CONFIGURATION_LENGTH} needed`);
  if (bytes[1] !== DescriptorType.CONFIGURATION) {
    throw malformed(step, `configuration descriptor: type ${hex(bytes[1]!, 2)}, expected ${hex(DescriptorType.CONFIGURATION, 2)}`);
  }
  if (bytes[0]! < CONFIGURATION_LENGTH) throw malformed(step, `configuration descriptor: bLength ${bytes[0]}, at least ${CONFIGURATION_LENGTH} expected`);
  const totalLength = bytes[2]! | (bytes[3]! << 8);
  if (totalLength < bytes[0]!) throw malformed(step, `configuration descriptor: wTotalLength ${totalLength} is shorter than the descriptor itself`);
  if (totalLength > bytes.length) throw malformed(step, `configuration descriptor: wTotalLength is ${totalLength} bytes but only ${bytes.length} arrived`);
  const interfaces: UsbInterfaceDescriptor[] = [];
  let current: UsbAlternateDescriptor | null = null;
  let offset = bytes[0]!;
  while (offset < totalLength) {
    if (offset + 2 > totalLength) throw malformed(step, `configuration descriptor: a descriptor at byte ${offset} is cut off after ${totalLength - offset} byte`);
    const length = bytes[offset]!;
    const type = bytes[offset + 1]!;
    if (length < 2) throw malformed(step, `configuration descriptor: bLength ${length} at byte ${offset}`);
    if (offset + length > totalLength) {
      throw malformed(step, `configuration descriptor: the descriptor at byte ${offset} (type ${hex(type, 2)}, ${length} bytes) runs past wTotalLength ${totalLength}`);
    }
    const descriptor = bytes.subarray(offset, offset + length);
    if (type === DescriptorType.INTERFACE) {
      if (length < INTERFACE_LENGTH) throw malformed(step, `configuration descriptor: interface descriptor at byte ${offset} has bLength ${length}, ${INTERFACE_LENGTH} expected`);
      const interfaceNumber = descriptor[2]!;
      current = {
        alternateSetting: descriptor[3]!,
        interfaceClass: descriptor[5]!,
        interfaceSubclass: descriptor[6]!,
        interfaceProtocol: descriptor[7]!,
        interfaceStringIndex: descriptor[8]!,
        dfuFunctional: null,
      };
      let entry = interfaces.find((i) => i.interfaceNumber === interfaceNumber);
      if (!entry) interfaces.push((entry = { interfaceNumber, alternates: [] }));
      entry.alternates.push(current);
    } else if (type === DescriptorType.DFU_FUNCTIONAL && current !== null && isDfuAlternate(current)) {
      try {
        current.dfuFunctional = parseDfuFunctionalDescriptor(descriptor);
      } catch (error) {
        throw malformed(step, `configuration descriptor: at byte ${offset}: ${(error as Error).message}`);
      }
    }
    offset += length;
  }
  return { configurationValue: bytes[5]!, totalLength, interfaces };
}

export function isDfuAlternate(alternate: Pick<UsbAlternateDescriptor, 'interfaceClass' | 'interfaceSubclass'>): boolean {
  return alternate.interfaceClass === DFU_INTERFACE_CLASS && alternate.interfaceSubclass === DFU_INTERFACE_SUBCLASS;
}

/** A string descriptor's UTF-16LE text; null when it is not a string descriptor. */
export function parseStringDescriptor(bytes: Uint8Array): string | null {
  if (bytes.length < 2 || bytes[1] !== DescriptorType.STRING) return null;
  const length = Math.min(bytes[0]!, bytes.length);
  if (length < 2) return null;
  const units = Math.floor((length - 2) / 2);
  let text = '';
  for (let i = 0; i < units; i++) text += String.fromCharCode(bytes[2 + 2 * i]! | (bytes[3 + 2 * i]! << 8));
  return text;
}

/** String descriptor 0: the language IDs the device offers its strings in. */
export function parseLanguageIds(bytes: Uint8Array): number[] {
  if (bytes.length < 2 || bytes[1] !== DescriptorType.STRING) return [];
  const length = Math.min(bytes[0]!, bytes.length);
  const ids: number[] = [];
  for (let i = 2; i + 1 < length; i += 2) ids.push(bytes[i]! | (bytes[i + 1]! << 8));
  return ids;
}
