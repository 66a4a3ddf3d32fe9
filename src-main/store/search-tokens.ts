// Words as the search index sees them. The index tokenizes with SQLite's unicode61 and
// remove_diacritics 2: a token is a run of letters, digits and private-use characters, folded
// to lower case without accents. The same rule here lets a query be written in terms the index
// will match, and lets a snippet mark the very words that matched.

export interface Token {
  /** UTF-16 offsets into the text. */
  start: number;
  end: number;
  /** Lower case, accents removed: "Café" -> "cafe". */
  folded: string;
}

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;
const MARKS = /\p{M}/gu;
const ASCII = /^[\x00-\x7f]*$/u;

export function fold(word: string): string {
  // Most words in notes and logs are ASCII, where folding is only lower-casing.
  if (ASCII.test(word)) return word.toLowerCase();
  return word.toLowerCase().normalize('NFD').replace(MARKS, '');
}

/** Whether the text is plain ASCII, where folding keeps every offset where it was. */
export function isAscii(text: string): boolean {
  return ASCII.test(text);
}

/** The tokens of a text in order, lazily, so a caller can stop at the first few. */
export function* tokensOf(text: string): Generator<Token> {
  for (const match of text.matchAll(TOKEN)) {
    yield { start: match.index, end: match.index + match[0].length, folded: fold(match[0]) };
  }
}

export function foldedTokens(text: string): string[] {
  return Array.from(tokensOf(text), (token) => token.folded);
}
