// Turns a firmware file into what a USB DFU flash writes on one device: the elements (bytes at
// addresses), or a refusal that says why and what to do, before anything touches the device.
// DfuSe bootloaders write at addresses; a plain DFU 1.1 bootloader takes one stream from its
// start, so for it a file's addresses must begin at 0. The checks mirror what dfu-util
// refuses (a bad suffix CRC, a suffix for another device) and add what it leaves to luck (a
// raw binary with no address, a DfuSe target for another alternate setting).
import { createHash } from 'node:crypto';
import { FieldbenchError } from '../../api/errors';
import type { FirmwareImageInfo, ImageFormat } from '../../api/schemas';
import { parseDfuFile, type DfuSuffix } from '../../firmware-images/dfu-file';
import { detectFormat } from '../../firmware-images/inspect-image';
import { parseIntelHex } from '../../firmware-images/intel-hex';
import { hasMcubootMagic } from '../../firmware-images/mcuboot-image';
import { hexAddress, type Segment } from '../../firmware-images/segments';
import { parseSrec } from '../../firmware-images/srec';
import type { DfuFlashElement } from '../../protocols/dfu/dfu-flash-request';

/** No DFU target Fieldbench knows holds more; a larger file is a mistake, not an image. */
export const DFU_IMAGE_LIMIT = 16 * 1024 * 1024;
/** Suffix ids that match any device (dfu-suffix writes them when none is given). */
const ANY_ID = 0xffff;
/** Plain DFU streams fill gaps between HEX/S-record segments with erased flash. */
const ERASED = 0xff;
const STEP = 'firmware preflight';

/** The device as a flash in DFU mode sees it. */
export interface DfuImageTarget {
  /** Names the device in refusals. */
  label: string;
  /** Its ids in DFU mode (the bootloader's, not the application's). Null: not known yet (it still runs its application). */
  ids: { vendorId: number; productId: number } | null;
  dfuse: boolean;
  /** The alternate setting the elements are for. */
  alt: number;
}

export interface DfuImageOptions {
  /** Where a raw binary goes on a DfuSe device: the request's address, else the profile's default. */
  address?: number | undefined;
  defaultAddress?: number | undefined;
  ignoreIdMismatch?: boolean | undefined;
}

export interface DfuImageElements {
  format: ImageFormat;
  elements: DfuFlashElement[];
  /** Bytes to write, over all elements. */
  total: number;
  image: FirmwareImageInfo;
  /** Sentences for the journal: what was checked and found good. */
  checked: string[];
  /** Things the user should know, though they do not stop the flash. */
  warnings: string[];
  /** The suffix's ids, when the file has a suffix that names a device; checked again once the device is in DFU mode. */
  suffixIds: { vendorId: number; productId: number } | null;
}

function refusal(target: DfuImageTarget, message: string, hint: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message, device: target.label, step: STEP, hint });
}

export function usbIdText(vendorId: number, productId: number): string {
  return `${vendorId.toString(16).padStart(4, '0')}:${productId.toString(16).padStart(4, '0')}`;
}

/** A BCD release number ("0x0200") as people write it ("2.00"). */
export function bcdVersion(bcd: number): string {
  return `${(bcd >> 8).toString(16)}.${(bcd & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The suffix names the device the file was made for; a file for another device is refused
 * unless the user says otherwise, as dfu-util does. Wildcards match anything.
 */
export function checkSuffixIds(suffixIds: { vendorId: number; productId: number } | null, target: DfuImageTarget, ignoreIdMismatch: boolean): string | null {
  if (!suffixIds || !target.ids) return null;
  const vendorOk = suffixIds.vendorId === ANY_ID || suffixIds.vendorId === target.ids.vendorId;
  const productOk = suffixIds.productId === ANY_ID || suffixIds.productId === target.ids.productId;
  const fileIds = usbIdText(suffixIds.vendorId, suffixIds.productId);
  const deviceIds = usbIdText(target.ids.vendorId, target.ids.productId);
  if (vendorOk && productOk) return `the file's suffix ids ${fileIds} fit the device (${deviceIds} in DFU mode)`;
  if (ignoreIdMismatch) return `the file's suffix names ${fileIds}, not the device's ${deviceIds}: flashed anyway (ignoreIdMismatch)`;
  throw refusal(
    target,
    `the file was made for USB device ${fileIds}, but this device is ${deviceIds} in DFU mode`,
    'Check that the file was built for this board; if it was (the suffix ids are just wrong), flash it with the ignoreIdMismatch option (--ignore-id-mismatch).',
  );
}

function suffixIdsOf(suffix: DfuSuffix): { vendorId: number; productId: number } | null {
  return suffix.idVendor === ANY_ID && suffix.idProduct === ANY_ID ? null : { vendorId: suffix.idVendor, productId: suffix.idProduct };
}

/** Where bytes without an address go on a DfuSe device, or a refusal saying how to tell it. */
function rawAddress(target: DfuImageTarget, options: DfuImageOptions, what: string): { address: number; from: string } {
  if (options.address !== undefined) return { address: options.address, from: 'the requested address' };
  if (options.defaultAddress !== undefined) return { address: options.defaultAddress, from: "the profile's default address" };
  throw refusal(
    target,
    `${what} carries no address, and a DfuSe bootloader writes only at addresses`,
    "Give the address to write it at (the address option, --address 0x08000000 for an STM32's internal flash), or set firmware.defaultAddress in the device profile.",
  );
}

/**
 * HEX and S-record segments as one stream from 0 for a plain DFU bootloader, which has no
 * addresses: a file linked elsewhere would land at the wrong place, so it is refused.
 */
function streamFromZero(segments: Segment[], target: DfuImageTarget, formatName: string): Uint8Array {
  const first = segments[0]!;
  if (first.address !== 0) {
    throw refusal(
      target,
      `the ${formatName} file starts at ${hexAddress(first.address)}, but a plain DFU bootloader has no addresses: it writes one stream from the start of its memory`,
      'Flash a file linked for the bootloader (starting at 0), or the .bin or .dfu the build made for DFU.',
    );
  }
  const last = segments.at(-1)!;
  const end = last.address + last.data.length;
  if (end > DFU_IMAGE_LIMIT) throw tooLarge(target, end);
  if (segments.length === 1) return first.data;
  const stream = new Uint8Array(end).fill(ERASED);
  for (const segment of segments) stream.set(segment.data, segment.address);
  return stream;
}

function tooLarge(target: DfuImageTarget, bytes: number): FieldbenchError {
  return refusal(target, `the image is ${bytes} bytes; no DFU target takes more than ${DFU_IMAGE_LIMIT} (16 MiB)`, 'Check that this is a firmware image for the board and not, say, a disk image.');
}

/**
 * The elements a DFU flash writes for this file on this device, checked as far as the file
 * and the device's DFU-mode ids allow (the memory layout is checked by the flash plan).
 */
export function dfuImageElements(bytes: Uint8Array, fileName: string, target: DfuImageTarget, options: DfuImageOptions = {}): DfuImageElements {
  if (bytes.length === 0) throw refusal(target, `${fileName || 'the file'} is empty`, 'Pick the image file the build produced.');
  const format = detectFormat(bytes, fileName);
  const checked: string[] = [];
  const warnings: string[] = [];
  let elements: DfuFlashElement[];
  let suffixIds: { vendorId: number; productId: number } | null = null;
  let version: string | null = null;
  const addressIgnored = () => {
    if (options.address !== undefined) warnings.push(`the address option (${hexAddress(options.address)}) is ignored: the file carries its own addresses`);
  };

  switch (format) {
    case 'dfu':
    case 'dfuse': {
      const file = parseDfuFile(bytes); // refuses a bad CRC
      checked.push('the DFU suffix CRC is right');
      suffixIds = suffixIdsOf(file.suffix);
      if (file.suffix.bcdDevice !== ANY_ID) version = bcdVersion(file.suffix.bcdDevice);
      if (file.kind === 'dfu') {
        if (target.dfuse) {
          const { address, from } = rawAddress(target, options, 'the DFU file');
          elements = [{ address, data: file.payload }];
          checked.push(`the payload goes to ${hexAddress(address)} (${from})`);
        } else {
          elements = [{ address: 0, data: file.payload }];
        }
        break;
      }
      if (!target.dfuse) {
        throw refusal(
          target,
          'the file is a DfuSe file (ST\'s addressed format), but this device\'s bootloader is plain DFU 1.1, which has no addresses',
          'Flash the plain .bin or .dfu image the build made for this board.',
        );
      }
      const chosen = file.targets.find((t) => t.alt === target.alt);
      if (!chosen) {
        const alts = [...new Set(file.targets.map((t) => t.alt))].sort((a, b) => a - b);
        throw refusal(
          target,
          `the DfuSe file has no target for alternate setting ${target.alt}: it has ${alts.length ? `alt ${alts.join(', ')}` : 'no targets'}`,
          alts.length ? `Flash through alternate setting ${alts[0]} (the alt option), or use the file made for alt ${target.alt}.` : 'The file holds nothing to write; make it again with dfuse-pack.',
        );
      }
      addressIgnored();
      elements = chosen.elements.map((e) => ({ address: e.address, data: e.data }));
      checked.push(`DfuSe target for alt ${chosen.alt}${chosen.name ? ` ("${chosen.name}")` : ''}: ${elements.length} element(s)`);
      const others = file.targets.filter((t) => t !== chosen).length;
      if (others > 0) warnings.push(`${others} other target(s) in the file are for other alternate settings and are not written`);
      break;
    }
    case 'ihex':
    case 'srec': {
      const formatName = format === 'ihex' ? 'Intel HEX' : 'S-record';
      const { segments } = format === 'ihex' ? parseIntelHex(bytes) : parseSrec(bytes);
      const withData = segments.filter((s) => s.data.length > 0);
      if (withData.length === 0) throw refusal(target, `the ${formatName} file holds no data`, 'Pick the image file the build produced.');
      if (target.dfuse) {
        addressIgnored();
        elements = withData.map((s) => ({ address: s.address, data: s.data }));
      } else {
        elements = [{ address: 0, data: streamFromZero(withData, target, formatName) }];
      }
      checked.push(`${formatName}: ${withData.length} segment(s) from ${hexAddress(withData[0]!.address)}`);
      break;
    }
    case 'mcuboot':
    case 'raw': {
      const what = format === 'mcuboot' ? 'the MCUboot image' : 'a raw binary';
      if (format === 'mcuboot' || hasMcubootMagic(bytes)) {
        warnings.push('an MCUboot image is written as raw bytes: it starts only if MCUboot sits in front of it and this is its slot address');
      }
      if (target.dfuse) {
        const { address, from } = rawAddress(target, options, what);
        elements = [{ address, data: bytes }];
        checked.push(`${what} goes to ${hexAddress(address)} (${from})`);
      } else {
        elements = [{ address: 0, data: bytes }];
      }
      break;
    }
  }

  const total = elements.reduce((sum, e) => sum + e.data.length, 0);
  if (total === 0) throw refusal(target, 'the file holds nothing to write', 'Pick the image file the build produced.');
  if (total > DFU_IMAGE_LIMIT) throw tooLarge(target, total);
  if (!target.dfuse && options.address !== undefined && options.address !== 0) {
    warnings.push(`the address option (${hexAddress(options.address)}) is ignored: a plain DFU bootloader writes from the start of its memory`);
  }
  const idCheck = checkSuffixIds(suffixIds, target, options.ignoreIdMismatch === true);
  if (idCheck) checked.push(idCheck);
  checked.push(`${total} bytes in ${elements.length} element(s)`);
  return {
    format,
    elements,
    total,
    image: { fileName, sha256: createHash('sha256').update(bytes).digest('hex'), version, size: bytes.length },
    checked,
    warnings,
    suffixIds,
  };
}
