// A raw binary carries no addresses: the whole file is one run of bytes, placed where the
// caller says (the flash base address, 0 unless told otherwise).
import type { LoadableImage } from './segments';

export function rawBinaryImage(bytes: Uint8Array, address = 0): LoadableImage {
  return { segments: [{ address, data: bytes }] };
}
