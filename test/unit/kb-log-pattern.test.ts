import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backtrackingRisk, checkLogPattern, LOG_MATCH_BUDGET_MS, matchLogLine, MAX_LOG_LINE_LENGTH, MAX_LOG_PATTERN_LENGTH } from '../../src-main/core/knowledge/log-pattern';

describe('article log patterns', () => {
  it.each(['brown-?out', 'reset cause: brownout', 'battery (low|critical)', 'wdt.*(timeout|expired)', 'buffer of \\d+ bytes cannot hold', '(?:ab)+c', '[(+*]+', '\\(err -?\\d+\\)$', '(?<code>E\\d{2,4})', 'a{2}(?:bc){3}'])(
    'accepts %s and matches without regard to case',
    (source) => {
      const checked = checkLogPattern(source);
      expect(checked.ok).toBe(true);
      if (checked.ok) expect(checked.regex.flags).toContain('i');
    },
  );

  it.each([
    ['(a+)+$', 'holds a quantifier'],
    ['(\\w+\\s?)*x', 'holds a quantifier'],
    ['(?:a|aa)+b', 'holds an alternation'],
    ['((ab)*)+', 'holds a quantifier'],
    ['(x+){2,}', 'holds a quantifier'],
    ['(a*)(b)\\1', 'a backreference'],
    ['(?<n>a)\\k<n>', 'a backreference'],
  ])('refuses %s, which can backtrack without bound (%s)', (source, why) => {
    const checked = checkLogPattern(source);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toContain(why);
  });

  it('refuses an empty, an overlong and an invalid pattern, saying why', () => {
    expect(checkLogPattern('')).toEqual({ ok: false, reason: 'is empty' });
    const long = checkLogPattern('a'.repeat(MAX_LOG_PATTERN_LENGTH + 1));
    expect(long.ok || long.reason).toMatch(/limit is 200/);
    const broken = checkLogPattern('(unclosed');
    expect(broken.ok || broken.reason).toMatch(/not a valid regex/);
  });

  it('an optional group or a bounded single repeat is not a risk', () => {
    expect(backtrackingRisk('(a+)?b')).toBeNull();
    expect(backtrackingRisk('(a|b){1}')).toBeNull();
    expect(backtrackingRisk('[a+]*')).toBeNull();
    expect(backtrackingRisk('\\(a+\\)*')).toBeNull();
  });

  it('refuses two unbounded repeats with no literal between them, and keeps those a literal separates', () => {
    for (const source of ['a*(.*)\\(', '.+\\w+', 'a*.*x', '(?:\\d+)[a-z]*']) {
      expect(backtrackingRisk(source), source).toBe('two unbounded repeats with no literal between them');
    }
    for (const source of ['error.*timeout.*retry', '<err>.*', 'brownout|BOR.*', 'a+|b+', 'rf: .* lost', 'x{2,5}y*']) {
      expect(backtrackingRisk(source), source).toBeNull();
    }
  });

  it('every accepted pattern runs on a long hostile line within the budget', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a()|*+?.\\w]{1,12}$/), (source) => {
        const checked = checkLogPattern(source);
        if (!checked.ok) return;
        const started = performance.now();
        checked.regex.test(`${'a'.repeat(MAX_LOG_LINE_LENGTH)}!`);
        expect(performance.now() - started).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });

  it('matches only the first part of a very long line', () => {
    const slow = new Set<RegExp>();
    const tail = /needle/i;
    expect(matchLogLine(`${'x'.repeat(MAX_LOG_LINE_LENGTH)}needle`, [tail], slow)).toBeNull();
    expect(matchLogLine(`${'x'.repeat(10)}needle`, [tail], slow)).toBe(tail);
  });

  it('a pattern that overruns its budget on one line is left out of the rest of the batch', () => {
    const slow = new Set<RegExp>();
    const a = /never/i;
    const b = /line/i;
    let clock = 0;
    // Each test() call "takes" longer than the budget for pattern a only.
    const now = () => clock;
    const timed = new Proxy(a, {
      get(target, key) {
        if (key === 'test') return (text: string) => ((clock += LOG_MATCH_BUDGET_MS + 1), target.test(text));
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    expect(matchLogLine('a line', [timed, b], slow, now)).toBe(b);
    expect(slow.has(timed)).toBe(true);
    const before = clock;
    expect(matchLogLine('another line', [timed, b], slow, now)).toBe(b);
    expect(clock).toBe(before); // not run again
  });
});
