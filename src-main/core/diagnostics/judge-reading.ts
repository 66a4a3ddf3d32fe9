// Turns the answer lines of one diagnostic's command into a judged Reading. Pure: the
// same spec, lines and time always give the same Reading, and it never throws, because
// a device saying something odd is a reading with status 'error', not a failed read.
//
// Limits are inclusive: a value exactly at a limit is inside it (3.5 V against "warn
// below 3.5 V" is ok). Fail limits are checked before warn limits, so a value beyond both
// is 'fail'. For a count, "warn at 1 or more" is written as warn.max 0.
import type { Reading, ReadingStatus } from '../../api/schemas';
import type {
  CountDiagnostic,
  DiagnosticSpec,
  NumberDiagnostic,
  NumberLimits,
  TextDiagnostic,
} from '../profiles/profile-types';
import { captureFirst, tryCompilePattern } from '../profiles/profile-patterns';
import { quoteAnswer } from './quote-answer';

type Judged = Pick<Reading, 'value' | 'status' | 'message'>;

export function judgeReading(spec: DiagnosticSpec, lines: string[], readAt: Date): Reading {
  const base = {
    id: spec.id,
    label: spec.label,
    unit: spec.type === 'text' ? null : (spec.unit ?? null),
    readAt: readAt.toISOString(),
  };
  try {
    switch (spec.type) {
      case 'number':
        return { ...base, limits: describeSpecLimits(spec), ...judgeNumber(spec, lines) };
      case 'text':
        return { ...base, limits: describeSpecLimits(spec), ...judgeText(spec, lines) };
      case 'count':
        return { ...base, limits: describeSpecLimits(spec), ...judgeCount(spec, lines) };
      default: {
        const unknown: { type?: unknown } = spec;
        return { ...base, limits: null, ...error(`unknown diagnostic type ${String(unknown.type)}`) };
      }
    }
  } catch (thrown) {
    // Only a profile that skipped validation gets here; say so rather than lose the read.
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    return { ...base, limits: null, ...error(`the profile's diagnostic cannot be judged: ${reason}`) };
  }
}

function judgeNumber(spec: NumberDiagnostic, lines: string[]): Judged {
  const compiled = tryCompilePattern(spec.pattern);
  if (!compiled.ok) return badPattern(spec.pattern, compiled.reason);
  const found = captureFirst(compiled.regex, lines);
  if (!found.found) {
    return error(`the answer to '${spec.command}' has no line matching ${spec.pattern}: ${quoteAnswer(lines)}`);
  }
  const raw = found.value.trim();
  const value = parseDecimal(raw, spec.scale);
  if (value === null) {
    return error(`${JSON.stringify(raw)} is not a number, in the answer to '${spec.command}': ${quoteAnswer([found.line])}`);
  }
  return { value, ...judgeAgainstLimits(`${formatQuantity(value, spec.unit)} is`, value, spec.limits, spec.unit) };
}

function judgeCount(spec: CountDiagnostic, lines: string[]): Judged {
  const compiled = tryCompilePattern(spec.pattern);
  if (!compiled.ok) return badPattern(spec.pattern, compiled.reason);
  const count = lines.filter((line) => compiled.regex.test(line)).length;
  const lead = `${count} ${count === 1 ? 'line matches' : 'lines match'} ${spec.pattern},`;
  return { value: count, ...judgeAgainstLimits(lead, count, spec.limits, spec.unit) };
}

function judgeText(spec: TextDiagnostic, lines: string[]): Judged {
  const compiled = tryCompilePattern(spec.pattern);
  if (!compiled.ok) return badPattern(spec.pattern, compiled.reason);
  const found = captureFirst(compiled.regex, lines);
  const value = found.found ? found.value.trim() : '';
  if (value.length === 0) {
    return error(`the answer to '${spec.command}' has no line matching ${spec.pattern}: ${quoteAnswer(lines)}`);
  }
  const quoted = JSON.stringify(value);
  if (onList(spec.fail, value)) return { value, status: 'fail', message: `${quoted} is on the fail list` };
  if (onList(spec.warn, value)) return { value, status: 'warn', message: `${quoted} is on the warn list` };
  if (spec.ok && !onList(spec.ok, value)) {
    return { value, status: 'warn', message: `${quoted} is not an expected value (ok: ${spec.ok.join(', ')})` };
  }
  return { value, status: 'ok', message: null };
}

function onList(list: string[] | undefined, value: string): boolean {
  const wanted = value.toLowerCase();
  return list?.some((item) => item.toLowerCase() === wanted) ?? false;
}

/** lead starts the message: "3.21 V is" below the fail limit 3.3 V. */
export function judgeAgainstLimits(
  lead: string,
  value: number,
  limits: NumberLimits | undefined,
  unit: string | undefined,
): { status: ReadingStatus; message: string | null } {
  for (const level of ['fail', 'warn'] as const) {
    const range = limits?.[level];
    if (range?.min !== undefined && value < range.min) {
      return { status: level, message: `${lead} below the ${level} limit ${formatQuantity(range.min, unit)}` };
    }
    if (range?.max !== undefined && value > range.max) {
      return { status: level, message: `${lead} above the ${level} limit ${formatQuantity(range.max, unit)}` };
    }
  }
  return { status: 'ok', message: null };
}

/** What a diagnostic's status is judged against, in words, as a Reading's limits. */
export function describeSpecLimits(spec: DiagnosticSpec): string | null {
  return spec.type === 'text' ? describeLists(spec) : describeLimits(spec.limits, spec.unit);
}

/** "warn below 3.5 V, fail below 3.3 V": lower limits first, each warn before its fail. */
export function describeLimits(limits: NumberLimits | undefined, unit?: string): string | null {
  if (!limits) return null;
  const parts: string[] = [];
  if (limits.warn?.min !== undefined) parts.push(`warn below ${formatQuantity(limits.warn.min, unit)}`);
  if (limits.fail?.min !== undefined) parts.push(`fail below ${formatQuantity(limits.fail.min, unit)}`);
  if (limits.warn?.max !== undefined) parts.push(`warn above ${formatQuantity(limits.warn.max, unit)}`);
  if (limits.fail?.max !== undefined) parts.push(`fail above ${formatQuantity(limits.fail.max, unit)}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

function describeLists(spec: TextDiagnostic): string | null {
  const parts: string[] = [];
  if (spec.ok) parts.push(`ok: ${spec.ok.join(', ')}`);
  if (spec.warn) parts.push(`warn: ${spec.warn.join(', ')}`);
  if (spec.fail) parts.push(`fail: ${spec.fail.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : null;
}

export function formatQuantity(value: number, unit: string | undefined): string {
  return unit ? `${value} ${unit}` : String(value);
}

function error(message: string): Judged {
  return { value: null, status: 'error', message };
}

function badPattern(pattern: string, reason: string): Judged {
  return error(`the profile's pattern ${pattern} is not a valid regex: ${reason}`);
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The captured text as a finite number, times scale, or null. A product is rounded to the
 * decimal places its two factors can have between them, so 123456 ms × 0.001 is 123.456,
 * never 123.45600000000002; fifteen significant digits bound the odd scale like 1/3.
 */
export function parseDecimal(raw: string, scale?: number): number | null {
  if (!DECIMAL.test(raw)) return null;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed)) return null;
  if (scale === undefined || scale === 1) return parsed;
  const product = parsed * scale;
  if (!Number.isFinite(product)) return null;
  const places = decimalPlaces(raw) + decimalPlaces(String(scale));
  const rounded = places <= 100 ? Number(product.toFixed(places)) : product;
  return Number(rounded.toPrecision(15));
}

/** Digits after the point that a decimal literal ("1.25", "2.5e-7") denotes. */
function decimalPlaces(literal: string): number {
  const [mantissa = '', exponent = '0'] = literal.toLowerCase().split('e');
  const fraction = mantissa.split('.')[1] ?? '';
  return Math.max(0, fraction.length - Number(exponent));
}
