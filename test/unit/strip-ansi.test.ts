import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stripAnsi, toPrintableText } from '../../src-main/protocols/shell/strip-ansi';

describe('stripAnsi', () => {
  test.each([
    ['\u001b[1;32muart:~$ \u001b[m', 'uart:~$ '],
    ['\u001b[1;31mfoo: command not found\u001b[0m', 'foo: command not found'],
    ['abc\u001b[1D\u001b[K', 'abc'],
    ['\u001b[2J\u001b[H\u001b[?25lscreen', 'screen'],
    ['\u001b]0;title\u0007text', 'text'],
    ['\u001b]2;title\u001b\\text', 'text'],
    ['\u001b(Bcharset', 'charset'],
    ['\u001b7saved\u001b8', 'saved'],
    ['\u009b31mC1 CSI', 'C1 CSI'],
    ['\u001bPq#0;2;0;0;0\u001b\\after DCS', 'after DCS'],
    ['plain text, no escapes', 'plain text, no escapes'],
  ])('%j → %j', (input, expected) => {
    expect(stripAnsi(input)).toBe(expected);
  });

  test('drops a bare ESC left by a cut-off sequence, so nothing can form a new one', () => {
    expect(stripAnsi('\u001b\u001b[0m[0m')).toBe('[0m');
    expect(stripAnsi('tail\u001b')).toBe('tail');
  });

  test('keeps line breaks, tabs and non-ASCII text', () => {
    expect(stripAnsi('a\r\n\tb\u00e9\u4e2d\ufffd')).toBe('a\r\n\tb\u00e9\u4e2d\ufffd');
  });

  test('is idempotent and never throws on arbitrary strings', () => {
    const withEscapes = fc.array(
      fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.constantFrom('\u001b', '\u001b[', '\u001b]', '\u009b', '\u0007', '\u001b\\', 'm', ';', '1', '[', 'P'),
      ),
    ).map((parts) => parts.join(''));
    fc.assert(
      fc.property(withEscapes, (text) => {
        const once = stripAnsi(text);
        expect(stripAnsi(once)).toBe(once);
        expect(once).not.toMatch(/[\u001b\u009b]/);
        const printable = toPrintableText(text);
        expect(toPrintableText(printable)).toBe(printable);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('toPrintableText', () => {
  test('removes NULs, bells, backspaces and C1 controls, keeps CR, LF and tab', () => {
    expect(toPrintableText('a\u0000b\u0007c\u0008d\u0085e\r\n\tf')).toBe('abcde\r\n\tf');
  });
});
