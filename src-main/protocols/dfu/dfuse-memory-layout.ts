// ST's DfuSe memory layout, which a DfuSe bootloader puts in each alternate setting's name
// (UM0424, AN3156; dfu-util reads it the same way):
//   @<name>/<address>/<count>*<size><multiplier><type>[,<count>*<size>…][/<address>/…]
// multiplier ' ' (bytes), 'B' (bytes), 'K' (KiB), 'M' (MiB); type 'a'..'g', a bit field less
// one: 1 readable, 2 erasable, 4 writable. A layout that is wrong here would send erases and
// writes to the wrong pages, so anything this cannot read exactly is refused with the column.
import { FieldbenchError } from '../../api/errors';
import type { DfuMemoryLayout, DfuMemoryRegion } from '../../api/schemas';

const STEP = 'read memory layout';
const ADDRESS_SPACE = 0x1_0000_0000;
const MULTIPLIERS: Record<string, number> = { ' ': 1, B: 1, K: 1024, M: 1024 * 1024 };

class LayoutScanner {
  private position = 0;

  constructor(private readonly text: string) {}

  get column(): number {
    return this.position + 1;
  }

  get done(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.position];
  }

  fail(expected: string): never {
    const found = this.done ? 'the end of the name' : `'${this.text[this.position]}'`;
    throw new FieldbenchError({
      code: 'device-error',
      message: `memory layout "${this.text}": at column ${this.column} expected ${expected}, found ${found}`,
      step: STEP,
      hint: 'The bootloader describes its memory in a way this reader does not understand; report the layout string with the device model.',
    });
  }

  failAt(column: number, message: string): never {
    throw new FieldbenchError({
      code: 'device-error',
      message: `memory layout "${this.text}": at column ${column} ${message}`,
      step: STEP,
      hint: 'The bootloader describes memory that cannot exist; report the layout string with the device model.',
    });
  }

  expect(char: string, expected: string): void {
    if (this.peek() !== char) this.fail(expected);
    this.position += 1;
  }

  /** Text up to (not including) `stop`, or the rest. */
  until(stop: string): string {
    const end = this.text.indexOf(stop, this.position);
    const taken = this.text.slice(this.position, end < 0 ? undefined : end);
    this.position += taken.length;
    return taken;
  }

  match(pattern: RegExp, expected: string): string {
    const found = pattern.exec(this.text.slice(this.position));
    if (!found || found.index !== 0) this.fail(expected);
    this.position += found[0].length;
    return found[0];
  }
}

function positive(scanner: LayoutScanner, digits: string, column: number, what: string): number {
  const value = Number.parseInt(digits, 10);
  if (value === 0) scanner.failAt(column, `${what} is 0`);
  return value;
}

/**
 * The memory layout in a DfuSe alternate setting's name; null when the name is not one (it
 * does not start with '@'). Throws a FieldbenchError naming the column for a malformed layout.
 */
export function parseDfuseMemoryLayout(name: string): DfuMemoryLayout | null {
  if (!name.startsWith('@')) return null;
  // Descriptors are often padded; trailing blanks and NULs are not part of the layout.
  const text = name.replace(/[\s\0]+$/u, '');
  const scanner = new LayoutScanner(text);
  scanner.expect('@', "'@'");
  const layoutName = scanner.until('/').trim();
  if (scanner.done) scanner.fail("'/' and a start address");
  const regions: DfuMemoryRegion[] = [];
  while (!scanner.done) {
    scanner.expect('/', "'/' before an address");
    let address = Number.parseInt(scanner.match(/^0[xX][0-9a-fA-F]{1,8}/u, "a hexadecimal address such as 0x08000000"), 16);
    scanner.expect('/', "'/' after the address");
    for (;;) {
      const countColumn = scanner.column;
      const pageCount = positive(scanner, scanner.match(/^\d{1,6}/u, 'a page count (decimal digits)'), countColumn, 'the page count');
      scanner.expect('*', "'*' between page count and page size");
      const sizeColumn = scanner.column;
      const size = positive(scanner, scanner.match(/^\d{1,6}/u, 'a page size (decimal digits)'), sizeColumn, 'the page size');
      let multiplier = 1;
      const next = scanner.peek();
      if (next !== undefined && next in MULTIPLIERS) {
        multiplier = MULTIPLIERS[next]!;
        scanner.match(/^./u, 'a multiplier');
      }
      const type = scanner.match(/^[a-g]/u, "a memory type letter 'a' to 'g' (after an optional multiplier ' ', 'B', 'K' or 'M')");
      const bits = type.charCodeAt(0) - 'a'.charCodeAt(0) + 1;
      const pageSize = size * multiplier;
      const bytes = pageCount * pageSize;
      if (address + bytes > ADDRESS_SPACE) {
        scanner.failAt(countColumn, `${pageCount} pages of ${pageSize} bytes from 0x${address.toString(16)} run past the 4 GiB address space`);
      }
      regions.push({ address, size: bytes, pageSize, pageCount, readable: (bits & 1) !== 0, erasable: (bits & 2) !== 0, writable: (bits & 4) !== 0 });
      address += bytes;
      if (scanner.peek() !== ',') break;
      scanner.expect(',', "','");
    }
    if (!scanner.done && scanner.peek() !== '/') scanner.fail("',' and another run of pages, '/' and another address, or the end");
  }
  const sorted = [...regions].sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const region = sorted[i]!;
    if (region.address < before.address + before.size) {
      throw new FieldbenchError({
        code: 'device-error',
        message: `memory layout "${text}": the pages at 0x${region.address.toString(16)} overlap those from 0x${before.address.toString(16)} to 0x${(before.address + before.size - 1).toString(16)}`,
        step: STEP,
        hint: 'The bootloader describes memory that cannot exist; report the layout string with the device model.',
      });
    }
  }
  return { name: layoutName, regions };
}

/** The region holding `address`, or undefined. */
export function regionAt(layout: DfuMemoryLayout, address: number): DfuMemoryRegion | undefined {
  return layout.regions.find((region) => address >= region.address && address < region.address + region.size);
}

/** "Internal Flash: 0x08000000–0x080fffff", for messages. */
export function describeLayout(layout: DfuMemoryLayout): string {
  const spans = layout.regions.map((r) => {
    const access = `${r.readable ? 'r' : '-'}${r.erasable ? 'e' : '-'}${r.writable ? 'w' : '-'}`;
    return `0x${r.address.toString(16).padStart(8, '0')}–0x${(r.address + r.size - 1).toString(16).padStart(8, '0')} ${access}`;
  });
  return `"${layout.name}" (${spans.join(', ')})`;
}
