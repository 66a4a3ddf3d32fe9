// One row of the console's log: host time (absolute and since the capture began), the level,
// and the text in its ANSI colours with search matches and highlights laid over it. Binary
// lines, cut lines, known-issue lines, reboots, marks, gaps, sent commands and notes each look
// their own way. Fixed height: the list places rows by arithmetic, never by measuring.
import { memo, type MouseEvent } from 'react';
import type { ConsoleFlag, ConsoleLine } from '../../src-main/api/console-schemas';
import { formatClock, formatRelative } from '../console/line-time';
import { spanLook } from '../console/span-style';
import { markSpans, type TextMark } from '../console/text-marks';

const LEVEL_SHORT: Record<NonNullable<ConsoleLine['level']>, string> = { error: 'ERR', warn: 'WRN', info: 'INF', debug: 'DBG', trace: 'TRC' };

const KIND_PREFIX: Partial<Record<ConsoleLine['kind'], string>> = { sent: '› ', mark: '⚑ ', gap: '⋯ ', note: '• ' };

interface ConsoleLogRowProps {
  line: ConsoleLine;
  top: number;
  height: number;
  /** When the capture began (ms), for the relative time. */
  startMs: number;
  marks: readonly TextMark[];
  /** The known issues this line matched, by their titles. */
  issues: readonly Pick<ConsoleFlag, 'issueId' | 'title'>[];
  selected: boolean;
  current: boolean;
  onSelect(seq: number, extend: boolean): void;
}

export const ConsoleLogRow = memo(function ConsoleLogRow({ line, top, height, startMs, marks, issues, selected, current, onSelect }: ConsoleLogRowProps) {
  const classes = ['console-row', `console-kind-${line.kind}`];
  if (line.level) classes.push(`console-level-${line.level}`);
  if (line.binary) classes.push('console-binary');
  if (line.issues.length > 0) classes.push('console-flagged');
  if (line.reboot) classes.push('console-reboot');
  if (selected) classes.push('console-selected');
  if (current) classes.push('console-current');
  const issueTitles = issues.map((issue) => issue.title).join('; ');
  return (
    <div
      className={classes.join(' ')}
      style={{ top, height }}
      data-testid="console-row"
      data-seq={line.seq}
      data-kind={line.kind}
      data-level={line.level ?? ''}
      data-selected={selected ? 'true' : undefined}
      data-current={current ? 'true' : undefined}
      title={issueTitles || undefined}
      onClick={(event: MouseEvent) => onSelect(line.seq, event.shiftKey)}
    >
      <time className="console-time" dateTime={new Date(line.time).toISOString()}>
        {formatClock(line.time)}
      </time>
      <span className="console-relative">{formatRelative(line.time - startMs)}</span>
      <span className={line.level ? `console-level console-level-badge-${line.level}` : 'console-level'} aria-label={line.level ?? undefined}>
        {line.level ? LEVEL_SHORT[line.level] : ''}
      </span>
      {line.reboot && <span className="console-tag console-tag-reboot">reboot</span>}
      {issues.length > 0 && (
        <span className="console-tag console-tag-issue" data-testid="console-row-issue">
          ⚑ {issueTitles}
        </span>
      )}
      {line.truncated && (
        <span className="console-tag console-tag-cut" title="Longer than the console keeps: the rest was cut">
          cut
        </span>
      )}
      <span className="console-text" data-testid="console-row-text">
        {KIND_PREFIX[line.kind] && <span className="console-kind-prefix">{KIND_PREFIX[line.kind]}</span>}
        {markSpans(line.spans, marks).map((piece) => {
          const look = spanLook(piece.span);
          const markClass = piece.mark ? (piece.mark.kind === 'search' ? (piece.mark.current ? 'console-match console-match-current' : 'console-match') : 'console-highlight') : '';
          const className = [look.className, markClass].filter(Boolean).join(' ') || undefined;
          const style = piece.mark?.kind === 'highlight' && piece.mark.color ? { ...look.style, backgroundColor: piece.mark.color } : look.style;
          return piece.mark?.kind === 'search' ? (
            <mark key={piece.at} className={className} style={style}>
              {piece.text}
            </mark>
          ) : (
            <span key={piece.at} className={className} style={style}>
              {piece.text}
            </span>
          );
        })}
      </span>
    </div>
  );
});
