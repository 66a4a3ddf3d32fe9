import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { crc16Xmodem } from '../../src-main/protocols/smp/crc16';
import {
  encodeSmpSerialFrames,
  SMP_SERIAL_MAX_PACKET,
  SmpSerialDecoder,
  smpSerialFramedSize,
  smpSerialFraming,
} from '../../src-main/protocols/smp/smp-serial';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The lines of an encoded packet, newline included. */
function linesOf(frames: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < frames.length; i++) {
    if (frames[i] === 0x0a) {
      lines.push(frames.subarray(start, i + 1));
      start = i + 1;
    }
  }
  expect(start).toBe(frames.length);
  return lines;
}

/**
 * Checks the shape Zephyr expects and returns the decoded raw bytes (length, packet, CRC).
 * Plain checks rather than one expect per line: this runs for every line length.
 */
function checkShape(frames: Uint8Array, lineLength: number): Uint8Array {
  const problems: string[] = [];
  const raw: Uint8Array[] = [];
  linesOf(frames).forEach((line, index) => {
    if (line.length > lineLength) problems.push(`line ${index} has ${line.length} bytes`);
    const marker = index === 0 ? [0x06, 0x09] : [0x04, 0x14];
    if (line[0] !== marker[0] || line[1] !== marker[1]) problems.push(`line ${index} has marker ${line[0]} ${line[1]}`);
    const text = String.fromCharCode(...line.subarray(2, -1));
    if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) problems.push(`line ${index} is not whole base64: ${text}`);
    raw.push(Uint8Array.from(Buffer.from(text, 'base64')));
  });
  expect(problems).toEqual([]);
  return concat(raw);
}

function decodeAll(stream: Uint8Array, cuts: number[] = []) {
  const decoder = new SmpSerialDecoder();
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  const packets: Uint8Array[] = [];
  const text: Uint8Array[] = [];
  const errors: string[] = [];
  let from = 0;
  for (const to of [...points, stream.length]) {
    const result = decoder.push(stream.subarray(from, to));
    packets.push(...result.packets);
    text.push(result.text);
    errors.push(...result.errors);
    from = to;
  }
  return { packets, text: concat(text), errors };
}

describe('SMP serial encoding', () => {
  test('length, packet and CRC, base64 behind the start marker, one line for a short packet', () => {
    const packet = Uint8Array.from([0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa0]);
    const frames = encodeSmpSerialFrames(packet);
    const raw = checkShape(frames, 127);
    expect(linesOf(frames)).toHaveLength(1);
    expect([...raw.subarray(0, 2)]).toEqual([0x00, packet.length + 2]);
    expect(raw.subarray(2, -2)).toEqual(packet);
    const crc = crc16Xmodem(packet);
    expect([...raw.subarray(-2)]).toEqual([crc >> 8, crc & 0xff]);
    expect(frames.length).toBe(smpSerialFramedSize(packet.length, 127));
  });

  test('every line length from 16 to 2048: lines fit, each decodes on its own, the packet comes back', { timeout: 60_000 }, () => {
    const sizes = [0, 1, 92, 93, 94, 1021];
    const packets = sizes.map((size) => Uint8Array.from({ length: size }, (_, i) => (i * 131 + size) & 0xff));
    const problems: string[] = [];
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
    for (let lineLength = 16; lineLength <= 2048; lineLength++) {
      for (const packet of packets) {
        const where = `line length ${lineLength}, packet of ${packet.length}`;
        const frames = encodeSmpSerialFrames(packet, { lineLength });
        if (!same(checkShape(frames, lineLength).subarray(2, -2), packet)) problems.push(`${where}: wrong bytes inside`);
        if (frames.length !== smpSerialFramedSize(packet.length, lineLength)) problems.push(`${where}: framed size disagrees`);
        const { packets: decoded, errors } = new SmpSerialDecoder().push(frames);
        if (errors.length > 0 || decoded.length !== 1 || !same(decoded[0]!, packet)) problems.push(`${where}: ${errors.join(', ') || 'not decoded'}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('line lengths too short to carry data, and packets too long for the length field, are refused', () => {
    for (const lineLength of [0, 6, 12.5, Number.NaN]) {
      expect(() => encodeSmpSerialFrames(new Uint8Array(1), { lineLength })).toThrow(FieldbenchError);
    }
    expect(encodeSmpSerialFrames(new Uint8Array(1), { lineLength: 7 }).length).toBe(smpSerialFramedSize(1, 7));
    expect(() => encodeSmpSerialFrames(new Uint8Array(SMP_SERIAL_MAX_PACKET + 1))).toThrow(/too long/);
    expect(decodeAll(encodeSmpSerialFrames(new Uint8Array(SMP_SERIAL_MAX_PACKET))).packets).toHaveLength(1);
  });

  test('the framing strategy agrees with the functions', () => {
    const framing = smpSerialFraming({ lineLength: 64 });
    const packet = new Uint8Array(200).fill(7);
    expect(framing.encode(packet)).toEqual(encodeSmpSerialFrames(packet, { lineLength: 64 }));
    expect(framing.framedSize(200)).toBe(framing.encode(packet).length);
    // The device buffer holds the decoded length field, packet and CRC, whatever the line length.
    expect(framing.bufferedSize(200)).toBe(204);
    expect(smpSerialFraming({ lineLength: 127 }).bufferedSize(200)).toBe(204);
    expect(framing.decoder().push(framing.encode(packet)).packets).toEqual([packet]);
    expect(framing.name).toContain('64');
  });
});

describe('SMP serial decoding on a line shared with a console', () => {
  test('text before, between and after frames comes back as text, even a prompt with no line ending', () => {
    const packet = new Uint8Array(150).fill(0x5a);
    const lines = linesOf(encodeSmpSerialFrames(packet));
    expect(lines.length).toBeGreaterThan(1);
    const stream = concat([bytes('boot banner\r\nuart:~$ '), lines[0]!, bytes('[00:01] log line\n'), ...lines.slice(1), bytes('uart:~$ ')]);
    const result = decodeAll(stream);
    expect(result.packets).toEqual([packet]);
    expect(new TextDecoder().decode(result.text)).toBe('boot banner\r\nuart:~$ [00:01] log line\nuart:~$ ');
    expect(result.errors).toEqual([]);
  });

  test('a lone 0x06 or 0x04 in the text is text, also when it ends one push', () => {
    const stream = concat([bytes('a'), Uint8Array.of(0x06), bytes('b'), Uint8Array.of(0x04, 0x04, 0x06, 0x06), encodeSmpSerialFrames(Uint8Array.of(1, 2, 3))]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const result = decodeAll(stream, [cut]);
      expect([...result.text]).toEqual([0x61, 0x06, 0x62, 0x04, 0x04, 0x06, 0x06]);
      expect(result.packets).toEqual([Uint8Array.of(1, 2, 3)]);
    }
  });

  test('a CRLF line ending is accepted', () => {
    const frames = encodeSmpSerialFrames(Uint8Array.of(9, 9, 9));
    const crlf = concat([frames.subarray(0, -1), Uint8Array.of(0x0d, 0x0a)]);
    expect(decodeAll(crlf).packets).toEqual([Uint8Array.of(9, 9, 9)]);
  });

  test.each([
    ['a bad CRC', (f: Uint8Array) => f.map((b, i) => (i === 4 ? (b === 0x41 ? 0x42 : 0x41) : b)), /CRC|base64/],
    ['bad base64', (f: Uint8Array) => f.map((b, i) => (i === 3 ? 0x2a : b)), /not valid base64/],
    ['a continuation with no start', (f: Uint8Array) => f.map((b, i) => (i === 0 ? 0x04 : i === 1 ? 0x14 : b)), /without a start/],
    ['a length that disagrees', (f: Uint8Array) => concat([Uint8Array.of(0x06, 0x09), bytes(Buffer.from(Uint8Array.of(0, 9, 1, 2, 3)).toString('base64')), f.subarray(-1)]), /more bytes|abandoned/],
    ['a length too small for the CRC', () => concat([Uint8Array.of(0x06, 0x09), bytes('AAE=\n')]), /too few/],
    ['an empty frame', () => Uint8Array.of(0x06, 0x09, 0x0a), /not valid base64/],
    ['a non-canonical base64 padding', () => concat([Uint8Array.of(0x06, 0x09), bytes('AAB=\n')]), /not canonical/],
  ])('%s is reported, and the next good frame still decodes', (_name, corrupt, words) => {
    const good = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const stream = concat([corrupt(encodeSmpSerialFrames(Uint8Array.of(9, 8, 7, 6))), bytes('text\n'), encodeSmpSerialFrames(good)]);
    const result = decodeAll(stream);
    expect(result.packets).toEqual([good]);
    expect(result.errors.join(' ')).toMatch(words);
  });

  test('a packet abandoned by a new start, and a line cut by a marker, are reported', () => {
    const long = linesOf(encodeSmpSerialFrames(new Uint8Array(300).fill(3)));
    const good = encodeSmpSerialFrames(Uint8Array.of(5));
    const abandoned = decodeAll(concat([long[0]!, good]));
    expect(abandoned.packets).toEqual([Uint8Array.of(5)]);
    expect(abandoned.errors.join(' ')).toMatch(/abandoned after/);
    const cut = decodeAll(concat([long[0]!.subarray(0, 20), good]));
    expect(cut.packets).toEqual([Uint8Array.of(5)]);
    expect(cut.errors.join(' ')).toMatch(/cut short/);
  });

  test('an endless frame line is dropped without growing without bound', () => {
    const decoder = new SmpSerialDecoder();
    decoder.push(Uint8Array.of(0x06, 0x09));
    for (let i = 0; i < 100; i++) decoder.push(new Uint8Array(1000).fill(0x41));
    const result = decoder.push(concat([bytes('\n'), encodeSmpSerialFrames(Uint8Array.of(1))]));
    expect(result.errors.join(' ')).toMatch(/without a newline/);
    expect(result.packets).toEqual([Uint8Array.of(1)]);
  });
});

/** Console text with no frame marker pair in it (the one thing that cannot be text). */
const consoleText = fc.uint8Array({ maxLength: 40 }).map((data) => data.map((b) => (b === 0x06 || b === 0x04 ? 0x2e : b)));

describe('SMP serial properties', () => {
  test('any packets, any line length, any chunking, interleaved with console text: round trip', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 16, max: 2048 }),
        fc.infiniteStream(consoleText),
        fc.array(fc.nat(), { maxLength: 12 }),
        (packets, lineLength, texts, cuts) => {
          const parts: Uint8Array[] = [];
          const expectedText: Uint8Array[] = [];
          const addText = () => {
            const text = texts.next().value as Uint8Array;
            parts.push(text);
            expectedText.push(text);
          };
          for (const packet of packets) {
            addText();
            for (const line of linesOf(encodeSmpSerialFrames(packet, { lineLength }))) {
              parts.push(line);
              addText();
            }
          }
          const result = decodeAll(concat(parts), cuts);
          expect(result.errors).toEqual([]);
          expect(result.packets).toEqual(packets);
          expect(result.text).toEqual(concat(expectedText));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a corrupted frame is never delivered, and the next good frame still is', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.integer({ min: 16, max: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (victim, next, lineLength, at, delta, cuts) => {
          const frames = encodeSmpSerialFrames(victim, { lineLength });
          const corrupted = frames.slice();
          const index = at % corrupted.length;
          corrupted[index] = (corrupted[index]! + delta) & 0xff;
          const good = encodeSmpSerialFrames(next, { lineLength });
          const result = decodeAll(concat([corrupted, good]), cuts);
          expect(result.packets).toEqual([next]);
          // Rejected with a reason, or (a broken marker) read as console text: never taken as a packet.
          expect(result.errors.length + result.text.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }), (chunks) => {
        const decoder = new SmpSerialDecoder();
        for (const chunk of chunks) decoder.push(chunk);
      }),
    );
  });
});
