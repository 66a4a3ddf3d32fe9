// Marks laid over a line's text (search matches, highlight patterns) cut across its ANSI
// spans: this splits the spans at every mark edge so each piece keeps its colour and carries
// the mark over it. Offsets are UTF-16 positions in the line's text, which is its spans joined.
import type { ConsoleSpan } from '../../src-main/api/console-schemas';

export interface TextMark {
  start: number;
  end: number;
  kind: 'search' | 'highlight';
  /** A highlight's colour ("#rrggbb"). */
  color?: string;
  /** The search match the view is at. */
  current?: boolean;
}

export interface MarkedPiece {
  text: string;
  /** Where the piece starts in the line's text: a stable key. */
  at: number;
  span: Omit<ConsoleSpan, 'text'>;
  mark: TextMark | null;
}

function styleOf(span: ConsoleSpan): Omit<ConsoleSpan, 'text'> {
  const { text: _text, ...style } = span;
  return style;
}

/** Which mark shows where several overlap: a search match over a highlight, the later of two alike. */
function topMark(marks: readonly TextMark[], from: number, to: number): TextMark | null {
  let top: TextMark | null = null;
  for (const mark of marks) {
    if (mark.start > from || mark.end < to) continue;
    if (!top || mark.kind === 'search' || top.kind !== 'search') top = mark;
  }
  return top;
}

export function markSpans(spans: readonly ConsoleSpan[], marks: readonly TextMark[]): MarkedPiece[] {
  const pieces: MarkedPiece[] = [];
  const usable = marks.filter((m) => m.end > m.start);
  let position = 0;
  for (const span of spans) {
    const spanEnd = position + span.text.length;
    const cuts = new Set<number>([position, spanEnd]);
    for (const mark of usable) {
      if (mark.start > position && mark.start < spanEnd) cuts.add(mark.start);
      if (mark.end > position && mark.end < spanEnd) cuts.add(mark.end);
    }
    const sorted = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < sorted.length; i++) {
      const from = sorted[i]!;
      const to = sorted[i + 1]!;
      pieces.push({ text: span.text.slice(from - position, to - position), at: from, span: styleOf(span), mark: topMark(usable, from, to) });
    }
    position = spanEnd;
  }
  return pieces;
}

export interface HighlightPattern {
  id: string;
  pattern: string;
  regex: boolean;
  /** "#rrggbb" */
  color: string;
}

/** Most matches of one pattern marked on one line: enough for any line a person reads. */
const MAX_MATCHES_PER_LINE = 200;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pattern as a RegExp (ignoring case unless told otherwise), or why it is not one. */
export function compileHighlight(pattern: Pick<HighlightPattern, 'pattern' | 'regex'>, ignoreCase = true): { regex: RegExp } | { error: string } {
  if (pattern.pattern === '') return { error: 'Type some text to highlight.' };
  try {
    return { regex: new RegExp(pattern.regex ? pattern.pattern : escapeRegExp(pattern.pattern), ignoreCase ? 'giu' : 'gu') };
  } catch (error) {
    return { error: `Not a regular expression: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Where a pattern matches in a text; empty matches are stepped over. */
export function matchRanges(text: string, regex: RegExp): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  const global = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`);
  let match: RegExpExecArray | null;
  while (ranges.length < MAX_MATCHES_PER_LINE && (match = global.exec(text)) !== null) {
    if (match[0].length === 0) {
      global.lastIndex++;
      continue;
    }
    ranges.push({ start: match.index, end: match.index + match[0].length });
  }
  return ranges;
}

/**
 * A search's matches on a line as the view shows it. The core finds the lines; the marks are
 * found again here over the shown text, which has no colour codes for offsets to fall into.
 */
export function searchMarks(text: string, regex: RegExp | null, current: boolean): TextMark[] {
  return regex ? matchRanges(text, regex).map((r): TextMark => ({ ...r, kind: 'search', current })) : [];
}

/** The marks of every usable highlight pattern on a text. */
export function highlightMarks(text: string, patterns: readonly { regex: RegExp; color: string }[]): TextMark[] {
  return patterns.flatMap(({ regex, color }) => matchRanges(text, regex).map((r): TextMark => ({ ...r, kind: 'highlight', color })));
}
