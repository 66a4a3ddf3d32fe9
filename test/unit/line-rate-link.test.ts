// The line-rate emulation the virtual devices use: bytes reach the far end no sooner than a
// UART at the given baud would deliver them (baud / 10 bytes a second, 8N1), and a long
// transfer keeps that rate instead of losing a little at every timer.
import { describe, expect, it } from 'vitest';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';
import type { Link } from '../../src-main/transports/link';
import { LineRateLink } from '../../src-main/virtual/line-rate-link';

async function receiveAll(link: Link, count: number): Promise<{ firstAt: number; lastAt: number; bytes: number[] }> {
  const bytes: number[] = [];
  let firstAt = 0;
  let lastAt = 0;
  while (bytes.length < count) {
    const chunk = await link.read(2_000);
    if (chunk.length === 0) throw new Error(`only ${bytes.length} of ${count} bytes arrived`);
    if (bytes.length === 0) firstAt = performance.now();
    lastAt = performance.now();
    bytes.push(...chunk);
  }
  return { firstAt, lastAt, bytes };
}

describe('LineRateLink', () => {
  it('hands written bytes on only once they would have crossed the wire, at baud / 10 over a long write', async () => {
    const [near, far] = createMemoryLinkPair('near', 'far');
    const paced = new LineRateLink(near, 100_000); // 10 bytes a millisecond
    const data = Uint8Array.from({ length: 3_000 }, (_, i) => i & 0xff);
    const start = performance.now();
    const [, got] = await Promise.all([paced.write(data), receiveAll(far, data.length)]);
    expect(got.bytes).toEqual([...data]);
    // The first 4 ms slice (40 bytes) is on the wire for 4 ms before the far end has it.
    expect(got.firstAt - start).toBeGreaterThanOrEqual(3.9);
    // 300 ms of wire time: never sooner, and timer lateness does not pile up over 75 slices.
    expect(got.lastAt - start).toBeGreaterThanOrEqual(299.9);
    expect(got.lastAt - start).toBeLessThan(330);
    await paced.close();
  });

  it('keeps writes whole and in order when they overlap', async () => {
    const [near, far] = createMemoryLinkPair('near', 'far');
    const paced = new LineRateLink(near, 1_000_000);
    const a = new Uint8Array(900).fill(1);
    const b = new Uint8Array(900).fill(2);
    const [, , got] = await Promise.all([paced.write(a), paced.write(b), receiveAll(far, 1_800)]);
    expect(got.bytes).toEqual([...a, ...b]);
    await paced.close();
  });

  it('hands received bytes to the reader at the line rate', async () => {
    const [near, far] = createMemoryLinkPair('near', 'far');
    const paced = new LineRateLink(near, 100_000);
    const start = performance.now();
    await far.write(new Uint8Array(2_000).fill(7));
    const got = await receiveAll(paced, 2_000);
    expect(got.lastAt - start).toBeGreaterThanOrEqual(199.9);
    expect(got.lastAt - start).toBeLessThan(230);
    await paced.close();
  });
});
