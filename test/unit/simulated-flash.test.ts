import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { CORTEX_M4_FLASH_TIMING, SimulatedFlash } from '../../src-main/virtual/sensor-node/simulated-flash';

const PAGE = 4096;

describe('simulated flash', () => {
  it('starts erased and reads back what was programmed', async () => {
    const flash = new SimulatedFlash({ size: 4 * PAGE, timeScale: 0 });
    expect(flash.isErased(0, flash.size)).toBe(true);
    await flash.program(10, new Uint8Array([1, 2, 3]));
    expect([...flash.read(9, 5)]).toEqual([0xff, 1, 2, 3, 0xff]);
    expect(flash.isErased(0, PAGE)).toBe(false);
    expect(flash.isErased(PAGE, PAGE)).toBe(true);
  });

  it('refuses to program over bytes that are not erased, as NOR flash does', async () => {
    const flash = new SimulatedFlash({ size: 2 * PAGE, timeScale: 0 });
    await flash.program(100, new Uint8Array([0x12]));
    const error = await flash.program(100, new Uint8Array([0x10])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FieldbenchError);
    expect((error as Error).message).toMatch(/not erased/);
    // Nothing of the refused write lands, not even the bytes before the bad one.
    await expect(flash.program(99, new Uint8Array([7, 7]))).rejects.toThrow(/0x64/);
    expect(flash.read(99, 1)[0]).toBe(0xff);
  });

  it('erases whole pages only, and the page can be programmed again afterwards', async () => {
    const flash = new SimulatedFlash({ size: 3 * PAGE, timeScale: 0 });
    await flash.program(PAGE + 5, new Uint8Array([0]));
    await expect(flash.erase(PAGE + 1, PAGE)).rejects.toThrow(/page-aligned/);
    await expect(flash.erase(PAGE, 100)).rejects.toThrow(/page-aligned/);
    await flash.erase(PAGE, PAGE);
    expect(flash.isErased(PAGE, PAGE)).toBe(true);
    await flash.program(PAGE + 5, new Uint8Array([1]));
    expect(flash.stats).toMatchObject({ pagesErased: 1, bytesProgrammed: 2 });
  });

  it('rejects operations outside the part and a size that is not whole pages', async () => {
    const flash = new SimulatedFlash({ size: PAGE, timeScale: 0 });
    expect(() => flash.read(PAGE - 1, 2)).toThrow(/outside/);
    await expect(flash.program(-1, new Uint8Array(1))).rejects.toThrow(/outside/);
    await expect(flash.erase(PAGE, PAGE)).rejects.toThrow(/outside/);
    expect(() => new SimulatedFlash({ size: PAGE + 1 })).toThrow(/whole number/);
    expect(() => new SimulatedFlash({ size: PAGE, timeScale: -1 })).toThrow(/timeScale/);
  });

  it('takes the datasheet time for erase and program, scaled by timeScale', async () => {
    // 4 pages erased (4 x 22 ms) and 16 KiB programmed (16384 x 10.2 µs = 167 ms): 255 ms real, 25.5 ms at 0.1.
    const flash = new SimulatedFlash({ size: 4 * PAGE, timeScale: 0.1 });
    const started = performance.now();
    await flash.erase(0, 4 * PAGE);
    for (let offset = 0; offset < 4 * PAGE; offset += 512) await flash.program(offset, new Uint8Array(512).fill(0));
    const elapsed = performance.now() - started;
    const expectedMs = 4 * CORTEX_M4_FLASH_TIMING.pageEraseMs + (4 * PAGE * CORTEX_M4_FLASH_TIMING.programUsPerByte) / 1000;
    expect(flash.stats.busyMs).toBeCloseTo(expectedMs, 3);
    expect(elapsed).toBeGreaterThanOrEqual(expectedMs * 0.1 - 2);
    expect(elapsed).toBeLessThan(expectedMs * 0.1 + 60);
  });

  it('keeps small writes from each costing a whole timer tick', async () => {
    // 2000 writes of 4 bytes: 81.6 ms of flash time; at scale 0.1 about 8 ms, not 2000 timer waits.
    const flash = new SimulatedFlash({ size: 2 * PAGE, timeScale: 0.1 });
    const started = performance.now();
    for (let i = 0; i < 2000; i++) await flash.program(i * 4, new Uint8Array(4).fill(0));
    expect(performance.now() - started).toBeLessThan(200);
  });
});
