import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { CborError, type CborValue, decodeCbor, encodeCbor } from '../../src-main/protocols/cbor/cbor';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function decodeError(bytes: Uint8Array, options?: Parameters<typeof decodeCbor>[1]): CborError {
  try {
    decodeCbor(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(CborError);
    return error as CborError;
  }
  throw new Error(`expected ${toHex(bytes)} to be refused`);
}

// Appendix A of RFC 8949: encoded form and value, both ways.
const vectors: [string, CborValue][] = [
  ['00', 0],
  ['01', 1],
  ['0a', 10],
  ['17', 23],
  ['1818', 24],
  ['1819', 25],
  ['1864', 100],
  ['1903e8', 1000],
  ['1a000f4240', 1000000],
  ['1b000000e8d4a51000', 1000000000000],
  ['1bffffffffffffffff', 18446744073709551615n],
  ['3bffffffffffffffff', -18446744073709551616n],
  ['20', -1],
  ['29', -10],
  ['3863', -100],
  ['3903e7', -1000],
  ['fb3ff199999999999a', 1.1],
  ['fb7e37e43c8800759c', 1e300],
  ['f4', false],
  ['f5', true],
  ['f6', null],
  ['f7', undefined],
  ['40', new Uint8Array(0)],
  ['4401020304', new Uint8Array([1, 2, 3, 4])],
  ['60', ''],
  ['6161', 'a'],
  ['6449455446', 'IETF'],
  ['62225c', '"\\'],
  ['62c3bc', '\u00fc'],
  ['63e6b0b4', '\u6c34'],
  ['64f0908591', '\u{10151}'],
  ['80', []],
  ['83010203', [1, 2, 3]],
  ['8301820203820405', [1, [2, 3], [4, 5]]],
  ['a0', {}],
  ['a26161016162820203', { a: 1, b: [2, 3] }],
  ['826161a161626163', ['a', { b: 'c' }]],
];

describe('CBOR vectors', () => {
  test.each(vectors)('%s', (encoded, value) => {
    expect(decodeCbor(hex(encoded))).toEqual(value);
    expect(toHex(encodeCbor(value))).toBe(encoded);
  });

  test.each([
    ['f90000', 0],
    ['f98000', -0],
    ['f93c00', 1],
    ['f93e00', 1.5],
    ['f97bff', 65504],
    ['f90001', 5.960464477539063e-8],
    ['f90400', 0.00006103515625],
    ['f9c400', -4],
    ['f97c00', Infinity],
    ['f9fc00', -Infinity],
    ['fa47c35000', 100000],
    ['fa7f7fffff', 3.4028234663852886e38],
    ['fb3ff199999999999a', 1.1],
  ])('float %s', (encoded, value) => {
    expect(Object.is(decodeCbor(hex(encoded)), value)).toBe(true);
  });

  test('NaN in every width', () => {
    for (const encoded of ['f97e00', 'fa7fc00000', 'fb7ff8000000000000']) expect(decodeCbor(hex(encoded))).toBeNaN();
  });

  test('indefinite-length strings, arrays and maps, as Zephyr sends them', () => {
    expect(decodeCbor(hex('5f42010243030405ff'))).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(decodeCbor(hex('7f657374726561646d696e67ff'))).toBe('streaming');
    expect(decodeCbor(hex('9fff'))).toEqual([]);
    expect(decodeCbor(hex('9f018202039f0405ffff'))).toEqual([1, [2, 3], [4, 5]]);
    expect(decodeCbor(hex('83018202039f0405ff'))).toEqual([1, [2, 3], [4, 5]]);
    expect(decodeCbor(hex('bf61610161629f0203ffff'))).toEqual({ a: 1, b: [2, 3] });
    expect(decodeCbor(hex('bf6346756ef563416d7421ff'))).toEqual({ Fun: true, Amt: -2 });
    expect(decodeCbor(hex('5fff'))).toEqual(new Uint8Array(0));
  });

  test('tags give back the tagged value', () => {
    expect(decodeCbor(hex('c074323031332d30332d32315432303a30343a30305a'))).toBe('2013-03-21T20:04:00Z');
    expect(decodeCbor(hex('c11a514b67b0'))).toBe(1363896240);
    expect(decodeCbor(hex('d74401020304'))).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(decodeCbor(hex('d82076687474703a2f2f7777772e6578616d706c652e636f6d'))).toBe('http://www.example.com');
    expect(decodeCbor(hex('dbffffffffffffffff00'))).toBe(0);
  });

  test('integer map keys become their decimal text', () => {
    expect(decodeCbor(hex('a201020304'))).toEqual({ '1': 2, '3': 4 });
    expect(decodeCbor(hex('a1200a'))).toEqual({ '-1': 10 });
  });

  test('integers past 2^53 come back as bigints, the rest as numbers', () => {
    expect(decodeCbor(hex('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(hex('1b0020000000000000'))).toBe(2n ** 53n);
    expect(decodeCbor(hex('3b001ffffffffffffe'))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(hex('3b001fffffffffffff'))).toBe(-(2n ** 53n));
  });

  test('a map key named __proto__ is data, not a prototype', () => {
    const value = decodeCbor(encodeCbor(JSON.parse('{"__proto__": {"polluted": true}}') as CborValue)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('CBOR encoding', () => {
  test('shortest integer heads at every boundary', () => {
    expect(toHex(encodeCbor(255))).toBe('18ff');
    expect(toHex(encodeCbor(256))).toBe('190100');
    expect(toHex(encodeCbor(65535))).toBe('19ffff');
    expect(toHex(encodeCbor(65536))).toBe('1a00010000');
    expect(toHex(encodeCbor(4294967295))).toBe('1affffffff');
    expect(toHex(encodeCbor(4294967296))).toBe('1b0000000100000000');
    expect(toHex(encodeCbor(-24))).toBe('37');
    expect(toHex(encodeCbor(-25))).toBe('3818');
    expect(toHex(encodeCbor(5n))).toBe('05');
  });

  test('non-integers and -0 are float64', () => {
    expect(toHex(encodeCbor(-0))).toBe('fb8000000000000000');
    expect(toHex(encodeCbor(0.5))).toBe('fb3fe0000000000000');
    expect(toHex(encodeCbor(2 ** 60))).toBe('fb43b0000000000000');
  });

  test('map entries whose value is undefined are left out; undefined elsewhere is simple 23', () => {
    expect(toHex(encodeCbor({ a: 1, b: undefined }))).toBe('a1616101');
    expect(toHex(encodeCbor([undefined]))).toBe('81f7');
  });

  test('values with no CBOR form are refused with invalid-request', () => {
    for (const value of [new Date(0), new Map(), () => 1, Symbol('s'), 2n ** 64n, -(2n ** 64n) - 1n, '\ud800']) {
      const error = (() => {
        try {
          encodeCbor(value as unknown as CborValue);
        } catch (caught) {
          return caught;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(CborError);
      expect((error as CborError).code).toBe('invalid-request');
    }
    const cycle: CborValue[] = [];
    cycle.push(cycle);
    expect(() => encodeCbor(cycle)).toThrow(CborError);
  });
});

describe('CBOR decoding refuses malformed input, naming the byte', () => {
  test.each([
    ['', 'truncated', 0],
    ['18', 'truncated head', 0],
    ['1900', 'truncated head', 0],
    ['0000', 'trailing', 1],
    ['1c', 'reserved additional information 28', 0],
    ['3e', 'reserved additional information 30', 0],
    ['1f', 'indefinite length', 0],
    ['df00', 'indefinite length', 0],
    ['ff', 'unexpected break', 0],
    ['8201ff', 'unexpected break', 2],
    ['a1ff', 'map of length 1 cannot fit', 0],
    ['bf616101', 'truncated', 4],
    ['a10102ff', 'trailing', 3],
    ['bf01ff', 'unexpected break', 2],
    ['9f01', 'truncated', 2],
    ['5f6161ff', 'same type', 1],
    ['5f5f4100ffff', 'same type', 1],
    ['7f', 'no break', 0],
    ['616180', 'trailing', 2],
    ['a1c16161616101', 'map key must be', 1],
    ['61ff', 'UTF-8', 0],
    ['62c328', 'UTF-8', 0],
    ['a2616101616102', 'duplicate map key "a"', 4],
    ['a2016102', 'map of length 2 cannot fit', 0],
    ['a101', 'map of length 1 cannot fit', 0],
    ['a201021903', 'truncated head', 3],
    ['a2016101', 'map of length 2', 0],
    ['a14000', 'map key must be', 1],
    ['a1f600', 'map key must be', 1],
    ['a1fb3ff000000000000000', 'map key must be', 1],
    ['f0', 'unassigned simple value 16', 0],
    ['f818', 'two-byte form', 0],
    ['f8ff', 'unassigned simple value 255', 0],
    ['fc', 'reserved', 0],
    ['f9', 'truncated half-precision', 0],
    ['fa0000', 'truncated single-precision', 0],
    ['5bffffffffffffffff', 'cannot fit', 0],
    ['5a7fffffff', 'cannot fit', 0],
    ['9bffffffffffffffff', 'cannot fit', 0],
    ['9a00010000', 'cannot fit', 0],
    ['bb0000000100000000', 'cannot fit', 0],
    ['7f7a7fffffff', 'cannot fit', 1],
    ['c6', 'truncated', 1],
  ])('%s: %s', (encoded, words, offset) => {
    const error = decodeError(hex(encoded));
    expect(error.message).toContain(words);
    expect(error.message).toContain(`at byte ${offset}`);
    expect(error.offset).toBe(offset);
    expect(error.code).toBe('device-error');
    expect(error).toBeInstanceOf(FieldbenchError);
  });

  test('nesting past maxDepth, in arrays, maps and tags', () => {
    const deep = (open: string, depth: number) => hex(open.repeat(depth) + '00');
    expect(decodeCbor(deep('81', 64))).toBeDefined();
    expect(decodeError(deep('81', 65)).message).toContain('nesting deeper than 64');
    expect(decodeError(deep('9f', 10_000)).message).toContain('nesting deeper than 64');
    expect(decodeError(deep('c0', 100_000)).message).toContain('nesting deeper than 64');
    expect(decodeError(hex('a161618181818100'), { maxDepth: 3 }).message).toContain('nesting deeper than 3');
  });

  test('more items than maxItems', () => {
    expect(decodeCbor(hex('83010203'), { maxItems: 4 })).toEqual([1, 2, 3]);
    expect(decodeError(hex('83010203'), { maxItems: 3 }).message).toContain('more than 3 data items');
    expect(decodeError(hex('5f410041004100ff'), { maxItems: 3 }).message).toContain('more than 3 data items');
  });
});

/** Any value this codec can carry. */
const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer(),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.double(),
    fc.string({ unit: 'binary' }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** What a value looks like after a trip: safe bigints as numbers, undefined map entries gone. */
function normalise(value: CborValue): CborValue {
  if (typeof value === 'bigint') return value >= -BigInt(Number.MAX_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(normalise);
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  const result: Record<string, CborValue> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) Object.defineProperty(result, key, { value: normalise(entry), enumerable: true, writable: true, configurable: true });
  }
  return result;
}

describe('CBOR properties', () => {
  test('every value survives a round trip, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const encoded = encodeCbor(value);
        const decoded = decodeCbor(encoded);
        expect(decoded).toEqual(normalise(value));
        expect(toHex(encodeCbor(decoded))).toBe(toHex(encoded));
      }),
      { numRuns: 500 },
    );
  });

  test('arbitrary bytes either decode or throw a CborError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCbor(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CborError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('every truncation, and every byte change, of a valid document is handled cleanly', () => {
    fc.assert(
      fc.property(cborValue, fc.nat(), fc.integer({ min: 0, max: 255 }), (value, at, byte) => {
        const encoded = encodeCbor(value);
        for (let length = 0; length < encoded.length; length++) expect(() => decodeCbor(encoded.subarray(0, length))).toThrow(CborError);
        const changed = encoded.slice();
        changed[at % changed.length] = byte;
        try {
          decodeCbor(changed);
        } catch (error) {
          expect(error).toBeInstanceOf(CborError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
