// Loadable data as Intel HEX, S-record and raw binaries describe it: runs of bytes at
// addresses, plus an optional entry point. Readers collect one chunk per record and merge
// them here, so both formats share one rule for order, overlap and contiguity.
import { imageError } from './image-error';

export interface Segment {
  address: number;
  data: Uint8Array;
}

export interface LoadableImage {
  /** Sorted by address, none overlapping, contiguous runs merged. */
  segments: Segment[];
  startAddress?: number;
}

/** Data from one record, remembered with its line so an overlap can name both lines. */
export interface DataChunk {
  address: number;
  data: Uint8Array;
  line: number;
}

/** Addresses are 32-bit in every format here. */
export const ADDRESS_LIMIT = 0x1_0000_0000;

export function hexAddress(address: number): string {
  return `0x${address.toString(16).padStart(8, '0')}`;
}

/** One run's bytes; a run read from a single record stays a view of the file. */
function concat(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts);
}

/**
 * Sorts chunks by address, refuses overlaps (naming both lines, or both segments when the
 * chunks did not come from a file) and joins runs that touch into one segment.
 */
export function mergeChunks(chunks: DataChunk[], step: string, where: (chunk: DataChunk) => string = (c) => `line ${c.line}`): Segment[] {
  const sorted = chunks.filter((c) => c.data.length > 0).sort((a, b) => a.address - b.address || a.line - b.line);
  const segments: Segment[] = [];
  let address = 0;
  let end = 0;
  let last: DataChunk | undefined;
  let parts: Uint8Array[] = [];
  const flush = () => {
    if (parts.length > 0) segments.push({ address, data: concat(parts) });
  };
  for (const chunk of sorted) {
    if (!Number.isInteger(chunk.address) || chunk.address < 0 || chunk.address + chunk.data.length > ADDRESS_LIMIT) {
      throw imageError(step, `${where(chunk)}: ${chunk.data.length} bytes at ${chunk.address} do not fit 32-bit addresses`, 'Addresses must lie from 0x00000000 to 0xffffffff.');
    }
    if (last && chunk.address < end) {
      throw imageError(
        step,
        `${where(chunk)} writes ${hexAddress(chunk.address)}, which ${where(last)} already wrote (it covers up to ${hexAddress(end - 1)})`,
        'Overlapping data would make what lands in flash depend on the order of writes; rebuild the file.',
      );
    }
    if (!last || chunk.address !== end) {
      flush();
      address = chunk.address;
      parts = [];
    }
    parts.push(chunk.data);
    end = chunk.address + chunk.data.length;
    last = chunk;
  }
  flush();
  return segments;
}

/** Segments as a writer receives them: checked for range and overlap, sorted and merged. */
export function normaliseSegments(segments: Segment[], step: string): Segment[] {
  return mergeChunks(
    segments.map((segment, index) => ({ ...segment, line: index })),
    step,
    (chunk) => `segment ${chunk.line}`,
  );
}

export function checkStartAddress(startAddress: number | undefined, step: string): void {
  if (startAddress !== undefined && (!Number.isInteger(startAddress) || startAddress < 0 || startAddress >= ADDRESS_LIMIT)) {
    throw imageError(step, `start address ${startAddress} does not fit 32 bits`, 'Addresses must lie from 0x00000000 to 0xffffffff.');
  }
}
