// A live device log: each line with the host's time of arrival, coloured by its Zephyr log
// level, newest at the bottom and kept in view until the person scrolls up to read (then a
// "Jump to latest" says how many lines came since). Pause holds the view still while capture
// goes on; Clear empties it. It knows nothing of where lines come from: it shows a LogBuffer.
import { memo, useId, useLayoutEffect, useRef, useState } from 'react';
import type { LogBuffer, LogEntry } from '../live-log/log-buffer';
import { droppedText } from '../live-log/log-buffer';
import { formatLogTime, logLevelLabel } from '../live-log/log-line';
import { afterLinesShown, afterUserScroll, capturedSincePause, isAtBottom, linesText, pauseLog, PINNED, type AutoScroll, type PausedLog } from '../live-log/log-view-state';

interface LiveLogViewProps {
  title: string;
  buffer: LogBuffer;
  onClear(): void;
  /** Shown while there are no lines yet. */
  emptyText: string;
  testId?: string;
}

export function LiveLogView({ title, buffer, onClear, emptyText, testId }: LiveLogViewProps) {
  const [paused, setPaused] = useState<PausedLog | null>(null);
  const [scroll, setScroll] = useState<AutoScroll>(PINNED);
  const box = useRef<HTMLDivElement>(null);
  const lastShownSeq = useRef<number | null>(null);
  const headingId = useId();
  const entries = paused?.entries ?? buffer.entries;
  const newest = entries.at(-1)?.seq ?? null;

  // Count what arrived out of view, or keep the newest line in view.
  useLayoutEffect(() => {
    const previous = lastShownSeq.current;
    lastShownSeq.current = newest;
    if (newest === null || newest === previous) return;
    // Sequence numbers run on without gaps, so the difference is the count of new lines.
    const added = previous === null ? entries.length : newest - previous;
    if (scroll.pinned) {
      const element = box.current;
      if (element) element.scrollTop = element.scrollHeight;
    } else {
      setScroll((state) => afterLinesShown(state, added));
    }
  }, [newest, entries, scroll.pinned]);

  function jumpToLatest() {
    setScroll(PINNED);
    const element = box.current;
    if (element) element.scrollTop = element.scrollHeight;
  }

  function clear() {
    // A cleared log starts again as a fresh one: live, following the newest line.
    setPaused(null);
    setScroll(PINNED);
    onClear();
  }

  const dropped = droppedText(buffer.dropped);
  const sincePause = paused ? capturedSincePause(buffer, paused) : 0;

  return (
    <section className="panel live-log" aria-labelledby={headingId} data-testid={testId}>
      <div className="panel-heading">
        <h2 id={headingId}>{title}</h2>
        <div className="toolbar">
          <button type="button" onClick={() => setPaused(paused ? null : pauseLog(buffer))} aria-pressed={paused !== null} data-testid="log-pause">
            {paused ? 'Resume view' : 'Pause view'}
          </button>
          <button type="button" onClick={clear} disabled={buffer.captured === 0} data-testid="log-clear">
            Clear
          </button>
        </div>
      </div>
      <p className="log-counts muted" data-testid="log-counts">
        {linesText(buffer.captured)} captured
        {dropped && <span data-testid="log-dropped"> · {dropped}</span>}
        {paused && (
          <strong className="log-paused" data-testid="log-paused">
            {' '}
            · View paused: {linesText(sincePause)} captured since
          </strong>
        )}
      </p>
      <div className="log-frame">
        <div
          ref={box}
          className="log-lines"
          role="log"
          aria-live="off"
          aria-labelledby={headingId}
          tabIndex={0}
          onScroll={(event) => {
            // Measured now: the event's target is gone by the time React runs the updater.
            const atBottom = isAtBottom(event.currentTarget);
            setScroll((state) => afterUserScroll(state, atBottom));
          }}
          data-testid="log-lines"
        >
          {entries.length === 0 ? <p className="muted log-empty">{emptyText}</p> : entries.map((entry) => <LogRow key={entry.seq} entry={entry} />)}
        </div>
        {!scroll.pinned && (
          <button type="button" className="button-primary log-jump" onClick={jumpToLatest} data-testid="log-jump">
            Jump to latest{scroll.unseen > 0 ? ` (${linesText(scroll.unseen)} new)` : ''}
          </button>
        )}
      </div>
    </section>
  );
}

const LogRow = memo(function LogRow({ entry }: { entry: LogEntry }) {
  return (
    <div className={entry.level ? `log-line log-${entry.level}` : 'log-line'} data-testid="log-line" data-level={entry.level ?? ''}>
      <time className="log-time" dateTime={entry.at} data-testid="log-time">
        {formatLogTime(entry.at)}
      </time>
      {entry.level && <span className="visually-hidden">{logLevelLabel[entry.level]}: </span>}
      <span className="log-text">{entry.text}</span>
    </div>
  );
});
