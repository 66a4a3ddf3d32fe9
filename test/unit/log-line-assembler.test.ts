// Line assembly from a device's byte stream: the lines and their first-byte times depend on
// the bytes and when each arrived, never on how the port happened to cut them into chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureLineAssembler, type AssembledLine } from '../../src-main/core/logs/log-line-assembler';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Feeds `stream` cut at `cuts`; byte i arrived at time times[i] (the chunk's time is its first byte's). */
function assemble(stream: Uint8Array, cuts: number[], maxLineBytes?: number): { lines: AssembledLine[]; partial: AssembledLine | null } {
  const assembler = new CaptureLineAssembler(maxLineBytes);
  const lines: AssembledLine[] = [];
  const edges = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b), stream.length];
  for (let i = 0; i + 1 < edges.length; i++) {
    const chunk = stream.slice(edges[i], edges[i + 1]);
    // Time = the byte offset the chunk starts at: a line's time then names its first byte's chunk.
    for (const line of assembler.push(edges[i]!, chunk)) lines.push({ ...line, bytes: line.bytes.slice() });
  }
  return { lines, partial: assembler.flushPartial() };
}

/** Byte offsets where each line starts, by a plain reading of the stream. */
function modelLines(stream: Uint8Array, max: number): { text: Uint8Array; start: number; continuation: boolean }[] {
  const out: { text: Uint8Array; start: number; continuation: boolean }[] = [];
  let start = 0;
  let i = 0;
  const push = (from: number, to: number): void => {
    // Cut over-long lines into pieces of at most max bytes, each at a UTF-8 character start.
    let at = from;
    let continuation = false;
    while (to - at > max) {
      let cut = at + max;
      let back = cut;
      while (back > cut - 3 && (stream[back]! & 0xc0) === 0x80) back--;
      if ((stream[cut]! & 0xc0) === 0x80 && (stream[back]! & 0xc0) === 0xc0) cut = back;
      out.push({ text: stream.slice(at, cut), start: at, continuation });
      at = cut;
      continuation = true;
    }
    out.push({ text: stream.slice(at, to), start: at, continuation });
  };
  while (i < stream.length) {
    const b = stream[i]!;
    if (b === 0x0d || b === 0x0a) {
      push(start, i);
      if (b === 0x0d && stream[i + 1] === 0x0a) i++;
      start = i + 1;
    }
    i++;
  }
  if (start < stream.length) push(start, stream.length);
  return out;
}

const piece = fc.oneof(
  fc.constantFrom('\r', '\n', '\r\n', '\n\r', 'é', '€', '𝄞', '\u001b[31m', '\u0000'),
  fc.string({ minLength: 0, maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

describe('capture line assembler', () => {
  it('splits CR, LF and CRLF, also a CRLF split across chunks, as one line end', () => {
    const { lines, partial } = assemble(enc('a\rb\nc\r\nd\r'), [8]);
    expect(lines.map((l) => dec(l.bytes))).toEqual(['a', 'b', 'c', 'd']);
    const assembler = new CaptureLineAssembler();
    expect(assembler.push(1, enc('e\r')).map((l) => dec(l.bytes))).toEqual(['e']);
    expect(assembler.push(2, enc('\nf\n')).map((l) => dec(l.bytes))).toEqual(['f']);
    expect(partial).toBeNull();
  });

  it('keeps a UTF-8 character split across chunks whole, with the time of its first byte', () => {
    const assembler = new CaptureLineAssembler();
    const bytes = enc('€x\n');
    expect(assembler.push(10, bytes.slice(0, 1))).toEqual([]);
    expect(assembler.push(20, bytes.slice(1, 2))).toEqual([]);
    const [line] = assembler.push(30, bytes.slice(2));
    expect(dec(line!.bytes)).toBe('€x');
    expect(line!.time).toBe(10);
  });

  it('cuts an over-long line at a character start and carries on with a continuation', () => {
    const text = `${'a'.repeat(7)}€${'b'.repeat(10)}`;
    const { lines, partial } = assemble(enc(`${text}\n`), [3, 9], 8);
    expect(lines.map((l) => dec(l.bytes))).toEqual(['aaaaaaa', '€bbbbb', 'bbbbb']);
    expect(lines.map((l) => l.continuation)).toEqual([false, true, true]);
    expect(Buffer.concat(lines.map((l) => l.bytes)).toString()).toBe(text);
    expect(partial).toBeNull();
  });

  it('hands out a pending partial line, and the next bytes start a new line', () => {
    const assembler = new CaptureLineAssembler();
    assembler.push(5, enc('uart:~$ '));
    expect(assembler.pendingBytes).toBe(8);
    expect(assembler.partialSince).toBe(5);
    const partial = assembler.flushPartial();
    expect(dec(partial!.bytes)).toBe('uart:~$ ');
    expect(partial!.time).toBe(5);
    expect(assembler.flushPartial()).toBeNull();
    expect(assembler.push(6, enc('ok\n')).map((l) => [dec(l.bytes), l.time, l.continuation])).toEqual([['ok', 6, false]]);
  });

  it('never throws on empty or odd input', () => {
    const assembler = new CaptureLineAssembler(1);
    expect(assembler.push(0, new Uint8Array(0))).toEqual([]);
    expect(assembler.push(0, undefined as unknown as Uint8Array)).toEqual([]);
    expect(assembler.push(Number.NaN, new Uint8Array([0xff, 0xfe, 0x0a])).map((l) => [...l.bytes])).toEqual([[0xff, 0xfe]]);
  });

  it('gives the same lines and first-byte times for any split of the same stream', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(400), { maxLength: 30 }), fc.integer({ min: 4, max: 24 }), (parts, cuts, max) => {
        const stream = enc(parts.join(''));
        const whole = assemble(stream, [], max);
        const split = assemble(stream, cuts, max);
        const model = modelLines(stream, max);
        const all = (r: typeof whole): AssembledLine[] => [...r.lines, ...(r.partial ? [r.partial] : [])];
        expect(all(split).map((l) => [...l.bytes])).toEqual(model.map((m) => [...m.text]));
        expect(all(split).map((l) => l.continuation)).toEqual(model.map((m) => m.continuation));
        expect(all(whole).map((l) => [...l.bytes])).toEqual(all(split).map((l) => [...l.bytes]));
        // Each line is timed by the chunk its first byte came in (empty lines by their line end).
        const edges = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b)];
        const chunkStart = (offset: number): number => edges.filter((e) => e <= offset).pop() ?? 0;
        all(split).forEach((line, i) => expect(line.time).toBe(chunkStart(model[i]!.start)));
      }),
      { numRuns: 400 },
    );
  }, 60_000);
});
