// For text record formats (Intel HEX, S-record): changing any one hex digit of any record
// must be refused with an error naming that record's line, since a checksum covers it all.
import fc from 'fast-check';
import { expect } from 'vitest';
import { fieldbenchErrorFrom } from './fieldbench-error-from';

/** `firstDigit`: the column where a record's hex digits start (after ':' or 'Sn'). */
export function assertEveryChangedDigitRejected(lines: string[], firstDigit: number, parse: (text: string) => unknown): void {
  fc.assert(
    fc.property(fc.nat(lines.length - 1), fc.nat(), fc.integer({ min: 1, max: 15 }), (lineIndex, column, delta) => {
      const line = lines[lineIndex]!;
      const at = firstDigit + (column % (line.length - firstDigit));
      const digit = (parseInt(line[at]!, 16) + delta) % 16;
      const changed = lines.slice();
      changed[lineIndex] = `${line.slice(0, at)}${digit.toString(16).toUpperCase()}${line.slice(at + 1)}`;
      expect(fieldbenchErrorFrom(() => parse(changed.join('\n'))).message).toMatch(new RegExp(`^line ${lineIndex + 1}: `));
    }),
    { numRuns: 300 },
  );
}
