// What a DfuSe flash erases and writes, decided before the device is touched: exactly the
// pages the elements cover, or a mass erase, and a refusal naming the element and the layout
// for anything outside memory the bootloader can write and erase.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DfuMemoryLayout } from '../../src-main/api/schemas';
import { parseDfuseMemoryLayout } from '../../src-main/protocols/dfu/dfuse-memory-layout';
import { planDfuseFlash } from '../../src-main/protocols/dfu/dfuse-plan';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';

const F4 = parseDfuseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg')!;
const KiB = 1024;
const bytes = (length: number): Uint8Array => new Uint8Array(length).fill(0xa5);

describe('planDfuseFlash', () => {
  it('erases the pages two elements cover, each page once, in address order', () => {
    const plan = planDfuseFlash(
      [
        { address: 0x08010000 + 100, data: bytes(70 * KiB) },
        { address: 0x08000000, data: bytes(20 * KiB) },
        { address: 0x08005000, data: bytes(100) },
      ],
      F4,
      { massErase: false },
    );
    expect(plan.pages).toEqual([
      { address: 0x08000000, size: 16 * KiB },
      { address: 0x08004000, size: 16 * KiB },
      { address: 0x08010000, size: 64 * KiB },
      { address: 0x08020000, size: 128 * KiB },
    ]);
    expect(plan.eraseBytes).toBe((16 + 16 + 64 + 128) * KiB);
    expect(plan.writeBytes).toBe(20 * KiB + 100 + 70 * KiB);
    expect(plan.massErase).toBe(false);
  });

  it('erases no page one by one with a mass erase', () => {
    const plan = planDfuseFlash([{ address: 0x08000000, data: bytes(KiB) }], F4, { massErase: true });
    expect(plan).toEqual({ pages: [], massErase: true, eraseBytes: 0, writeBytes: KiB });
  });

  it('refuses an element that runs past the end of flash, naming its range and the layout', () => {
    const error = fieldbenchErrorFrom(() => planDfuseFlash([{ address: 0x080f0000, data: bytes(128 * KiB) }], F4, { massErase: false }));
    expect(error.code).toBe('invalid-request');
    expect(error.step).toBe('check image against memory layout');
    expect(error.message).toContain('0x080f0000–0x0810ffff');
    expect(error.message).toContain('"Internal Flash"');
    expect(error.message).toContain('0x08100000 is outside it');
  });

  it('refuses an element in memory that is not writable, or not erasable without a mass erase', () => {
    const layout = parseDfuseMemoryLayout('@Mixed/0x08000000/1*16Ka,1*16Kd,1*16Kg')!;
    expect(fieldbenchErrorFrom(() => planDfuseFlash([{ address: 0x08000000, data: bytes(4) }], layout, { massErase: true })).message).toContain('not writable');
    expect(fieldbenchErrorFrom(() => planDfuseFlash([{ address: 0x08004000, data: bytes(4) }], layout, { massErase: false })).message).toContain('not erasable');
    expect(planDfuseFlash([{ address: 0x08004000, data: bytes(4) }], layout, { massErase: true }).writeBytes).toBe(4);
    expect(planDfuseFlash([{ address: 0x08008000, data: bytes(4) }], layout, { massErase: false }).pages).toEqual([{ address: 0x08008000, size: 16 * KiB }]);
  });

  it('refuses overlapping elements', () => {
    const error = fieldbenchErrorFrom(() => planDfuseFlash([{ address: 0x08000000, data: bytes(100) }, { address: 0x08000010, data: bytes(4) }], F4, { massErase: false }));
    expect(error.message).toContain('overlap');
  });

  it('any element set: every byte written lies in an erased page, every erased page holds a written byte, or the plan is refused', () => {
    const layout: DfuMemoryLayout = parseDfuseMemoryLayout('@F/0x08000000/8*1Kg,4*4Kg,2*8Ka/0x08020000/16*2Kg')!;
    const elements = fc.array(fc.record({ address: fc.integer({ min: 0x07fff000, max: 0x08030000 }), length: fc.integer({ min: 1, max: 12 * KiB }) }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(elements, (list) => {
        const input = list.map(({ address, length }) => ({ address, data: bytes(length) }));
        let plan;
        try {
          plan = planDfuseFlash(input, layout, { massErase: false });
        } catch {
          const covered = (address: number): boolean => layout.regions.some((r) => r.erasable && r.writable && address >= r.address && address < r.address + r.size);
          const overlap = input.some((a, i) => input.some((b, j) => i < j && a.address < b.address + b.data.length && b.address < a.address + a.data.length));
          const outside = input.some(({ address, data }) => !Array.from({ length: data.length }, (_, k) => address + k).every(covered));
          expect(overlap || outside).toBe(true);
          return;
        }
        const inPage = (address: number): boolean => plan.pages.some((p) => address >= p.address && address < p.address + p.size);
        for (const { address, data } of input) for (let k = 0; k < data.length; k += 97) expect(inPage(address + k)).toBe(true);
        for (const page of plan.pages) expect(input.some(({ address, data }) => address < page.address + page.size && page.address < address + data.length)).toBe(true);
        expect(new Set(plan.pages.map((p) => p.address)).size).toBe(plan.pages.length);
      }),
      { numRuns: 300 },
    );
  });
});
