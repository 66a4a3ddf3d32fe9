import { describe, expect, it } from 'vitest';
import { parseIntelHex, toIntelHex } from '../../src-main/firmware-images/intel-hex';
import { assertEveryChangedDigitRejected } from '../helpers/changed-digit-property';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { readExpectations, readFixture, type SegmentsExpectation } from '../helpers/firmware-fixtures';
import { assertRoundTrip, describeSegments, plainSegments } from '../helpers/segment-arbitraries';

const text = (s: string) => new TextEncoder().encode(s);

const rejection = (input: string) => fieldbenchErrorFrom(() => parseIntelHex(text(input)));

describe('Intel HEX made by srec_cat', () => {
  const cases = readExpectations<SegmentsExpectation>('ihex').filter((e) => e.format === 'ihex');

  it.each(cases.map((e) => [e.file, e] as const))('%s: segments as srecord lists them', (file, expected) => {
    expect(describeSegments(parseIntelHex(readFixture('ihex', file)).segments)).toEqual(expected.segments);
  });

  it('holds the bytes of the binaries it was made from', () => {
    const { segments } = parseIntelHex(readFixture('ihex', 'two-segments.hex'));
    expect(plainSegments(segments)).toEqual(
      plainSegments([
        { address: 0x08000000, data: readFixture('ihex', 'part-a.bin') },
        { address: 0x08010000, data: readFixture('ihex', 'part-b.bin') },
      ]),
    );
  });
});

describe('Intel HEX round trip', () => {
  it('reads back what it writes, for any set of segments and start address', () => {
    assertRoundTrip(toIntelHex, parseIntelHex);
    expect(toIntelHex([{ address: 0xfff0, data: new Uint8Array(100) }]).split('\n').every((line) => line.length <= 11 + 64)).toBe(true);
  });


  it('reads CRLF line endings, lower-case digits, blank lines and the 02 and 03 records', () => {
    const file = [':020000021000EC', ':0400100001020304E2', '', ':0400000300100020C9', ':00000001ff'].join('\r\n');
    const read = parseIntelHex(text(file.toLowerCase()));
    expect(plainSegments(read.segments)).toEqual([{ address: 0x10010, data: '01020304' }]);
    expect(read.startAddress).toBe(0x0010 * 16 + 0x0020);
  });

  it('refuses overlapping segments when writing', () => {
    expect(() => toIntelHex([{ address: 0, data: new Uint8Array(4) }, { address: 2, data: new Uint8Array(4) }])).toThrow(/segment 1 writes 0x00000002, which segment 0 already wrote/);
  });
});

describe('malformed Intel HEX', () => {
  const good = toIntelHex([{ address: 0x08000000, data: Uint8Array.from({ length: 100 }, (_, i) => i) }]);
  const lines = good.trimEnd().split('\n');

  it.each([
    ['bad checksum', ':0400000001020304F1\n:00000001FF', /line 1: bad checksum 0xF1, the record's bytes need 0xF2/],
    ['unknown record type', ':0400000601020304EC\n:00000001FF', /line 1: unknown record type 0x06/],
    ['odd number of digits', ':0400000001020304F\n:00000001FF', /line 1: odd number of hex digits/],
    ['a non-hex digit', ':04000000010203G4F2\n:00000001FF', /line 1: 'G' at column 16 is not a hex digit/],
    ['no colon', '0400000001020304F2\n:00000001FF', /line 1: a record starts with ':'/],
    ['count disagrees with the bytes', ':0500000001020304F1\n:00000001FF', /line 1: the record says 5 data bytes, but holds 4/],
    ['wrong size of an 04 record', ':03000004010203F3\n:00000001FF', /line 1: a type 04 record holds 2 bytes, this one 3/],
    ['no end-of-file record', ':0400000001020304F2\n', /no end-of-file record/],
    ['a record after the end', ':00000001FF\n:0400000001020304F2', /line 2: a record after the end-of-file record on line 1/],
    ['overlapping data', ':0400000001020304F2\n\n:0400020001020304F0\n:00000001FF', /line 3 writes 0x00000002, which line 1 already wrote/],
  ])('%s', (_what, input, reason) => {
    const error = rejection(input);
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(reason);
  });

  it('rejects any single changed hex digit, naming its line', () => {
    assertEveryChangedDigitRejected(lines, 1, (changed) => parseIntelHex(text(changed)));
  });


  it('rejects the file cut at every length', () => {
    for (let length = 0; length < good.trimEnd().length - 1; length++) {
      expect(rejection(good.slice(0, length)).message).toMatch(/line \d+|no end-of-file record/);
    }
  });
});
