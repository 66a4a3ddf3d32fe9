// A person's search text never becomes an FTS5 syntax error, and the snippet marks the
// words the index matched.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/store/database';
import { migrate } from '../../src-main/store/migrations';
import { asciiHits, snippetOf, tokenHits } from '../../src-main/store/search-highlight';
import { ftsQueryOf, MAX_TERMS, parseSearchQuery } from '../../src-main/store/search-query';
import { fold, foldedTokens } from '../../src-main/store/search-tokens';

const db = openDatabase(':memory:');
migrate(db);
db.prepare("INSERT INTO case_fts (rowid, title, notes) VALUES (4, 'Radio resets', 'battery at 3.1 V, café en panne, SN-0042 OR not')").run();
const matchCount = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM case_fts WHERE case_fts MATCH ?');

afterAll(() => db.close());

function matches(text: string): number {
  const query = ftsQueryOf(parseSearchQuery(text));
  return query === null ? -1 : matchCount.get(query)!.n;
}

function highlighted(text: string, query: string): string {
  const segments = snippetOf(text, parseSearchQuery(query));
  return segments === null ? '(none)' : segments.map((s) => (s.hit ? `[${s.text}]` : s.text)).join('');
}

describe('parseSearchQuery', () => {
  it('reads plain words, "phrases" and prefix* and folds case and accents', () => {
    expect(parseSearchQuery('Battery "radio RESET" batt* Café')).toEqual([
      { tokens: ['battery'], prefix: false },
      { tokens: ['radio', 'reset'], prefix: false },
      { tokens: ['batt'], prefix: true },
      { tokens: ['cafe'], prefix: false },
    ]);
    expect(parseSearchQuery('"sn-00"*')).toEqual([{ tokens: ['sn', '00'], prefix: true }]);
    expect(parseSearchQuery('"unterminated phrase')).toEqual([{ tokens: ['unterminated', 'phrase'], prefix: false }]);
  });

  it('drops what has no word in it, and caps the number of terms', () => {
    expect(parseSearchQuery('  -- ! * "" ( )  ')).toEqual([]);
    expect(ftsQueryOf(parseSearchQuery('***'))).toBeNull();
    const many = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    expect(parseSearchQuery(many)).toHaveLength(MAX_TERMS);
  });

  it('takes FTS5 operators and syntax literally', () => {
    expect(ftsQueryOf(parseSearchQuery('battery OR NOT radio'))).toBe('"battery" AND "or" AND "not" AND "radio"');
    expect(ftsQueryOf(parseSearchQuery('title:radio NEAR(a b)'))).toBe('"title radio" AND "near a" AND "b"');
    // "or" and "not" are words of the note, so the literal query finds it.
    expect(matches('SN-0042 OR not')).toBe(1);
    expect(matches('battery OR nonexistent')).toBe(0);
  });

  it('matches words, phrases in order, prefixes, and accents either way', () => {
    expect(matches('battery radio')).toBe(1);
    expect(matches('"radio resets"')).toBe(1);
    expect(matches('"resets radio"')).toBe(0);
    expect(matches('batt*')).toBe(1);
    expect(matches('cafe')).toBe(1);
    expect(matches('CAFÉ')).toBe(1);
    expect(matches('sn-0042')).toBe(1);
    expect(matches('"sn-00"*')).toBe(1);
    expect(matches('battery absent')).toBe(0);
  });

  it('never throws, and never makes a query SQLite refuses, whatever is typed', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.string({ unit: fc.constantFrom('"', '*', '(', ')', ':', '^', '-', '+', ' ', 'a', 'OR', 'NEAR', 'NOT', '\\', "'", '\u0000', 'é'), maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, (input) => {
        const query = ftsQueryOf(parseSearchQuery(input));
        if (query !== null) expect(() => matchCount.get(query)).not.toThrow();
      }),
      { numRuns: 1500 },
    );
  });
});

describe('tokens', () => {
  it('folds like the index: lower case, accents removed, split at punctuation', () => {
    expect(fold('ÉCHEC')).toBe('echec');
    expect(foldedTokens('Reset@0x1F, naïve-Überlauf 42V')).toEqual(['reset', '0x1f', 'naive', 'uberlauf', '42v']);
  });
});

describe('snippetOf', () => {
  it('marks every occurrence of every term near the first hit', () => {
    expect(highlighted('The battery was at 3.1 V; battery replaced.', 'battery')).toBe('The [battery] was at 3.1 V; [battery] replaced.');
    expect(highlighted('radio resets after radio init', '"radio resets"')).toBe('[radio resets] after radio init');
    expect(highlighted('Batteries low, battery swapped', 'batt*')).toBe('[Batteries] low, [battery] swapped');
    expect(highlighted('Le café est froid', 'cafe')).toBe('Le [café] est froid');
    expect(highlighted('nothing here', 'battery')).toBe('(none)');
  });

  it('cuts long text at word boundaries around the first hit, with an ellipsis at each cut', () => {
    const text = `${'alpha '.repeat(100)}watchdog fired in task uart_rx ${'omega '.repeat(100)}`;
    const segments = snippetOf(text, parseSearchQuery('watchdog'))!;
    const shown = segments.map((s) => s.text).join('');
    expect(shown.startsWith('… alpha')).toBe(true);
    expect(shown.endsWith('omega …')).toBe(true);
    expect(shown.length).toBeLessThan(260);
    expect(segments.filter((s) => s.hit).map((s) => s.text)).toEqual(['watchdog']);
  });

  it('finds the same hits in ASCII text by pattern as token by token', () => {
    const word = fc.constantFrom('radio', 'reset', 'Radio', 'RESET', 'resets', 'rad', 'x1', 'a');
    const separator = fc.constantFrom(' ', ', ', '-', '_', '\n', '...', ' (', '"', '*');
    const text = fc.array(fc.tuple(word, separator), { maxLength: 40 }).map((parts) => parts.map(([w, s]) => w + s).join(''));
    const query = fc.constantFrom('radio', 'reset', 'rad*', '"radio reset"', 'res* a', '"x1 radio"*', 'a');
    fc.assert(
      fc.property(text, query, (input, q) => {
        const terms = parseSearchQuery(q);
        expect(asciiHits(input, terms)).toEqual(tokenHits(input, terms));
      }),
      { numRuns: 500 },
    );
  });

  it('returns plain text segments that rebuild the shown text, markup included as text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('a', 'script', '"x y"', 'b*'), (text, query) => {
        const segments = snippetOf(`<script>${text}</script> a b x y`, parseSearchQuery(query));
        expect(segments).not.toBeNull();
        for (const segment of segments!) expect(segment.text.length).toBeGreaterThan(0);
        expect(segments!.some((segment) => segment.hit)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
