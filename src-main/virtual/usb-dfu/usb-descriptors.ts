// The standard descriptors of one enumeration of a virtual board, as bytes a GET_DESCRIPTOR
// answers with (USB 2.0 §9.6; DFU 1.1 §4.1.3 and §4.2 for the interface and the functional
// descriptor that follows each DFU alternate setting). String indices: 1 manufacturer,
// 2 product, 3 serial number, 4… one per alternate setting.
import { DescriptorType, DFU_INTERFACE_CLASS, DFU_INTERFACE_SUBCLASS } from '../../protocols/dfu/dfu-descriptors';
import type { UsbModeSpec } from './board-models';

export const LANGID_US_ENGLISH = 0x0409;
export const STRING_MANUFACTURER = 1;
export const STRING_PRODUCT = 2;
export const STRING_SERIAL = 3;
export const STRING_FIRST_INTERFACE = 4;
export const CONFIGURATION_VALUE = 1;
const MAX_PACKET_SIZE_0 = 64;
/** Bus-powered, 100 mA (bMaxPower counts 2 mA units). */
const CONFIGURATION_ATTRIBUTES = 0x80;
const MAX_POWER = 50;

export interface UsbDescriptorSet {
  device: Uint8Array;
  configuration: Uint8Array;
  /** String descriptors by index; index 0 is the LANGID table. */
  strings: Map<number, Uint8Array>;
}

const le16 = (value: number): number[] => [value & 0xff, (value >> 8) & 0xff];

function stringDescriptor(text: string): Uint8Array {
  const units = [...text].flatMap((char) => le16(char.charCodeAt(0)));
  return Uint8Array.from([2 + units.length, DescriptorType.STRING, ...units]);
}

export function buildDescriptors(spec: UsbModeSpec, serialNumber: string): UsbDescriptorSet {
  const device = Uint8Array.from([
    18,
    DescriptorType.DEVICE,
    ...le16(0x0200),
    0, // class, subclass, protocol: per interface
    0,
    0,
    MAX_PACKET_SIZE_0,
    ...le16(spec.ids.vendorId),
    ...le16(spec.ids.productId),
    ...le16(spec.bcdDevice),
    STRING_MANUFACTURER,
    STRING_PRODUCT,
    STRING_SERIAL,
    1,
  ]);
  const { functional } = spec;
  const body: number[] = [];
  spec.alternateNames.forEach((_, alternate) => {
    body.push(9, DescriptorType.INTERFACE, 0, alternate, 0, DFU_INTERFACE_CLASS, DFU_INTERFACE_SUBCLASS, spec.interfaceProtocol, STRING_FIRST_INTERFACE + alternate);
    body.push(9, DescriptorType.DFU_FUNCTIONAL, functional.attributes, ...le16(functional.detachTimeoutMs), ...le16(functional.transferSize), ...le16(functional.bcdDfuVersion));
  });
  const totalLength = 9 + body.length;
  const configuration = Uint8Array.from([9, DescriptorType.CONFIGURATION, ...le16(totalLength), 1, CONFIGURATION_VALUE, 0, CONFIGURATION_ATTRIBUTES, MAX_POWER, ...body]);
  const strings = new Map<number, Uint8Array>([
    [0, Uint8Array.from([4, DescriptorType.STRING, ...le16(LANGID_US_ENGLISH)])],
    [STRING_MANUFACTURER, stringDescriptor(spec.manufacturer)],
    [STRING_PRODUCT, stringDescriptor(spec.product)],
    [STRING_SERIAL, stringDescriptor(serialNumber)],
  ]);
  spec.alternateNames.forEach((name, alternate) => strings.set(STRING_FIRST_INTERFACE + alternate, stringDescriptor(name)));
  return { device, configuration, strings };
}
