// Judging one diagnostic's answer: values captured and scaled without float noise, limits
// in words, a reason for every warn and fail, and an 'error' reading (never a throw) for
// an answer that does not say what the profile expects.
//
// Limits are inclusive: a value exactly at a limit is inside it, so 3.5 V against "warn
// below 3.5 V" is ok and 3.3 V against "fail below 3.3 V" is warn. The properties below pin
// that down, with the monotonic order of statuses either side of the limits.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Reading } from '../../src-main/api/schemas';
import { judgeReading, parseDecimal } from '../../src-main/core/diagnostics/judge-reading';
import { defaultProfilesDir } from '../../src-main/core/profiles/profile-registry';
import type { DeviceProfile, DiagnosticSpec, NumberDiagnostic, NumberLimits } from '../../src-main/core/profiles/profile-types';

const profile: DeviceProfile = JSON.parse(readFileSync(join(defaultProfilesDir(), 'sensor-node.json'), 'utf8'));
const readAt = new Date('2026-03-01T10:00:00.000Z');

function spec(id: string): DiagnosticSpec {
  const found = profile.diagnostics.find((d) => d.id === id);
  if (!found) throw new Error(`the sensor node profile has no diagnostic ${id}`);
  return found;
}

function judge(id: string, lines: string[]): Reading {
  const reading = judgeReading(spec(id), lines, readAt);
  expect(Reading.parse(reading)).toEqual(reading);
  return reading;
}

const severity = { ok: 0, warn: 1, fail: 2, error: 3 } as const;

describe('number readings', () => {
  it('reads uptime in seconds without float noise', () => {
    expect(judge('uptime', ['Uptime: 123456 ms'])).toEqual({
      id: 'uptime',
      label: 'Uptime',
      value: 123.456,
      unit: 's',
      status: 'ok',
      limits: null,
      message: null,
      readAt: '2026-03-01T10:00:00.000Z',
    });
    expect(judge('uptime', ['Uptime: 3 ms']).value).toBe(0.003);
    expect(judge('uptime', ['Uptime: 4294967295 ms']).value).toBe(4294967.295);
  });

  it('judges battery voltage against inclusive lower limits, and says why', () => {
    const limits = 'warn below 3.5 V, fail below 3.3 V';
    expect(judge('battery-voltage', ['voltage: 3.91 V', 'charge: 87 %'])).toMatchObject({ value: 3.91, unit: 'V', status: 'ok', limits, message: null });
    expect(judge('battery-voltage', ['voltage: 3.5 V'])).toMatchObject({ status: 'ok' });
    expect(judge('battery-voltage', ['voltage: 3.41 V'])).toMatchObject({ status: 'warn', message: '3.41 V is below the warn limit 3.5 V' });
    expect(judge('battery-voltage', ['voltage: 3.30 V'])).toMatchObject({ value: 3.3, status: 'warn' });
    expect(judge('battery-voltage', ['voltage: 3.21 V'])).toMatchObject({ status: 'fail', limits, message: '3.21 V is below the fail limit 3.3 V' });
  });

  it('reads battery charge from the same answer as the voltage', () => {
    const answer = ['voltage: 3.91 V', 'charge: 87 %'];
    expect(judge('battery-charge', answer)).toMatchObject({ value: 87, unit: '%', status: 'ok', limits: 'warn below 20 %, fail below 10 %' });
    expect(judge('battery-charge', ['voltage: 3.6 V', 'charge: 15 %'])).toMatchObject({ status: 'warn', message: '15 % is below the warn limit 20 %' });
    expect(judge('battery-charge', ['charge: 9 %'])).toMatchObject({ status: 'fail', message: '9 % is below the fail limit 10 %' });
  });

  it('judges temperature on both sides', () => {
    const limits = 'warn below -10 °C, fail below -20 °C, warn above 60 °C, fail above 85 °C';
    expect(judge('temperature', ['temperature: 24.31 C'])).toMatchObject({ value: 24.31, unit: '°C', status: 'ok', limits });
    expect(judge('temperature', ['temperature: 60.00 C'])).toMatchObject({ value: 60, status: 'ok' });
    expect(judge('temperature', ['temperature: 61.5 C'])).toMatchObject({ status: 'warn', message: '61.5 °C is above the warn limit 60 °C' });
    expect(judge('temperature', ['temperature: 90.2 C'])).toMatchObject({ status: 'fail', message: '90.2 °C is above the fail limit 85 °C' });
    expect(judge('temperature', ['temperature: -12.5 C'])).toMatchObject({ status: 'warn', message: '-12.5 °C is below the warn limit -10 °C' });
    expect(judge('temperature', ['temperature: -25 C'])).toMatchObject({ status: 'fail', message: '-25 °C is below the fail limit -20 °C' });
  });

  it('is an error, quoting the device, when the value is missing', () => {
    const reading = judge('battery-voltage', ['charge: 87 %', 'oops']);
    expect(reading).toMatchObject({ value: null, unit: 'V', status: 'error', limits: 'warn below 3.5 V, fail below 3.3 V' });
    expect(reading.message).toBe(`the answer to 'battery' has no line matching ^voltage: (-?\\d+(?:\\.\\d+)?) V: "charge: 87 % | oops"`);
    expect(judge('uptime', []).message).toBe(`the answer to 'kernel uptime' has no line matching ^Uptime: (\\d+) ms: an empty answer`);
  });

  it('is an error, quoting the line, when the captured text is not a number', () => {
    const loose: NumberDiagnostic = { type: 'number', id: 'v', label: 'V', command: 'battery', pattern: '^voltage: (\\S+) V', unit: 'V' };
    const reading = judgeReading(loose, ['voltage: 3,91 V'], readAt);
    expect(reading).toMatchObject({ value: null, status: 'error', message: `"3,91" is not a number, in the answer to 'battery': "voltage: 3,91 V"` });
    expect(judgeReading(loose, ['voltage: 1e999 V'], readAt).status).toBe('error');
    expect(judgeReading(loose, ['voltage: nan V'], readAt).status).toBe('error');
  });

  it('quotes a long or noisy answer briefly, with control bytes escaped', () => {
    const reading = judge('temperature', [`\u0007${'x'.repeat(500)}`]);
    expect(reading.message?.length).toBeLessThan(260);
    expect(reading.message).toContain('\\u0007');
    expect(reading.message).toContain('…');
  });
});

describe('text readings', () => {
  it('judges the reset cause by its lists, ignoring case', () => {
    const limits = 'ok: power-on, pin, software; warn: watchdog; fail: brownout';
    expect(judge('reset-cause', ['reset cause: power-on'])).toMatchObject({ value: 'power-on', unit: null, status: 'ok', limits, message: null });
    expect(judge('reset-cause', ['reset cause: PIN'])).toMatchObject({ value: 'PIN', status: 'ok' });
    expect(judge('reset-cause', ['reset cause: watchdog'])).toMatchObject({ status: 'warn', message: '"watchdog" is on the warn list' });
    expect(judge('reset-cause', ['reset cause: brownout'])).toMatchObject({ status: 'fail', message: '"brownout" is on the fail list' });
    expect(judge('reset-cause', ['reset cause: lockup'])).toMatchObject({
      status: 'warn',
      message: '"lockup" is not an expected value (ok: power-on, pin, software)',
    });
    expect(judge('reset-cause', ['reset cause:'])).toMatchObject({ status: 'error', value: null });
  });

  it('judges the self-test by its summary line, not the parts', () => {
    const lines = (result: string) => ['flash: PASS', 'sensor: FAIL', 'radio: PASS', `selftest: ${result}`];
    expect(judge('selftest', lines('PASS'))).toMatchObject({ value: 'PASS', status: 'ok', limits: 'ok: PASS; fail: FAIL' });
    expect(judge('selftest', lines('FAIL'))).toMatchObject({ value: 'FAIL', status: 'fail', message: '"FAIL" is on the fail list' });
    expect(judge('selftest', ['flash: PASS'])).toMatchObject({ status: 'error' });
  });

  it('calls any value ok when the profile gives no ok list', () => {
    const reading = judgeReading({ type: 'text', id: 'mode', label: 'Mode', command: 'mode', pattern: '^mode: (.+)$', fail: ['panic'] }, ['mode: low power '], readAt);
    expect(reading).toMatchObject({ value: 'low power', status: 'ok', limits: 'fail: panic' });
  });
});

describe('count readings', () => {
  const errLine = (n: number) => `[00:00:${String(10 + n).padStart(2, '0')}.345,000] <err> i2c_nrfx_twim: Error on I2C line occurred`;
  const log = (n: number) => [...Array.from({ length: n }, (_, i) => errLine(i)), `errors: ${n}`];

  it('counts error log entries: warn at 1 or more, fail at 10 or more', () => {
    const limits = 'warn above 0, fail above 9';
    expect(judge('error-log', log(0))).toMatchObject({ value: 0, unit: null, status: 'ok', limits, message: null });
    expect(judge('error-log', log(1))).toMatchObject({ value: 1, status: 'warn', message: '1 line matches <err>, above the warn limit 0' });
    expect(judge('error-log', log(9))).toMatchObject({ value: 9, status: 'warn' });
    expect(judge('error-log', log(10))).toMatchObject({ value: 10, status: 'fail', message: '10 lines match <err>, above the fail limit 9' });
  });
});

describe('a profile that skipped validation', () => {
  it('gives an error reading for a broken pattern instead of throwing', () => {
    for (const type of ['number', 'text', 'count'] as const) {
      const broken = { type, id: 'x', label: 'X', command: 'x', pattern: '([' } as DiagnosticSpec;
      const reading = judgeReading(broken, ['x'], readAt);
      expect(reading.status).toBe('error');
      expect(reading.message).toMatch(/^the profile's pattern \(\[ is not a valid regex/);
    }
    const unknown = { type: 'gauge', id: 'x', label: 'X', command: 'x', pattern: 'x' } as unknown as DiagnosticSpec;
    expect(judgeReading(unknown, [], readAt)).toMatchObject({ status: 'error', message: 'unknown diagnostic type gauge' });
  });
});

describe('parseDecimal', () => {
  it('scales without float noise', () => {
    expect(parseDecimal('123456', 0.001)).toBe(123.456);
    expect(parseDecimal('0.1', 3)).toBe(0.3);
    expect(parseDecimal('7', 1e-7)).toBe(7e-7);
    expect(parseDecimal('1', 1 / 3)).toBe(0.333333333333333);
    expect(parseDecimal('-2.50')).toBe(-2.5);
    expect(parseDecimal('.5')).toBe(0.5);
    expect(parseDecimal('1e3')).toBe(1000);
    for (const bad of ['', ' ', '1,5', '0x10', 'Infinity', '1e999', '--1', '1.2.3']) expect(parseDecimal(bad)).toBeNull();
  });

  it('property: an integer count of milliseconds becomes seconds with at most three decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (ms) => {
        const seconds = parseDecimal(String(ms), 0.001);
        expect(seconds).toBe(Number((ms / 1000).toFixed(3)));
        expect(String(seconds)).toMatch(/^-?\d+(\.\d{1,3})?$/);
      }),
    );
  });
});

// ---------------------------------------------------------------- properties

const arbitraryLine = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('voltage: 3.91 V', 'charge: -1 %', 'temperature: 1e309 C', 'reset cause: ', 'selftest: PASS', '<err>', 'Uptime: 9999999999999999999999 ms'),
);

describe('properties', () => {
  it('judgeReading never throws and always gives a valid Reading, whatever the device says', () => {
    fc.assert(
      fc.property(fc.constantFrom(...profile.diagnostics), fc.array(arbitraryLine, { maxLength: 20 }), (diagnostic, lines) => {
        const reading = judgeReading(diagnostic, lines, readAt);
        expect(Reading.safeParse(reading).success).toBe(true);
        expect(reading.id).toBe(diagnostic.id);
        if (reading.status === 'error') expect(reading.value).toBeNull();
        else if (reading.status !== 'ok') expect(reading.message).toBeTruthy();
      }),
    );
  });

  it('judgeReading never throws for arbitrary patterns either', () => {
    fc.assert(
      fc.property(fc.constantFrom('number', 'text', 'count'), fc.string(), fc.array(fc.string(), { maxLength: 5 }), (type, pattern, lines) => {
        const reading = judgeReading({ type, id: 'x', label: 'X', command: 'x', pattern } as DiagnosticSpec, lines, readAt);
        expect(Reading.safeParse(reading).success).toBe(true);
      }),
    );
  });

  const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });
  /** Ordered limits: fail.min <= warn.min <= warn.max <= fail.max, each side possibly absent. */
  const orderedLimits = fc
    .tuple(fc.array(finite, { minLength: 4, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
    .map(([values, present]) => {
      const [failMin = 0, warnMin = 0, warnMax = 0, failMax = 0] = [...values].sort((a, b) => a - b);
      const limits: NumberLimits = { warn: {}, fail: {} };
      if (present[0]) limits.fail!.min = failMin;
      if (present[1]) limits.warn!.min = warnMin;
      if (present[2]) limits.warn!.max = warnMax;
      if (present[3]) limits.fail!.max = failMax;
      return limits;
    });

  function statusOf(value: number, limits: NumberLimits): number {
    const diagnostic: NumberDiagnostic = { type: 'number', id: 'x', label: 'X', command: 'x', pattern: '^value: (\\S+)$', limits };
    const reading = judgeReading(diagnostic, [`value: ${value}`], readAt);
    expect(reading.value).toBe(value === 0 ? 0 : value);
    return severity[reading.status];
  }

  it('status is monotonic: never better further out from the middle of the limits', () => {
    fc.assert(
      fc.property(orderedLimits, finite, finite, finite, (limits, a, b, c) => {
        const [low = 0, mid = 0, high = 0] = [a, b, c].sort((x, y) => x - y);
        // Between two values, the status is no worse than the worse of the two.
        expect(statusOf(mid, limits)).toBeLessThanOrEqual(Math.max(statusOf(low, limits), statusOf(high, limits)));
      }),
    );
  });

  it('status is monotonic in the value for lower limits only, and for upper limits only', () => {
    fc.assert(
      fc.property(orderedLimits, finite, finite, (limits, a, b) => {
        const [low = 0, high = 0] = [a, b].sort((x, y) => x - y);
        const lower: NumberLimits = { warn: { min: limits.warn?.min }, fail: { min: limits.fail?.min } };
        const upper: NumberLimits = { warn: { max: limits.warn?.max }, fail: { max: limits.fail?.max } };
        expect(statusOf(low, lower)).toBeGreaterThanOrEqual(statusOf(high, lower));
        expect(statusOf(low, upper)).toBeLessThanOrEqual(statusOf(high, upper));
      }),
    );
  });

  it('a value exactly at a limit is inside it', () => {
    fc.assert(
      fc.property(finite, fc.constantFrom('warn', 'fail'), fc.constantFrom('min', 'max'), (limit, level, side) => {
        expect(statusOf(limit, { [level]: { [side]: limit } })).toBe(severity.ok);
      }),
    );
    // At the fail limit but beyond the warn limit: warn, not fail.
    expect(statusOf(3.3, { warn: { min: 3.5 }, fail: { min: 3.3 } })).toBe(severity.warn);
    expect(statusOf(85, { warn: { max: 60 }, fail: { max: 85 } })).toBe(severity.warn);
  });
});
