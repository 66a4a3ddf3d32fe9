// The console's line parser: real lines from Zephyr, ESP-IDF and syslog senders, colours,
// broken escapes, binary bursts and profile patterns, and the promise never to throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { toStyledSpans } from '../../src-main/core/logs/ansi-spans';
import { LogLineParser } from '../../src-main/core/logs/log-line-parser';

const parser = new LogLineParser();
const ESC = '\u001b';

describe('Zephyr lines', () => {
  it('reads level, uptime, module and message', () => {
    const line = parser.parse('[00:00:01.234,000] <inf> sensor_node: battery 3712 mV');
    expect(line).toMatchObject({
      level: 'info',
      format: 'zephyr',
      deviceTime: '00:00:01.234,000',
      module: 'sensor_node',
      message: 'battery 3712 mV',
      binary: false,
      truncated: false,
    });
  });

  it('maps each Zephyr level, coloured or not, with or without a timestamp', () => {
    expect(parser.parse(`[00:00:02.000,000] ${ESC}[1;31m<err> bt_hci_core: opcode 0x0c03 status 0x0c${ESC}[0m`)).toMatchObject({
      level: 'error',
      module: 'bt_hci_core',
      message: 'opcode 0x0c03 status 0x0c',
    });
    expect(parser.parse(`${ESC}[1;33m<wrn> net_if: iface 1 is down${ESC}[0m`)).toMatchObject({
      level: 'warn',
      deviceTime: null,
      module: 'net_if',
    });
    expect(parser.parse('[00012345] <dbg> app: main: tick')).toMatchObject({
      level: 'debug',
      deviceTime: '00012345',
      module: 'app',
      message: 'main: tick',
    });
  });
});

describe('ESP-IDF lines', () => {
  it('reads every level letter and the tag', () => {
    const levels = { E: 'error', W: 'warn', I: 'info', D: 'debug', V: 'trace' } as const;
    for (const [letter, level] of Object.entries(levels)) {
      expect(parser.parse(`${letter} (1234) wifi: sta connected`)).toMatchObject({
        level,
        format: 'esp-idf',
        deviceTime: '1234',
        module: 'wifi',
        message: 'sta connected',
      });
    }
  });

  it('reads a coloured line and a wall-clock timestamp', () => {
    const coloured = parser.parse(`${ESC}[0;31mE (5821) esp_image: image at 0x10000 has invalid magic byte${ESC}[0m`);
    expect(coloured).toMatchObject({ level: 'error', module: 'esp_image', deviceTime: '5821' });
    expect(coloured.spans).toEqual([{ text: 'E (5821) esp_image: image at 0x10000 has invalid magic byte', fg: 'red' }]);
    expect(parser.parse('I (12:34:56.789) boot: ESP-IDF v5.1 2nd stage bootloader')).toMatchObject({
      level: 'info',
      deviceTime: '12:34:56.789',
      module: 'boot',
    });
  });

  it('leaves ROM boot lines without a level', () => {
    expect(parser.parse('ets Jun  8 2016 00:22:57')).toMatchObject({ level: null, format: null, message: 'ets Jun  8 2016 00:22:57' });
  });
});

describe('syslog lines', () => {
  it('reads an RFC 3164 line: severity from PRI, timestamp, tag', () => {
    expect(parser.parse('<34>Oct 11 22:14:15 mymachine su[230]: \'su root\' failed for lonvick on /dev/pts/8')).toMatchObject({
      level: 'error',
      format: 'syslog',
      deviceTime: 'Oct 11 22:14:15',
      module: 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    expect(parser.parse('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!')).toMatchObject({ level: 'info', deviceTime: 'Feb  5 17:32:18' });
  });

  it('reads an embedded sender that leaves out timestamp and host', () => {
    expect(parser.parse('<12>modem: signal lost')).toMatchObject({ level: 'warn', deviceTime: null, module: 'modem', message: 'signal lost' });
    expect(parser.parse('<15>just text')).toMatchObject({ level: 'debug', module: null, message: 'just text' });
  });

  it('reads RFC 5424 lines with nil and structured data', () => {
    expect(
      parser.parse('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventID="1011"] An application event'),
    ).toMatchObject({
      level: 'info',
      deviceTime: '2003-10-11T22:14:15.003Z',
      module: 'evntslog',
      message: 'An application event',
    });
    expect(parser.parse('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeffsu root failed')).toMatchObject({
      level: 'error',
      module: 'su',
      message: 'su root failed',
    });
    expect(parser.parse('<31>1 - host - - - [a x="q\\"]"][b] ')).toMatchObject({ level: 'debug', deviceTime: null, module: null, message: '' });
  });

  it('refuses PRI values out of range or with leading zeros', () => {
    expect(parser.parse('<192>Oct 11 22:14:15 host app: x').level).toBeNull();
    expect(parser.parse('<013>app: x').level).toBeNull();
  });
});

describe('colours', () => {
  it('carries colours across spans and resets', () => {
    expect(toStyledSpans(`plain ${ESC}[31mred ${ESC}[1mbold red${ESC}[0m back`)).toEqual([
      { text: 'plain ' },
      { text: 'red ', fg: 'red' },
      { text: 'bold red', fg: 'red', bold: true },
      { text: ' back' },
    ]);
  });

  it('resets one attribute at a time and treats ESC[m as a full reset', () => {
    expect(toStyledSpans(`${ESC}[4;32;44mA${ESC}[24mB${ESC}[39mC${ESC}[49mD${ESC}[1;95mE${ESC}[22mF${ESC}[mG`)).toEqual([
      { text: 'A', fg: 'green', bg: 'blue', underline: true },
      { text: 'B', fg: 'green', bg: 'blue' },
      { text: 'C', bg: 'blue' },
      { text: 'D' },
      { text: 'E', fg: 'bright-magenta', bold: true },
      { text: 'F', fg: 'bright-magenta' },
      { text: 'G' },
    ]);
  });

  it('maps 256-colour and truecolor to the palette or hex, in both separator forms', () => {
    expect(toStyledSpans(`${ESC}[38;5;9ma${ESC}[38;5;196mb${ESC}[48;5;244mc${ESC}[0;38;2;255;128;0md${ESC}[38:2::1:2:3me${ESC}[38:5:21mf`)).toEqual([
      { text: 'a', fg: 'bright-red' },
      { text: 'b', fg: '#ff0000' },
      { text: 'c', fg: '#ff0000', bg: '#808080' },
      { text: 'd', fg: '#ff8000' },
      { text: 'e', fg: '#010203' },
      { text: 'f', fg: '#0000ff' },
    ]);
  });

  it('ignores out-of-range colours without losing the attributes after them', () => {
    expect(toStyledSpans(`${ESC}[38;5;300;1mx${ESC}[38;2;999;0;0;4my`)).toEqual([
      { text: 'x', bold: true },
      { text: 'y', bold: true, underline: true },
    ]);
  });

  it('merges neighbouring spans of the same style', () => {
    expect(toStyledSpans(`${ESC}[31ma${ESC}[31mb${ESC}[2Kc`)).toEqual([{ text: 'abc', fg: 'red' }]);
  });
});

describe('other escapes and malformed ones', () => {
  it('removes cursor moves, titles, charset selection and device control strings', () => {
    const line = parser.parse(`${ESC}[2K${ESC}[1Guart:~$ ${ESC}]0;title${'\u0007'}${ESC}(B${ESC}7ok${ESC}8${ESC}Ppayload${ESC}\\!\u009b1Adone`);
    expect(line.text).toBe('uart:~$ ok!done');
  });

  it('drops a sequence cut short and a bare ESC, keeping the text around them', () => {
    expect(parser.parse(`abc${ESC}[31`).text).toBe('abc');
    expect(parser.parse(`abc${ESC}`).text).toBe('abc');
    expect(parser.parse(`a${ESC}[12\u0001b`).text).toBe('a\u2401b');
    expect(parser.parse(`a${ESC}]unterminated title`).text).toBe('a]unterminated title');
    expect(parser.parse(`${ESC}${ESC}[32mok`).spans).toEqual([{ text: 'ok', fg: 'green' }]);
  });
});

describe('control bytes and binary bursts', () => {
  it('draws control characters as pictures and C1 as \\xNN', () => {
    expect(parser.parse('ring\u0007 nul\u0000 cr\r del\u007f c1\u0085 tab\tkept').text).toBe('ring\u2407 nul\u2400 cr\u240d del\u2421 c1\\x85 tab\tkept');
  });

  it('shows a mostly non-printable line as hex', () => {
    const burst = parser.parse(Uint8Array.from([0x00, 0xff, 0x01, 0x41, 0x02, 0x90]));
    expect(burst).toMatchObject({ binary: true, text: 'hex: 00 ff 01 41 02 90', level: null, spans: [{ text: 'hex: 00 ff 01 41 02 90' }] });
    expect(parser.parse('\u0000\u0001\u0002\u00ffA').text).toBe('hex: 00 01 02 ff 41');
  });

  it('keeps a mostly printable line with a few stray bytes as text', () => {
    const line = parser.parse(new TextEncoder().encode('<inf> app: temp 21.5 \u00b0C\u0000'));
    expect(line).toMatchObject({ binary: false, level: 'info', message: 'temp 21.5 \u00b0C\u2400' });
    expect(parser.parse('\u0007').text).toBe('\u2407');
  });

  it('counts colour sequences as text, not noise', () => {
    expect(parser.parse(`${ESC}[0m${ESC}[31m${ESC}[0m`).binary).toBe(false);
  });
});

describe('long lines', () => {
  it('cuts at the configured limit and flags the cut', () => {
    const short = new LogLineParser({ maxLength: 16 });
    expect(short.parse('<err> app: ' + 'x'.repeat(100))).toMatchObject({
      text: '<err> app: xxxxx',
      level: 'error',
      truncated: true,
      length: 111,
    });
    expect(short.parse('exactly 16 chars')).toMatchObject({ truncated: false, length: 16 });
  });

  it('never keeps half a character', () => {
    const short = new LogLineParser({ maxLength: 4 });
    expect(short.parse('abc\u{1f600}').text).toBe('abc');
    expect(short.parse(new TextEncoder().encode('abc\u00e9'))).toMatchObject({ text: 'abc', truncated: true, length: 5 });
  });

  it('falls back to the default for a nonsense limit', () => {
    expect(new LogLineParser({ maxLength: 0 }).maxLength).toBe(4096);
    expect(new LogLineParser({ maxLength: Number.NaN }).maxLength).toBe(4096);
  });
});

describe('profile level patterns', () => {
  it('run before the built-in formats and fill fields from named groups', () => {
    const custom = new LogLineParser({
      levelPatterns: [
        { regex: '^#(?<time>\\d+) FATAL (?<module>\\w+) (?<message>.*)$', level: 'error' },
        { regex: 'watchdog', level: 'warn' },
      ],
    });
    expect(custom.problems).toEqual([]);
    expect(custom.parse('#991 FATAL pwr brownout at 2.9 V')).toMatchObject({
      level: 'error',
      format: 'profile',
      deviceTime: '991',
      module: 'pwr',
      message: 'brownout at 2.9 V',
    });
    expect(custom.parse('<inf> wdt: Watchdog fed')).toMatchObject({ level: 'warn', format: 'profile', message: '<inf> wdt: Watchdog fed' });
    expect(custom.parse('<inf> app: hello')).toMatchObject({ level: 'info', format: 'zephyr' });
  });

  it('reports a bad or unsafe pattern and keeps the others', () => {
    const custom = new LogLineParser({
      deviceLabel: 'Sensor Node SN-0042',
      levelPatterns: [
        { regex: '([unclosed', level: 'error' },
        { regex: '(a+)+$', level: 'error' },
        { regex: 'PANIC', level: 'error' },
      ],
    });
    expect(custom.problems).toHaveLength(2);
    for (const problem of custom.problems) {
      expect(problem).toBeInstanceOf(FieldbenchError);
      expect(problem).toMatchObject({ code: 'profile-error', device: 'Sensor Node SN-0042', step: 'log levels' });
      expect(problem.hint).toBeTruthy();
    }
    expect(custom.problems[0]!.message).toContain('/([unclosed/');
    expect(custom.parse('kernel PANIC')).toMatchObject({ level: 'error', format: 'profile' });
  });
});

describe('never throws', () => {
  const escapeHeavy = fc.array(
    fc.oneof(fc.string(), fc.constantFrom(ESC, '[', ']', ';', ':', 'm', '38', '5', '2', '\u009b', '\u0007', '\\', '<13>', '<inf> ', 'I (1) ')),
    { maxLength: 40 },
  ).map((parts) => parts.join(''));

  it('on arbitrary strings, keeping text and spans consistent and within bounds', () => {
    const small = new LogLineParser({ maxLength: 64, levelPatterns: [{ regex: '^x(?<module>y)', level: 'trace' }] });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), escapeHeavy), (input) => {
        const line = small.parse(input);
        expect(line.text).toBe(line.spans.map((span) => span.text).join(''));
        expect(line.text).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
        expect(line.truncated).toBe(input.length > 64);
        expect(line.spans.every((span) => span.text !== '')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary byte arrays', () => {
    const small = new LogLineParser({ maxLength: 64 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const line = small.parse(bytes);
        expect(line.length).toBe(bytes.length);
        if (line.binary) expect(line.text).toMatch(/^hex:( [0-9a-f]{2}){4,64}$/);
      }),
      { numRuns: 2000 },
    );
  });
});
