// One answer to "what is this firmware file?": its format, and for an MCUboot image the
// header, TLVs, hash check and a verdict per public key; for Intel HEX, S-record and raw
// binaries the runs of data; for USB DFU files the suffix and the payload or DfuSe elements. Anything wrong with the file is a FieldbenchError naming where.
import { createHash } from 'node:crypto';
import type { ImageDfu, ImageFormat, ImageInspection, ImageKeyCheck, ImageSegment } from '../api/schemas';
import { crcText, hasDfusePrefix, hasDfuSuffix, parseDfuFile } from './dfu-file';
import { imageError } from './image-error';
import { parseIntelHex } from './intel-hex';
import { ImageFlag, TlvType, flagNames } from './mcuboot-format';
import { hasMcubootMagic, parseMcubootImage, type McubootImage } from './mcuboot-image';
import { checkKey, readPublicKey } from './mcuboot-signatures';
import { formatMcubootVersion } from './mcuboot-version';
import { rawBinaryImage } from './raw-binary';
import { hexAddress, type LoadableImage } from './segments';
import { parseSrec } from './srec';

export interface PublicKeyPem {
  name: string;
  pem: string;
}

export interface InspectImageOptions {
  fileName?: string;
  keys?: PublicKeyPem[];
  /** The device's slot size, to warn when the image cannot fit. */
  slotSize?: number;
  /** Where a raw binary goes; 0 unless told. */
  rawAddress?: number;
}

// A whole first record, not just its first character, so a binary that happens to start
// with ':' or 'S' is not taken for text.
const IHEX_FIRST_LINE = /^\s*:[0-9A-Fa-f]{10,}\r?(\n|$)/;
const SREC_FIRST_LINE = /^\s*S[0-9][0-9A-Fa-f]{6,}\r?(\n|$)/;
const IHEX_NAMES = /\.(hex|ihex|ihx)$/i;
const SREC_NAMES = /\.(srec|s19|s28|s37|mot|mhx)$/i;
const SIGNATURE_TLVS = new Set<number>([TlvType.RSA2048_PSS, TlvType.ECDSA224, TlvType.ECDSA_SIG, TlvType.RSA3072_PSS, TlvType.ED25519, TlvType.SIG_PURE]);

/**
 * MCUboot only by its magic; DFU by the 'UFD' suffix signature (DfuSe also by its prefix);
 * Intel HEX and S-record by their first record, or by the file
 * name (so a damaged .hex is reported as a damaged HEX file, not flashed as bytes); else raw.
 */
export function detectFormat(bytes: Uint8Array, fileName?: string): ImageFormat {
  if (hasMcubootMagic(bytes)) return 'mcuboot';
  if (hasDfuSuffix(bytes)) return hasDfusePrefix(bytes) ? 'dfuse' : 'dfu';
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 600)).toString('latin1');
  if (IHEX_FIRST_LINE.test(head)) return 'ihex';
  if (SREC_FIRST_LINE.test(head)) return 'srec';
  if (fileName && IHEX_NAMES.test(fileName)) return 'ihex';
  if (fileName && SREC_NAMES.test(fileName)) return 'srec';
  return 'raw';
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function slotWarning(size: number, slotSize: number | undefined): string[] {
  return slotSize !== undefined && size > slotSize ? [`the image (${size} bytes) is larger than the slot (${slotSize} bytes)`] : [];
}

function mcubootWarnings(image: McubootImage, fileSize: number): string[] {
  const warnings: string[] = [];
  if (!image.tlvs.some((t) => SIGNATURE_TLVS.has(t.type))) warnings.push('unsigned image: a bootloader that checks signatures will refuse it');
  if (image.header.flags & (ImageFlag.ENCRYPTED_AES128 | ImageFlag.ENCRYPTED_AES256)) {
    warnings.push('encrypted image: its hash covers the plaintext, so it cannot be checked here');
  } else if (image.hashes.length === 0) {
    warnings.push('no hash TLV: MCUboot refuses an image without one');
  } else if (!image.hashOk) {
    warnings.push('the image hash does not match its contents: the file was changed or damaged after it was made');
  }
  if (fileSize > image.imageEnd) warnings.push(`${fileSize - image.imageEnd} bytes follow the TLV area (slot padding or a trailer)`);
  return warnings;
}

function inspectMcuboot(bytes: Uint8Array, fileName: string, keys: PublicKeyPem[], slotSize: number | undefined): ImageInspection {
  const image = parseMcubootImage(bytes);
  const { header } = image;
  const imageHash = image.hashes.find((h) => h.algorithm === 'sha256') ?? image.hashes[0];
  return {
    fileName,
    format: 'mcuboot',
    fileSize: bytes.length,
    version: formatMcubootVersion(header.version),
    headerSize: header.headerSize,
    imageSize: header.imageSize,
    loadAddress: header.loadAddress,
    flags: header.flags,
    flagNames: flagNames(header.flags),
    sha256: imageHash ? hex(imageHash.expected) : sha256Hex(image.signedRegion),
    hashOk: image.hashOk,
    hashes: image.hashes.map((h) => ({ algorithm: h.algorithm, tlv: hex(h.expected), computed: hex(h.computed), ok: h.ok })),
    tlvs: image.tlvs.map((t) => ({ type: t.type, name: t.name, length: t.length, protected: t.protected })),
    securityCounter: image.securityCounter,
    // The whole file is what goes into the slot, from its start.
    segments: [{ address: 0, size: bytes.length, sha256: sha256Hex(bytes) }],
    startAddress: null,
    keys: keys.map((key) => checkKey(image, key.name, readPublicKey(key.name, key.pem))),
    dfu: null,
    warnings: [...mcubootWarnings(image, bytes.length), ...slotWarning(bytes.length, slotSize)],
  };
}

function loadableWarnings(loadable: LoadableImage, format: ImageFormat): string[] {
  const warnings = ['not an MCUboot image: a device running MCUboot accepts only signed MCUboot images as updates'];
  if (loadable.segments.every((s) => s.data.length === 0)) warnings.push('the file holds no data');
  for (const segment of loadable.segments) {
    if (format !== 'raw' && hasMcubootMagic(segment.data)) {
      warnings.push(`the data at ${hexAddress(segment.address)} is an MCUboot image; flash its binary form over SMP`);
    }
  }
  return warnings;
}

/** The data a DFU file carries, and what its suffix and DfuSe targets say about it. */
function readDfu(bytes: Uint8Array): { loadable: LoadableImage; dfu: ImageDfu } {
  const file = parseDfuFile(bytes);
  const { suffix } = file;
  const dfuSuffix = {
    idVendor: suffix.idVendor,
    idProduct: suffix.idProduct,
    bcdDevice: suffix.bcdDevice,
    bcdDFU: suffix.bcdDFU,
    crc: crcText(suffix.crc),
    crcOk: suffix.crc === suffix.computedCrc,
  };
  if (file.kind === 'dfu') return { loadable: { segments: [{ address: 0, data: file.payload }] }, dfu: { suffix: dfuSuffix } };
  // Elements stay as the file lists them: targets are different memories, so their addresses may repeat.
  const segments = file.targets.flatMap((t) => t.elements);
  const targets = file.targets.map((t) => ({ alt: t.alt, name: t.name, elements: t.elements.map((e) => ({ address: e.address, size: e.data.length, sha256: sha256Hex(e.data) })) }));
  return { loadable: { segments }, dfu: { suffix: dfuSuffix, targets } };
}

function inspectLoadable(bytes: Uint8Array, format: ImageFormat, fileName: string, keys: PublicKeyPem[], options: InspectImageOptions): ImageInspection {
  const dfuFile = format === 'dfu' || format === 'dfuse' ? readDfu(bytes) : null;
  const loadable = dfuFile
    ? dfuFile.loadable
    : format === 'ihex'
      ? parseIntelHex(bytes)
      : format === 'srec'
        ? parseSrec(bytes)
        : rawBinaryImage(bytes, options.rawAddress ?? 0);
  const segments: ImageSegment[] = loadable.segments.map((s) => ({ address: s.address, size: s.data.length, sha256: sha256Hex(s.data) }));
  const imageSize = segments.reduce((sum, s) => sum + s.size, 0);
  // Each key is still read, so a broken key file is reported whatever the image is.
  const noSignature = (key: PublicKeyPem): ImageKeyCheck => {
    readPublicKey(key.name, key.pem);
    return { key: key.name, verdict: 'no-signature-for-key', detail: 'only MCUboot images carry signatures' };
  };
  return {
    fileName,
    format,
    fileSize: bytes.length,
    version: null,
    headerSize: 0,
    imageSize,
    loadAddress: null,
    flags: null,
    flagNames: [],
    sha256: sha256Hex(bytes),
    hashOk: null,
    hashes: [],
    tlvs: [],
    securityCounter: null,
    segments,
    startAddress: loadable.startAddress ?? null,
    keys: keys.map(noSignature),
    dfu: dfuFile?.dfu ?? null,
    warnings: [...loadableWarnings(loadable, format), ...slotWarning(imageSize, options.slotSize)],
  };
}

export function inspectImage(bytes: Uint8Array, options: InspectImageOptions = {}): ImageInspection {
  const fileName = options.fileName ?? '';
  const keys = options.keys ?? [];
  if (bytes.length === 0) throw imageError('inspect image', `${fileName || 'the file'} is empty`, 'Pick the image file the build produced.');
  const format = detectFormat(bytes, fileName);
  return format === 'mcuboot' ? inspectMcuboot(bytes, fileName, keys, options.slotSize) : inspectLoadable(bytes, format, fileName, keys, options);
}
