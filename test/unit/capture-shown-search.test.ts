// Search hits and text filters decide on the text a line is shown with (escapes removed,
// control bytes drawn, bad UTF-8 replaced, binary as hex, cut at the parser's length), and
// report offsets into it: checked against a model that parses every line and matches its text.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleFilter } from '../../src-main/api/console-schemas';
import { CaptureFilterIndex } from '../../src-main/core/logs/capture-filter-index';
import { isDeviceRecord, packDeviceFlags, packOwnFlags } from '../../src-main/core/logs/capture-record-flags';
import { openLogCapture, type LogCapture } from '../../src-main/core/logs/log-capture-file';
import type { CaptureMatch, CaptureQuery, LineDisplay } from '../../src-main/core/logs/log-capture-search';
import { LogLineParser } from '../../src-main/core/logs/log-line-parser';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'fieldbench-shown-search-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const fragment: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('flood: line ', '1234', ' ', 'i2', 'c', 'i2c', 'nack', 'ok', 'OK', 'Ärger', 'σ', 'Σ', '€', 'hex', ':', 'ab', 'de', 'x85', 'K', '\u212a', '\ufffd').map(utf8) },
  { weight: 3, arbitrary: fc.constantFrom('\x1b[31m', '\x1b[0m', '\x1b[1;33m', '\x1b[K', '\x1b[2J', '\x1b]0;title\x07', '\x1b(B', '\x1b', '\x1b[', '\x1b[3').map(utf8) },
  { weight: 2, arbitrary: fc.constantFrom('\x00', '\x07', '\x08', '\t', '\x7f', '\u0085', '\u009b', '\u009b32m').map(utf8) },
  { weight: 1, arbitrary: fc.constantFrom([0xff], [0xc3], [0x80], [0xe2, 0x82], [0xc2]).map((bytes) => new Uint8Array(bytes)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }) },
);
const line = fc.array(fragment, { maxLength: 8 }).map((parts) => new Uint8Array(Buffer.concat(parts)));
type Entry = { kind: 'device'; bytes: Uint8Array } | { kind: 'note'; bytes: Uint8Array };
const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 8, arbitrary: line.map((bytes) => ({ kind: 'device' as const, bytes })) },
  { weight: 1, arbitrary: fc.constantFrom('sent i2c scan', 'note \x1b[31m ok', 'mark 1234').map((text) => ({ kind: 'note' as const, bytes: utf8(text) })) },
);

type Query = { text: string; regex: boolean; ignoreCase: boolean };
const query: fc.Arbitrary<Query> = fc.record({
  text: fc.constantFrom('i2c', 'nack', 'ok', 'flood: line 1234 ', 'line 1', '␇', '␀', '\ufffd', 'hex: ', 'ff', '1234', 'ab', 'x85', '\\x85', '31m', '[0m', 'c: n', 'σ', 'k', 'ok i2c', 'e: ', ' 0'),
  regex: fc.constant(false),
  ignoreCase: fc.boolean(),
});
const regexSources = ['i2c|nack', 'line \\d+', 'o+k', '^hex', 'c\\s*n', '[␀-␡]', 'k.?1', '\\ufffd+', 'i2c', 'ok i2c', '\\[0m', 'hex: [0-9a-f]{2}', 'x85', '\\u2407'];
const anyQuery: fc.Arbitrary<Query> = fc.oneof(query, fc.record({ text: fc.constantFrom(...regexSources), regex: fc.constant(true), ignoreCase: fc.boolean() }));

function toCaptureQuery(q: Query): CaptureQuery {
  if (!q.regex) return { text: q.text, ignoreCase: q.ignoreCase };
  return { regex: new RegExp(q.text, q.ignoreCase ? 'iu' : 'u') };
}

/** A filter's regex is compiled without the unicode flag, a search's with it. */
function naiveMatches(q: Query, text: string, regexFlags = 'u'): CaptureMatch[] {
  const source = q.regex ? q.text : q.text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  const regex = new RegExp(source, `g${q.ignoreCase ? 'i' : ''}${q.regex ? regexFlags : 'u'}`);
  return [...text.matchAll(regex)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

function write(session: string, entries: readonly Entry[]): LogCapture {
  const capture = openLogCapture({ folder, session, device: 'test', indexEvery: 8 });
  entries.forEach((e, i) => {
    capture.append(e.bytes, { time: i, flags: e.kind === 'device' ? packDeviceFlags(null, false, false, false) : packOwnFlags('sent') });
  });
  return capture;
}

function displayOf(parser: LogLineParser): LineDisplay {
  return { isParsed: isDeviceRecord, shownText: (bytes) => parser.shownText(bytes), maxBytes: parser.maxLength };
}

/** What the console shows of each line: the parser's text for a device line, its UTF-8 for a note. */
function shownLines(entries: readonly Entry[], parser: LogLineParser): string[] {
  return entries.map((e) => (e.kind === 'device' ? parser.parse(e.bytes).text : Buffer.from(e.bytes).toString('utf8')));
}

describe('search and filters over lines as shown', () => {
  it('find the hits, sequence numbers and offsets a line-by-line match of the parsed text finds', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 80 }), anyQuery, fc.constantFrom(4096, 24), fc.nat(100), async (entries, q, maxLength, limit) => {
        const capture = write(`s${run++}`, entries);
        try {
          const parser = new LogLineParser({ maxLength });
          const shown = shownLines(entries, parser);
          const expected = shown
            .map((text, seq) => ({ seq, text, matches: naiveMatches(q, text) }))
            .filter((hit) => hit.matches.length > 0)
            .slice(0, limit + 1);
          const result = await capture.search(toCaptureQuery(q), { limit: limit + 1, display: displayOf(parser) });
          expect(result.hits.map((hit) => ({ seq: hit.seq, text: hit.text, matches: hit.matches }))).toEqual(expected);
        } finally {
          capture.close();
        }
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it('keep the lines whose parsed text matches, and every note', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 80 }), anyQuery, fc.constantFrom(4096, 24), (entries, q, maxLength) => {
        const capture = write(`f${run++}`, entries);
        try {
          const parser = new LogLineParser({ maxLength });
          const shown = shownLines(entries, parser);
          const filter: ConsoleFilter = { text: q.text, regex: q.regex, ignoreCase: q.ignoreCase };
          const index = new CaptureFilterIndex(filter, 'test');
          index.extend(capture, displayOf(parser));
          const expected = shown.flatMap((text, seq) => (entries[seq]!.kind === 'note' || naiveMatches(q, text, '').length > 0 ? [seq] : []));
          expect(Array.from(index.slice(0, index.total))).toEqual(expected);
        } finally {
          capture.close();
        }
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it('mark a search hit on a coloured line where the shown text has it', async () => {
    const capture = write('coloured', [{ kind: 'device', bytes: utf8('\x1b[1;31m[00:00:01.000,000] <err> app: flood: line 1234 done\x1b[0m') }]);
    try {
      const parser = new LogLineParser();
      const result = await capture.search({ text: 'flood: line 1234 ' }, { display: displayOf(parser) });
      const text = '[00:00:01.000,000] <err> app: flood: line 1234 done';
      expect(result.hits).toMatchObject([{ seq: 0, text, matches: [{ start: text.indexOf('flood'), end: text.indexOf('done') }] }]);
    } finally {
      capture.close();
    }
  });
});
