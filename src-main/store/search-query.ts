// A person's search text turned into an FTS5 query that can never be a syntax error. Three
// forms mean something: plain words (all must match), "a phrase" (words in that order) and
// a trailing * (a prefix: batt* finds battery). Everything else is taken literally: OR, NOT,
// NEAR, parentheses, colons and stray quotes are just characters, so a pasted log line or
// an error code searches for itself instead of failing.
import { foldedTokens } from './search-tokens';

export interface SearchTerm {
  /** Folded tokens that must appear one after another. */
  tokens: string[];
  /** The last token matches any word it begins. */
  prefix: boolean;
}

/** More terms add little to a search a person types and make one query arbitrarily slow. */
export const MAX_TERMS = 16;
/** A pasted line is kept as a phrase of at most this many words. */
export const MAX_PHRASE_TOKENS = 32;

export function parseSearchQuery(text: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  let i = 0;
  while (i < text.length && terms.length < MAX_TERMS) {
    const char = text[i] ?? '';
    if (/\s/u.test(char)) {
      i += 1;
      continue;
    }
    let body: string;
    if (char === '"') {
      const close = text.indexOf('"', i + 1);
      const end = close < 0 ? text.length : close;
      body = text.slice(i + 1, end);
      i = close < 0 ? text.length : close + 1;
    } else {
      const rest = text.slice(i);
      const word = /^[^\s"]+/u.exec(rest)?.[0] ?? char;
      body = word;
      i += word.length;
    }
    let prefix = false;
    // A * right after a word or a closing quote makes it a prefix; one in the middle of a word is literal.
    if (body.endsWith('*')) {
      prefix = true;
      body = body.replace(/\*+$/u, '');
    } else if (text[i] === '*') {
      prefix = true;
      while (text[i] === '*') i += 1;
    }
    const tokens = foldedTokens(body).slice(0, MAX_PHRASE_TOKENS);
    if (tokens.length > 0) terms.push({ tokens, prefix });
  }
  return terms;
}

/**
 * The FTS5 MATCH expression for the terms (all of them, ANDed), or null when there is
 * nothing to match. Each term is an FTS5 string: its tokens hold only letters and digits,
 * and a double quote is doubled anyway, so nothing in it is ever read as syntax.
 */
export function ftsQueryOf(terms: readonly SearchTerm[]): string | null {
  if (terms.length === 0) return null;
  return terms
    .map((term) => `"${term.tokens.join(' ').replaceAll('"', '""')}"${term.prefix ? ' *' : ''}`)
    .join(' AND ');
}
