// UART log bytes into lines: every line ending, lines and characters cut across notifications
// at every point, a prompt with no newline, escapes stripped, other control bytes shown, and
// a runaway line cut at the cap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogLineAssembler, MAX_LOG_LINE_LENGTH, visibleText } from '../../src-main/core/ble/nus-log-lines';

const bytes = (text: string) => new TextEncoder().encode(text);
const T0 = new Date('2026-11-27T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const texts = (lines: { text: string }[]) => lines.map((line) => line.text);

describe('UART log lines', () => {
  it('ends a line at CRLF, LF or CR, and a CRLF split between two notifications ends only one', () => {
    const lines = new LogLineAssembler();
    expect(texts(lines.push(bytes('one\r\ntwo\nthree\rfour\r'), T0))).toEqual(['one', 'two', 'three', 'four']);
    expect(texts(lines.push(bytes('\nfive\r\n'), T0))).toEqual(['five']);
    expect(texts(lines.push(bytes('\r\n'), T0))).toEqual(['']);
  });

  it('keeps a partial line until its end arrives, stamped with the time its first bytes came', () => {
    const lines = new LogLineAssembler();
    expect(lines.push(bytes('[00:00:01.000,000] <inf> sen'), at(0))).toEqual([]);
    expect(lines.hasPartial).toBe(true);
    expect(lines.push(bytes('sor: temperature 21.50 C\r\n[00:00:02'), at(30))).toEqual([
      { at: at(0).toISOString(), text: '[00:00:01.000,000] <inf> sensor: temperature 21.50 C' },
    ]);
    expect(lines.push(bytes('.000,000] <inf> main: up\r\n'), at(60))).toEqual([{ at: at(30).toISOString(), text: '[00:00:02.000,000] <inf> main: up' }]);
    expect(lines.hasPartial).toBe(false);
  });

  it('gives a prompt without a newline when flushed, and starts afresh after it', () => {
    const lines = new LogLineAssembler();
    expect(lines.push(bytes('done\r\nuart:~$ '), T0).map((line) => line.text)).toEqual(['done']);
    expect(texts(lines.flushPartial())).toEqual(['uart:~$ ']);
    expect(lines.flushPartial()).toEqual([]);
    expect(texts(lines.push(bytes('next\n'), T0))).toEqual(['next']);
  });

  it('decodes a character split over two notifications, at every cut of every length of character', () => {
    const text = 'temp 21 °C — ok ✓ 🔋 done';
    const encoded = bytes(`${text}\n`);
    for (let cut = 0; cut <= encoded.length; cut += 1) {
      const lines = new LogLineAssembler();
      const got = [...lines.push(encoded.subarray(0, cut), T0), ...lines.push(encoded.subarray(cut), T0)];
      expect(texts(got), `cut at ${cut}`).toEqual([text]);
    }
  });

  it('gives the same lines however the bytes are cut into notifications', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }).map((line) => line.replace(/[\r\n\u0000-\u001f\u007f-\u009f]/g, '')), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
        (wanted, sizes) => {
          const encoded = bytes(wanted.map((line) => `${line}\r\n`).join(''));
          const lines = new LogLineAssembler();
          const got: string[] = [];
          for (let offset = 0, i = 0; offset < encoded.length; i += 1) {
            const size = sizes[i % sizes.length]!;
            got.push(...texts(lines.push(encoded.subarray(offset, offset + size), T0)));
            offset += size;
          }
          expect(got).toEqual(wanted);
        },
      ),
    );
  });

  it('strips colour escapes, even cut across notifications, and shows other control bytes', () => {
    const lines = new LogLineAssembler();
    lines.push(bytes('\u001b[1;3'), T0);
    expect(texts(lines.push(bytes('1merror: no sensor\u001b[0m\u0007 tab\there\u0000\u007f\u0085\r\n'), T0))).toEqual([
      'error: no sensor\u2407 tab\there\u2400\u2421\\x85',
    ]);
    expect(visibleText('bell \u0007, backspace \u0008, escape left over \u001b')).toBe('bell \u2407, backspace \u2408, escape left over ');
  });

  it('shows bytes that are not UTF-8 as replacement characters and keeps the rest of the line', () => {
    const lines = new LogLineAssembler();
    expect(texts(lines.push(Uint8Array.of(0x6f, 0x6b, 0xff, 0xfe, 0x21, 0x0a), T0))).toEqual(['ok\ufffd\ufffd!']);
  });

  it('cuts a line longer than the cap, marks it so, and drops the rest of it up to its end', () => {
    const lines = new LogLineAssembler();
    const long = 'x'.repeat(MAX_LOG_LINE_LENGTH + 100);
    const first = lines.push(bytes(long.slice(0, 3000)), T0);
    expect(first).toEqual([]);
    const cut = lines.push(bytes(`${long.slice(3000)}\nnext\n`), at(5));
    expect(cut).toHaveLength(2);
    expect(cut[0]!.text).toBe(`${'x'.repeat(MAX_LOG_LINE_LENGTH)} [line cut: longer than ${MAX_LOG_LINE_LENGTH} characters]`);
    expect(cut[0]!.at).toBe(T0.toISOString());
    expect(cut[1]!.text).toBe('next');
  });

  it('never cuts a character in two at the cap', () => {
    const lines = new LogLineAssembler(5);
    const [cut] = lines.push(bytes('abcd🔋efgh\n'), T0);
    expect(cut!.text).toBe('abcd [line cut: longer than 5 characters]');
  });

  it('at the end of the stream gives the pending line, with an unfinished character shown as such', () => {
    const lines = new LogLineAssembler();
    lines.push(Uint8Array.of(0x6f, 0x6b, 0x20, 0xe2, 0x82), T0);
    expect(texts(lines.finish(at(10)))).toEqual(['ok \ufffd']);
    // A fresh stream: nothing of the old one is left over.
    expect(texts(lines.push(bytes('\nagain\n'), at(20)))).toEqual(['', 'again']);
  });
});
