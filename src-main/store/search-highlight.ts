// Where a search matched inside a piece of text, as a short snippet of plain-text segments
// marked hit or not. The UI renders segments as text (never as markup), so nothing a note or
// a log file contains can turn into HTML on the way to the screen.
import type { TextSegment } from '../api/schemas';
import type { SearchTerm } from './search-query';
import { isAscii, tokensOf, type Token } from './search-tokens';

/** Characters of context shown before the first hit. */
const CONTEXT_BEFORE = 40;
/** The longest snippet, in characters, before the "…" at its ends. */
const SNIPPET_LENGTH = 180;
const ELLIPSIS = '…';

interface Range {
  start: number;
  end: number;
}

/**
 * The ranges where any of the terms occur, in order, from the first hit to SNIPPET_LENGTH
 * characters past it: enough for one snippet, without reading the rest of a long log.
 */
export function hitsIn(text: string, terms: readonly SearchTerm[]): Range[] {
  if (terms.length === 0) return [];
  return isAscii(text) ? asciiHits(text, terms) : tokenHits(text, terms);
}

/** hitsIn for any text: token by token, folded as the index folds. */
export function tokenHits(text: string, terms: readonly SearchTerm[]): Range[] {
  const longest = Math.max(...terms.map((term) => term.tokens.length));
  const window: Token[] = [];
  const hits: Range[] = [];
  for (const token of tokensOf(text)) {
    const first = hits[0];
    if (first !== undefined && token.start > first.start + SNIPPET_LENGTH) break;
    window.push(token);
    if (window.length > longest) window.shift();
    for (const term of terms) {
      const start = matchEndingHere(window, term);
      if (start === null) continue;
      const last = hits.at(-1);
      if (last !== undefined && start <= last.end) {
        last.start = Math.min(last.start, start);
        last.end = Math.max(last.end, token.end);
      } else {
        hits.push({ start, end: token.end });
      }
    }
  }
  return hits;
}

const TOKEN_CHAR = '\\p{L}\\p{N}\\p{Co}';
const patterns = new WeakMap<readonly SearchTerm[], RegExp>();

/**
 * In ASCII text folding is only lower-casing and keeps every offset, so one case-insensitive
 * regular expression finds every term where the tokenizer would, run natively over the text:
 * most notes are ASCII, and most of a snippet's cost would otherwise be splitting them.
 */
export function asciiHits(text: string, terms: readonly SearchTerm[]): Range[] {
  let pattern = patterns.get(terms);
  if (pattern === undefined) {
    const alternatives = terms.map((term) => {
      const words = term.tokens.join(`[^${TOKEN_CHAR}]+`);
      // A prefix marks the whole word it begins, as the tokenizer path does.
      return `(?<![${TOKEN_CHAR}])${words}${term.prefix ? `[${TOKEN_CHAR}]*` : `(?![${TOKEN_CHAR}])`}`;
    });
    pattern = new RegExp(alternatives.join('|'), 'giu');
    patterns.set(terms, pattern);
  }
  pattern.lastIndex = 0;
  const hits: Range[] = [];
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const first = hits[0];
    if (first !== undefined && match.index > first.start + SNIPPET_LENGTH) break;
    hits.push({ start: match.index, end: match.index + match[0].length });
    if (match[0].length === 0) pattern.lastIndex += 1;
  }
  return hits;
}

/** The start of the term's occurrence that ends with the newest token of the window, if there is one. */
function matchEndingHere(window: readonly Token[], term: SearchTerm): number | null {
  const count = term.tokens.length;
  if (window.length < count) return null;
  const offset = window.length - count;
  for (let i = 0; i < count; i += 1) {
    const token = window[offset + i];
    const wanted = term.tokens[i];
    if (token === undefined || wanted === undefined) return null;
    const last = i === count - 1;
    const matches = last && term.prefix ? token.folded.startsWith(wanted) : token.folded === wanted;
    if (!matches) return null;
  }
  return window[offset]?.start ?? null;
}

/** A snippet around the first hit, or null when the terms do not occur in the text. */
export function snippetOf(text: string, terms: readonly SearchTerm[]): TextSegment[] | null {
  const hits = hitsIn(text, terms);
  const first = hits[0];
  if (first === undefined) return null;
  const from = wordStartAtOrAfter(text, Math.max(0, first.start - CONTEXT_BEFORE), first.start);
  const lastHit = hits.filter((hit) => hit.start < from + SNIPPET_LENGTH).at(-1) ?? first;
  const to = Math.max(lastHit.end, wordEndAtOrBefore(text, Math.min(text.length, from + SNIPPET_LENGTH), lastHit.end));

  const segments: TextSegment[] = [];
  const push = (piece: string, hit: boolean) => {
    const shown = hit ? piece : piece.replace(/\s+/gu, ' ');
    if (shown.length > 0) segments.push({ text: shown, hit });
  };
  if (from > 0) push(`${ELLIPSIS} `, false);
  let at = from;
  for (const hit of hits) {
    if (hit.start >= to) break;
    push(text.slice(at, hit.start), false);
    push(text.slice(hit.start, hit.end), true);
    at = hit.end;
  }
  push(text.slice(at, to), false);
  if (to < text.length) push(` ${ELLIPSIS}`, false);
  return mergeNeighbours(segments);
}

/** Whether any term occurs in the text at all. */
export function mentions(text: string, terms: readonly SearchTerm[]): boolean {
  return hitsIn(text, terms).length > 0;
}

function wordStartAtOrAfter(text: string, index: number, limit: number): number {
  if (index === 0) return 0;
  const space = text.slice(index, limit).search(/\s/u);
  return space < 0 ? index : Math.min(limit, index + space + 1);
}

function wordEndAtOrBefore(text: string, index: number, floor: number): number {
  if (index >= text.length) return text.length;
  const before = text.slice(floor, index);
  const space = before.search(/\s\S*$/u);
  return space < 0 ? index : floor + space;
}

function mergeNeighbours(segments: TextSegment[]): TextSegment[] {
  const merged: TextSegment[] = [];
  for (const segment of segments) {
    const last = merged.at(-1);
    if (last !== undefined && last.hit === segment.hit) last.text += segment.text;
    else merged.push({ ...segment });
  }
  return merged;
}
