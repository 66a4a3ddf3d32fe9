// Judging a step's reading against its limits, and saying the limit in words.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeLimits, judgeLimits, numberOf } from '../../src-main/core/procedures/step-limits';

describe('range limits', () => {
  it('are inclusive at both ends and name the end that was crossed', () => {
    const limits = { min: 3.3, max: 4.25 };
    expect(judgeLimits(3.3, limits, 'V')).toEqual({ pass: true, reason: '3.3 V is within 3.3 to 4.25 V' });
    expect(judgeLimits(4.25, limits, 'V').pass).toBe(true);
    expect(judgeLimits(3.29, limits, 'V')).toEqual({ pass: false, reason: '3.29 V is below the minimum 3.3 V' });
    expect(judgeLimits(4.3, limits, 'V')).toEqual({ pass: false, reason: '4.3 V is above the maximum 4.25 V' });
  });

  it('take numbers written as text, as a shell answers them, and refuse text that is not one', () => {
    expect(judgeLimits('3.92', { min: 3.5 }, 'V').pass).toBe(true);
    expect(judgeLimits('-12', { max: 0 }).pass).toBe(true);
    expect(judgeLimits('3.9V', { min: 3.5 }, 'V')).toEqual({ pass: false, reason: "'3.9V' is not a number, so it cannot be judged against at least 3.5 V" });
    expect(judgeLimits(true, { min: 0 }).pass).toBe(false);
    expect(judgeLimits(null, { min: 0 })).toEqual({ pass: false, reason: 'there is no reading to judge' });
  });

  it('agree with plain comparison for every number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (value, a, b) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        expect(judgeLimits(value, { min, max }).pass).toBe(value >= min && value <= max);
      }),
    );
  });
});

describe('equals, regex and one-of limits', () => {
  it('equals compares text exactly and numbers as numbers', () => {
    expect(judgeLimits('PASS', { equals: 'PASS' })).toEqual({ pass: true, reason: "'PASS' equals 'PASS'" });
    expect(judgeLimits('pass', { equals: 'PASS' })).toEqual({ pass: false, reason: "'pass' is not 'PASS'" });
    expect(judgeLimits('1.50', { equals: 1.5 }).pass).toBe(true);
    expect(judgeLimits(2, { equals: 1.5 }, 'mA')).toEqual({ pass: false, reason: '2 mA is not 1.5 mA' });
    expect(judgeLimits('1.4.2', { equals: '1.4.2' }).pass).toBe(true);
  });

  it('regex tests the reading as text, without flags', () => {
    expect(judgeLimits('1.4.2', { regex: '^1\\.4\\.\\d+$' })).toEqual({ pass: true, reason: "'1.4.2' matches /^1\\.4\\.\\d+$/" });
    expect(judgeLimits('2.0.0', { regex: '^1\\.' }).pass).toBe(false);
    expect(judgeLimits('ABC', { regex: 'abc' }).pass).toBe(false);
    expect(judgeLimits(42, { regex: '^4' }).pass).toBe(true);
  });

  it('one-of compares as text ignoring case, numbers included', () => {
    const limits = { oneOf: ['power-on', 'pin', 'software'] };
    expect(judgeLimits('PIN', limits)).toEqual({ pass: true, reason: "'PIN' is one of power-on, pin, software" });
    expect(judgeLimits('brownout', limits)).toEqual({ pass: false, reason: "'brownout' is not one of power-on, pin, software" });
    expect(judgeLimits(2, { oneOf: [1, 2, 'x'] }).pass).toBe(true);
  });
});

describe('limits in words', () => {
  it('say each kind as an operator reads it', () => {
    expect(describeLimits({ min: 0.5, max: 15 }, 'mA')).toBe('0.5 to 15 mA');
    expect(describeLimits({ min: 20 }, '%')).toBe('at least 20 %');
    expect(describeLimits({ max: 3 })).toBe('at most 3');
    expect(describeLimits({ equals: 'PASS' })).toBe("equals 'PASS'");
    expect(describeLimits({ equals: 5 }, 'V')).toBe('equals 5 V');
    expect(describeLimits({ regex: '^ok$' })).toBe('matches /^ok$/');
    expect(describeLimits({ oneOf: ['a', 1] })).toBe('one of a, 1');
  });

  it('read only plain decimal numbers out of text', () => {
    expect(numberOf(' 3.5 ')).toBe(3.5);
    expect(numberOf('1e3')).toBe(1000);
    expect(numberOf('0x10')).toBeNull();
    expect(numberOf('')).toBeNull();
    expect(numberOf(Number.NaN)).toBeNull();
  });
});
