// Known-issue patterns: matched ignoring case over the shown text; a bad one is reported
// with what is wrong and left out, and the others still work.
import { describe, expect, it } from 'vitest';
import { KnownIssueMatcher } from '../../src-main/core/logs/known-issue-matcher';

describe('known issue matcher', () => {
  it('matches ignoring case and returns every issue a line matches, in order', () => {
    const matcher = new KnownIssueMatcher(
      [
        { id: 'brownout', title: 'Brown-out reset', regex: 'brown-?out', source: 'profile' },
        { id: 'i2c', title: 'I2C bus stuck', regex: 'i2c.*(timeout|nack)', source: 'knowledge-base', articleId: 'kb-12' },
      ],
      'Sensor Node SN-0042',
    );
    expect(matcher.problems).toEqual([]);
    expect(matcher.match('<err> BROWNOUT detected, I2C read TIMEOUT').map((i) => i.id)).toEqual(['brownout', 'i2c']);
    expect(matcher.match('all good')).toEqual([]);
    expect(matcher.issue('i2c')?.articleId).toBe('kb-12');
  });

  it('reports a pattern that does not compile or could backtrack, and keeps the rest', () => {
    const matcher = new KnownIssueMatcher(
      [
        { id: 'broken', title: 'Broken', regex: '(unclosed', source: 'profile' },
        { id: 'slow', title: 'Slow', regex: '(a+)+$', source: 'knowledge-base', articleId: 'kb-7' },
        { id: 'ok', title: 'Watchdog', regex: 'watchdog', source: 'profile' },
      ],
      'Sensor Node SN-0042',
    );
    expect(matcher.size).toBe(1);
    expect(matcher.problems).toHaveLength(2);
    expect(matcher.problems[0]).toMatchObject({ code: 'profile-error', device: 'Sensor Node SN-0042', step: 'known issues' });
    expect(matcher.problems[0]!.message).toContain('broken');
    expect(matcher.problems[1]!.hint).toContain('kb-7');
    expect(matcher.match('WATCHDOG fired').map((i) => i.id)).toEqual(['ok']);
    expect(() => matcher.match('a'.repeat(100_000) + '!')).not.toThrow();
  });
});
