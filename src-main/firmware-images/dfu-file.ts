// Reads a USB DFU file as dfu-util's dfu-suffix and dfuse-pack write it: the DFU 1.1 suffix
// in the last 16 bytes (device and vendor IDs, DFU version, CRC over the rest of the file)
// and, for ST's DfuSe variant (bcdDFU 0x011a), the prefix, targets and elements before it.
// A file whose CRC does not match is refused rather than reported, because dfu-util refuses
// to download it too; every other structural problem names the byte offset it concerns.
import { imageError, offsetText } from './image-error';
import { ADDRESS_LIMIT, hexAddress } from './segments';

export const DFU_SUFFIX_SIZE = 16;
/** bcdDFU of a DfuSe file; plain DFU 1.0/1.1 files carry 0x0100 or 0x0110. */
export const DFUSE_BCD = 0x011a;
const DFUSE_PREFIX_SIZE = 11;
const TARGET_PREFIX_SIZE = 274;
const TARGET_NAME_SIZE = 255;
const ELEMENT_HEADER_SIZE = 8;

const SUFFIX_STEP = 'read DFU suffix';
const DFUSE_STEP = 'read DfuSe image';

export interface DfuSuffix {
  bcdDevice: number;
  idProduct: number;
  idVendor: number;
  bcdDFU: number;
  /** dwCRC as the suffix stores it. */
  crc: number;
  /** The CRC recomputed over everything but dwCRC. */
  computedCrc: number;
}

export interface DfuseElement {
  address: number;
  data: Uint8Array;
}

export interface DfuseTarget {
  alt: number;
  /** Empty when the target is not named. */
  name: string;
  elements: DfuseElement[];
}

export type DfuFile = { kind: 'dfu'; suffix: DfuSuffix; payload: Uint8Array } | { kind: 'dfuse'; suffix: DfuSuffix; targets: DfuseTarget[] };

export interface DfuIds {
  bcdDevice?: number;
  idProduct?: number;
  idVendor?: number;
  bcdDFU?: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 as dfu-util computes the suffix's dwCRC: reflected, polynomial 0xedb88320, started at
 * 0xffffffff and, unlike zlib's, never inverted at the end.
 */
export function dfuCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return crc >>> 0;
}

export function crcText(crc: number): string {
  return `0x${crc.toString(16).padStart(8, '0')}`;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The 'UFD' signature and bLength 16 where a DFU suffix would put them. */
export function hasDfuSuffix(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= DFU_SUFFIX_SIZE && bytes[n - 8] === 0x55 && bytes[n - 7] === 0x46 && bytes[n - 6] === 0x44 && bytes[n - 5] === DFU_SUFFIX_SIZE;
}

export function hasDfusePrefix(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && Buffer.from(bytes.buffer, bytes.byteOffset, 5).toString('latin1') === 'DfuSe';
}

function truncated(step: string, what: string, needed: number, end: number) {
  return imageError(step, `truncated: ${what} needs the data to reach byte ${offsetText(needed)}, but it ends at ${offsetText(end)} (where the DFU suffix starts)`, 'The file was cut short or its sizes are wrong; make it again with dfuse-pack.');
}

export function readDfuSuffix(bytes: Uint8Array): DfuSuffix {
  const n = bytes.length;
  if (n < DFU_SUFFIX_SIZE) {
    throw imageError(SUFFIX_STEP, `truncated: a DFU suffix needs 16 bytes, but the file has ${n}`, 'Add the suffix with dfu-suffix, or flash the file as a raw binary.');
  }
  const start = n - DFU_SUFFIX_SIZE;
  if (!hasDfuSuffix(bytes)) {
    throw imageError(SUFFIX_STEP, `no DFU suffix: the bytes at ${offsetText(start + 8)} are not the 'UFD' signature followed by length 16`, 'Add the suffix with dfu-suffix, or flash the file as a raw binary.');
  }
  const view = viewOf(bytes);
  return {
    bcdDevice: view.getUint16(start, true),
    idProduct: view.getUint16(start + 2, true),
    idVendor: view.getUint16(start + 4, true),
    bcdDFU: view.getUint16(start + 6, true),
    crc: view.getUint32(n - 4, true),
    computedCrc: dfuCrc(bytes.subarray(0, n - 4)),
  };
}

function readDfuse(bytes: Uint8Array, end: number): DfuseTarget[] {
  if (end < DFUSE_PREFIX_SIZE) throw truncated(DFUSE_STEP, 'the 11-byte DfuSe prefix', DFUSE_PREFIX_SIZE, end);
  if (!hasDfusePrefix(bytes)) {
    throw imageError(DFUSE_STEP, `bcdDFU 0x011a marks a DfuSe file, but there is no 'DfuSe' signature at offset 0`, 'Make the file with dfuse-pack, or give it a plain DFU suffix with dfu-suffix.');
  }
  const view = viewOf(bytes);
  const version = view.getUint8(5);
  if (version !== 1) throw imageError(DFUSE_STEP, `DfuSe prefix version ${version} at offset 5; only version 1 is known`, 'Make the file with dfuse-pack.');
  // DFUImageSize counts the whole file, suffix included, as dfuse-pack writes it.
  const imageSize = view.getUint32(6, true);
  if (imageSize !== bytes.length) {
    throw imageError(DFUSE_STEP, `the DfuSe prefix says the file is ${imageSize} bytes, but it is ${bytes.length}`, 'The file was cut short or changed; make it again with dfuse-pack.');
  }
  const targetCount = view.getUint8(10);
  const targets: DfuseTarget[] = [];
  let offset = DFUSE_PREFIX_SIZE;
  for (let t = 0; t < targetCount; t++) {
    const at = offset;
    if (at + TARGET_PREFIX_SIZE > end) throw truncated(DFUSE_STEP, `target ${t}'s 274-byte prefix at ${offsetText(at)}`, at + TARGET_PREFIX_SIZE, end);
    if (Buffer.from(bytes.buffer, bytes.byteOffset + at, 6).toString('latin1') !== 'Target') {
      throw imageError(DFUSE_STEP, `no 'Target' signature at ${offsetText(at)} for target ${t} of ${targetCount}`, 'The file is damaged or its target count is wrong; make it again with dfuse-pack.');
    }
    const alt = view.getUint8(at + 6);
    const named = view.getUint32(at + 7, true) !== 0;
    const nameBytes = bytes.subarray(at + 11, at + 11 + TARGET_NAME_SIZE);
    const nul = nameBytes.indexOf(0);
    const name = named ? Buffer.from(nul < 0 ? nameBytes : nameBytes.subarray(0, nul)).toString('latin1') : '';
    const targetSize = view.getUint32(at + 266, true);
    const elementCount = view.getUint32(at + 270, true);
    offset = at + TARGET_PREFIX_SIZE;
    const targetEnd = offset + targetSize;
    if (targetEnd > end) throw truncated(DFUSE_STEP, `target ${t} (alt ${alt}), ${targetSize} bytes from ${offsetText(offset)},`, targetEnd, end);
    const elements: DfuseElement[] = [];
    // Each element needs at least its 8-byte header, so a huge count fails at the end of the target, not in memory.
    for (let e = 0; e < elementCount; e++) {
      if (offset + ELEMENT_HEADER_SIZE > targetEnd) throw truncated(DFUSE_STEP, `element ${e} of target ${t} at ${offsetText(offset)}`, offset + ELEMENT_HEADER_SIZE, targetEnd);
      const address = view.getUint32(offset, true);
      const size = view.getUint32(offset + 4, true);
      const dataStart = offset + ELEMENT_HEADER_SIZE;
      if (dataStart + size > targetEnd) throw truncated(DFUSE_STEP, `element ${e} of target ${t} (${size} bytes at ${hexAddress(address)})`, dataStart + size, targetEnd);
      if (address + size > ADDRESS_LIMIT) {
        throw imageError(DFUSE_STEP, `element ${e} of target ${t}: ${size} bytes at ${hexAddress(address)} do not fit 32-bit addresses`, 'Addresses must lie from 0x00000000 to 0xffffffff.');
      }
      elements.push({ address, data: bytes.subarray(dataStart, dataStart + size) });
      offset = dataStart + size;
    }
    if (offset !== targetEnd) {
      throw imageError(DFUSE_STEP, `target ${t} says it is ${targetSize} bytes, but its ${elementCount} element(s) end at ${offsetText(offset)}, not ${offsetText(targetEnd)}`, 'The file is damaged; make it again with dfuse-pack.');
    }
    targets.push({ alt, name, elements });
  }
  if (offset !== end) {
    throw imageError(DFUSE_STEP, `${end - offset} bytes from ${offsetText(offset)} follow the last of ${targetCount} target(s)`, 'The file is damaged or its target count is wrong; make it again with dfuse-pack.');
  }
  return targets;
}

/** A .dfu file: its suffix (with the CRC checked) and its payload or, for DfuSe, its targets. */
export function parseDfuFile(bytes: Uint8Array): DfuFile {
  const suffix = readDfuSuffix(bytes);
  if (suffix.crc !== suffix.computedCrc) {
    throw imageError(
      SUFFIX_STEP,
      `suffix CRC mismatch: the suffix says ${crcText(suffix.crc)}, but the file's CRC is ${crcText(suffix.computedCrc)}`,
      'The file was changed or damaged after the suffix was added; get it again, or add the suffix again with dfu-suffix if the change was meant.',
    );
  }
  const end = bytes.length - DFU_SUFFIX_SIZE;
  if (suffix.bcdDFU === DFUSE_BCD || hasDfusePrefix(bytes)) return { kind: 'dfuse', suffix, targets: readDfuse(bytes, end) };
  return { kind: 'dfu', suffix, payload: bytes.subarray(0, end) };
}

/** The payload with a DFU 1.1 suffix, as `dfu-suffix -a` adds it (IDs 0xffff unless given). */
export function withDfuSuffix(payload: Uint8Array, ids: DfuIds = {}): Uint8Array {
  const file = new Uint8Array(payload.length + DFU_SUFFIX_SIZE);
  file.set(payload);
  const view = viewOf(file);
  const start = payload.length;
  view.setUint16(start, ids.bcdDevice ?? 0xffff, true);
  view.setUint16(start + 2, ids.idProduct ?? 0xffff, true);
  view.setUint16(start + 4, ids.idVendor ?? 0xffff, true);
  view.setUint16(start + 6, ids.bcdDFU ?? 0x0100, true);
  file.set([0x55, 0x46, 0x44, DFU_SUFFIX_SIZE], start + 8);
  view.setUint32(start + 12, dfuCrc(file.subarray(0, start + 12)), true);
  return file;
}
