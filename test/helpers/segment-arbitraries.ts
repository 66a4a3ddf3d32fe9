// Random segment sets for the HEX and S-record round trips: non-overlapping runs inside
// 32-bit space, handed to the writer in any order, and the sorted, merged form a reader
// must give back; and the round trip itself.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { LoadableImage, Segment } from '../../src-main/firmware-images/segments';

export interface SegmentCase {
  /** In the order given to the writer. */
  input: Segment[];
  /** What reading the written file must give: sorted, touching runs joined. */
  merged: Segment[];
}

export const segmentCases: fc.Arbitrary<SegmentCase> = fc
  .record({
    base: fc.oneof(fc.integer({ min: 0, max: 0x20000 }), fc.integer({ min: 0, max: 0xfff00000 })),
    runs: fc.array(fc.record({ gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0x30000 })), data: fc.uint8Array({ minLength: 1, maxLength: 200 }) }), { maxLength: 6 }),
    order: fc.array(fc.nat()),
  })
  .map(({ base, runs, order }) => {
    const sorted: Segment[] = [];
    let address = base;
    for (const run of runs) {
      address += run.gap;
      if (address + run.data.length > 0x1_0000_0000) break;
      sorted.push({ address, data: run.data });
      address += run.data.length;
    }
    const merged: Segment[] = [];
    for (const segment of sorted) {
      const last = merged.at(-1);
      if (last && last.address + last.data.length === segment.address) last.data = Uint8Array.from([...last.data, ...segment.data]);
      else merged.push({ address: segment.address, data: segment.data.slice() });
    }
    const input = sorted.slice();
    order.forEach((n, i) => {
      const j = n % Math.max(1, input.length);
      const k = i % Math.max(1, input.length);
      [input[j], input[k]] = [input[k]!, input[j]!];
    });
    return { input: input.filter(Boolean), merged };
  });

/** Segments as expected.json lists them. */
export function describeSegments(segments: Segment[]): { address: number; size: number; sha256: string }[] {
  return segments.map((s) => ({ address: s.address, size: s.data.length, sha256: createHash('sha256').update(s.data).digest('hex') }));
}

/** Segments compared by address and bytes, whatever Uint8Array views hold them. */
export function plainSegments(segments: Segment[]): { address: number; data: string }[] {
  return segments.map((s) => ({ address: s.address, data: Buffer.from(s.data).toString('hex') }));
}

/** A writer and its reader agree: any segments and start address come back, sorted and merged. */
export function assertRoundTrip(write: (segments: Segment[], startAddress?: number) => string, read: (bytes: Uint8Array) => LoadableImage): void {
  fc.assert(
    fc.property(segmentCases, fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }), ({ input, merged }, start) => {
      const back = read(new TextEncoder().encode(write(input, start)));
      expect(plainSegments(back.segments)).toEqual(plainSegments(merged));
      expect(back.startAddress).toBe(start);
    }),
    { numRuns: 300 },
  );
}
