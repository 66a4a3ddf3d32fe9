// Signs an image from createMcubootImage the way imgtool does, for tests that need signed
// images with keys made on the spot (RSA-3072, P-384, a second key of the same kind):
// the unprotected TLV area gains KEYHASH and the signature TLV after the hash.
import { constants, sign, type KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { TLV_HEADER_SIZE, TLV_INFO_MAGIC, TLV_INFO_SIZE, TlvType } from '../../src-main/firmware-images/mcuboot-format';
import { parseMcubootImage } from '../../src-main/firmware-images/mcuboot-image';
import { signatureSchemeFor } from '../../src-main/firmware-images/mcuboot-signatures';

function signatureOf(tlvType: number, region: Uint8Array, digest: Uint8Array, privateKey: KeyObject): Uint8Array {
  switch (tlvType) {
    case TlvType.ED25519:
      return sign(null, digest, privateKey);
    case TlvType.ECDSA_SIG:
      return sign(privateKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256', region, privateKey);
    default:
      return sign('sha256', region, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  }
}

export function signMcubootImage(unsigned: Uint8Array, privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  const image = parseMcubootImage(unsigned);
  const scheme = signatureSchemeFor(publicKey);
  if (typeof scheme === 'string') throw new Error(scheme);
  const digest = image.hashes[0]?.computed;
  if (!digest) throw new Error('the image has no hash TLV to sign');
  const unprotected = image.tlvs.filter((t) => !t.protected).map((t) => ({ type: t.type, value: t.value }));
  unprotected.push({ type: TlvType.KEYHASH, value: createHash('sha256').update(scheme.keyBytes).digest() });
  unprotected.push({ type: scheme.tlvType, value: signatureOf(scheme.tlvType, image.signedRegion, digest, privateKey) });
  const areaSize = TLV_INFO_SIZE + unprotected.reduce((sum, t) => sum + TLV_HEADER_SIZE + t.value.length, 0);
  const out = new Uint8Array(image.signedRegion.length + areaSize);
  const view = new DataView(out.buffer);
  out.set(image.signedRegion);
  let offset = image.signedRegion.length;
  view.setUint16(offset, TLV_INFO_MAGIC, true);
  view.setUint16(offset + 2, areaSize, true);
  offset += TLV_INFO_SIZE;
  for (const tlv of unprotected) {
    view.setUint16(offset, tlv.type, true);
    view.setUint16(offset + 2, tlv.value.length, true);
    out.set(tlv.value, offset + TLV_HEADER_SIZE);
    offset += TLV_HEADER_SIZE + tlv.value.length;
  }
  return out;
}
