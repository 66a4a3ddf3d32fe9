// What Intel HEX and S-record readers share: the file as numbered lines, and the hex digits
// of one record as bytes, with errors that name the line.
import { imageError } from './image-error';

export interface TextLine {
  /** 1-based, as an editor shows it. */
  number: number;
  text: string;
}

/** Non-blank lines, with CR/LF endings and trailing spaces removed. */
export function textLines(bytes: Uint8Array): TextLine[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const lines: TextLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line.length > 0) lines.push({ number: index + 1, text: line });
  });
  return lines;
}

const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/** The record's hex digits from `start` on, as bytes. */
export function recordBytes(line: TextLine, start: number, step: string): Uint8Array {
  const digits = line.text.slice(start);
  if (!HEX_DIGITS.test(digits)) {
    const bad = [...digits].findIndex((c) => !/[0-9a-fA-F]/.test(c));
    throw imageError(step, `line ${line.number}: '${digits[bad] ?? ''}' at column ${start + bad + 1} is not a hex digit`, 'The file is damaged or not in this format.');
  }
  if (digits.length % 2 !== 0) {
    throw imageError(step, `line ${line.number}: odd number of hex digits (${digits.length}); every byte takes two`, 'The line was cut short or edited; rebuild the file.');
  }
  return new Uint8Array(Buffer.from(digits, 'hex'));
}

export function byteSum(bytes: Uint8Array, end = bytes.length): number {
  let sum = 0;
  for (let i = 0; i < end; i++) sum += bytes[i] ?? 0;
  return sum & 0xff;
}

export function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
