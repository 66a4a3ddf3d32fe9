import { describe, expect, it } from 'vitest';
import { compareVersions, firmwareInRanges, parseFirmwareRange, parseVersion } from '../../src-main/core/knowledge/firmware-range';

describe('firmware ranges in articles', () => {
  it.each([
    ['1.4.2', ['>=1.4.0 <1.6.0'], true],
    ['1.6.0', ['>=1.4.0 <1.6.0'], false],
    ['1.3.9', ['>=1.4.0 <1.6.0'], false],
    ['1.4.2+7', ['>= 1.4.0 < 1.6'], true],
    ['v1.5', ['<=1.5.0'], true],
    ['2.0.0', ['<1.4.0', '>=2'], true],
    ['1.4.2', ['1.4.2'], true],
    ['1.4.3', ['=1.4.2'], false],
    ['0.9.0', ['*'], true],
  ])('%s in %j is %s', (version, ranges, expected) => {
    expect(firmwareInRanges(version, ranges)).toBe(expected);
  });

  it('cannot judge a version with no leading numbers', () => {
    expect(firmwareInRanges('release-candidate', ['>=1.0.0'])).toBeNull();
    expect(parseVersion('abc')).toBeNull();
  });

  it('refuses what is not a range, saying how to write one', () => {
    for (const text of ['latest', '>=1.4.0 || <1.2', '~1.4', '', '1.x']) {
      const parsed = parseFirmwareRange(text);
      expect(parsed.ok).toBe(false);
    }
    const parsed = parseFirmwareRange('~1.4');
    expect(parsed.ok || parsed.reason).toMatch(/">=1.4.0 <1.6.0"/);
  });

  it('compares missing parts as zero', () => {
    expect(compareVersions([1, 4], [1, 4, 0])).toBe(0);
    expect(compareVersions([1, 10], [1, 9, 9])).toBeGreaterThan(0);
  });
});
