// The MCUboot image layout, shared by the parser and the creator so they cannot drift:
//
//   header (ih_hdr_size bytes; the first 32 are fields, the rest padding)
//   body (ih_img_size bytes)
//   protected TLV area (ih_protect_tlv_size bytes, info magic 0x6908), optional
//   unprotected TLV area (info magic 0x6907)
//
// All fields are little-endian. A TLV info header is magic (u16) + total size including
// itself (u16); a TLV is type (u16) + length (u16) + value. The hash TLV covers header,
// body and protected TLV area; the signature covers that hash.

export const IMAGE_MAGIC = 0x96f3b83d;
/** The fixed header fields; ih_hdr_size counts these plus padding. */
export const HEADER_FIELDS_SIZE = 32;
export const TLV_INFO_MAGIC = 0x6907;
export const TLV_PROTECTED_INFO_MAGIC = 0x6908;
export const TLV_INFO_SIZE = 4;
export const TLV_HEADER_SIZE = 4;
/** imgtool fills the padded header with the erased-flash value. */
export const ERASED_BYTE = 0xff;

export const HeaderOffset = {
  magic: 0,
  loadAddress: 4,
  headerSize: 8,
  protectedTlvSize: 10,
  imageSize: 12,
  flags: 16,
  versionMajor: 20,
  versionMinor: 21,
  versionRevision: 22,
  versionBuild: 24,
} as const;

export const TlvType = {
  KEYHASH: 0x01,
  PUBKEY: 0x02,
  SHA256: 0x10,
  SHA384: 0x11,
  SHA512: 0x12,
  RSA2048_PSS: 0x20,
  ECDSA224: 0x21,
  ECDSA_SIG: 0x22,
  RSA3072_PSS: 0x23,
  ED25519: 0x24,
  SIG_PURE: 0x25,
  ENC_RSA2048: 0x30,
  ENC_KW: 0x31,
  ENC_EC256: 0x32,
  ENC_X25519: 0x33,
  ENC_X25519_SHA512: 0x34,
  DEPENDENCY: 0x40,
  SEC_CNT: 0x50,
  BOOT_RECORD: 0x60,
  DECOMP_SIZE: 0x70,
  DECOMP_SHA: 0x71,
  DECOMP_SIGNATURE: 0x72,
} as const;

const tlvNames = new Map<number, string>(Object.entries(TlvType).map(([name, type]) => [type, name]));

/** MCUboot's name for a TLV type, or its number for types this version does not know. */
export function tlvTypeName(type: number): string {
  return tlvNames.get(type) ?? `0x${type.toString(16).padStart(2, '0')}`;
}

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** The hash TLVs and the digest each holds. */
export const hashTlvAlgorithms = new Map<number, HashAlgorithm>([
  [TlvType.SHA256, 'sha256'],
  [TlvType.SHA384, 'sha384'],
  [TlvType.SHA512, 'sha512'],
]);

export const ImageFlag = {
  PIC: 0x1,
  ENCRYPTED_AES128: 0x4,
  ENCRYPTED_AES256: 0x8,
  NON_BOOTABLE: 0x10,
  RAM_LOAD: 0x20,
  ROM_FIXED: 0x100,
  COMPRESSED_LZMA1: 0x200,
  COMPRESSED_LZMA2: 0x400,
  COMPRESSED_ARM_THUMB: 0x800,
} as const;

/** Names of the flags set in ih_flags; unknown bits by their hex value. */
export function flagNames(flags: number): string[] {
  const names: string[] = [];
  let rest = flags >>> 0;
  for (const [name, bit] of Object.entries(ImageFlag)) {
    if (rest & bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  for (let bit = 1; rest !== 0 && bit !== 0; bit = (bit << 1) >>> 0) {
    if (rest & bit) {
      names.push(`0x${bit.toString(16)}`);
      rest = (rest & ~bit) >>> 0;
    }
  }
  return names;
}
