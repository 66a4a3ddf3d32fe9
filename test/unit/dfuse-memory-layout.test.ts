// The DfuSe memory layout in an alternate setting's name: what ST's bootloaders really send
// (as dfu-util -l lists them), generated layouts through a small formatter and back, and junk
// refused with a FieldbenchError naming the column and never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { DfuMemoryRegion } from '../../src-main/api/schemas';
import { describeLayout, parseDfuseMemoryLayout, regionAt } from '../../src-main/protocols/dfu/dfuse-memory-layout';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';

const KiB = 1024;

function run(address: number, pageCount: number, pageSize: number, type: string): DfuMemoryRegion {
  const bits = type.charCodeAt(0) - 96;
  return { address, size: pageCount * pageSize, pageSize, pageCount, readable: (bits & 1) !== 0, erasable: (bits & 2) !== 0, writable: (bits & 4) !== 0 };
}

describe('real ST layouts', () => {
  it('reads the STM32F4 internal flash: sectors of three sizes', () => {
    const layout = parseDfuseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg');
    expect(layout).toEqual({
      name: 'Internal Flash',
      regions: [run(0x08000000, 4, 16 * KiB, 'g'), run(0x08010000, 1, 64 * KiB, 'g'), run(0x08020000, 7, 128 * KiB, 'g')],
    });
  });

  it('reads the STM32F4 OTP, option bytes and device feature alternates, with blank multipliers', () => {
    expect(parseDfuseMemoryLayout('@OTP Memory /0x1FFF7800/01*512 e,01*016 e')!.regions).toEqual([run(0x1fff7800, 1, 512, 'e'), run(0x1fff7a00, 1, 16, 'e')]);
    expect(parseDfuseMemoryLayout('@Option Bytes  /0x1FFFC000/01*016 e')).toEqual({ name: 'Option Bytes', regions: [run(0x1fffc000, 1, 16, 'e')] });
    expect(parseDfuseMemoryLayout('@Device Feature/0xFFFF0000/01*004 e')!.regions).toEqual([run(0xffff0000, 1, 4, 'e')]);
  });

  it('reads the STM32F1 connectivity line, STM32L4 and STM32H7 flash', () => {
    expect(parseDfuseMemoryLayout('@Internal Flash  /0x08000000/128*002Kg')!.regions).toEqual([run(0x08000000, 128, 2 * KiB, 'g')]);
    expect(parseDfuseMemoryLayout('@Internal Flash  /0x08000000/512*0002Kg')!.regions).toEqual([run(0x08000000, 512, 2 * KiB, 'g')]);
    expect(parseDfuseMemoryLayout('@Internal Flash   /0x08000000/16*128Kg')!.regions).toEqual([run(0x08000000, 16, 128 * KiB, 'g')]);
  });

  it('reads a layout with two addresses (STM32F42x option bytes of both banks)', () => {
    expect(parseDfuseMemoryLayout('@Option Bytes  /0x1FFFC000/01*016 e/0x1FFEC000/01*016 e')!.regions).toEqual([run(0x1fffc000, 1, 16, 'e'), run(0x1ffec000, 1, 16, 'e')]);
  });

  it('ignores the padding some bootloaders leave after the layout', () => {
    expect(parseDfuseMemoryLayout('@Internal Flash  /0x08000000/128*002Kg  \0\0')!.regions).toHaveLength(1);
  });

  it('takes every memory type letter as its three bits, and the M multiplier', () => {
    const layout = parseDfuseMemoryLayout('@All/0x00000000/1*1Ma,1*1Mb,1*1Mc,1*1Md,1*1Me,1*1Mf,1*1Mg')!;
    expect(layout.regions.map((r) => [r.readable, r.erasable, r.writable])).toEqual([
      [true, false, false],
      [false, true, false],
      [true, true, false],
      [false, false, true],
      [true, false, true],
      [false, true, true],
      [true, true, true],
    ]);
    expect(layout.regions[6]!.address).toBe(6 * 1024 * KiB);
  });

  it('finds the region holding an address and describes the layout', () => {
    const layout = parseDfuseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg')!;
    expect(regionAt(layout, 0x08010000)?.pageSize).toBe(64 * KiB);
    expect(regionAt(layout, 0x08100000)).toBeUndefined();
    expect(describeLayout(layout)).toContain('0x08000000–0x0800ffff rew');
  });
});

describe('names that are not layouts, and malformed layouts', () => {
  it('gives null for a name without @', () => {
    expect(parseDfuseMemoryLayout('DFU interface')).toBeNull();
    expect(parseDfuseMemoryLayout('')).toBeNull();
  });

  it.each([
    ['@Internal Flash', 'column 16', "'/' and a start address"],
    ['@Flash/08000000/1*2Kg', 'column 8', 'hexadecimal address'],
    ['@Flash/0x08000000/1*2K', 'column 23', 'memory type letter'],
    ['@Flash/0x08000000/1*2Kz', 'column 23', 'memory type letter'],
    ['@Flash/0x08000000/*2Kg', 'column 19', 'page count'],
    ['@Flash/0x08000000/1x2Kg', 'column 20', "'*'"],
    ['@Flash/0x08000000/1*2Kg;', 'column 24', "','"],
    ['@Flash/0x08000000/1*2Kg,', 'column 25', 'page count'],
  ])('refuses %s at the column where it goes wrong', (name, column, expected) => {
    const error = fieldbenchErrorFrom(() => parseDfuseMemoryLayout(name));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe('read memory layout');
    expect(error.message).toContain(column);
    expect(error.message).toContain(expected);
    expect(error.hint).toBeTruthy();
  });

  it('refuses a page count or page size of 0', () => {
    expect(fieldbenchErrorFrom(() => parseDfuseMemoryLayout('@F/0x08000000/0*2Kg')).message).toContain('page count is 0');
    expect(fieldbenchErrorFrom(() => parseDfuseMemoryLayout('@F/0x08000000/4*000Kg')).message).toContain('page size is 0');
  });

  it('refuses pages that run past 4 GiB', () => {
    expect(fieldbenchErrorFrom(() => parseDfuseMemoryLayout('@F/0xFFFF0000/2*64Kg')).message).toContain('4 GiB');
    expect(parseDfuseMemoryLayout('@F/0xFFFF0000/1*64Kg')!.regions[0]!.size).toBe(64 * KiB);
  });

  it('refuses overlapping regions', () => {
    const error = fieldbenchErrorFrom(() => parseDfuseMemoryLayout('@F/0x08000000/4*16Kg/0x08008000/1*16Kg'));
    expect(error.message).toContain('overlap');
  });
});

// ---------------------------------------------------------------- generated layouts

interface GeneratedRun {
  count: number;
  size: number;
  multiplier: ' ' | 'B' | 'K' | 'M';
  type: string;
}

const MULTIPLY = { ' ': 1, B: 1, K: KiB, M: KiB * KiB } as const;

/** Writes a layout the way ST's bootloaders do, zero-padding numbers as they often do. */
function formatLayout(name: string, blocks: { address: number; runs: GeneratedRun[] }[], pad: number): string {
  const number = (value: number): string => String(value).padStart(pad, '0');
  return `@${name}${blocks
    .map((block) => `/0x${block.address.toString(16).toUpperCase().padStart(8, '0')}/${block.runs.map((r) => `${number(r.count)}*${number(r.size)}${r.multiplier}${r.type}`).join(',')}`)
    .join('')}`;
}

const generatedRun: fc.Arbitrary<GeneratedRun> = fc.record({
  count: fc.integer({ min: 1, max: 512 }),
  size: fc.integer({ min: 1, max: 256 }),
  multiplier: fc.constantFrom(' ' as const, 'B' as const, 'K' as const),
  type: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'),
});

const generatedLayout = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,20}$/u).map((s) => s.trim()),
    base: fc.integer({ min: 0, max: 0x20000000 }),
    blocks: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 0x100000 }), runs: fc.array(generatedRun, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
    pad: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ name, base, blocks, pad }) => {
    let address = base;
    const placed: { address: number; runs: GeneratedRun[] }[] = [];
    const regions: DfuMemoryRegion[] = [];
    for (const block of blocks) {
      address += block.gap;
      placed.push({ address, runs: block.runs });
      for (const r of block.runs) {
        const pageSize = r.size * MULTIPLY[r.multiplier];
        regions.push(run(address, r.count, pageSize, r.type));
        address += r.count * pageSize;
      }
    }
    return { text: formatLayout(name, placed, pad), expected: { name, regions } };
  });

describe('properties', () => {
  it('a generated layout reads back as the regions it was made from', () => {
    fc.assert(
      fc.property(generatedLayout, ({ text, expected }) => {
        expect(parseDfuseMemoryLayout(text)).toEqual(expected);
      }),
    );
  });

  it('junk after @ either reads or is refused with a FieldbenchError, never anything else', () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.stringMatching(/^[@/0-9xXA-Fa-g*,KMB ]{0,60}$/u),
      generatedLayout.chain(({ text }) => fc.tuple(fc.nat({ max: text.length }), fc.string({ maxLength: 3 })).map(([at, insert]) => text.slice(0, at) + insert + text.slice(at + 1))),
    );
    fc.assert(
      fc.property(junk, (tail) => {
        const name = tail.startsWith('@') ? tail : `@${tail}`;
        try {
          const layout = parseDfuseMemoryLayout(name);
          expect(layout).not.toBeNull();
          for (const region of layout!.regions) expect(region.address + region.size).toBeLessThanOrEqual(0x1_0000_0000);
        } catch (error) {
          expect(error).toBeInstanceOf(FieldbenchError);
          expect((error as FieldbenchError).message).toMatch(/column \d+|overlap/u);
        }
      }),
      { numRuns: 500 },
    );
  });
});
