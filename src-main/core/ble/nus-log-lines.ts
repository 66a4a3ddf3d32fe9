// Bytes from a device's UART log (the Nordic UART Service's TX notifications) become lines a
// person can read. A notification carries at most MTU − 3 bytes, so lines, UTF-8 characters
// and escape sequences all arrive cut at arbitrary points: bytes are decoded as one stream,
// and a line is cleaned up only once it is whole. Pure: the caller owns the clock and timers.
import type { LogLine } from '../../api/schemas';
import { stripAnsi } from '../../protocols/shell/strip-ansi';

/** Longer than any log line a firmware writes; past it the bytes are noise or a runaway, not a line to keep whole. */
export const MAX_LOG_LINE_LENGTH = 4096;

const LINE_END = /\r\n|\r|\n/g;
// C0 controls but tab, DEL, and C1 controls: whatever the escape stripper left.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export class LogLineAssembler {
  private decoder = newDecoder();
  private pending = '';
  /** When the first bytes of the pending line arrived: the line's time, as the device wrote it then. */
  private pendingAt: Date | null = null;
  /** The last chunk ended in CR: an LF opening the next one ends no second line. */
  private afterCarriageReturn = false;
  /** The pending line outgrew the cap and went out cut: the rest of it is dropped up to its end. */
  private cutShort = false;

  constructor(private readonly maxLineLength = MAX_LOG_LINE_LENGTH) {}

  /** A line is started and not yet ended. */
  get hasPartial(): boolean {
    return this.pending !== '';
  }

  /** Takes one notification's bytes, received at `at`: the lines they complete. */
  push(bytes: Uint8Array, at: Date): LogLine[] {
    let text = this.decoder.decode(bytes, { stream: true });
    // Only the first byte of a multibyte character: nothing to judge yet.
    if (text === '') return [];
    if (this.afterCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.afterCarriageReturn = text.endsWith('\r');
    return this.take(text, at);
  }

  /**
   * The pending line as it is (a prompt that ends in no newline, a device that went quiet);
   * what arrives next starts a new line.
   */
  flushPartial(): LogLine[] {
    if (this.pending === '') return [];
    const line = this.line(this.pending, this.pendingAt!);
    this.pending = '';
    this.pendingAt = null;
    return [line];
  }

  /**
   * The stream ended (the link dropped): bytes of a character never completed show as U+FFFD,
   * the pending line goes out, and the next bytes start afresh.
   */
  finish(at: Date): LogLine[] {
    const rest = this.decoder.decode();
    this.decoder = newDecoder();
    this.afterCarriageReturn = false;
    const lines = rest === '' ? [] : this.take(rest, at);
    this.cutShort = false;
    return [...lines, ...this.flushPartial()];
  }

  private take(text: string, at: Date): LogLine[] {
    const lines: LogLine[] = [];
    let start = 0;
    for (const end of text.matchAll(LINE_END)) {
      this.append(text.slice(start, end.index), at, lines);
      if (this.cutShort) {
        this.cutShort = false;
      } else {
        lines.push(this.line(this.pending, this.pendingAt ?? at));
      }
      this.pending = '';
      this.pendingAt = null;
      start = end.index + end[0].length;
    }
    this.append(text.slice(start), at, lines);
    return lines;
  }

  private append(fragment: string, at: Date, lines: LogLine[]): void {
    if (this.cutShort || fragment === '') return;
    this.pendingAt ??= at;
    this.pending += fragment;
    if (this.pending.length <= this.maxLineLength) return;
    let keep = this.maxLineLength;
    // Never split a surrogate pair: half a character is not text.
    if (isHighSurrogate(this.pending.charCodeAt(keep - 1))) keep -= 1;
    const line = this.line(this.pending.slice(0, keep), this.pendingAt);
    lines.push({ ...line, text: `${line.text} [line cut: longer than ${this.maxLineLength} characters]` });
    this.pending = '';
    this.pendingAt = null;
    this.cutShort = true;
  }

  private line(text: string, at: Date): LogLine {
    return { at: at.toISOString(), text: visibleText(text) };
  }
}

/**
 * A log line as it should be shown: colour and cursor escapes removed, and any other control
 * byte drawn as a visible symbol (BEL as ␇) instead of ringing, erasing or vanishing.
 */
export function visibleText(text: string): string {
  return stripAnsi(text).replace(CONTROL, (character) => {
    const code = character.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `\\x${code.toString(16)}`;
  });
}

function newDecoder(): TextDecoder {
  // Not fatal: a corrupted byte is shown as U+FFFD, and the rest of the line still reads.
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
