// SMP over BLE, as MCUmgr's GATT transport defines it: packets travel bare, with no marker or
// check of their own. The host writes a packet in pieces of at most MTU − 3 bytes (the
// device reassembles it) and the device answers in notifications, so the only way to find
// where an answer ends is the header's length field. A stray or damaged byte would make a
// false header, so the decoder only accepts a header whose fixed bits are right and whose
// body starts as a CBOR map (every SMP body is one, at least the empty map, so a length of
// 0 is refused too); anything else is skipped a byte at a time until a packet lines up again.
import { FieldbenchError } from '../../api/errors';
import { ATT_DEFAULT_MTU, attWritePayload } from '../../transports/ble/att';
import type { SmpDecodeResult, SmpFrameDecoder, SmpFraming } from './smp-framing';
import { decodeSmpHeader, SMP_HEADER_SIZE, SMP_MAX_BODY_SIZE } from './smp-packet';

export interface SmpBleFramingOptions {
  /**
   * The connection's ATT MTU, or a function that reads it when asked: an MTU exchange can
   * raise it after the link opened. 23 by default.
   */
  mtu?: number | (() => number);
  /**
   * The device puts a packet together from several writes (true by default, as Zephyr's SMP
   * Bluetooth transport does with its reassembly option on). When false, a packet must fit
   * one write.
   */
  reassembly?: boolean;
}

/** First bytes a CBOR map can start with: major type 5, definite (0xa0..0xbb) or indefinite (0xbf). */
function startsCborMap(byte: number): boolean {
  return (byte >= 0xa0 && byte <= 0xbb) || byte === 0xbf;
}

/** The fixed bits of an SMP header's first byte: reserved bits clear, version 1 or 2, a known op. */
function plausibleFirstByte(byte: number): boolean {
  return byte >> 5 === 0 && ((byte >> 3) & 0b11) <= 1 && (byte & 0b111) <= 3;
}

/** Reassembles SMP packets from notification pieces of any size. Never throws. */
export class SmpBleDecoder implements SmpFrameDecoder {
  private buffer: Uint8Array = new Uint8Array(0);

  /** @param maxBodyLength longest body accepted as real; a header announcing more is junk. */
  constructor(private readonly maxBodyLength: number = SMP_MAX_BODY_SIZE) {}

  push(bytes: Uint8Array): SmpDecodeResult {
    const result: SmpDecodeResult = { packets: [], text: new Uint8Array(0), errors: [] };
    this.buffer = concat(this.buffer, bytes);
    let skipped = 0;
    let at = 0;
    const skip = (): void => {
      at += 1;
      skipped += 1;
    };
    while (at < this.buffer.length) {
      const rest = this.buffer.subarray(at);
      if (!plausibleFirstByte(rest[0]!)) {
        skip();
        continue;
      }
      if (rest.length < SMP_HEADER_SIZE) break;
      const length = bodyLength(rest);
      if (length === null || length === 0 || length > this.maxBodyLength) {
        skip();
        continue;
      }
      if (rest.length > SMP_HEADER_SIZE && !startsCborMap(rest[SMP_HEADER_SIZE]!)) {
        skip();
        continue;
      }
      if (rest.length < SMP_HEADER_SIZE + length) break;
      result.packets.push(rest.slice(0, SMP_HEADER_SIZE + length));
      at += SMP_HEADER_SIZE + length;
    }
    this.buffer = this.buffer.slice(at);
    if (skipped > 0) result.errors.push(`skipped ${skipped} byte${skipped === 1 ? '' : 's'} that did not start an SMP packet`);
    return result;
  }
}

function bodyLength(header: Uint8Array): number | null {
  try {
    return decodeSmpHeader(header).length;
  } catch {
    return null;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

/** The BLE GATT framing as a strategy for the SMP client. */
export function smpBleFraming(options: SmpBleFramingOptions = {}): SmpFraming {
  const mtuOption = options.mtu ?? ATT_DEFAULT_MTU;
  const mtu = typeof mtuOption === 'function' ? mtuOption : () => mtuOption;
  const reassembly = options.reassembly ?? true;
  attWritePayload(mtu());
  return {
    get name() {
      return `BLE GATT (MTU ${mtu()})`;
    },
    encode(packet) {
      if (packet.length > SMP_HEADER_SIZE + SMP_MAX_BODY_SIZE) {
        throw new FieldbenchError({
          code: 'invalid-request',
          message: `an SMP packet of ${packet.length} bytes is longer than its header can announce`,
          step: 'encode SMP BLE packet',
        });
      }
      return packet;
    },
    decoder: () => new SmpBleDecoder(),
    // Bare packets: the bytes on the wire are the packet (ATT headers belong to the link).
    framedSize: (packetLength) => packetLength,
    /**
     * The device reassembles the writes into its buffer, so the packet must fit buf_size.
     * A packet longer than one write is counted in whole writes: the upload then sizes each
     * request to end on a full write, so no write (and no slot in a connection event) goes
     * out half empty, which carries more image per write than filling buf_size exactly.
     * Without reassembly one write is the limit.
     */
    bufferedSize(packetLength) {
      const payload = attWritePayload(mtu());
      if (packetLength <= payload) return packetLength;
      if (!reassembly) return Number.POSITIVE_INFINITY;
      return Math.ceil(packetLength / payload) * payload;
    },
  };
}
