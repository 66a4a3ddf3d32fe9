// Judges a step's reading against its limits, and says both the limit and the verdict in
// words for the operator and the case record. Pure: the same reading and limits always give
// the same verdict, and a reading that cannot be judged (no value, text where a number is
// needed) is a failure with the reason, never an exception.
import type { StepLimits } from '../profiles/profile-types';
import { compilePattern } from '../profiles/profile-patterns';

export type ReadingValue = number | string | boolean | null;

export interface Verdict {
  pass: boolean;
  /** "3.92 V is within 3.3 to 4.25 V", "'FAIL' is not 'PASS'". */
  reason: string;
}

export function judgeLimits(value: ReadingValue, limits: StepLimits, unit: string | null = null): Verdict {
  if (value === null) return { pass: false, reason: 'there is no reading to judge' };
  const shown = showValue(value, unit);
  const limit = describeLimits(limits, unit);
  if ('equals' in limits) {
    const pass = typeof limits.equals === 'number' ? numberOf(value) === limits.equals : String(value) === limits.equals;
    return { pass, reason: pass ? `${shown} equals ${limit.replace(/^equals /, '')}` : `${shown} is not ${limit.replace(/^equals /, '')}` };
  }
  if ('regex' in limits) {
    const pass = compilePattern(limits.regex).test(String(value));
    return { pass, reason: `${shown} ${pass ? 'matches' : 'does not match'} /${limits.regex}/` };
  }
  if ('oneOf' in limits) {
    const text = String(value).toLowerCase();
    const pass = limits.oneOf.some((allowed) => String(allowed).toLowerCase() === text);
    return { pass, reason: `${shown} is ${pass ? '' : 'not '}${limit}` };
  }
  const number = numberOf(value);
  if (number === null) return { pass: false, reason: `${shown} is not a number, so it cannot be judged against ${limit}` };
  if (limits.min !== undefined && number < limits.min) {
    return { pass: false, reason: `${shown} is below the minimum ${showValue(limits.min, unit)}` };
  }
  if (limits.max !== undefined && number > limits.max) {
    return { pass: false, reason: `${shown} is above the maximum ${showValue(limits.max, unit)}` };
  }
  return { pass: true, reason: `${shown} is within ${limit}` };
}

/** The limit in words: "3.3 to 4.25 V", "at least 20 %", "equals 'PASS'", "one of power-on, pin, software". */
export function describeLimits(limits: StepLimits, unit: string | null = null): string {
  if ('equals' in limits) return `equals ${typeof limits.equals === 'number' ? showValue(limits.equals, unit) : `'${limits.equals}'`}`;
  if ('regex' in limits) return `matches /${limits.regex}/`;
  if ('oneOf' in limits) return `one of ${limits.oneOf.map(String).join(', ')}`;
  const suffix = unit ? ` ${unit}` : '';
  if (limits.min !== undefined && limits.max !== undefined) return `${limits.min} to ${limits.max}${suffix}`;
  if (limits.min !== undefined) return `at least ${limits.min}${suffix}`;
  return `at most ${String(limits.max)}${suffix}`;
}

/** Numbers as numbers; text that is exactly a decimal number ("3.92", "-12") as one, since shells answer in text. */
export function numberOf(value: ReadingValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || !/^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) return null;
  return Number(value);
}

function showValue(value: ReadingValue, unit: string | null): string {
  if (typeof value === 'string' && numberOf(value) === null) return `'${value}'`;
  return `${String(value)}${unit ? ` ${unit}` : ''}`;
}
