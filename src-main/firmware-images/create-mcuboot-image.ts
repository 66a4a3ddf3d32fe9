// Builds an unsigned MCUboot image the way `imgtool sign --pad-header` lays one out with no
// key: the header padded to its size with the erased-flash value, the payload as given,
// an optional protected area holding a security counter, and an unprotected area holding
// the SHA-256 of everything before it. The virtual MCUboot device and the tests use it to
// make images of any version without imgtool.
import { createHash } from 'node:crypto';
import { imageError } from './image-error';
import {
  ERASED_BYTE,
  HEADER_FIELDS_SIZE,
  HeaderOffset,
  IMAGE_MAGIC,
  TLV_HEADER_SIZE,
  TLV_INFO_MAGIC,
  TLV_INFO_SIZE,
  TLV_PROTECTED_INFO_MAGIC,
  TlvType,
} from './mcuboot-format';
import { parseMcubootVersion } from './mcuboot-version';

export interface CreateMcubootImageOptions {
  /** 'major.minor.revision+build', as imgtool's --version takes it. */
  version: string;
  /** The application binary that follows the header. */
  payload: Uint8Array;
  /** imgtool's --header-size; default 0x200. */
  headerSize?: number;
  loadAddress?: number;
  flags?: number;
  /** When given, the whole image must fit (MCUboot's own trailer is not counted). */
  slotSize?: number;
  /** imgtool's --security-counter: puts a SEC_CNT TLV in the protected area. */
  securityCounter?: number;
}

const STEP = 'create MCUboot image';

function checkUnsigned(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw imageError(STEP, `${name} must be a whole number from 0 to ${max}, not ${value}`, 'Pass a value that fits the MCUboot header field.');
  }
}

function tlvInfo(view: DataView, offset: number, magic: number, totalSize: number): number {
  view.setUint16(offset, magic, true);
  view.setUint16(offset + 2, totalSize, true);
  return offset + TLV_INFO_SIZE;
}

function tlv(bytes: Uint8Array, view: DataView, offset: number, type: number, value: Uint8Array): number {
  view.setUint16(offset, type, true);
  view.setUint16(offset + 2, value.length, true);
  bytes.set(value, offset + TLV_HEADER_SIZE);
  return offset + TLV_HEADER_SIZE + value.length;
}

export function createMcubootImage(options: CreateMcubootImageOptions): Uint8Array {
  const version = parseMcubootVersion(options.version);
  const headerSize = options.headerSize ?? 0x200;
  const loadAddress = options.loadAddress ?? 0;
  const flags = options.flags ?? 0;
  checkUnsigned('headerSize', headerSize, 0xffff);
  if (headerSize < HEADER_FIELDS_SIZE) {
    throw imageError(STEP, `headerSize ${headerSize} is smaller than the ${HEADER_FIELDS_SIZE} bytes of header fields`, 'Use the header size the bootloader expects, usually 0x200.');
  }
  checkUnsigned('loadAddress', loadAddress, 0xffffffff);
  checkUnsigned('flags', flags, 0xffffffff);
  checkUnsigned('payload size', options.payload.length, 0xffffffff);

  const securityCounter = new Uint8Array(4);
  if (options.securityCounter !== undefined) {
    checkUnsigned('securityCounter', options.securityCounter, 0xffffffff);
    new DataView(securityCounter.buffer).setUint32(0, options.securityCounter, true);
  }
  const protectedSize = options.securityCounter === undefined ? 0 : TLV_INFO_SIZE + TLV_HEADER_SIZE + securityCounter.length;
  const hashSize = 32;
  const unprotectedSize = TLV_INFO_SIZE + TLV_HEADER_SIZE + hashSize;
  const hashedSize = headerSize + options.payload.length + protectedSize;
  const totalSize = hashedSize + unprotectedSize;
  if (options.slotSize !== undefined && totalSize > options.slotSize) {
    throw imageError(STEP, `the image is ${totalSize} bytes, larger than the ${options.slotSize}-byte slot`, 'Build a smaller application or use a device with a larger slot.');
  }

  const bytes = new Uint8Array(totalSize);
  const view = new DataView(bytes.buffer);
  bytes.fill(ERASED_BYTE, HEADER_FIELDS_SIZE, headerSize);
  view.setUint32(HeaderOffset.magic, IMAGE_MAGIC, true);
  view.setUint32(HeaderOffset.loadAddress, loadAddress, true);
  view.setUint16(HeaderOffset.headerSize, headerSize, true);
  view.setUint16(HeaderOffset.protectedTlvSize, protectedSize, true);
  view.setUint32(HeaderOffset.imageSize, options.payload.length, true);
  view.setUint32(HeaderOffset.flags, flags, true);
  view.setUint8(HeaderOffset.versionMajor, version.major);
  view.setUint8(HeaderOffset.versionMinor, version.minor);
  view.setUint16(HeaderOffset.versionRevision, version.revision, true);
  view.setUint32(HeaderOffset.versionBuild, version.build, true);
  bytes.set(options.payload, headerSize);

  let offset = headerSize + options.payload.length;
  if (protectedSize > 0) {
    offset = tlvInfo(view, offset, TLV_PROTECTED_INFO_MAGIC, protectedSize);
    offset = tlv(bytes, view, offset, TlvType.SEC_CNT, securityCounter);
  }
  const digest = createHash('sha256').update(bytes.subarray(0, hashedSize)).digest();
  offset = tlvInfo(view, offset, TLV_INFO_MAGIC, unprotectedSize);
  tlv(bytes, view, offset, TlvType.SHA256, digest);
  return bytes;
}
