// How much image data one upload request can carry. The request, as the device holds it,
// must fit the buffer it reports (MCUmgr parameters `buf_size`):
//
//   P(d)   = 8 + M + h(d) + d        SMP packet for d data bytes: header, the CBOR map with
//                                    an empty `data` (M bytes), the extra bytes the data's
//                                    length head needs (h = 0 below 24, 1 below 256, 2 below
//                                    65536), and the data itself
//   H(P)   = framing.bufferedSize(P) for serial: 2 + P + 2 (length field and CRC), because
//                                    Zephyr's serial transport and MCUboot serial recovery
//                                    decode each base64 line into the buffer as it arrives;
//                                    the framed text (F = B + 3 * ceil(B / C), about 4/3 of
//                                    that) is never held whole. For bare packets (BLE): H = P
//   chunk  = the largest d with H(P(d)) <= bufSize, at most what is left of the image
//
// M changes with the offset (a bigger `off` takes more bytes) and the first request also
// carries `len`, `sha` and `image`, so the size is worked out for every request.
import { encodeCbor } from '../cbor/cbor';
import type { SmpFraming } from './smp-framing';
import { SMP_HEADER_SIZE } from './smp-packet';
import { SMP_SERIAL_MAX_PACKET } from './smp-serial';

export interface UploadRequestFields {
  /** Image number; sent only in the first request, and only when given. */
  image?: number;
  off: number;
  /** Total image length; sent only in the first request. */
  len?: number;
  /** SHA-256 of the whole image; sent only in the first request. */
  sha?: Uint8Array;
}

/** The request body, in the key order Zephyr's own client uses. */
export function uploadRequestBody(fields: UploadRequestFields, data: Uint8Array): { [key: string]: Uint8Array | number | undefined } {
  return { image: fields.image, len: fields.len, off: fields.off, sha: fields.sha, data };
}

/** Bytes a CBOR byte-string head needs beyond its first byte, for `length` bytes of data. */
function extraHeadBytes(length: number): number {
  if (length < 24) return 0;
  if (length < 0x100) return 1;
  if (length < 0x10000) return 2;
  return 4;
}

/**
 * The largest number of data bytes (at most `remaining`) whose whole request fits `bufSize`
 * as the device holds it; 0 when not even one byte fits.
 */
export function largestUploadChunk(fields: UploadRequestFields, remaining: number, bufSize: number, framing: SmpFraming): number {
  const emptyBody = encodeCbor(uploadRequestBody(fields, new Uint8Array(0))).length;
  const packetSize = (data: number) => SMP_HEADER_SIZE + emptyBody + extraHeadBytes(data) + data;
  const fits = (data: number) => {
    const packet = packetSize(data);
    return packet <= SMP_SERIAL_MAX_PACKET && framing.bufferedSize(packet) <= bufSize;
  };
  // Sizes grow with the data, so the answer is the edge of a monotone predicate.
  let low = 0;
  let high = Math.max(0, Math.min(remaining, bufSize));
  if (fits(high)) return high;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return fits(low) ? low : 0;
}
