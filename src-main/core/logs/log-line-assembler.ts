// A device's byte stream, as chunks arrive from a serial port or the Nordic UART Service,
// becomes raw lines for the capture. Lines end at CR, LF or CRLF, wherever a chunk boundary
// falls (a CR closing one chunk and an LF opening the next are one line end). Splitting works
// on bytes, not text: CR and LF never occur inside a UTF-8 sequence, so a character split
// across chunks simply joins up again, and the bytes are stored as the device sent them.
//
// (nus-log-lines.ts assembles lines for the BLE log panel, but as decoded, cleaned text with
// over-long lines dropped past the cut; a capture keeps the raw bytes and every one of them.)
//
// Total: it never throws, whatever arrives.
import { MAX_LINE_BYTES } from './log-capture-format';

export interface AssembledLine {
  /** The line without its line ending. May view the pushed chunk's memory: store it before pushing again. */
  bytes: Uint8Array;
  /** Host time (ms) the line's first byte arrived. */
  time: number;
  /** The line before outgrew the cap and was cut: this one carries on from it. */
  continuation: boolean;
}

const CR = 0x0d;
const LF = 0x0a;

export class CaptureLineAssembler {
  private pieces: Uint8Array[] = [];
  /** When each piece arrived: a cut line's continuation is timed by its own first byte. */
  private pieceTimes: number[] = [];
  private pendingLength = 0;
  private pendingTime = 0;
  private pendingContinues = false;
  /** The last byte seen was a CR: an LF next closes no second line. */
  private afterCarriageReturn = false;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4) this.maxLineBytes = MAX_LINE_BYTES;
  }

  /** A line has started and not ended. */
  get hasPartial(): boolean {
    return this.pendingLength > 0;
  }

  /** Bytes of the pending line: received, not yet part of any line. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** When the pending line's first byte arrived; null when nothing is pending. */
  get partialSince(): number | null {
    return this.pendingLength > 0 ? this.pendingTime : null;
  }

  /** Takes the bytes that arrived at `time`; returns the lines they complete, in order. */
  push(time: number, bytes: Uint8Array): AssembledLine[] {
    const lines: AssembledLine[] = [];
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) return lines;
    let start = 0;
    if (this.afterCarriageReturn && bytes[0] === LF) start = 1;
    this.afterCarriageReturn = false;
    for (let i = start; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte !== CR && byte !== LF) continue;
      if (this.pendingLength === 0 && !this.pendingContinues && i - start <= this.maxLineBytes) {
        // The usual case, a whole line inside one chunk: no copy.
        lines.push({ bytes: bytes.subarray(start, i), time, continuation: false });
      } else {
        this.take(bytes.subarray(start, i), time, lines);
        lines.push(this.takeLine(time));
      }
      if (byte === CR) {
        if (i + 1 < bytes.length) {
          if (bytes[i + 1] === LF) i += 1;
        } else {
          this.afterCarriageReturn = true;
        }
      }
      start = i + 1;
    }
    if (start < bytes.length) this.take(bytes.subarray(start), time, lines);
    return lines;
  }

  /**
   * The pending line as it is (a prompt without a newline, a device gone quiet, a note to be
   * written after it); the next bytes start a new line.
   */
  flushPartial(): AssembledLine | null {
    if (this.pendingLength === 0) return null;
    return this.takeLine(this.pendingTime);
  }

  private take(fragment: Uint8Array, time: number, lines: AssembledLine[]): void {
    let rest = fragment;
    while (rest.length > 0) {
      if (this.pendingLength === 0) this.pendingTime = time;
      const room = this.maxLineBytes - this.pendingLength;
      if (rest.length <= room) {
        this.pieces.push(rest);
        this.pieceTimes.push(time);
        this.pendingLength += rest.length;
        return;
      }
      // The line outgrows the cap: cut it where a character starts, and carry on in a new line.
      this.pieces.push(rest.subarray(0, room));
      this.pieceTimes.push(time);
      this.pendingLength += room;
      const whole = this.joined();
      const cut = rest[room] !== undefined && isContinuationByte(rest[room]) ? characterStart(whole) : whole.length;
      lines.push({ bytes: whole.subarray(0, cut), time: this.pendingTime, continuation: this.pendingContinues });
      const carried = whole.subarray(cut);
      if (carried.length > 0) this.pendingTime = this.timeAt(cut);
      this.pieces = carried.length > 0 ? [carried] : [];
      this.pieceTimes = carried.length > 0 ? [this.pendingTime] : [];
      this.pendingLength = carried.length;
      this.pendingContinues = true;
      rest = rest.subarray(room);
    }
  }

  /** `endTime` times an empty line: it has no first byte, only its line end. */
  private takeLine(endTime: number): AssembledLine {
    const line = { bytes: this.joined(), time: this.pendingLength > 0 ? this.pendingTime : endTime, continuation: this.pendingContinues };
    this.pieces = [];
    this.pieceTimes = [];
    this.pendingLength = 0;
    this.pendingContinues = false;
    return line;
  }

  /** When the pending byte at `offset` arrived. */
  private timeAt(offset: number): number {
    let end = 0;
    for (let i = 0; i < this.pieces.length; i++) {
      end += this.pieces[i]!.length;
      if (offset < end) return this.pieceTimes[i]!;
    }
    return this.pendingTime;
  }

  private joined(): Uint8Array {
    if (this.pieces.length === 1) return this.pieces[0]!;
    const out = new Uint8Array(this.pendingLength);
    let at = 0;
    for (const piece of this.pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }
}

function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * `bytes` is full and the byte after it continues a character: cut where that character
 * starts, when it starts within the last 3 bytes; anything else is not UTF-8, cut anywhere.
 */
function characterStart(bytes: Uint8Array): number {
  for (let at = bytes.length - 1; at >= Math.max(1, bytes.length - 3); at--) {
    const byte = bytes[at]!;
    if ((byte & 0xc0) === 0xc0) return at;
    if (!isContinuationByte(byte)) return bytes.length;
  }
  return bytes.length;
}
