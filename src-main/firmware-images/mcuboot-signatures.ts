// Judges an MCUboot image against one public key, in imgtool's words:
//   valid                 a signature TLV of the key's kind verifies with the key
//   bad-hash              the image's hash does not match its contents (so nothing is trusted)
//   no-signature-for-key  no signature TLV verifies with this key (unsigned, another
//                         algorithm, or signed with a different key)
// What each algorithm signs, as imgtool does it: ed25519 signs the image digest itself;
// ECDSA and RSA-PSS (SHA-256, 32-byte salt) sign header + body + protected TLV area.
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { imageError } from './image-error';
import { TlvType, tlvTypeName, type HashAlgorithm } from './mcuboot-format';
import type { McubootImage } from './mcuboot-image';

export type KeyVerdict = 'valid' | 'bad-hash' | 'no-signature-for-key';

export interface KeyCheck {
  key: string;
  verdict: KeyVerdict;
  /** Why, in a sentence. */
  detail: string;
}

export interface SignatureScheme {
  tlvType: number;
  /** The bytes imgtool hashes into the KEYHASH TLV and embeds in a PUBKEY TLV. */
  keyBytes: Uint8Array;
  verify(image: McubootImage, signature: Uint8Array): boolean;
}

const RSA_SALT_LENGTH = 32;

/** Reads a PEM public key (a private key is accepted too; its public half is used). */
export function readPublicKey(name: string, pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (error) {
    // OpenSSL's decoder message says nothing to a person; the cause keeps it for logs.
    const problem = imageError('read public key', `'${name}' is not a PEM public key`, "Pass the public half of the signing key, e.g. from 'imgtool getpub --encoding pem'.");
    problem.cause = error;
    throw problem;
  }
}

function safeVerify(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false; // a malformed signature is a signature that does not verify
  }
}

/** How MCUboot signs with this kind of key, or why it cannot. */
export function signatureSchemeFor(key: KeyObject): SignatureScheme | string {
  const spki = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return {
        tlvType: TlvType.ED25519,
        keyBytes: spki,
        // imgtool signs the digest, so the message is the image's own hash.
        verify: (image, signature) => {
          const digest = image.hashes[0]?.computed;
          return digest !== undefined && safeVerify(() => verify(null, digest, key, signature));
        },
      };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const hash: HashAlgorithm | undefined = curve === 'prime256v1' ? 'sha256' : curve === 'secp384r1' ? 'sha384' : undefined;
      if (!hash) return `MCUboot signs with ECDSA on P-256 or P-384, not on ${curve ?? 'this curve'}`;
      return {
        tlvType: TlvType.ECDSA_SIG,
        keyBytes: spki,
        verify: (image, signature) => safeVerify(() => verify(hash, image.signedRegion, key, signature)),
      };
    }
    case 'rsa':
    case 'rsa-pss': {
      const bits = key.asymmetricKeyDetails?.modulusLength;
      const tlvType = bits === 2048 ? TlvType.RSA2048_PSS : bits === 3072 ? TlvType.RSA3072_PSS : undefined;
      if (tlvType === undefined) return `MCUboot signs with RSA-2048 or RSA-3072, not RSA-${bits ?? '?'}`;
      return {
        tlvType,
        // imgtool hashes the PKCS#1 form of an RSA key, the SubjectPublicKeyInfo of the others.
        keyBytes: new Uint8Array(key.export({ type: 'pkcs1', format: 'der' })),
        verify: (image, signature) =>
          safeVerify(() =>
            verify('sha256', image.signedRegion, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: RSA_SALT_LENGTH }, signature),
          ),
      };
    }
    default:
      return `MCUboot does not sign with ${key.asymmetricKeyType ?? 'this kind of'} keys`;
  }
}

function hex(bytes: Uint8Array, length = 8): string {
  return Buffer.from(bytes).toString('hex').slice(0, length * 2);
}

/** Whether the image names a signing key (KEYHASH or PUBKEY TLV) other than this one. */
function otherKeyNamed(image: McubootImage, keyBytes: Uint8Array): string | null {
  for (const tlv of image.tlvs) {
    if (tlv.type === TlvType.KEYHASH) {
      const algorithm = tlv.length === 48 ? 'sha384' : tlv.length === 64 ? 'sha512' : 'sha256';
      const ours = createHash(algorithm).update(keyBytes).digest();
      if (!ours.equals(tlv.value)) return `the image names a different signing key (key hash ${hex(tlv.value)}…, this key's ${hex(ours)}…)`;
    }
    if (tlv.type === TlvType.PUBKEY && !Buffer.from(keyBytes).equals(tlv.value)) {
      return 'the image carries a different public key';
    }
  }
  return null;
}

function signatureKinds(image: McubootImage): string[] {
  const signatureTypes = new Set<number>([TlvType.RSA2048_PSS, TlvType.ECDSA224, TlvType.ECDSA_SIG, TlvType.RSA3072_PSS, TlvType.ED25519, TlvType.SIG_PURE]);
  return image.tlvs.filter((t) => signatureTypes.has(t.type)).map((t) => t.name);
}

export function checkKey(image: McubootImage, name: string, key: KeyObject): KeyCheck {
  const no = (detail: string): KeyCheck => ({ key: name, verdict: 'no-signature-for-key', detail });
  if (!image.hashOk) {
    const detail = image.hashes.length === 0 ? 'the image has no hash TLV, so no signature can be checked' : 'the image hash does not match its contents, so no signature can be trusted';
    return { key: name, verdict: 'bad-hash', detail };
  }
  const scheme = signatureSchemeFor(key);
  if (typeof scheme === 'string') return no(scheme);
  const candidates = image.tlvs.filter((t) => t.type === scheme.tlvType && !t.protected);
  const kind = tlvTypeName(scheme.tlvType);
  if (candidates.some((tlv) => scheme.verify(image, tlv.value))) {
    return { key: name, verdict: 'valid', detail: `the ${kind} signature verifies with this key` };
  }
  if (candidates.length === 0) {
    const present = signatureKinds(image);
    return no(present.length === 0 ? 'the image is not signed' : `the image has no ${kind} signature, only ${present.join(', ')}`);
  }
  return no(otherKeyNamed(image, scheme.keyBytes) ?? `the ${kind} signature does not verify with this key`);
}
