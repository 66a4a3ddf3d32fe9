// How a USB device and its DFU interfaces read on screen: ids, the DFU version, the mode,
// the functional descriptor's capabilities and each alt setting's memory layout. Kept out
// of components so the wording is tested under Node and the same in every view.
import type { Device, DfuAltSetting, DfuFunctional, DfuMemoryLayout, DfuMemoryRegion, UsbDfuInfo, UsbInfo, VirtualModel } from '../../src-main/api/schemas';
import { formatBytes } from '../format/format-transfer';

/** "0483:df11", as lsusb and dfu-util print ids. */
export function usbIds(usb: Pick<UsbInfo, 'vendorId' | 'productId'>): string {
  return `${usb.vendorId}:${usb.productId}`;
}

/** Ids from a DFU file's suffix ("0483:df11"), where 0xffff is the wildcard "any". */
export function suffixIds(suffix: { idVendor: number; idProduct: number }): string {
  const hex = (id: number) => (id === 0xffff ? 'any' : id.toString(16).padStart(4, '0'));
  return `${hex(suffix.idVendor)}:${hex(suffix.idProduct)}`;
}

export const hex32 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/** "DfuSe (DFU 1.1a)", "DFU 1.1": bcdDFU 011a is ST's extension, not a later DFU. */
export function dfuVersionText(dfu: Pick<UsbDfuInfo, 'dfuse' | 'functional'>): string {
  const version = dfu.functional?.dfuVersion ?? null;
  // bcdDFU is binary-coded: major byte, then minor and sub-minor digits ("0110" is 1.1, "011a" 1.1a).
  const number = version === null ? null : `${Number.parseInt(version.slice(0, 2), 16)}.${version[2]}${version[3] === '0' ? '' : version[3]}`;
  if (dfu.dfuse) return number ? `DfuSe (DFU ${number})` : 'DfuSe';
  return number ? `DFU ${number}` : 'DFU (version not reported)';
}

export const dfuModeText: Record<UsbDfuInfo['mode'], string> = {
  runtime: 'Application running (DFU runtime: it can be switched into its bootloader)',
  dfu: 'DFU mode (its bootloader runs, ready to flash)',
};

export interface CapabilityRow {
  label: string;
  value: string;
}

/** The functional descriptor as label/value rows; the assumed defaults are said to be assumed. */
export function dfuCapabilityRows(functional: DfuFunctional | null): CapabilityRow[] {
  if (functional === null) {
    return [{ label: 'Functional descriptor', value: 'Not given by the device: download only, 1 KiB blocks assumed' }];
  }
  const yesNo = (value: boolean) => (value ? 'Yes' : 'No');
  return [
    { label: 'Transfer size', value: `${functional.transferSize} bytes per block` },
    { label: 'Can download (flash)', value: yesNo(functional.canDownload) },
    { label: 'Can upload (read back)', value: functional.canUpload ? 'Yes: a flash is verified byte for byte' : 'No: a flash cannot be verified' },
    { label: 'Manifestation tolerant', value: functional.manifestationTolerant ? 'Yes: it stays on the bus after a flash' : 'No: it resets after a flash' },
    { label: 'Will detach', value: functional.willDetach ? 'Yes: it re-enumerates by itself on DETACH' : 'No: it needs a USB reset after DETACH' },
    { label: 'Detach time-out', value: `${functional.detachTimeoutMs} ms` },
  ];
}

export interface LayoutRow {
  key: string;
  /** "0x08000000" */
  address: string;
  /** "64 KiB" */
  size: string;
  /** "4 × 16 KiB" */
  pages: string;
  /** "readable, erasable, writable", or "read-only" etc. */
  access: string;
}

export function regionAccess(region: Pick<DfuMemoryRegion, 'readable' | 'erasable' | 'writable'>): string {
  const parts = [region.readable && 'readable', region.erasable && 'erasable', region.writable && 'writable'].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(', ') : 'no access';
}

export function layoutRows(layout: DfuMemoryLayout): LayoutRow[] {
  return layout.regions.map((region) => ({
    key: `${region.address}`,
    address: hex32(region.address),
    size: formatBytes(region.size),
    pages: `${region.pageCount} × ${formatBytes(region.pageSize)}`,
    access: regionAccess(region),
  }));
}

/** "Alt 0: Internal Flash" / "Alt 1: @Option Bytes …" / "Alt 2 (no name)". */
export function altLabel(alt: Pick<DfuAltSetting, 'alternateSetting' | 'name' | 'layout'>): string {
  const name = alt.layout?.name || alt.name;
  return name ? `Alt ${alt.alternateSetting}: ${name}` : `Alt ${alt.alternateSetting} (no name)`;
}

/** The first writable address of an alt's layout: where a raw binary goes unless told otherwise. */
export function firstWritableAddress(alt: Pick<DfuAltSetting, 'layout'> | undefined): number | null {
  return alt?.layout?.regions.find((region) => region.writable)?.address ?? null;
}

/** "0x08000000" or "08000000" → 134217728; null for anything that is not one 32-bit hex number. */
export function parseHexAddress(text: string): number | null {
  const match = /^\s*(?:0x)?([0-9a-f]{1,8})\s*$/i.exec(text);
  return match?.[1] === undefined ? null : Number.parseInt(match[1], 16);
}

export interface VirtualChoice {
  model: VirtualModel;
  label: string;
  hint: string;
  /** Where it can start; the first is the default. */
  starts: readonly ('application' | 'bootloader' | 'serial-recovery')[];
  /** How it can be reached, when there is a choice; the first is the default. */
  transports?: readonly ('serial' | 'ble')[];
}

/** What "Attach virtual device" offers. */
export const virtualChoices: readonly VirtualChoice[] = [
  {
    model: 'sensor-node',
    label: 'Sensor node (serial or Bluetooth LE, SMP)',
    hint: 'A Zephyr board with MCUboot: diagnostics over its shell or GATT, updates over SMP.',
    starts: ['application', 'serial-recovery'],
    transports: ['serial', 'ble'],
  },
  { model: 'stm32-dfu', label: 'STM32 board (USB DfuSe)', hint: 'An application offering DFU runtime (0483:5740) over ST’s ROM DfuSe bootloader (0483:df11).', starts: ['application', 'bootloader'] },
  { model: 'dfu-gadget', label: 'DFU gadget (USB DFU 1.1)', hint: 'An application (1209:0005) over a plain DFU 1.1 bootloader (1209:0006).', starts: ['application', 'bootloader'] },
];

export const startLabel: Record<VirtualChoice['starts'][number], string> = {
  application: 'Application',
  bootloader: 'Bootloader (DFU mode)',
  'serial-recovery': 'Serial recovery (MCUboot)',
};

export const virtualTransportLabel: Record<NonNullable<VirtualChoice['transports']>[number], string> = {
  serial: 'Serial (pseudo-terminal)',
  ble: 'Bluetooth LE (simulated BlueZ, Linux)',
};

/** Over Bluetooth LE the node is put on the air running its application; recovery is a serial matter. */
export function startsFor(choice: VirtualChoice, transport: 'serial' | 'ble'): VirtualChoice['starts'] {
  return transport === 'ble' ? choice.starts.filter((start) => start === 'application') : choice.starts;
}

/** Why a USB device shows no diagnostics: said once on its page. */
export const NO_USB_DIAGNOSTICS =
  'No diagnostics for a USB DFU device: DFU carries firmware only, so there is nothing to read from it but its descriptors, shown above.';

/** The device offers DETACH into its bootloader, so "Enter DFU mode" applies. */
export function canEnterDfu(device: Pick<Device, 'usb'>): boolean {
  return device.usb?.dfu?.mode === 'runtime';
}
