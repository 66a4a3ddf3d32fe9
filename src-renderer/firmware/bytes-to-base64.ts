// Firmware files cross the contract as base64. A multi-megabyte image converted in one go
// would freeze the page for a noticeable moment (and String.fromCharCode(...bytes) would
// overflow the argument limit), so the bytes are encoded in slices whose length is a
// multiple of three, each slice's base64 simply appended to the last, with a pause for
// the event loop between slices so the page keeps painting and taking clicks.

/** Bytes per slice: a multiple of 3, so slices join into one valid base64 text. */
export const BASE64_SLICE_BYTES = 3 * 64 * 1024;
/** Bytes per String.fromCharCode call, far below any engine's argument limit. */
const CHAR_CODE_BATCH = 0x2000;

/** Let the event loop run (paint, input) before the next slice. */
export type YieldToEventLoop = () => Promise<void>;

export const yieldToEventLoop: YieldToEventLoop = () => new Promise((resolve) => setTimeout(resolve, 0));

/** One slice to base64 through a latin-1 string, built in bounded batches. */
export function sliceToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; at += CHAR_CODE_BATCH) {
    parts.push(String.fromCharCode.apply(null, Array.from(bytes.subarray(at, at + CHAR_CODE_BATCH))));
  }
  return btoa(parts.join(''));
}

export interface Base64Options {
  sliceBytes?: number;
  yieldToEventLoop?: YieldToEventLoop;
  /** Told after each slice, for a "Reading file… n%" line. */
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}

export async function bytesToBase64(bytes: Uint8Array, options: Base64Options = {}): Promise<string> {
  const sliceBytes = options.sliceBytes ?? BASE64_SLICE_BYTES;
  if (sliceBytes <= 0 || sliceBytes % 3 !== 0) throw new RangeError(`slice size must be a positive multiple of 3, not ${sliceBytes}`);
  const pause = options.yieldToEventLoop ?? yieldToEventLoop;
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; at += sliceBytes) {
    if (at > 0) await pause();
    options.signal?.throwIfAborted();
    parts.push(sliceToBase64(bytes.subarray(at, at + sliceBytes)));
    options.onProgress?.(Math.min(bytes.length, at + sliceBytes), bytes.length);
  }
  return parts.join('');
}
