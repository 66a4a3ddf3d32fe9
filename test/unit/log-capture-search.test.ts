// Search over a capture against a naive one (every line decoded, every match found with
// String and RegExp methods) on random captures with non-ASCII text: the fast paths (bytes
// prefilter, one decode per ASCII line, a literal pulled from a regex) change nothing found.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLogCapture } from '../../src-main/core/logs/log-capture-file';
import { requiredLiteral, type CaptureQuery } from '../../src-main/core/logs/log-capture-search';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'fieldbench-capture-search-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const pieces = ['err', 'ERR', 'Err', 'i2c', 'nack', 'ok', ' ', '.', '-', 'é', 'É', 'ß', '€', '𝄞', 'σ', 'Σ', '0', '42', 'x', '\u0000', '\u001b[31m', '\u212a', '\u017f', 'sk', 'SK'];
const line = fc.array(fc.constantFrom(...pieces), { maxLength: 10 }).map((p) => p.join(''));
const query: fc.Arbitrary<CaptureQuery> = fc.oneof(
  fc.record({ text: fc.constantFrom('err', 'ERR', 'é', 'É', 'ok ', '42', '€', '𝄞', 'σ', 'i2c nack', 'x.', 'sk', 'Sk', 'k', 's'), ignoreCase: fc.boolean() }),
  fc.constantFrom('err', 'i2c.nack', 'e?rr', 'er+', '^ok', 'ok$', '[0-9]+', 'x\\.', '\\d\\d', 'é+', '(ok|err)', 'σ', '42|x', 'a*', '\\bok\\b', 'e.r', 'x{2}', 'e{0,1}rr', '4{1}2', 'sk', 'ask+', 'nack|x').chain((source) =>
    fc.constantFrom('', 'i', 'u', 'iu').map((flags) => ({ regex: new RegExp(source, flags) })),
  ),
);

function naive(lines: string[], q: CaptureQuery, from: number, to: number, limit: number): { seq: number; matches: { start: number; end: number }[] }[] {
  const hits: { seq: number; matches: { start: number; end: number }[] }[] = [];
  for (let seq = from; seq < Math.min(to, lines.length) && hits.length < limit; seq++) {
    const text = lines[seq]!;
    const regex =
      'regex' in q
        ? new RegExp(q.regex.source, `${q.regex.flags.replace('g', '')}g`)
        : q.ignoreCase
          ? new RegExp(q.text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&'), 'giu')
          : null;
    const matches: { start: number; end: number }[] = [];
    if (regex) {
      for (let m = regex.exec(text); m; m = regex.exec(text)) {
        matches.push({ start: m.index, end: m.index + m[0].length });
        // Past an empty match by one character (a whole surrogate pair for a unicode regex).
        if (m[0].length === 0) regex.lastIndex += regex.unicode && (text.codePointAt(regex.lastIndex) ?? 0) > 0xffff ? 2 : 1;
      }
    } else if ('text' in q) {
      for (let at = text.indexOf(q.text); at !== -1; at = text.indexOf(q.text, at + q.text.length)) matches.push({ start: at, end: at + q.text.length });
    }
    if (matches.length > 0) hits.push({ seq, matches });
  }
  return hits;
}

describe('log capture search', () => {
  it('finds exactly what a naive search finds', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 150 }), query, fc.nat(160), fc.nat(160), fc.integer({ min: 1, max: 40 }), fc.boolean(), async (drawn, q, a, b, limit, folding) => {
        // Without KELVIN SIGN and LONG S a caseless search takes its byte path; with them, the decoding one.
        const lines = folding ? drawn : drawn.map((text) => text.replace(/[\u212a\u017f]/gu, ''));
        const capture = openLogCapture({ folder, session: `s${run++}`, device: 'test', indexEvery: 16 });
        try {
          lines.forEach((text, i) => capture.append(text, { time: i }));
          const from = Math.min(a, b);
          const to = Math.max(a, b);
          const result = await capture.search(q, { from, to, limit });
          expect(result.hits.map((h) => ({ seq: h.seq, matches: h.matches }))).toEqual(naive(lines, q, from, to, limit));
          for (const hit of result.hits) expect(hit.text).toBe(lines[hit.seq]);
        } finally {
          capture.close();
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('pulls a literal every match must contain out of simple regexes only', () => {
    const literal = (source: string, flags = ''): string | undefined => requiredLiteral(new RegExp(source, flags));
    expect(literal('sample 99999[0-9] ok$')).toBe('sample 99999');
    expect(literal('i2c.*nack')).toBe('nack');
    expect(literal('erro?r')).toBe('err');
    expect(literal('a|bcd')).toBeUndefined();
    expect(literal('(warn) timeout')).toBe(' timeout');
    expect(literal('x\\.y')).toBe('x.y');
    expect(literal('\\d+ ms')).toBe(' ms');
    expect(literal('timeout', 'i')).toBe('timeout');
    expect(literal('[abc]{2}de')).toBe('de');
    expect(literal('x{2}')).toBeUndefined();
    expect(literal('ab{0,1}cd')).toBe('cd');
  });
});
