// Search over a capture, one chunk at a time. Plain text is found with a byte search over
// the raw chunk (no line is decoded unless it matches), which is what keeps a search of a
// 1,000,000-line capture within the console's budget; a regular expression or a
// case-insensitive search has to decode every line in range.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { FieldbenchError } from '../../api/errors';
import type { RecordChunk } from './log-capture-chunks';
import { damaged } from './log-capture-chunks';
import { checkFrame, decodeRecord, lineBounds, recordSize } from './log-capture-format';

export type CaptureQuery = { text: string; ignoreCase?: boolean } | { regex: RegExp };

export interface CaptureSearchOptions {
  /** First sequence number to search (default 0). */
  from?: number;
  /** Search stops before this sequence number (default: the end of the capture). */
  to?: number;
  /** Stop after this many matching records (default 1000). */
  limit?: number;
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
    const stop = scanChunk(chunk, seq, options, matcher, hits, limit, where);
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

/** A query ready to run over raw record lines. */
export interface LineQuery {
  /** What every matching line contains, when the query says: lines without it are skipped undecoded. */
  prefilter?: Prefilter;
  /** Whether the line in buf[start, end) matches. */
  test(buf: Buffer, start: number, end: number): boolean;
  find(text: string): CaptureMatch[];
}

export function compileLineQuery(query: CaptureQuery, device: string): LineQuery {
  if ('regex' in query) {
    const flags = query.regex.flags.includes('g') ? query.regex.flags : `${query.regex.flags}g`;
    const regex = new RegExp(query.regex.source, flags);
    const tester = new RegExp(query.regex.source, flags.replace(/[gy]/gu, ''));
    return { prefilter: literalPrefilter(requiredLiteral(query.regex), query.regex.flags.includes('i')), test: (buf, start, end) => tester.test(lineText(buf, start, end)), find: (text) => regexMatches(regex, text) };
  }
  if (query.text.length === 0) {
    throw new FieldbenchError({ code: 'invalid-request', message: 'the search text is empty', device, step: 'search log capture', hint: 'Type something to search for' });
  }
  if (query.ignoreCase) {
    const source = query.text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
    const regex = new RegExp(source, 'giu');
    const tester = new RegExp(source, 'iu');
    return { prefilter: literalPrefilter(query.text, true), test: (buf, start, end) => tester.test(lineText(buf, start, end)), find: (text) => regexMatches(regex, text) };
  }
  const text = query.text;
  return { prefilter: { needle: Buffer.from(text, 'utf8') }, test: (buf, start, end) => lineText(buf, start, end).includes(text), find: (line) => textMatches(text, line) };
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
      if (inClass || depth > 0) continue;
      // An escaped punctuation character is itself; \d, \b, \u{...} and the like are not one literal.
      if (/[\^$.*+?()[\]{}|\\/-]/u.test(next)) literal = next;
      else {
        endRun();
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
  hits: CaptureHit[],
  limit: number,
  where: { device: string; file: string },
): { seq: number; done: boolean } {
  const { buf, end } = chunk;
  let seq = firstSeq;
  let offset = 0;
  // With a prefilter, jump from hit to hit; the records in between cannot match.
  const find = matcher.prefilter ? candidateFinder(matcher.prefilter, buf, end) : null;
  let nextHit = find ? find(0) : 0;
  while (offset < end) {
    if (seq >= range.to) return { seq, done: true };
    const size = recordSize(buf, offset);
    if (nextHit === -1) {
      // No more hits in this chunk: count the remaining records and move on.
      for (; offset < end; offset += recordSize(buf, offset)) seq += 1;
      break;
    }
    if (find && nextHit < offset) {
      nextHit = find(offset);
      continue;
    }
    if (nextHit >= offset + size || seq < range.from) {
      offset += size;
      seq += 1;
      continue;
    }
    const bounds = lineBounds(buf, offset);
    if (find && nextHit < bounds.start) {
      // The hit is inside the record's header, not its line: look again from the line.
      nextHit = find(bounds.start);
      continue;
    }
    if (matcher.test(buf, bounds.start, bounds.end)) {
      if (checkFrame(buf, offset, end).kind !== 'ok') throw damaged(where, chunk.position + offset, 'CRC mismatch');
      const record = decodeRecord(buf, offset);
      const matches = matcher.find(record.text);
      if (matches.length > 0) {
        hits.push({ ...record, matches });
        if (hits.length >= limit) return { seq: seq + 1, done: true };
      }
    }
    offset += size;
    seq += 1;
    if (find) nextHit = find(offset);
  }
  return { seq, done: false };
}
