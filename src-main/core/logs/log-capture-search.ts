// Search over a capture, one chunk at a time. Plain text is found with a byte search over
// the raw chunk (no line is decoded unless it matches), which is what keeps a search of a
// 1,000,000-line capture within the console's budget; a regular expression or a
// case-insensitive search has to decode every line in range. A device line is matched as
// the console shows it (escapes removed, control bytes drawn, binary as hex), and offsets
// point into that text; only a line whose bytes would show differently is parsed first.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { FieldbenchError } from '../../api/errors';
import type { RecordChunk } from './log-capture-chunks';
import { damaged } from './log-capture-chunks';
import { checkFrame, FRAME_BYTES, RECORD_FIXED_BYTES, recordSeq, recordSize, recordTime } from './log-capture-format';

const LINE_OFFSET = FRAME_BYTES + RECORD_FIXED_BYTES;
const FLAGS_OFFSET = FRAME_BYTES + 16;

export type CaptureQuery = { text: string; ignoreCase?: boolean } | { regex: RegExp };

export interface CaptureSearchOptions {
  /** First sequence number to search (default 0). */
  from?: number;
  /** Search stops before this sequence number (default: the end of the capture). */
  to?: number;
  /** Stop after this many matching records (default 1000). */
  limit?: number;
  /** How lines are shown, when some are shown otherwise than as their stored text. */
  display?: LineDisplay;
}

/**
 * How a capture's lines are shown: a device line as the parser makes it (escapes removed,
 * control bytes drawn, binary as hex, cut at a length), any other record as its UTF-8 text.
 */
export interface LineDisplay {
  /** Whether a record with these flags is shown through `shownText`. */
  isParsed(flags: number): boolean;
  shownText(bytes: Uint8Array): string;
  /** A longer line (in bytes) is cut when shown. */
  maxBytes: number;
}

export interface CaptureMatch {
  /** UTF-16 offsets into the line's text, as String.slice takes them. */
  start: number;
  end: number;
}

export interface CaptureHit {
  seq: number;
  time: number;
  flags: number;
  text: string;
  matches: CaptureMatch[];
}

export interface CaptureSearchResult {
  hits: CaptureHit[];
  /** The search looked at records before this one: continue from here for more. */
  scannedTo: number;
  /** Every record in range was searched (the limit did not stop it). */
  complete: boolean;
}

const DEFAULT_LIMIT = 1000;

export async function searchChunks(
  chunks: Iterable<RecordChunk>,
  firstSeq: number,
  options: CaptureSearchOptions & { from: number; to: number },
  query: CaptureQuery,
  where: { device: string; file: string },
): Promise<CaptureSearchResult> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  const matcher = compileLineQuery(query, where.device);
  const hits: CaptureHit[] = [];
  let seq = firstSeq;
  for (const chunk of chunks) {
    const stop = scanChunk(chunk, seq, options, matcher, options.display, hits, limit, where);
    if (stop.done) return { hits, scannedTo: stop.seq, complete: stop.seq >= options.to };
    seq = stop.seq;
    await yieldToLoop();
  }
  return { hits, scannedTo: Math.min(seq, options.to), complete: true };
}

/**
 * Found in a chunk's raw bytes before any line is decoded: exact bytes, or ASCII text ignoring
 * case, run as a regex over the chunk read as latin1 (one char per byte, so positions are
 * byte offsets).
 */
export type Prefilter = { needle: Buffer } | { caseless: string; folding: RegExp };

const KELVIN_SIGN = Buffer.from('\u212a', 'utf8');
const LONG_S = Buffer.from('\u017f', 'utf8');

/** Where the next prefilter hit at or after a byte offset of the chunk is; -1 when none. */
export function candidateFinder(prefilter: Prefilter, buf: Buffer, end: number): (from: number) => number {
  const view = buf.subarray(0, end);
  if ('needle' in prefilter) return (from) => view.indexOf(prefilter.needle, from);
  if (view.indexOf(KELVIN_SIGN) === -1 && view.indexOf(LONG_S) === -1) return caselessBytes(view, prefilter.caseless);
  // The folding alternatives need the text: only a chunk that holds one of those characters pays for decoding it.
  const text = buf.toString('latin1', 0, end);
  const pattern = prefilter.folding;
  return (from) => {
    pattern.lastIndex = from;
    return pattern.exec(text)?.index ?? -1;
  };
}

/** English letters, most common first: the rarest letter of a word gives the fewest false starts. */
const LETTER_FREQUENCY = 'etaoinshrdlcumwfgypbvkjxqz';

function rarestLetter(lower: Buffer): number {
  let best = 0;
  let bestRank = -1;
  lower.forEach((byte, i) => {
    const rank = LETTER_FREQUENCY.indexOf(String.fromCharCode(byte));
    if (rank > bestRank) {
      best = i;
      bestRank = rank;
    }
  });
  return best;
}

/**
 * ASCII text found ignoring case in raw bytes, without decoding them: byte searches for one
 * character of it (one that has no case when there is one, else both cases of the first),
 * then a caseless compare of the rest.
 */
function caselessBytes(view: Buffer, text: string): (from: number) => number {
  const lower = Buffer.from(text.toLowerCase(), 'latin1');
  const isLetter = (byte: number): boolean => (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a;
  let anchor = lower.findIndex((byte) => !isLetter(byte) && byte !== 0x20);
  if (anchor === -1) anchor = rarestLetter(lower);
  const a = lower[anchor]!;
  const b = isLetter(a) ? a & ~0x20 : a;
  const matchesAt = (start: number): boolean => {
    if (start < 0 || start + lower.length > view.length) return false;
    for (let i = 0; i < lower.length; i++) {
      const byte = view[start + i]!;
      if ((isLetter(byte) ? byte | 0x20 : byte) !== lower[i]) return false;
    }
    return true;
  };
  return (from) => {
    let p = view.indexOf(a, from + anchor);
    let q = a === b ? -1 : view.indexOf(b, from + anchor);
    while (p !== -1 || q !== -1) {
      const at = q === -1 || (p !== -1 && p < q) ? p : q;
      if (matchesAt(at - anchor)) return at - anchor;
      if (at === p) p = view.indexOf(a, p + 1);
      else q = view.indexOf(b, q + 1);
    }
    return -1;
  };
}

/** A query ready to run over record lines. */
export interface LineQuery {
  /** What every matching line contains, when the query says: lines without it are skipped undecoded. */
  prefilter?: Prefilter;
  /** The prefilter also holds for lines as shown, given the escape checks LineCandidates makes. */
  prefilterShown: boolean;
  /** Adjacent character pairs of the prefilter's text (lower case when caseless), as byte pairs `a << 8 | b`. */
  joins: Set<number>;
  caseless: boolean;
  /** Whether the line's text matches. */
  test(text: string): boolean;
  find(text: string): CaptureMatch[];
}

export function compileLineQuery(query: CaptureQuery, device: string): LineQuery {
  if ('regex' in query) {
    const flags = query.regex.flags.includes('g') ? query.regex.flags : `${query.regex.flags}g`;
    const regex = new RegExp(query.regex.source, flags);
    const tester = new RegExp(query.regex.source, flags.replace(/[gy]/gu, ''));
    const caseless = query.regex.flags.includes('i');
    const literal = requiredLiteral(query.regex);
    return { ...literalChecks(literal, caseless), test: (text) => tester.test(text), find: (text) => regexMatches(regex, text) };
  }
  if (query.text.length === 0) {
    throw new FieldbenchError({ code: 'invalid-request', message: 'the search text is empty', device, step: 'search log capture', hint: 'Type something to search for' });
  }
  if (query.ignoreCase) {
    const source = query.text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
    const regex = new RegExp(source, 'giu');
    const tester = new RegExp(source, 'iu');
    return { ...literalChecks(query.text, true), test: (text) => tester.test(text), find: (text) => regexMatches(regex, text) };
  }
  const text = query.text;
  return { ...literalChecks(text, false), test: (line) => line.includes(text), find: (line) => textMatches(text, line) };
}

function literalChecks(literal: string | undefined, caseless: boolean): Pick<LineQuery, 'prefilter' | 'prefilterShown' | 'joins' | 'caseless'> {
  const prefilter = literalPrefilter(literal, caseless);
  const joins = new Set<number>();
  if (prefilter === undefined || literal === undefined) return { prefilterShown: false, joins, caseless };
  const bytes = Buffer.from(caseless ? literal.toLowerCase() : literal, 'utf8');
  for (let i = 0; i + 1 < bytes.length; i++) joins.add((bytes[i]! << 8) | bytes[i + 1]!);
  return { prefilter, prefilterShown: literalShownAsStored(caseless ? literal.toLowerCase() : literal), joins, caseless };
}

/**
 * Whether a literal found in a line as shown is also in its stored bytes, unless an escape
 * sequence removed from between two of its characters joined them (LineCandidates checks
 * those). Not so for a literal holding a drawn control character (␀..␡) or U+FFFD, which
 * stand for other bytes, or one that could be part of a binary line's hex text.
 */
function literalShownAsStored(literal: string): boolean {
  return !/[\u2400-\u2421\ufffd]/u.test(literal) && !couldBeHexText(literal);
}

/** Whether `text` can be part of "hex: 0a 1b 2c ...", as a binary line is shown. */
function couldBeHexText(text: string): boolean {
  const HEAD = 'hex: ';
  const fits = (c: string, at: number): boolean => {
    if (at < HEAD.length) return c === HEAD[at];
    return (at - HEAD.length) % 3 === 2 ? c === ' ' : /^[0-9a-f]$/u.test(c);
  };
  // Five places in the head and the three of a repeating "hh ": every alignment there is.
  for (let offset = 0; offset < HEAD.length + 3; offset++) {
    let i = 0;
    while (i < text.length && fits(text[i]!, offset + i)) i++;
    if (i === text.length) return true;
  }
  return false;
}

/**
 * Lines of one chunk that could match a query as shown, found in their stored bytes: those
 * holding the prefilter, and those whose escapes, once removed, could join two characters of
 * it. Asked line by line in order; null from `lineCandidates` means every line must be tested.
 */
export class LineCandidates {
  private nextText: number;
  private nextEscape: number;

  private constructor(
    private readonly query: LineQuery,
    private readonly buf: Buffer,
    private readonly findText: (from: number) => number,
    private readonly findEscape: ((from: number) => number) | null,
  ) {
    this.nextText = findText(0);
    this.nextEscape = findEscape ? findEscape(0) : -1;
  }

  static of(query: LineQuery, display: LineDisplay | undefined, buf: Buffer, end: number): LineCandidates | null {
    if (!query.prefilter) return null;
    if (!display) return new LineCandidates(query, buf, candidateFinder(query.prefilter, buf, end), null);
    if (!query.prefilterShown) return null;
    return new LineCandidates(query, buf, candidateFinder(query.prefilter, buf, end), escapeFinder(buf, end));
  }

  /** No line at or after this byte offset can match. */
  exhausted(from: number): boolean {
    this.advance(from);
    return this.nextText === -1 && this.nextEscape === -1;
  }

  /** Whether the line in buf[start, end) could match; false only when it cannot. */
  mayMatch(start: number, end: number): boolean {
    this.advance(start);
    if (this.nextText !== -1 && this.nextText < end) return true;
    if (this.nextEscape === -1 || this.nextEscape >= end) return false;
    return escapesMayJoin(this.buf, this.nextEscape, start, end, this.query);
  }

  private advance(from: number): void {
    if (this.nextText !== -1 && this.nextText < from) this.nextText = this.findText(from);
    if (this.nextEscape !== -1 && this.nextEscape < from && this.findEscape) this.nextEscape = this.findEscape(from);
  }
}

const ESC = 0x1b;
/** The lead byte of U+0080..U+00BF in UTF-8: C1 controls (8-bit CSI among them) are C2 80..C2 9F. */
const C1_LEAD = 0xc2;

/** Where the next ESC or C1 control is, at or after a byte offset of the chunk; -1 when none. */
function escapeFinder(buf: Buffer, end: number): (from: number) => number {
  const view = buf.subarray(0, end);
  return (from) => {
    const esc = view.indexOf(ESC, from);
    let c1 = view.indexOf(C1_LEAD, from);
    while (c1 !== -1 && (esc === -1 || c1 < esc) && !isC1At(view, c1)) c1 = view.indexOf(C1_LEAD, c1 + 1);
    if (c1 === -1 || (esc !== -1 && esc < c1)) return esc;
    return c1;
  };
}

function isC1At(buf: Buffer, at: number): boolean {
  const next = buf[at + 1];
  return buf[at] === C1_LEAD && next !== undefined && next >= 0x80 && next <= 0x9f;
}

/**
 * Whether removing the escape sequences of the line in buf[start, end) (the first at `first`)
 * could join two characters the query's literal has side by side. A C1 control, an escape
 * other than a whole CSI, or a join of anything but printable ASCII is answered yes: the line
 * is then parsed and tested as shown.
 */
function escapesMayJoin(buf: Buffer, first: number, start: number, end: number, query: LineQuery): boolean {
  const line = buf.subarray(start, end);
  for (let c1 = line.indexOf(C1_LEAD, first - start); c1 !== -1; c1 = line.indexOf(C1_LEAD, c1 + 1)) {
    if (isC1At(line, c1)) return true;
  }
  let i = line.indexOf(ESC, first - start);
  while (i !== -1) {
    const runStart = i;
    while (i < line.length && line[i] === ESC) {
      i = csiEnd(line, i, line.length);
      if (i === -1) return true;
    }
    if (runStart > 0 && i < line.length) {
      const before = line[runStart - 1]!;
      const after = line[i]!;
      if (!isPrintableAscii(before) || !isPrintableAscii(after)) return true;
      const key = query.caseless ? (asciiLower(before) << 8) | asciiLower(after) : (before << 8) | after;
      if (query.joins.has(key)) return true;
    }
    i = line.indexOf(ESC, i);
  }
  return false;
}

/** The end of the whole CSI sequence (ESC [ params intermediates final) at `at`; -1 when it is not one. */
function csiEnd(buf: Buffer, at: number, end: number): number {
  if (at + 1 >= end || buf[at + 1] !== 0x5b) return -1;
  let i = at + 2;
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x3f) i++;
  while (i < end && buf[i]! >= 0x20 && buf[i]! <= 0x2f) i++;
  return i < end && buf[i]! >= 0x40 && buf[i]! <= 0x7e ? i + 1 : -1;
}

function isPrintableAscii(byte: number): boolean {
  return byte >= 0x20 && byte < 0x7f;
}

function asciiLower(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/** Characters a device line's bytes are shown with otherwise than as decoded: C1 controls, and what replaced bad UTF-8. */
const SHOWN_OTHERWISE = /[\u0080-\u009f\ufffd]/u;

/**
 * The text of the line in buf[start, end) as shown. A device line of printable text is shown
 * as its bytes, and one of printable ASCII with colour or cursor sequences as its bytes
 * without them; only a line with other control bytes, C1 controls, bad UTF-8 or past the
 * length cap is parsed.
 */
export function shownLineText(display: LineDisplay | undefined, buf: Buffer, start: number, end: number, flags: number): string {
  if (!display || !display.isParsed(flags)) return lineText(buf, start, end);
  if (end - start > display.maxBytes) return display.shownText(buf.subarray(start, end));
  let ascii = true;
  let escapes = false;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (byte >= 0x80) ascii = false;
    else if (byte === ESC) {
      const after = csiEnd(buf, i, end);
      if (after === -1) return display.shownText(buf.subarray(start, end));
      escapes = true;
      i = after - 1;
    } else if ((byte < 0x20 && byte !== 0x09) || byte === 0x7f) return display.shownText(buf.subarray(start, end));
  }
  if (escapes) return ascii ? withoutCsi(buf, start, end) : display.shownText(buf.subarray(start, end));
  if (ascii) return buf.toString('latin1', start, end);
  const text = buf.toString('utf8', start, end);
  return SHOWN_OTHERWISE.test(text) ? display.shownText(buf.subarray(start, end)) : text;
}

/** An ASCII line whose every ESC starts a whole CSI sequence, with those sequences left out. */
function withoutCsi(buf: Buffer, start: number, end: number): string {
  let text = '';
  let from = start;
  for (let at = buf.indexOf(ESC, start); at !== -1 && at < end; at = buf.indexOf(ESC, from)) {
    text += buf.toString('latin1', from, at);
    from = csiEnd(buf, at, end);
  }
  return text + buf.toString('latin1', from, end);
}

/** A line's text: a latin1 decode is a plain copy and equals UTF-8 for ASCII, the usual log line. */
function lineText(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) return buf.toString('utf8', start, end);
  }
  return buf.toString('latin1', start, end);
}

/**
 * The prefilter for a literal: its bytes, or, ignoring case, a caseless pattern. Only ASCII
 * text can be found caselessly in undecoded bytes: an ASCII letter matches no other byte of a
 * latin1 reading, except that a unicode regex also folds KELVIN SIGN to k and LONG S to s,
 * whose UTF-8 bytes the pattern accepts too.
 */
function literalPrefilter(literal: string | undefined, ignoreCase: boolean): Prefilter | undefined {
  if (literal === undefined || literal.length === 0) return undefined;
  if (!ignoreCase || literal.toLowerCase() === literal.toUpperCase()) return { needle: Buffer.from(literal, 'utf8') };
  if (!/^[\x00-\x7f]*$/u.test(literal)) return undefined;
  const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/u, '\\$&');
  const folding = [...literal]
    .map((c) => {
      if (c === 'k' || c === 'K') return '(?:k|\u00e2\u0084\u00aa)';
      if (c === 's' || c === 'S') return '(?:s|\u00c5\u00bf)';
      return escape(c);
    })
    .join('');
  return { caseless: literal.toLowerCase(), folding: new RegExp(folding, 'gi') };
}

/**
 * A run of literal characters every match of `regex` contains, found in simple patterns: no
 * alternation anywhere, literals outside groups and classes, each not made optional by a
 * quantifier. Undefined when there is none worth searching for.
 */
export function requiredLiteral(regex: RegExp): string | undefined {
  const source = regex.source;
  let best = '';
  let run = '';
  let depth = 0;
  let inClass = false;
  const endRun = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    let literal: string | undefined;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      i += 1;
      if (/[\^$.*+?()[\]{}|\\/-]/u.test(next)) {
        if (inClass || depth > 0) continue;
        // An escaped punctuation character is itself.
        literal = next;
      } else {
        // \d, \b, \u{...}, \x41, \p{L} and the like are not one literal, and neither are their arguments.
        i = escapeEnd(source, i);
        if (!inClass && depth === 0) endRun();
        continue;
      }
    } else if (inClass) {
      if (c === ']') inClass = false;
      continue;
    } else if (c === '[') {
      inClass = true;
      endRun();
      continue;
    } else if (c === '(') {
      depth += 1;
      endRun();
      continue;
    } else if (c === ')') {
      depth -= 1;
      continue;
    } else if (c === '|') {
      return undefined;
    } else if (depth > 0) {
      continue;
    } else if ('^$.'.includes(c)) {
      endRun();
      continue;
    } else if (c === '{') {
      // A counted repeat ({2}, {0,3}): its digits are no literal. Skip to its end.
      const close = source.indexOf('}', i);
      if (close === -1) return undefined;
      i = close;
      endRun();
      continue;
    } else if ('*+?'.includes(c)) {
      endRun();
      continue;
    } else {
      literal = c;
    }
    const quantifier = source[i + 1];
    if (quantifier === '?' || quantifier === '*' || quantifier === '{') {
      endRun();
      continue;
    }
    run += literal;
    if (quantifier === '+') endRun();
  }
  endRun();
  return best.length < 2 ? undefined : best;
}

/** The index of the last character of the escape whose letter is at `at` (\u2400, \u{1F600}, \x1b, \cJ, \p{L}, \k<name>, \12). */
function escapeEnd(source: string, at: number): number {
  const letter = source[at];
  const rest = source.slice(at + 1);
  const argument =
    letter === 'u' ? /^(?:\{[0-9a-fA-F]+\}|[0-9a-fA-F]{4})/u.exec(rest)
    : letter === 'x' ? /^[0-9a-fA-F]{2}/u.exec(rest)
    : letter === 'c' ? /^[A-Za-z]/u.exec(rest)
    : letter === 'p' || letter === 'P' ? /^\{[^}]*\}/u.exec(rest)
    : letter === 'k' ? /^<[^>]*>/u.exec(rest)
    : letter !== undefined && /\d/u.test(letter) ? /^\d*/u.exec(rest)
    : null;
  return at + (argument?.[0].length ?? 0);
}

function regexMatches(regex: RegExp, text: string): CaptureMatch[] {
  const matches: CaptureMatch[] = [];
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m; m = regex.exec(text)) {
    matches.push({ start: m.index, end: m.index + m[0].length });
    // An empty match would match again at the same place forever. A unicode regex steps a
    // whole character: one step into a surrogate pair is moved back to its start, and loops.
    if (m[0].length === 0) regex.lastIndex = nextIndex(text, regex.lastIndex, regex.unicode);
  }
  return matches;
}

function nextIndex(text: string, index: number, unicode: boolean): number {
  if (!unicode) return index + 1;
  const code = text.charCodeAt(index);
  const next = text.charCodeAt(index + 1);
  return code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? index + 2 : index + 1;
}

function textMatches(needle: string, text: string): CaptureMatch[] {
  const matches: CaptureMatch[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
    matches.push({ start: at, end: at + needle.length });
  }
  return matches;
}

function scanChunk(
  chunk: RecordChunk,
  firstSeq: number,
  range: { from: number; to: number },
  matcher: LineQuery,
  display: LineDisplay | undefined,
  hits: CaptureHit[],
  limit: number,
  where: { device: string; file: string },
): { seq: number; done: boolean } {
  const { buf, end } = chunk;
  let seq = firstSeq;
  let offset = 0;
  // With a prefilter, only candidate lines are decoded; the others cannot match.
  const candidates = LineCandidates.of(matcher, display, buf, end);
  while (offset < end) {
    if (seq >= range.to) return { seq, done: true };
    if (candidates?.exhausted(offset)) {
      // No more candidates in this chunk: count the remaining records and move on.
      for (; offset < end; offset += recordSize(buf, offset)) seq += 1;
      break;
    }
    const size = recordSize(buf, offset);
    const start = offset + LINE_OFFSET;
    if (seq >= range.from && (!candidates || candidates.mayMatch(start, offset + size))) {
      const flags = buf[offset + FLAGS_OFFSET]!;
      const text = shownLineText(display, buf, start, offset + size, flags);
      if (matcher.test(text)) {
        if (checkFrame(buf, offset, end).kind !== 'ok') throw damaged(where, chunk.position + offset, 'CRC mismatch');
        const matches = matcher.find(text);
        if (matches.length > 0) {
          hits.push({ seq: recordSeq(buf, offset), time: recordTime(buf, offset), flags, text, matches });
          if (hits.length >= limit) return { seq: seq + 1, done: true };
        }
      }
    }
    offset += size;
    seq += 1;
  }
  return { seq, done: false };
}
