// A search snippet as the store cut it: plain text pieces, the matched ones in <mark>. Each
// piece is a React text node, so whatever a note or a log capture contains (tags, entities,
// script) is shown as the characters it is and never read as markup.
import type { TextSegment } from '../../src-main/api/schemas';

export function HighlightedSnippet({ segments }: { segments: readonly TextSegment[] }) {
  return (
    <span className="snippet" data-testid="match-snippet">
      {segments.map((segment, index) =>
        segment.hit ? (
          // The segments of one snippet never reorder, so their index is a stable key.
          <mark key={index}>{segment.text}</mark>
        ) : (
          <span key={index}>{segment.text}</span>
        ),
      )}
    </span>
  );
}
