// Turns a GATT characteristic's value into a judged Reading, as a profile's parser says.
// Pure, and it never throws: a device that sends a value of the wrong length or text that
// is not UTF-8 gives a reading with status 'error' naming the characteristic and quoting
// its bytes, so one odd characteristic never loses the rest of a diagnostics read.
import type { Reading } from '../../api/schemas';
import type { GattDiagnosticSpec, GattIntegerParser, GattValueParser } from '../profiles/profile-types';
import { describeLimits, formatQuantity, judgeAgainstLimits, parseDecimal } from './judge-reading';

/** What a value reads as, or why it cannot be read; `note` says what a reader should know (a rounded 64-bit value). */
export type ParsedGattValue = { ok: true; value: number | string; note: string | null } | { ok: false; reason: string };

/** The bytes as the parser reads them. */
export function parseGattValue(parser: GattValueParser, bytes: Uint8Array): ParsedGattValue {
  switch (parser.type) {
    case 'integer':
      return parseInteger(parser, bytes);
    case 'utf8':
      return parseUtf8(bytes);
    case 'bytes':
      return { ok: true, value: Buffer.from(bytes).toString('hex'), note: null };
    default: {
      const unknown: { type?: unknown } = parser;
      return { ok: false, reason: `the profile's parser type ${JSON.stringify(unknown.type)} is not one Fieldbench knows` };
    }
  }
}

/** One profile diagnostic's value, parsed and judged against its limits. */
export function gattReading(spec: GattDiagnosticSpec, bytes: Uint8Array, readAt: Date): Reading {
  const unit = spec.parser.type === 'integer' ? (spec.parser.unit ?? null) : null;
  const base = { id: spec.id, label: spec.label, unit, readAt: readAt.toISOString() };
  const parsed = parseGattValue(spec.parser, bytes);
  if (!parsed.ok) {
    return { ...base, limits: null, value: null, status: 'error', message: gattValueProblem(spec.label, spec.characteristic, bytes, parsed.reason) };
  }
  if (typeof parsed.value === 'string') {
    return { ...base, limits: null, value: parsed.value, status: 'ok', message: parsed.note };
  }
  const limitsUnit = unit ?? undefined;
  const judged = judgeAgainstLimits(`${formatQuantity(parsed.value, limitsUnit)} is`, parsed.value, spec.limits, limitsUnit);
  return {
    ...base,
    limits: describeLimits(spec.limits, limitsUnit),
    value: parsed.value,
    status: judged.status,
    message: [judged.message, parsed.note].filter((part) => part !== null).join('; ') || null,
  };
}

/** "Temperature (5f0a0002-…) sent 3 bytes (01 02 03): <reason>": what an error reading says. */
export function gattValueProblem(label: string, characteristic: string, bytes: Uint8Array, reason: string): string {
  return `${label} (${characteristicName(characteristic)}) sent ${quoteBytes(bytes)}: ${reason}`;
}

const SIG_BASE = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/;

/** A SIG-assigned UUID as its 16-bit number ("0x2A19"), as the specifications name them; any other in full. */
export function characteristicName(uuid: string): string {
  const short = SIG_BASE.exec(uuid.toLowerCase());
  return short?.[1] ? `0x${short[1].toUpperCase()}` : uuid;
}

/** Enough of a value to recognise it in a message, without a 512-byte blob in the log. */
const QUOTED_BYTES = 32;

function quoteBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'no bytes';
  const shown = Array.from(bytes.subarray(0, QUOTED_BYTES), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const more = bytes.length > QUOTED_BYTES ? ' …' : '';
  return `${bytes.length} ${bytes.length === 1 ? 'byte' : 'bytes'} (${shown}${more})`;
}

function parseInteger(parser: GattIntegerParser, bytes: Uint8Array): ParsedGattValue {
  const width = parser.bytes;
  const kind = `${width}-byte ${parser.signed ? 'signed' : 'unsigned'} integer`;
  if (bytes.length !== width) {
    return { ok: false, reason: `a ${kind} is exactly ${width} ${width === 1 ? 'byte' : 'bytes'} long` };
  }
  // BigInt keeps all 64 bits: a DataView number would lose them before scale is applied.
  const bigEndian = parser.endian === 'big';
  let raw = 0n;
  for (let i = 0; i < width; i++) raw = (raw << 8n) | BigInt(bytes[bigEndian ? i : width - 1 - i] ?? 0);
  if (parser.signed) raw = BigInt.asIntN(width * 8, raw);

  const scaled = parseDecimal(raw.toString(), parser.scale);
  const value = scaled === null ? null : addOffset(scaled, parser.offset);
  if (value === null || !Number.isFinite(value)) {
    return { ok: false, reason: `the ${kind} ${raw} times ${parser.scale ?? 1} plus ${parser.offset ?? 0} is not a finite number` };
  }
  const exact = raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER);
  return { ok: true, value, note: exact ? null : `the raw value ${raw} has more digits than a number keeps, so it is shown rounded` };
}

/**
 * The sum, rounded to fifteen significant digits as parseDecimal rounds a product, so an
 * offset of -273.15 on 296.15 gives 23, not 22.999999999999996.
 */
function addOffset(value: number, offset: number | undefined): number | null {
  if (offset === undefined || offset === 0) return value;
  const sum = value + offset;
  if (!Number.isFinite(sum)) return null;
  const rounded = Number(sum.toPrecision(15));
  // Next to the largest double, rounding up to fifteen digits overflows; the sum itself is fine.
  return Number.isFinite(rounded) ? rounded : sum;
}

function parseUtf8(bytes: Uint8Array): ParsedGattValue {
  // Some stacks pad fixed-size string characteristics with NULs; they are no part of the text.
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  try {
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, end)), note: null };
  } catch {
    return { ok: false, reason: 'this is not valid UTF-8 text' };
  }
}
