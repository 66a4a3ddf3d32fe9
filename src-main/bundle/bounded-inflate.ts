// Expanding one zip entry with a hard cap on its output. The compressed bytes are fed in
// small slices, so even at deflate's largest ratio (about 1000:1) one slice cannot produce
// more than a few megabytes before the count is checked: an entry whose directory claims a
// small size but whose data expands without end is stopped as soon as it passes the claim.
import { Inflate } from 'fflate';
import { DEFLATED, type ZipEntry } from './zip-directory';

const SLICE_BYTES = 16 * 1024;

export class InflateLimitError extends Error {}
export class InflateDataError extends Error {}

/** The entry's bytes, never longer than `cap`; throws InflateLimitError past it, InflateDataError on bad data. */
export function inflateEntry(zip: Uint8Array, entry: ZipEntry, cap: number): Uint8Array {
  const stored = zip.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  if (entry.method !== DEFLATED) {
    if (stored.length > cap) throw new InflateLimitError(`holds ${stored.length} bytes, more than ${cap}`);
    return stored;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > cap) throw new InflateLimitError(`expands past ${cap} bytes`);
    chunks.push(chunk);
    if (final) finished = true;
  });
  try {
    let at = 0;
    do {
      const end = Math.min(stored.length, at + SLICE_BYTES);
      inflater.push(stored.subarray(at, end), end === stored.length);
      at = end;
    } while (at < stored.length);
  } catch (error) {
    if (error instanceof InflateLimitError) throw error;
    throw new InflateDataError(`its compressed data is damaged (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!finished) throw new InflateDataError('its compressed data ends early');
  return join(chunks, total);
}

function join(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
