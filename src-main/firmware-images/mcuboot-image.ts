// Reads an MCUboot image: header, protected and unprotected TLV areas, and the hash check
// (recomputed over header + body + protected area, compared with each hash TLV). Every
// structural problem becomes an error naming the byte offset and what was expected there;
// signatures are judged separately, per key, in mcuboot-signatures.ts.
import { createHash } from 'node:crypto';
import { imageError, offsetText } from './image-error';
import {
  HEADER_FIELDS_SIZE,
  HeaderOffset,
  IMAGE_MAGIC,
  TLV_HEADER_SIZE,
  TLV_INFO_MAGIC,
  TLV_INFO_SIZE,
  TLV_PROTECTED_INFO_MAGIC,
  TlvType,
  hashTlvAlgorithms,
  tlvTypeName,
  type HashAlgorithm,
} from './mcuboot-format';
import type { McubootVersion } from './mcuboot-version';

export interface McubootHeader {
  loadAddress: number;
  headerSize: number;
  protectedTlvSize: number;
  imageSize: number;
  flags: number;
  version: McubootVersion;
}

export interface McubootTlv {
  type: number;
  name: string;
  length: number;
  protected: boolean;
  /** Where the value starts in the file. */
  offset: number;
  value: Uint8Array;
}

export interface McubootHashCheck {
  algorithm: HashAlgorithm;
  /** The digest the image carries. */
  expected: Uint8Array;
  /** The digest of header + body + protected TLV area as the file has them. */
  computed: Uint8Array;
  ok: boolean;
}

export interface McubootImage {
  header: McubootHeader;
  tlvs: McubootTlv[];
  hashes: McubootHashCheck[];
  /** True when the image has at least one hash TLV and every one matches. */
  hashOk: boolean;
  securityCounter: number | null;
  /** Header + body + protected TLV area: what the hash covers and RSA/ECDSA signatures sign. */
  signedRegion: Uint8Array;
  /** Bytes of header, body and both TLV areas; anything after is slot padding or trailer. */
  imageEnd: number;
}

const HEADER_STEP = 'read MCUboot header';
const TLV_STEP = 'read MCUboot TLV area';

export function hasMcubootMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === IMAGE_MAGIC;
}

function truncated(step: string, what: string, needed: number, length: number) {
  return imageError(step, `truncated: ${what} needs the file to reach byte ${offsetText(needed)}, but the file ends at ${offsetText(length)}`, 'The file was cut short (an interrupted download or copy); get the complete image again.');
}

function readHeader(bytes: Uint8Array, view: DataView): McubootHeader {
  if (!hasMcubootMagic(bytes)) {
    throw imageError(HEADER_STEP, `no MCUboot magic 0x${IMAGE_MAGIC.toString(16)} at offset 0`, 'This is not an MCUboot image; sign it with imgtool first.');
  }
  if (bytes.length < HEADER_FIELDS_SIZE) throw truncated(HEADER_STEP, 'the 32-byte header', HEADER_FIELDS_SIZE, bytes.length);
  const header: McubootHeader = {
    loadAddress: view.getUint32(HeaderOffset.loadAddress, true),
    headerSize: view.getUint16(HeaderOffset.headerSize, true),
    protectedTlvSize: view.getUint16(HeaderOffset.protectedTlvSize, true),
    imageSize: view.getUint32(HeaderOffset.imageSize, true),
    flags: view.getUint32(HeaderOffset.flags, true),
    version: {
      major: view.getUint8(HeaderOffset.versionMajor),
      minor: view.getUint8(HeaderOffset.versionMinor),
      revision: view.getUint16(HeaderOffset.versionRevision, true),
      build: view.getUint32(HeaderOffset.versionBuild, true),
    },
  };
  if (header.headerSize < HEADER_FIELDS_SIZE) {
    throw imageError(HEADER_STEP, `the header says it is ${header.headerSize} bytes long, less than its own ${HEADER_FIELDS_SIZE} bytes of fields`, 'The header is damaged; get the image again.');
  }
  const bodyEnd = header.headerSize + header.imageSize;
  if (bytes.length < bodyEnd) {
    throw imageError(
      HEADER_STEP,
      `truncated: the header says ${header.headerSize} bytes of header and ${header.imageSize} bytes of image (to byte ${offsetText(bodyEnd)}), but the file ends at ${offsetText(bytes.length)}`,
      'The file was cut short (an interrupted download or copy); get the complete image again.',
    );
  }
  return header;
}

/** One TLV area at `start`: its info header with the expected magic, then TLVs filling it exactly. */
function readTlvArea(bytes: Uint8Array, view: DataView, start: number, magic: number, isProtected: boolean): { tlvs: McubootTlv[]; end: number } {
  const area = isProtected ? 'protected TLV area' : 'TLV area';
  if (bytes.length < start + TLV_INFO_SIZE) throw truncated(TLV_STEP, `the ${area} header at ${offsetText(start)}`, start + TLV_INFO_SIZE, bytes.length);
  const found = view.getUint16(start, true);
  if (found !== magic) {
    throw imageError(TLV_STEP, `expected the ${area} magic 0x${magic.toString(16)} at offset ${offsetText(start)}, found 0x${found.toString(16).padStart(4, '0')}`, 'The header sizes do not match the file: the image is damaged or not an MCUboot image.');
  }
  const total = view.getUint16(start + 2, true);
  if (total < TLV_INFO_SIZE) {
    throw imageError(TLV_STEP, `the ${area} at ${offsetText(start)} says it is ${total} bytes long, less than its own 4-byte header`, 'The TLV area is damaged; get the image again.');
  }
  const end = start + total;
  if (bytes.length < end) throw truncated(TLV_STEP, `the ${total}-byte ${area} at ${offsetText(start)}`, end, bytes.length);
  const tlvs: McubootTlv[] = [];
  let offset = start + TLV_INFO_SIZE;
  while (offset < end) {
    if (offset + TLV_HEADER_SIZE > end) {
      throw imageError(TLV_STEP, `a TLV header at ${offsetText(offset)} runs past the end of the ${area} at ${offsetText(end)}`, 'The TLV area is damaged; get the image again.');
    }
    const type = view.getUint16(offset, true);
    const length = view.getUint16(offset + 2, true);
    const valueStart = offset + TLV_HEADER_SIZE;
    if (valueStart + length > end) {
      throw imageError(TLV_STEP, `TLV ${tlvTypeName(type)} at ${offsetText(offset)} says ${length} bytes, which runs past the end of the ${area} at ${offsetText(end)}`, 'The TLV area is damaged; get the image again.');
    }
    tlvs.push({ type, name: tlvTypeName(type), length, protected: isProtected, offset: valueStart, value: bytes.subarray(valueStart, valueStart + length) });
    offset = valueStart + length;
  }
  return { tlvs, end };
}

function checkHashes(tlvs: McubootTlv[], signedRegion: Uint8Array): McubootHashCheck[] {
  const checks: McubootHashCheck[] = [];
  for (const tlv of tlvs) {
    const algorithm = hashTlvAlgorithms.get(tlv.type);
    if (!algorithm) continue;
    const computed = new Uint8Array(createHash(algorithm).update(signedRegion).digest());
    checks.push({ algorithm, expected: tlv.value, computed, ok: Buffer.from(computed).equals(tlv.value) });
  }
  return checks;
}

function readSecurityCounter(tlvs: McubootTlv[]): number | null {
  const tlv = tlvs.find((t) => t.type === TlvType.SEC_CNT);
  if (!tlv) return null;
  if (tlv.length !== 4) {
    throw imageError(TLV_STEP, `the security counter TLV at ${offsetText(tlv.offset)} is ${tlv.length} bytes, not 4`, 'The TLV area is damaged; get the image again.');
  }
  return new DataView(tlv.value.buffer, tlv.value.byteOffset, 4).getUint32(0, true);
}

export function parseMcubootImage(bytes: Uint8Array): McubootImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(bytes, view);
  let offset = header.headerSize + header.imageSize;
  const tlvs: McubootTlv[] = [];
  if (header.protectedTlvSize > 0) {
    const area = readTlvArea(bytes, view, offset, TLV_PROTECTED_INFO_MAGIC, true);
    if (area.end - offset !== header.protectedTlvSize) {
      throw imageError(TLV_STEP, `the header says the protected TLV area is ${header.protectedTlvSize} bytes, but the area at ${offsetText(offset)} says ${area.end - offset}`, 'The image is damaged; get it again.');
    }
    tlvs.push(...area.tlvs);
    offset = area.end;
  }
  const signedRegion = bytes.subarray(0, offset);
  const unprotected = readTlvArea(bytes, view, offset, TLV_INFO_MAGIC, false);
  tlvs.push(...unprotected.tlvs);
  const hashes = checkHashes(tlvs, signedRegion);
  return {
    header,
    tlvs,
    hashes,
    hashOk: hashes.length > 0 && hashes.every((h) => h.ok),
    securityCounter: readSecurityCounter(tlvs),
    signedRegion,
    imageEnd: unprotected.end,
  };
}
