import { describe, expect, it } from 'vitest';
import { parseSrec, toSrec } from '../../src-main/firmware-images/srec';
import { assertEveryChangedDigitRejected } from '../helpers/changed-digit-property';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { readExpectations, readFixture, type SegmentsExpectation } from '../helpers/firmware-fixtures';
import { assertRoundTrip, describeSegments, plainSegments } from '../helpers/segment-arbitraries';

const text = (s: string) => new TextEncoder().encode(s);

const rejection = (input: string) => fieldbenchErrorFrom(() => parseSrec(text(input)));

describe('S-records made by srec_cat', () => {
  const cases = readExpectations<SegmentsExpectation>('ihex').filter((e) => e.format === 'srec');

  it.each(cases.map((e) => [e.file, e] as const))('%s: segments as srecord lists them', (file, expected) => {
    const read = parseSrec(readFixture('ihex', file));
    expect(describeSegments(read.segments)).toEqual(expected.segments);
    // srec_cat writes no end record when there is no start address.
    expect(read.startAddress).toBeUndefined();
  });

  it('holds the bytes of the binary it was made from', () => {
    expect(plainSegments(parseSrec(readFixture('ihex', 'stm32-a.srec')).segments)).toEqual(plainSegments([{ address: 0x08000000, data: readFixture('ihex', 'part-a.bin') }]));
  });
});

describe('S-record round trip', () => {
  it('reads back what it writes, for any set of segments and start address', () => {
    assertRoundTrip(toSrec, parseSrec);
  });


  it('uses the shortest address field that reaches every byte', () => {
    const types = (address: number) => new Set(toSrec([{ address, data: new Uint8Array(4) }]).split('\n').filter(Boolean).map((l) => l.slice(0, 2)));
    expect(types(0xfff0)).toEqual(new Set(['S0', 'S1', 'S5']));
    expect(types(0x10000)).toEqual(new Set(['S0', 'S2', 'S5']));
    expect(types(0x1000000)).toEqual(new Set(['S0', 'S3', 'S5']));
  });
});

describe('malformed S-records', () => {
  const good = toSrec([{ address: 0x08000000, data: Uint8Array.from({ length: 100 }, (_, i) => i) }], 0x08000000);
  const lines = good.trimEnd().split('\n');

  it.each([
    ['bad checksum', 'S1070000010203046F', /line 1: bad checksum 0x6F, the record's bytes need 0xEE/],
    ['reserved S4', 'S4070000010203046E', /line 1: record type S4 is reserved/],
    ['not a record', 'X1070000010203046E', /line 1: a record starts with S0 to S9/],
    ['odd number of digits', 'S107000001020304E', /line 1: odd number of hex digits/],
    ['a non-hex digit', 'S10700000102030ZEE', /line 1: 'Z' at column 16 is not a hex digit/],
    ['count disagrees with the bytes', 'S1080000010203046E', /line 1: the record says 8 bytes follow, but 7 do/],
    ['count record disagrees', 'S107000001020304EE\nS5030002FA', /line 2: the count record says 2 data records, but the file has 1/],
    ['a record after the end', 'S9030000FC\nS107000001020304EE', /line 2: a record after the end record on line 1/],
    ['overlapping data', 'S107000001020304EE\nS107000201020304EC', /line 2 writes 0x00000002, which line 1 already wrote/],
    ['data past 32 bits', 'S308FFFFFFFE010203F6', /line 1: 3 bytes at 4294967294 do not fit 32-bit addresses/],
  ])('%s', (_what, input, reason) => {
    const error = rejection(input);
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(reason);
  });

  it('rejects any single changed hex digit, naming its line', () => {
    assertEveryChangedDigitRejected(lines, 2, (changed) => parseSrec(text(changed)));
  });


  it('rejects the file cut inside any record, naming its line', () => {
    let start = 0;
    lines.forEach((line, index) => {
      for (let cut = 1; cut < line.length; cut++) {
        expect(rejection(good.slice(0, start + cut)).message).toMatch(new RegExp(`^line ${index + 1}: `));
      }
      start += line.length + 1;
    });
  });
});
