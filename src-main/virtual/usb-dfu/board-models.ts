// The two virtual DFU boards, as the host sees them in each mode: USB ids, strings, the DFU
// interface with its alternate settings and functional descriptor, and the memory behind the
// bootloader. stm32-dfu copies what an STM32F405's ROM bootloader shows in `dfu-util -l`
// (ST's DfuSe, AN3156) and what an application with a DFU runtime interface offers;
// dfu-gadget is a plain DFU 1.1 device on pid.codes test ids.
import { FieldbenchError } from '../../api/errors';
import { DFU_PROTOCOL_DFU_MODE, DFU_PROTOCOL_RUNTIME, DFUSE_VERSION } from '../../protocols/dfu/dfu-descriptors';
import { parseDfuseMemoryLayout } from '../../protocols/dfu/dfuse-memory-layout';
import { DfuMemory, type DfuMemoryRegionSpec } from './dfu-memory';
import { GADGET_FLASH_TIMING, STM32F405_FLASH_TIMING, type DfuFlashTiming } from './usb-timing';

export type VirtualUsbModel = 'stm32-dfu' | 'dfu-gadget';
export type UsbDfuMode = 'runtime' | 'dfu';

export interface UsbIds {
  vendorId: number;
  productId: number;
}

export const STM32_DFU_IDS = {
  application: { vendorId: 0x0483, productId: 0x5740 },
  bootloader: { vendorId: 0x0483, productId: 0xdf11 },
} as const satisfies Record<'application' | 'bootloader', UsbIds>;

/** pid.codes test ids (1209:0005 and 1209:0006 are reserved for testing). */
export const DFU_GADGET_IDS = {
  application: { vendorId: 0x1209, productId: 0x0005 },
  bootloader: { vendorId: 0x1209, productId: 0x0006 },
} as const satisfies Record<'application' | 'bootloader', UsbIds>;

/** The alternate setting names of ST's system bootloader on an STM32F405/407, alt 0 to 3. */
export const STM32_LAYOUTS = [
  '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg',
  '@Option Bytes  /0x1FFFC000/01*016 e',
  '@OTP Memory /0x1FFF7800/01*512 e,01*016 e',
  '@Device Feature/0xFFFF0000/01*004 e',
] as const;

export const STM32_RUNTIME_INTERFACE_NAME = 'STM32 DFU runtime';
export const DFU_GADGET_ALT_NAME = 'Fieldbench gadget firmware';
export const DFU_GADGET_FLASH_SIZE = 256 * 1024;
export const DFU_GADGET_PAGE_SIZE = 4 * 1024;

/** DFU functional descriptor bmAttributes bits (DFU 1.1 §4.1.3). */
export const DfuAttribute = { CAN_DOWNLOAD: 0x01, CAN_UPLOAD: 0x02, MANIFESTATION_TOLERANT: 0x04, WILL_DETACH: 0x08 } as const;

export interface DfuFunctionalSpec {
  attributes: number;
  detachTimeoutMs: number;
  transferSize: number;
  bcdDfuVersion: number;
}

/** What one enumeration of a board looks like on the bus. */
export interface UsbModeSpec {
  mode: UsbDfuMode;
  ids: UsbIds;
  bcdDevice: number;
  manufacturer: string;
  product: string;
  /** bInterfaceProtocol of the DFU interface: 1 runtime, 2 DFU mode. */
  interfaceProtocol: number;
  /** One name per alternate setting of interface 0. */
  alternateNames: string[];
  functional: DfuFunctionalSpec;
}

export interface BoardModelSpec {
  model: VirtualUsbModel;
  application: UsbModeSpec;
  bootloader: UsbModeSpec;
  /** ST's DfuSe: addressed commands in block 0, data from block 2. */
  dfuse: boolean;
  /** The bootloader erases a page itself the first time a download touches it (plain DFU has no erase command). */
  erasesOnWrite: boolean;
  timing: DfuFlashTiming;
  /** A fresh set of memories, one per bootloader alternate setting. */
  memories(): DfuMemory[];
}

const STM32_BOOTLOADER_FUNCTIONAL: DfuFunctionalSpec = {
  attributes: DfuAttribute.CAN_DOWNLOAD | DfuAttribute.CAN_UPLOAD | DfuAttribute.WILL_DETACH,
  detachTimeoutMs: 255,
  transferSize: 2048,
  bcdDfuVersion: DFUSE_VERSION,
};

/**
 * Option bytes as RM0090 gives their reset value (FLASH_OPTCR 0x0FFFAAED): USER 0xED and
 * RDP 0xAA (level 0) at 0x1FFFC000, nWRP 0x0FFF at 0x1FFFC008. The bootloader rewrites them
 * whole, so writes replace; OTP is program-once flash.
 */
const STM32_INITIAL: Record<number, Pick<DfuMemoryRegionSpec, 'writes' | 'initial'>> = {
  0x1fffc000: { writes: 'replace', initial: [{ offset: 0, bytes: [0xed, 0xaa] }, { offset: 8, bytes: [0xff, 0x0f] }] },
  0xffff0000: { writes: 'replace' },
};

function regionsOf(layout: string): DfuMemoryRegionSpec[] {
  const parsed = parseDfuseMemoryLayout(layout);
  if (!parsed) throw new FieldbenchError({ code: 'internal', message: `"${layout}" is not a DfuSe memory layout` });
  return parsed.regions.map((region) => ({ ...region, writes: 'nor', ...STM32_INITIAL[region.address] }));
}

const STM32_DFU: BoardModelSpec = {
  model: 'stm32-dfu',
  application: {
    mode: 'runtime',
    ids: STM32_DFU_IDS.application,
    bcdDevice: 0x0200,
    manufacturer: 'STMicroelectronics',
    product: 'STM32 Application',
    interfaceProtocol: DFU_PROTOCOL_RUNTIME,
    alternateNames: [STM32_RUNTIME_INTERFACE_NAME],
    functional: { ...STM32_BOOTLOADER_FUNCTIONAL },
  },
  bootloader: {
    mode: 'dfu',
    ids: STM32_DFU_IDS.bootloader,
    bcdDevice: 0x2200,
    manufacturer: 'STMicroelectronics',
    product: 'STM32  BOOTLOADER',
    interfaceProtocol: DFU_PROTOCOL_DFU_MODE,
    alternateNames: [...STM32_LAYOUTS],
    functional: STM32_BOOTLOADER_FUNCTIONAL,
  },
  dfuse: true,
  erasesOnWrite: false,
  timing: STM32F405_FLASH_TIMING,
  memories: () => STM32_LAYOUTS.map((layout) => new DfuMemory(regionsOf(layout), STM32F405_FLASH_TIMING)),
};

const GADGET_FUNCTIONAL: DfuFunctionalSpec = {
  attributes: DfuAttribute.CAN_DOWNLOAD | DfuAttribute.CAN_UPLOAD | DfuAttribute.MANIFESTATION_TOLERANT,
  detachTimeoutMs: 1000,
  transferSize: 1024,
  bcdDfuVersion: 0x0110,
};

const DFU_GADGET: BoardModelSpec = {
  model: 'dfu-gadget',
  application: {
    mode: 'runtime',
    ids: DFU_GADGET_IDS.application,
    bcdDevice: 0x0100,
    manufacturer: 'Fieldbench',
    product: 'DFU Gadget',
    interfaceProtocol: DFU_PROTOCOL_RUNTIME,
    alternateNames: ['Fieldbench gadget DFU runtime'],
    functional: GADGET_FUNCTIONAL,
  },
  bootloader: {
    mode: 'dfu',
    ids: DFU_GADGET_IDS.bootloader,
    bcdDevice: 0x0100,
    manufacturer: 'Fieldbench',
    product: 'DFU Gadget Bootloader',
    interfaceProtocol: DFU_PROTOCOL_DFU_MODE,
    alternateNames: [DFU_GADGET_ALT_NAME],
    functional: GADGET_FUNCTIONAL,
  },
  dfuse: false,
  erasesOnWrite: true,
  timing: GADGET_FLASH_TIMING,
  memories: () => [
    new DfuMemory(
      [
        {
          address: 0,
          size: DFU_GADGET_FLASH_SIZE,
          pageSize: DFU_GADGET_PAGE_SIZE,
          pageCount: DFU_GADGET_FLASH_SIZE / DFU_GADGET_PAGE_SIZE,
          readable: true,
          erasable: true,
          writable: true,
          writes: 'nor',
        },
      ],
      GADGET_FLASH_TIMING,
    ),
  ],
};

export const BOARD_MODELS: Record<VirtualUsbModel, BoardModelSpec> = { 'stm32-dfu': STM32_DFU, 'dfu-gadget': DFU_GADGET };
