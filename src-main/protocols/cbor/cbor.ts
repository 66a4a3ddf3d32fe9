// A small, strict CBOR codec (RFC 8949) for SMP bodies. The encoder writes the one form a
// device expects: definite lengths, shortest integer heads, text keys. The decoder accepts
// everything well-formed a device may send (indefinite maps from Zephyr's zcbor, tags,
// half floats, integer keys) and refuses everything else with a CborError naming the byte
// offset, because its input comes off a wire and must never crash or exhaust the caller.
import { FieldbenchError } from '../../api/errors';

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue };

export interface CborDecodeOptions {
  /** Deepest nesting of arrays, maps and tags accepted (default 64). */
  maxDepth?: number;
  /** Most data items in one document, counting every nested item (default 1,000,000). */
  maxItems?: number;
}

export const CBOR_DEFAULT_MAX_DEPTH = 64;
export const CBOR_DEFAULT_MAX_ITEMS = 1_000_000;

/** Malformed CBOR from a device ('device-error'), or a value that has no CBOR form ('invalid-request'). */
export class CborError extends FieldbenchError {
  /** Where decoding stopped, in bytes from the start; undefined for encoding errors. */
  readonly offset?: number;

  constructor(message: string, offset?: number) {
    super(
      offset === undefined
        ? { code: 'invalid-request', message: `CBOR: ${message}`, step: 'encode CBOR' }
        : {
            code: 'device-error',
            message: `CBOR: ${message} at byte ${offset}`,
            step: 'decode CBOR',
            hint: 'The device sent a malformed management message; check its firmware version, or the line for noise.',
          },
    );
    this.name = 'CborError';
    if (offset !== undefined) this.offset = offset;
  }
}

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const MAJOR_SIMPLE = 7;

const INDEFINITE = 31;
const BREAK = 0xff;
const UINT64_MAX = (1n << 64n) - 1n;
/** Lone UTF-16 surrogates have no UTF-8 form; TextEncoder would silently change them to U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

// ------------------------------------------------------------------------------ encoding

class ByteWriter {
  private buffer = new Uint8Array(64);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** Major type and argument in the shortest head that holds it. */
  head(major: number, argument: number | bigint): void {
    const value = BigInt(argument);
    const top = major << 5;
    if (value < 24n) this.byte(top | Number(value));
    else if (value < 0x100n) {
      this.byte(top | 24);
      this.byte(Number(value));
    } else if (value < 0x10000n) {
      this.reserve(3);
      this.buffer[this.length] = top | 25;
      this.view.setUint16(this.length + 1, Number(value));
      this.length += 3;
    } else if (value < 0x100000000n) {
      this.reserve(5);
      this.buffer[this.length] = top | 26;
      this.view.setUint32(this.length + 1, Number(value));
      this.length += 5;
    } else {
      this.reserve(9);
      this.buffer[this.length] = top | 27;
      this.view.setBigUint64(this.length + 1, value);
      this.length += 9;
    }
  }

  float64(value: number): void {
    this.reserve(9);
    this.buffer[this.length] = (MAJOR_SIMPLE << 5) | 27;
    this.view.setFloat64(this.length + 1, value);
    this.length += 9;
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/**
 * Encodes a value as one CBOR data item. Integers (safe numbers and bigints within 64 bits)
 * get the shortest head; other numbers, and -0, are float64. Map entries whose value is
 * undefined are left out, as JSON does, so an optional request field never reaches a device
 * as CBOR `undefined`; undefined elsewhere is CBOR's simple value 23.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  const writer = new ByteWriter();
  const text = new TextEncoder();

  const encode = (item: CborValue, depth: number): void => {
    if (depth > CBOR_DEFAULT_MAX_DEPTH) throw new CborError(`nesting deeper than ${CBOR_DEFAULT_MAX_DEPTH} (a cycle?)`);
    switch (typeof item) {
      case 'undefined':
        writer.byte(0xf7);
        return;
      case 'boolean':
        writer.byte(item ? 0xf5 : 0xf4);
        return;
      case 'number':
        if (Number.isSafeInteger(item) && !Object.is(item, -0)) encodeInteger(writer, BigInt(item));
        else writer.float64(item);
        return;
      case 'bigint':
        if (item > UINT64_MAX || item < -UINT64_MAX - 1n) throw new CborError(`integer ${item} does not fit in 64 bits`);
        encodeInteger(writer, item);
        return;
      case 'string': {
        if (LONE_SURROGATE.test(item)) throw new CborError('text contains a lone UTF-16 surrogate, which has no UTF-8 form');
        const utf8 = text.encode(item);
        writer.head(MAJOR_TEXT, utf8.length);
        writer.bytes(utf8);
        return;
      }
      case 'object':
        break;
      default:
        throw new CborError(`a ${typeof item} has no CBOR form`);
    }
    if (item === null) {
      writer.byte(0xf6);
    } else if (item instanceof Uint8Array) {
      writer.head(MAJOR_BYTES, item.length);
      writer.bytes(item);
    } else if (Array.isArray(item)) {
      writer.head(MAJOR_ARRAY, item.length);
      for (const element of item) encode(element, depth + 1);
    } else if (isPlainObject(item)) {
      const entries = Object.entries(item).filter(([, entry]) => entry !== undefined);
      writer.head(MAJOR_MAP, entries.length);
      for (const [key, entry] of entries) {
        encode(key, depth + 1);
        encode(entry, depth + 1);
      }
    } else {
      throw new CborError(`a ${Object.prototype.toString.call(item).slice(8, -1)} object has no CBOR form`);
    }
  };

  encode(value, 0);
  return writer.result();
}

function encodeInteger(writer: ByteWriter, value: bigint): void {
  if (value >= 0n) writer.head(MAJOR_UNSIGNED, value);
  else writer.head(MAJOR_NEGATIVE, -1n - value);
}

function isPlainObject(value: object): value is { [key: string]: CborValue } {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// ------------------------------------------------------------------------------ decoding

/** Marks the break byte that ends an indefinite-length item; never escapes the decoder. */
const BREAK_MARK: unique symbol = Symbol('break');

class ByteReader {
  offset = 0;
  items = 0;
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
    private readonly maxItems: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(message: string, at: number = this.offset): never {
    throw new CborError(message, at);
  }

  private need(count: number, what: string, start: number): void {
    if (count > this.remaining) this.fail(`truncated ${what}: ${count} bytes needed, ${this.remaining} left`, start);
  }

  /** The argument of a head: a number when it is safe, a bigint beyond. */
  private argument(info: number, start: number): number | bigint {
    if (info < 24) return info;
    const at = this.offset;
    switch (info) {
      case 24:
        this.need(1, 'head', start);
        this.offset += 1;
        return this.view.getUint8(at);
      case 25:
        this.need(2, 'head', start);
        this.offset += 2;
        return this.view.getUint16(at);
      case 26:
        this.need(4, 'head', start);
        this.offset += 4;
        return this.view.getUint32(at);
      case 27: {
        this.need(8, 'head', start);
        this.offset += 8;
        const value = this.view.getBigUint64(at);
        return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
      default:
        return this.fail(`reserved additional information ${info}`, start);
    }
  }

  /** A length or count, checked against what is left before anything is allocated for it. */
  private length(info: number, start: number, minBytesEach: number, what: string): number {
    const value = this.argument(info, start);
    if (typeof value === 'bigint' || value * minBytesEach > this.remaining) {
      this.fail(`${what} of length ${value} cannot fit in the ${this.remaining} bytes left`, start);
    }
    return value;
  }

  item(depth: number): CborValue | typeof BREAK_MARK {
    const start = this.offset;
    if (this.remaining < 1) this.fail('truncated: a data item was expected');
    if (++this.items > this.maxItems) this.fail(`more than ${this.maxItems} data items`, start);
    const initial = this.view.getUint8(this.offset++);
    const major = initial >> 5;
    const info = initial & 0x1f;

    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE: {
        if (info === INDEFINITE) return this.fail(`an integer cannot have indefinite length`, start);
        const value = this.argument(info, start);
        if (major === MAJOR_UNSIGNED) return value;
        // -1 - n stays a safe number only while n is below 2^53 - 1.
        return typeof value === 'number' && value < Number.MAX_SAFE_INTEGER ? -1 - value : -1n - BigInt(value);
      }
      case MAJOR_BYTES:
      case MAJOR_TEXT:
        return info === INDEFINITE ? this.chunkedString(major, start) : this.string(major, info, start);
      case MAJOR_ARRAY:
      case MAJOR_MAP:
        if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, start);
        return major === MAJOR_ARRAY ? this.array(info, start, depth) : this.map(info, start, depth);
      case MAJOR_TAG: {
        if (info === INDEFINITE) return this.fail('a tag cannot have indefinite length', start);
        this.argument(info, start);
        if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, start);
        // The tag number (a date, a bignum, a CBOR-in-bytes...) is dropped: SMP gives tags no meaning.
        return this.value(depth + 1, 'tagged item');
      }
      default:
        return this.simple(info, start);
    }
  }

  /** An item that must be a value, not a break. */
  value(depth: number, what: string): CborValue {
    const start = this.offset;
    const item = this.item(depth);
    if (item === BREAK_MARK) return this.fail(`unexpected break where a ${what} was expected`, start);
    return item;
  }

  private string(major: number, info: number, start: number): Uint8Array | string {
    const size = this.length(info, start, 1, major === MAJOR_TEXT ? 'text string' : 'byte string');
    const data = this.bytes.slice(this.offset, this.offset + size);
    this.offset += size;
    return major === MAJOR_TEXT ? this.text(data, start) : data;
  }

  private text(data: Uint8Array, start: number): string {
    try {
      return this.utf8.decode(data);
    } catch {
      return this.fail('text string is not valid UTF-8', start);
    }
  }

  private chunkedString(major: number, start: number): Uint8Array | string {
    const chunks: Uint8Array[] = [];
    const texts: string[] = [];
    let total = 0;
    for (;;) {
      const at = this.offset;
      if (this.remaining < 1) this.fail('truncated indefinite-length string: no break', start);
      const initial = this.view.getUint8(this.offset);
      if (initial === BREAK) {
        this.offset += 1;
        break;
      }
      if (initial >> 5 !== major || (initial & 0x1f) === INDEFINITE) {
        this.fail('a chunk of an indefinite-length string must be a definite string of the same type', at);
      }
      if (++this.items > this.maxItems) this.fail(`more than ${this.maxItems} data items`, at);
      this.offset += 1;
      const size = this.length(initial & 0x1f, at, 1, 'string chunk');
      const data = this.bytes.subarray(this.offset, this.offset + size);
      this.offset += size;
      // Each text chunk must be whole UTF-8 on its own (RFC 8949 3.2.3).
      if (major === MAJOR_TEXT) texts.push(this.text(data, at));
      else chunks.push(data);
      total += size;
    }
    if (major === MAJOR_TEXT) return texts.join('');
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    return joined;
  }

  private array(info: number, start: number, depth: number): CborValue[] {
    const result: CborValue[] = [];
    if (info === INDEFINITE) {
      for (;;) {
        const item = this.item(depth + 1);
        if (item === BREAK_MARK) return result;
        result.push(item);
      }
    }
    const count = this.length(info, start, 1, 'array');
    for (let i = 0; i < count; i++) result.push(this.value(depth + 1, 'array element'));
    return result;
  }

  private map(info: number, start: number, depth: number): { [key: string]: CborValue } {
    const result: { [key: string]: CborValue } = {};
    const entry = (keyStart: number, key: CborValue): void => {
      const name = mapKey(key, (this.bytes[keyStart] ?? 0) >> 5);
      if (name === null) this.fail(`a map key must be a text string or an integer`, keyStart);
      if (Object.prototype.hasOwnProperty.call(result, name)) this.fail(`duplicate map key "${name}"`, keyStart);
      // defineProperty, so a key named "__proto__" is data and never the object's prototype.
      Object.defineProperty(result, name, { value: this.value(depth + 1, 'map value'), enumerable: true, writable: true, configurable: true });
    };
    if (info === INDEFINITE) {
      for (;;) {
        const keyStart = this.offset;
        const key = this.item(depth + 1);
        if (key === BREAK_MARK) return result;
        entry(keyStart, key);
      }
    }
    const count = this.length(info, start, 2, 'map');
    for (let i = 0; i < count; i++) {
      const keyStart = this.offset;
      entry(keyStart, this.value(depth + 1, 'map key'));
    }
    return result;
  }

  private simple(info: number, start: number): CborValue | typeof BREAK_MARK {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 24: {
        this.need(1, 'simple value', start);
        const value = this.view.getUint8(this.offset++);
        return this.fail(value < 32 ? `simple value ${value} in a two-byte form` : `unassigned simple value ${value}`, start);
      }
      case 25: {
        this.need(2, 'half-precision float', start);
        const half = this.view.getUint16(this.offset);
        this.offset += 2;
        return halfToNumber(half);
      }
      case 26: {
        this.need(4, 'single-precision float', start);
        const value = this.view.getFloat32(this.offset);
        this.offset += 4;
        return value;
      }
      case 27: {
        this.need(8, 'double-precision float', start);
        const value = this.view.getFloat64(this.offset);
        this.offset += 8;
        return value;
      }
      case INDEFINITE:
        return BREAK_MARK;
      default:
        return this.fail(info < 20 ? `unassigned simple value ${info}` : `reserved additional information ${info}`, start);
    }
  }
}

/**
 * Text keys as they are; integer keys (some SMP groups use them) as their decimal text. The
 * major type decides, so a float key that happens to be whole (1.0) is refused, not merged with 1.
 */
function mapKey(key: CborValue, major: number): string | null {
  if (major === MAJOR_TEXT && typeof key === 'string') return key;
  if (major === MAJOR_UNSIGNED || major === MAJOR_NEGATIVE) return String(key);
  return null;
}

function halfToNumber(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Decodes exactly one CBOR data item that fills `bytes`; anything malformed throws a CborError. */
export function decodeCbor(bytes: Uint8Array, options: CborDecodeOptions = {}): CborValue {
  const reader = new ByteReader(bytes, options.maxDepth ?? CBOR_DEFAULT_MAX_DEPTH, options.maxItems ?? CBOR_DEFAULT_MAX_ITEMS);
  const value = reader.value(0, 'data item');
  if (reader.remaining > 0) reader.fail(`${reader.remaining} trailing bytes after the data item`);
  return value;
}
