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
  const matcher = compile(query, where.device);
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

interface Matcher {
  /** Bytes every matching line contains, when the query has them: lets a chunk be skipped by a byte search. */
  needle?: Buffer;
  find(text: string): CaptureMatch[];
}

function compile(query: CaptureQuery, device: string): Matcher {
  if ('regex' in query) {
    const flags = query.regex.flags.includes('g') ? query.regex.flags : `${query.regex.flags}g`;
    const regex = new RegExp(query.regex.source, flags);
    return { find: (text) => regexMatches(regex, text) };
  }
  if (query.text.length === 0) {
    throw new FieldbenchError({ code: 'invalid-request', message: 'the search text is empty', device, step: 'search log capture', hint: 'Type something to search for' });
  }
  if (query.ignoreCase) {
    const regex = new RegExp(query.text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&'), 'giu');
    return { find: (text) => regexMatches(regex, text) };
  }
  const text = query.text;
  return { needle: Buffer.from(text, 'utf8'), find: (line) => textMatches(text, line) };
}

function regexMatches(regex: RegExp, text: string): CaptureMatch[] {
  const matches: CaptureMatch[] = [];
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m; m = regex.exec(text)) {
    matches.push({ start: m.index, end: m.index + m[0].length });
    // An empty match would match again at the same place forever.
    if (m[0].length === 0) regex.lastIndex += 1;
  }
  return matches;
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
  matcher: Matcher,
  hits: CaptureHit[],
  limit: number,
  where: { device: string; file: string },
): { seq: number; done: boolean } {
  const { buf, end } = chunk;
  const view = buf.subarray(0, end);
  let seq = firstSeq;
  let offset = 0;
  // With a needle, jump from byte hit to byte hit; the records in between cannot match.
  let nextHit = matcher.needle ? view.indexOf(matcher.needle, 0) : 0;
  while (offset < end) {
    if (seq >= range.to) return { seq, done: true };
    const size = recordSize(buf, offset);
    if (nextHit === -1) {
      // No more byte hits in this chunk: count the remaining records and move on.
      for (; offset < end; offset += recordSize(buf, offset)) seq += 1;
      break;
    }
    if (matcher.needle && nextHit < offset) {
      nextHit = view.indexOf(matcher.needle, offset);
      continue;
    }
    if (nextHit >= offset + size || seq < range.from) {
      offset += size;
      seq += 1;
      continue;
    }
    const bounds = lineBounds(buf, offset);
    if (matcher.needle && nextHit < bounds.start) {
      // The bytes matched inside the record's header, not its line: look again from there.
      nextHit = view.indexOf(matcher.needle, nextHit + 1);
      continue;
    }
    if (checkFrame(buf, offset, end).kind !== 'ok') throw damaged(where, chunk.position + offset, 'CRC mismatch');
    const record = decodeRecord(buf, offset);
    const matches = matcher.find(record.text);
    if (matches.length > 0) {
      hits.push({ ...record, matches });
      if (hits.length >= limit) return { seq: seq + 1, done: true };
    }
    offset += size;
    seq += 1;
    if (matcher.needle) nextHit = view.indexOf(matcher.needle, offset);
  }
  return { seq, done: false };
}
