// SMP over a serial console, as Zephyr's MCUmgr defines it: the packet, preceded by its
// length and followed by a CRC-16/XMODEM, is base64-encoded and cut into lines. The first
// line starts with 0x06 0x09, the rest with 0x04 0x14; each ends with '\n' and is at most
// `lineLength` bytes counting marker and newline. The same wire carries the device's shell
// and log text, so the decoder hands back every byte outside a frame as text.
import { FieldbenchError } from '../../api/errors';
import { crc16Xmodem } from './crc16';
import type { SmpDecodeResult, SmpFrameDecoder, SmpFraming } from './smp-framing';

/** Zephyr's MCUmgr default: 127 bytes per line, marker and newline included. */
export const SMP_SERIAL_DEFAULT_LINE_LENGTH = 127;
/** Marker (2) + four base64 characters + newline (1): the shortest line that carries data. */
export const SMP_SERIAL_MIN_LINE_LENGTH = 7;
/** The length field is 16 bits and counts the packet plus its 2-byte CRC. */
export const SMP_SERIAL_MAX_PACKET = 0xffff - 2;

const START = [0x06, 0x09] as const;
const CONTINUATION = [0x04, 0x14] as const;
const NEWLINE = 0x0a;
/** Longest frame line the decoder collects before calling it garbage (no device sends more). */
const MAX_FRAME_LINE = 8192;
const BASE64_LINE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkLineLength(lineLength: number): void {
  if (!Number.isInteger(lineLength) || lineLength < SMP_SERIAL_MIN_LINE_LENGTH) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `an SMP serial line length of ${lineLength} cannot carry data; it must be a whole number of at least ${SMP_SERIAL_MIN_LINE_LENGTH}`,
      step: 'encode SMP serial frame',
    });
  }
}

/**
 * The length field and the CRC are decoded into the device buffer beside the packet: Zephyr's
 * serial transport and MCUboot's serial recovery base64-decode every frame line straight
 * into one buffer of `buf_size` bytes, so length + packet + CRC must fit it, while the
 * base64 text never sits there whole.
 */
export const SMP_SERIAL_BUFFER_OVERHEAD = 4;

/** Base64 characters per line: what is left after marker and newline, in whole 4-character groups. */
function charsPerLine(lineLength: number): number {
  return Math.floor((lineLength - 3) / 4) * 4;
}

/**
 * Bytes on the wire for one packet of `packetLength` bytes:
 *   B = 4 * ceil((packetLength + 4) / 3)      base64 of length (2) + packet + CRC (2)
 *   C = 4 * floor((lineLength - 3) / 4)       base64 characters per line
 *   wire = B + 3 * ceil(B / C)                plus marker (2) and newline (1) per line
 */
export function smpSerialFramedSize(packetLength: number, lineLength: number = SMP_SERIAL_DEFAULT_LINE_LENGTH): number {
  checkLineLength(lineLength);
  const base64 = 4 * Math.ceil((packetLength + 4) / 3);
  return base64 + 3 * Math.ceil(base64 / charsPerLine(lineLength));
}

/** What a device's `buf_size` buffer must hold for one packet of `packetLength` bytes. */
export function smpSerialBufferedSize(packetLength: number): number {
  return packetLength + SMP_SERIAL_BUFFER_OVERHEAD;
}

/** One packet as serial frame lines, concatenated. */
export function encodeSmpSerialFrames(packet: Uint8Array, options: { lineLength?: number } = {}): Uint8Array {
  const lineLength = options.lineLength ?? SMP_SERIAL_DEFAULT_LINE_LENGTH;
  checkLineLength(lineLength);
  if (packet.length > SMP_SERIAL_MAX_PACKET) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `an SMP packet of ${packet.length} bytes is too long for serial framing (at most ${SMP_SERIAL_MAX_PACKET})`,
      step: 'encode SMP serial frame',
    });
  }
  const raw = new Uint8Array(packet.length + 4);
  const view = new DataView(raw.buffer);
  view.setUint16(0, packet.length + 2);
  raw.set(packet, 2);
  view.setUint16(packet.length + 2, crc16Xmodem(packet));
  // Cutting the base64 text at multiples of 4 characters is the same as encoding 3-byte
  // aligned pieces one by one: every line decodes on its own, as the device decodes it.
  const text = Buffer.from(raw).toString('base64');
  const perLine = charsPerLine(lineLength);
  const lines = Math.ceil(text.length / perLine);
  const out = new Uint8Array(text.length + 3 * lines);
  let at = 0;
  for (let line = 0; line < lines; line++) {
    const marker = line === 0 ? START : CONTINUATION;
    out[at++] = marker[0];
    out[at++] = marker[1];
    const chunk = text.slice(line * perLine, (line + 1) * perLine);
    for (let i = 0; i < chunk.length; i++) out[at++] = chunk.charCodeAt(i);
    out[at++] = NEWLINE;
  }
  return out;
}

/** A packet being put together from its frame lines. */
interface Assembly {
  /** Packet plus CRC, as announced by the length field. */
  expected: number;
  parts: Uint8Array[];
  received: number;
}

/**
 * Pulls SMP packets out of a byte stream shared with a text console. Markers are recognised
 * anywhere, not only at the start of a line, because the device's shell prompt has no line
 * ending and a response frame follows it directly. A marker byte at the very end of a push
 * is held back until the next push says whether it starts a frame.
 */
export class SmpSerialDecoder implements SmpFrameDecoder {
  /** Inside a frame line: its kind and the characters so far; null while in console text. */
  private line: { kind: 'start' | 'continuation'; chars: number[]; overflow: boolean } | null = null;
  /** 0x06 or 0x04 seen last, waiting for the byte that decides whether it is a marker. */
  private held: number | null = null;
  private assembly: Assembly | null = null;

  push(bytes: Uint8Array): SmpDecodeResult {
    const result: SmpDecodeResult = { packets: [], text: new Uint8Array(0), errors: [] };
    const text: number[] = [];
    for (const byte of bytes) {
      if (this.held !== null) {
        const first = this.held;
        this.held = null;
        const kind = first === START[0] && byte === START[1] ? 'start' : first === CONTINUATION[0] && byte === CONTINUATION[1] ? 'continuation' : null;
        if (kind !== null) {
          this.beginLine(kind, result);
          continue;
        }
        // Not a marker after all: the held byte belongs wherever we are.
        this.take(first, text, result);
      }
      if (byte === START[0] || byte === CONTINUATION[0]) this.held = byte;
      else this.take(byte, text, result);
    }
    result.text = Uint8Array.from(text);
    return result;
  }

  private take(byte: number, text: number[], result: SmpDecodeResult): void {
    const line = this.line;
    if (line === null) {
      text.push(byte);
      return;
    }
    if (byte === NEWLINE) {
      this.line = null;
      if (line.overflow) result.errors.push(`a frame line ran past ${MAX_FRAME_LINE} bytes without a newline; dropped`);
      else this.endLine(line.kind, line.chars, result);
      return;
    }
    if (line.chars.length < MAX_FRAME_LINE) line.chars.push(byte);
    else line.overflow = true;
  }

  private beginLine(kind: 'start' | 'continuation', result: SmpDecodeResult): void {
    if (this.line !== null) result.errors.push('a frame line was cut short by a new frame marker; dropped');
    this.line = { kind, chars: [], overflow: false };
  }

  private endLine(kind: 'start' | 'continuation', chars: number[], result: SmpDecodeResult): void {
    // A host or terminal may end lines with "\r\n"; the '\r' is not part of the frame.
    if (chars[chars.length - 1] === 0x0d) chars.pop();
    const encoded = String.fromCharCode(...chars);
    if (encoded.length === 0 || !BASE64_LINE.test(encoded)) {
      this.assembly = null;
      result.errors.push(`a ${kind} frame line is not valid base64 (${encoded.length} characters); its packet is dropped`);
      return;
    }
    let data: Uint8Array = new Uint8Array(Buffer.from(encoded, 'base64'));
    // Only the canonical spelling counts: otherwise a changed padding bit would slip past the CRC.
    if (Buffer.from(data).toString('base64') !== encoded) {
      this.assembly = null;
      result.errors.push(`a ${kind} frame line is not canonical base64; its packet is dropped`);
      return;
    }

    if (kind === 'start') {
      if (this.assembly !== null) {
        result.errors.push(`a packet was abandoned after ${this.assembly.received} of ${this.assembly.expected} bytes when a new one started`);
      }
      this.assembly = null;
      if (data.length < 2) {
        result.errors.push('a start frame is too short to hold the packet length');
        return;
      }
      const expected = (data[0]! << 8) | data[1]!;
      if (expected < 2) {
        result.errors.push(`a start frame announces ${expected} bytes, too few for the CRC`);
        return;
      }
      this.assembly = { expected, parts: [], received: 0 };
      data = data.subarray(2);
    } else if (this.assembly === null) {
      result.errors.push('a continuation frame arrived without a start frame; dropped');
      return;
    }

    const assembly = this.assembly;
    assembly.parts.push(data);
    assembly.received += data.length;
    if (assembly.received < assembly.expected) return;
    this.assembly = null;
    if (assembly.received > assembly.expected) {
      result.errors.push(`frames carried ${assembly.received} bytes where the length field announced ${assembly.expected}; packet dropped`);
      return;
    }
    const whole = new Uint8Array(assembly.expected);
    let at = 0;
    for (const part of assembly.parts) {
      whole.set(part, at);
      at += part.length;
    }
    const packet = whole.subarray(0, whole.length - 2);
    const sent = (whole[whole.length - 2]! << 8) | whole[whole.length - 1]!;
    const computed = crc16Xmodem(packet);
    if (sent !== computed) {
      result.errors.push(
        `a ${packet.length}-byte packet failed its CRC check (sent 0x${sent.toString(16).padStart(4, '0')}, computed 0x${computed.toString(16).padStart(4, '0')}); dropped`,
      );
      return;
    }
    result.packets.push(packet.slice());
  }
}

/** The serial console framing as a strategy for the SMP client. */
export function smpSerialFraming(options: { lineLength?: number } = {}): SmpFraming {
  const lineLength = options.lineLength ?? SMP_SERIAL_DEFAULT_LINE_LENGTH;
  checkLineLength(lineLength);
  return {
    name: `serial (${lineLength}-byte lines)`,
    encode: (packet) => encodeSmpSerialFrames(packet, { lineLength }),
    decoder: () => new SmpSerialDecoder(),
    framedSize: (packetLength) => smpSerialFramedSize(packetLength, lineLength),
    bufferedSize: smpSerialBufferedSize,
  };
}
