// GATT values as a profile's parser reads them: integers of every width, sign and byte order
// round-trip, scale and offset land on the decimal the device meant, limits judge as over the
// shell, and whatever bytes arrive the answer is a Reading, never a throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reading } from '../../src-main/api/schemas';
import { characteristicName, gattReading, parseGattValue } from '../../src-main/core/diagnostics/gatt-value';
import type { GattDiagnosticSpec, GattIntegerParser, GattValueParser } from '../../src-main/core/profiles/profile-types';

const TEMPERATURE = '5f0a0002-6a63-4f6b-9c55-0d1e5b2e7c11';
const readAt = new Date('2026-11-27T07:00:00.000Z');

/** The sensor node's temperature: sint16 in hundredths of a degree, with the shell reading's limits. */
const temperature: GattDiagnosticSpec = {
  id: 'temperature',
  label: 'Temperature',
  service: '5f0a0001-6a63-4f6b-9c55-0d1e5b2e7c11',
  characteristic: TEMPERATURE,
  mode: 'notify',
  parser: { type: 'integer', signed: true, bytes: 2, scale: 0.01, unit: '°C' },
  limits: { warn: { min: -10, max: 60 }, fail: { min: -20, max: 85 } },
};

/** Written the way a device's firmware writes it, through DataView, independently of the parser. */
function encode(parser: GattIntegerParser, raw: bigint): Uint8Array {
  const bytes = new Uint8Array(parser.bytes);
  const view = new DataView(bytes.buffer);
  const little = parser.endian !== 'big';
  const n = Number(raw);
  switch (parser.bytes) {
    case 1:
      if (parser.signed) view.setInt8(0, n);
      else view.setUint8(0, n);
      break;
    case 2:
      if (parser.signed) view.setInt16(0, n, little);
      else view.setUint16(0, n, little);
      break;
    case 4:
      if (parser.signed) view.setInt32(0, n, little);
      else view.setUint32(0, n, little);
      break;
    case 8:
      if (parser.signed) view.setBigInt64(0, raw, little);
      else view.setBigUint64(0, raw, little);
      break;
  }
  return bytes;
}

const widths = [1, 2, 4, 8] as const;

/** A parser of any width, sign and byte order, with a raw value it can hold. */
const integerCase = fc
  .record({ bytes: fc.constantFrom(...widths), signed: fc.boolean(), endian: fc.constantFrom('little', 'big', undefined) })
  .chain(({ bytes, signed, endian }) => {
    const bits = BigInt(bytes * 8);
    const min = signed ? -(1n << (bits - 1n)) : 0n;
    const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    const parser: GattIntegerParser = { type: 'integer', bytes, signed, ...(endian ? { endian } : {}) };
    // The ends of the range are where sign and width mistakes show; bias towards them.
    return fc.record({ parser: fc.constant(parser), raw: fc.oneof(fc.bigInt({ min, max }), fc.constantFrom(min, max, 0n, min + 1n, max - 1n)) });
  });

describe('integers', () => {
  it('round-trip at every width, sign and byte order', () => {
    fc.assert(
      fc.property(integerCase, ({ parser, raw }) => {
        const parsed = parseGattValue(parser, encode(parser, raw));
        expect(parsed).toEqual({ ok: true, value: Number(raw), note: Number.isSafeInteger(Number(raw)) && BigInt(Number(raw)) === raw ? null : expect.stringContaining(String(raw)) });
      }),
      { numRuns: 2000 },
    );
  });

  it('read little-endian unless the parser says big', () => {
    const bytes = Uint8Array.of(0x01, 0x02);
    expect(parseGattValue({ type: 'integer', signed: false, bytes: 2 }, bytes)).toMatchObject({ value: 0x0201 });
    expect(parseGattValue({ type: 'integer', signed: false, bytes: 2, endian: 'little' }, bytes)).toMatchObject({ value: 0x0201 });
    expect(parseGattValue({ type: 'integer', signed: false, bytes: 2, endian: 'big' }, bytes)).toMatchObject({ value: 0x0102 });
    expect(parseGattValue({ type: 'integer', signed: true, bytes: 2, endian: 'big' }, Uint8Array.of(0xff, 0xfe))).toMatchObject({ value: -2 });
  });

  it('apply scale, then offset, landing on the decimal the device meant', () => {
    const value = (parser: Partial<GattIntegerParser>, bytes: number[]) =>
      parseGattValue({ type: 'integer', signed: true, bytes: 2, ...parser }, Uint8Array.from(bytes));
    expect(value({ scale: 0.01 }, [0x66, 0x08])).toMatchObject({ value: 21.5 });
    expect(value({ scale: 0.01 }, [0xff, 0xff])).toMatchObject({ value: -0.01 });
    expect(value({ scale: 0.01 }, [0x07, 0x00])).toMatchObject({ value: 0.07 });
    // Kelvin in hundredths, shown in degrees Celsius: 296.15 K.
    expect(value({ signed: false, scale: 0.01, offset: -273.15 }, [0xaf, 0x73])).toMatchObject({ value: 23 });
    expect(value({ scale: 0.1, offset: 0.2 }, [0x01, 0x00])).toMatchObject({ value: 0.3 });
  });

  it('scale without losing the raw integer', () => {
    const scales = [0.1, 0.01, 0.001, 0.5, 0.25, 10];
    fc.assert(
      fc.property(fc.constantFrom(...scales), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (scale, raw) => {
        const parser: GattIntegerParser = { type: 'integer', signed: true, bytes: 4, scale };
        const parsed = parseGattValue(parser, encode(parser, BigInt(raw)));
        if (!parsed.ok || typeof parsed.value !== 'number') throw new Error(JSON.stringify(parsed));
        expect(Math.round(parsed.value / scale)).toBe(raw);
        // No binary noise after the decimals the scale has: 0.07, not 0.07000000000000001.
        const decimals = String(scale).split('.')[1]?.length ?? 0;
        expect(Number(parsed.value.toFixed(decimals))).toBe(parsed.value);
      }),
    );
  });

  it('say when a 64-bit value is beyond what a number keeps exactly', () => {
    const parsed = parseGattValue({ type: 'integer', signed: false, bytes: 8 }, new Uint8Array(8).fill(0xff));
    expect(parsed).toEqual({ ok: true, value: 18446744073709552000, note: 'the raw value 18446744073709551615 has more digits than a number keeps, so it is shown rounded' });
    expect(parseGattValue({ type: 'integer', signed: true, bytes: 8 }, new Uint8Array(8).fill(0xff))).toEqual({ ok: true, value: -1, note: null });
  });

  it('refuse a value of any other length', () => {
    fc.assert(
      fc.property(integerCase, fc.uint8Array({ maxLength: 20 }), ({ parser }, bytes) => {
        fc.pre(bytes.length !== parser.bytes);
        const parsed = parseGattValue(parser, bytes);
        expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`^a ${parser.bytes}-byte (signed|unsigned) integer is exactly ${parser.bytes} bytes? long$`)) });
      }),
    );
  });
});

describe('text and bytes', () => {
  it('read UTF-8, dropping the NUL padding some stacks add', () => {
    const utf8: GattValueParser = { type: 'utf8' };
    expect(parseGattValue(utf8, new TextEncoder().encode('Sensor Node Ü °C'))).toEqual({ ok: true, value: 'Sensor Node Ü °C', note: null });
    expect(parseGattValue(utf8, Uint8Array.of(0x72, 0x65, 0x76, 0x20, 0x43, 0, 0, 0))).toMatchObject({ value: 'rev C' });
    expect(parseGattValue(utf8, new Uint8Array(0))).toMatchObject({ value: '' });
    // A NUL inside the text is the device's to send, and it is kept.
    expect(parseGattValue(utf8, Uint8Array.of(0x61, 0, 0x62))).toMatchObject({ value: 'a\u0000b' });
  });

  it('refuse bytes that are not UTF-8: a lone continuation byte, a cut sequence, an overlong form, a surrogate', () => {
    for (const bytes of [[0x80], [0x41, 0xc3], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]]) {
      expect(parseGattValue({ type: 'utf8' }, Uint8Array.from(bytes))).toEqual({ ok: false, reason: 'this is not valid UTF-8 text' });
    }
  });

  it('agree with the platform decoder on every byte string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }).map((t) => new TextEncoder().encode(t))), (bytes) => {
        let end = bytes.length;
        while (end > 0 && bytes[end - 1] === 0) end -= 1;
        let expected: string | null;
        try {
          expected = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, end));
        } catch {
          expected = null;
        }
        const parsed = parseGattValue({ type: 'utf8' }, bytes);
        expect(parsed.ok ? parsed.value : null).toBe(expected);
      }),
    );
  });

  it('show bytes as lower-case hex', () => {
    expect(parseGattValue({ type: 'bytes' }, Uint8Array.of(0x0a, 0xff, 0x00))).toEqual({ ok: true, value: '0aff00', note: null });
    expect(parseGattValue({ type: 'bytes' }, new Uint8Array(0))).toEqual({ ok: true, value: '', note: null });
  });
});

describe('gattReading', () => {
  const sint16 = (value: number) => encode({ type: 'integer', signed: true, bytes: 2 }, BigInt(value));

  it('judges against the limits as a shell reading is judged, inclusive at each limit', () => {
    const reading = (hundredths: number) => gattReading(temperature, sint16(hundredths), readAt);
    expect(reading(2150)).toEqual({
      id: 'temperature',
      label: 'Temperature',
      value: 21.5,
      unit: '°C',
      status: 'ok',
      limits: 'warn below -10 °C, fail below -20 °C, warn above 60 °C, fail above 85 °C',
      message: null,
      readAt: '2026-11-27T07:00:00.000Z',
    });
    expect(reading(6000)).toMatchObject({ status: 'ok' });
    expect(reading(6001)).toMatchObject({ status: 'warn', message: '60.01 °C is above the warn limit 60 °C' });
    expect(reading(8500)).toMatchObject({ status: 'warn' });
    expect(reading(8501)).toMatchObject({ status: 'fail', message: '85.01 °C is above the fail limit 85 °C' });
    expect(reading(-2001)).toMatchObject({ status: 'fail', value: -20.01, message: '-20.01 °C is below the fail limit -20 °C' });
  });

  it('names the characteristic and quotes the bytes of a value it cannot read', () => {
    expect(gattReading(temperature, Uint8Array.of(0x66, 0x08, 0x00), readAt)).toMatchObject({
      value: null,
      status: 'error',
      limits: null,
      message: `Temperature (${TEMPERATURE}) sent 3 bytes (66 08 00): a 2-byte signed integer is exactly 2 bytes long`,
    });
    expect(gattReading(temperature, new Uint8Array(0), readAt).message).toBe(
      `Temperature (${TEMPERATURE}) sent no bytes: a 2-byte signed integer is exactly 2 bytes long`,
    );
    const name = { ...temperature, id: 'name', label: 'Device name', characteristic: '00002a00-0000-1000-8000-00805f9b34fb', parser: { type: 'utf8' as const } };
    expect(gattReading(name, Uint8Array.of(0xc3, 0x28), readAt)).toMatchObject({
      unit: null,
      status: 'error',
      message: 'Device name (0x2A00) sent 2 bytes (c3 28): this is not valid UTF-8 text',
    });
    const long = gattReading(name, new Uint8Array(100).fill(0xff), readAt).message ?? '';
    expect(long).toMatch(/^Device name \(0x2A00\) sent 100 bytes \((ff ){31}ff …\): /);
  });

  it('gives text and hex readings no unit and no limits', () => {
    const label = { ...temperature, parser: { type: 'utf8' as const } };
    expect(gattReading(label, new TextEncoder().encode('bench 3'), readAt)).toMatchObject({ value: 'bench 3', unit: null, limits: null, status: 'ok' });
    const raw = { ...temperature, parser: { type: 'bytes' as const } };
    expect(gattReading(raw, Uint8Array.of(1, 2), readAt)).toMatchObject({ value: '0102', unit: null, limits: null, status: 'ok' });
  });

  it('keeps the rounding note beside a limit message', () => {
    const spec: GattDiagnosticSpec = { ...temperature, parser: { type: 'integer', signed: false, bytes: 8 }, limits: { warn: { max: 10 } } };
    expect(gattReading(spec, new Uint8Array(8).fill(0xff), readAt).message).toBe(
      '18446744073709552000 is above the warn limit 10; the raw value 18446744073709551615 has more digits than a number keeps, so it is shown rounded',
    );
  });

  it('never throws, whatever the bytes and even for a parser no profile could load', () => {
    const anyParser: fc.Arbitrary<GattValueParser> = fc.oneof(
      fc.record({
        type: fc.constant('integer' as const),
        signed: fc.boolean(),
        bytes: fc.constantFrom(1, 2, 3, 4, 8, 16, 0) as fc.Arbitrary<GattIntegerParser['bytes']>,
        endian: fc.constantFrom('little' as const, 'big' as const),
        scale: fc.oneof(fc.double(), fc.constantFrom(1e308, 1e-320)),
        offset: fc.double(),
      }),
      fc.constant({ type: 'utf8' as const }),
      fc.constant({ type: 'bytes' as const }),
      fc.constant({ type: 'float' } as unknown as GattValueParser),
    );
    fc.assert(
      fc.property(anyParser, fc.uint8Array({ maxLength: 64 }), (parser, bytes) => {
        const reading = gattReading({ ...temperature, parser }, bytes, readAt);
        expect(Reading.parse(reading)).toEqual(reading);
        if (reading.status === 'error') expect(reading.message).toMatch(/^Temperature \(5f0a0002-6a63-4f6b-9c55-0d1e5b2e7c11\) sent (no bytes|\d+ bytes? \([0-9a-f ]+( …)?\)): ./);
        if (typeof reading.value === 'number') expect(Number.isFinite(reading.value)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('characteristicName', () => {
  it('names SIG characteristics by their 16-bit number and others in full', () => {
    expect(characteristicName('00002a19-0000-1000-8000-00805f9b34fb')).toBe('0x2A19');
    expect(characteristicName('00002A19-0000-1000-8000-00805F9B34FB')).toBe('0x2A19');
    expect(characteristicName(TEMPERATURE)).toBe(TEMPERATURE);
    expect(characteristicName('12342a19-0000-1000-8000-00805f9b34fb')).toBe('12342a19-0000-1000-8000-00805f9b34fb');
  });
});
