// Which pages a DfuSe flash erases and what it writes, worked out from the elements and the
// memory layout before anything is sent: an element that does not sit wholly inside memory
// the bootloader can write (and, unless the whole flash is mass-erased, erase) is refused
// here, so no page is erased for an image that cannot be written.
import { FieldbenchError } from '../../api/errors';
import type { DfuMemoryLayout } from '../../api/schemas';
import type { DfuFlashElement } from './dfu-flash-request';
import { describeLayout, regionAt } from './dfuse-memory-layout';

const STEP = 'check image against memory layout';

export interface DfusePage {
  address: number;
  size: number;
}

export interface DfuseFlashPlan {
  /** Pages to erase one by one, in address order; empty with a mass erase. */
  pages: DfusePage[];
  /** The whole flash is erased with one command instead. */
  massErase: boolean;
  /** Bytes of the pages erased (0 with a mass erase). */
  eraseBytes: number;
  /** Bytes written: every element's data. */
  writeBytes: number;
}

const hex = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/** "0x08000000–0x08003fff", the last byte included. */
export function describeRange(address: number, length: number): string {
  return `${hex(address)}–${hex(address + Math.max(length, 1) - 1)}`;
}

function refuse(message: string, hint: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message, step: STEP, hint });
}

export function planDfuseFlash(elements: readonly DfuFlashElement[], layout: DfuMemoryLayout, options: { massErase: boolean }): DfuseFlashPlan {
  const pages = new Map<number, DfusePage>();
  const sorted = elements.filter((element) => element.data.length > 0).sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const element = sorted[i]!;
    if (element.address < before.address + before.data.length) {
      throw refuse(
        `the image's elements at ${describeRange(before.address, before.data.length)} and ${describeRange(element.address, element.data.length)} overlap`,
        'The image is inconsistent; rebuild it.',
      );
    }
  }
  for (const element of sorted) {
    const end = element.address + element.data.length;
    const range = describeRange(element.address, element.data.length);
    if (end > 0x1_0000_0000) throw refuse(`the element at ${range} runs past the 4 GiB address space`, 'The image is damaged; rebuild it.');
    let address = element.address;
    while (address < end) {
      const region = regionAt(layout, address);
      if (!region) {
        throw refuse(
          `the element at ${range} does not fit the memory layout ${describeLayout(layout)}: ${hex(address)} is outside it`,
          'The image was built for a different part or linked at the wrong address; flash the image made for this device.',
        );
      }
      if (!region.writable || (!options.massErase && !region.erasable)) {
        const missing = !region.writable ? 'writable' : 'erasable';
        throw refuse(
          `the element at ${range} covers ${hex(address)}, which the memory layout ${describeLayout(layout)} says is not ${missing}`,
          !region.writable ? 'That memory cannot be written through DFU; flash the image made for this device.' : 'Those pages cannot be erased one by one; flash with mass erase, which erases the whole flash.',
        );
      }
      const pageStart = region.address + Math.floor((address - region.address) / region.pageSize) * region.pageSize;
      if (!options.massErase) pages.set(pageStart, { address: pageStart, size: region.pageSize });
      address = Math.min(pageStart + region.pageSize, end);
    }
  }
  const erase = [...pages.values()].sort((a, b) => a.address - b.address);
  return {
    pages: erase,
    massErase: options.massErase,
    eraseBytes: erase.reduce((sum, page) => sum + page.size, 0),
    writeBytes: sorted.reduce((sum, element) => sum + element.data.length, 0),
  };
}
