// The console's log as a virtualised list: a spacer as tall as the view (capped, see
// virtual-window.ts) and, inside it, only the rows on screen and a few either side, read from
// the store's page cache. Pinned to the bottom it follows the newest row; scrolled up it stays
// on the same row while lines arrive and offers "Jump to latest" with the count of new lines.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { ConsoleFlag } from '../../src-main/api/console-schemas';
import { useStores } from '../app/renderer-context';
import { isSelected } from '../console/row-selection';
import { highlightMarks, type TextMark } from '../console/text-marks';
import { firstRowAt, scrollTopForEnd, scrollTopForRow, visibleWindow, rowTop, type WindowGeometry } from '../console/virtual-window';
import { isAtBottom } from '../live-log/log-view-state';
import { ConsoleLogRow } from './ConsoleLogRow';

/** Must match .console-row's height in styles.css. */
const CONSOLE_ROW_HEIGHT = 20;
const OVERSCAN = 15;
/** Rows above a jump's target, so it is not on the very top edge. */
const JUMP_CONTEXT_ROWS = 3;

interface ConsoleLogListProps {
  label: string;
  highlights: readonly { regex: RegExp; color: string }[];
}

export function ConsoleLogList({ label, highlights }: ConsoleLogListProps) {
  const { console: consoleStore } = useStores();
  const total = useStore(consoleStore, (s) => s.view?.total ?? 0);
  const pinned = useStore(consoleStore, (s) => s.view?.pinned ?? false);
  const paused = useStore(consoleStore, (s) => s.view?.pausedAt !== null && s.view?.pausedAt !== undefined);
  const unseen = useStore(consoleStore, (s) => s.view?.unseen ?? 0);
  const viewKey = useStore(consoleStore, (s) => s.view?.viewKey ?? '');
  useStore(consoleStore, (s) => s.view?.rowsVersion ?? 0);
  const scrollTo = useStore(consoleStore, (s) => s.view?.scrollTo ?? null);
  const selection = useStore(consoleStore, (s) => s.view?.selection ?? null);
  const search = useStore(consoleStore, (s) => s.view?.search ?? null);
  const flags = useStore(consoleStore, (s) => s.view?.flags);
  const startedAt = useStore(consoleStore, (s) => s.view?.session?.startedAt ?? s.view?.summary?.startedAt ?? null);
  const { setViewport, setPinned, jumpToLatest, selectRow, rowAt } = consoleStore.getState();

  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(400);
  /** Set while this component moves the scroll position itself, so the scroll event is not read as the person's. */
  const programmatic = useRef(false);
  const firstRowShown = useRef(0);

  const geometry: WindowGeometry = useMemo(() => ({ rowHeight: CONSOLE_ROW_HEIGHT, viewportHeight, total, overscan: OVERSCAN }), [viewportHeight, total]);
  const shown = visibleWindow(scrollTop, geometry);

  const moveTo = useCallback((top: number, at: WindowGeometry) => {
    const element = box.current;
    if (!element) return;
    const before = element.scrollTop;
    element.scrollTop = top;
    // No move, no scroll event: only a real move is marked as this component's own.
    programmatic.current = element.scrollTop !== before;
    firstRowShown.current = firstRowAt(element.scrollTop, at);
    setScrollTop(element.scrollTop);
  }, [setScrollTop]);

  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setViewportHeight(element.clientHeight || 400);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // New rows: pinned, show the newest; scrolled up, keep the same row at the top even where
  // a longer list maps the same scrollTop to another row.
  useLayoutEffect(() => {
    if (pinned && !paused) moveTo(scrollTopForEnd(geometry), geometry);
    else if (!pinned) {
      const wanted = scrollTopForRow(firstRowShown.current, geometry);
      if (Math.abs(wanted - (box.current?.scrollTop ?? 0)) >= 1) moveTo(wanted, geometry);
    }
  }, [geometry, pinned, paused, moveTo]);

  useLayoutEffect(() => {
    if (scrollTo) moveTo(scrollTopForRow(Math.max(0, scrollTo.offset - JUMP_CONTEXT_ROWS), geometry), geometry);
    // Only a new request moves the view, not a longer list.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scrollTo?.nonce, viewKey]);

  useEffect(() => {
    setViewport(shown.start, shown.end, Math.ceil(viewportHeight / CONSOLE_ROW_HEIGHT));
  }, [shown.start, shown.end, viewportHeight, viewKey, setViewport]);

  // Where the core's search matched each hit line, as offsets into its shown text: the row marks
  // those, rather than matching the query again here with rules that could differ from the core's.
  const hitMatches = useMemo(() => new Map((search?.hits ?? []).map((hit) => [hit.seq, hit.matches])), [search]);
  const currentSeq = search && search.current !== null ? (search.hits[search.current]?.seq ?? null) : null;
  const flagsBySeq = useMemo(() => {
    const map = new Map<number, ConsoleFlag[]>();
    for (const flag of flags ?? []) map.set(flag.seq, [...(map.get(flag.seq) ?? []), flag]);
    return map;
  }, [flags]);
  const startMs = startedAt ? Date.parse(startedAt) : 0;

  const rows = [];
  for (let offset = shown.start; offset < shown.end; offset++) {
    const top = rowTop(offset, scrollTop, geometry);
    const line = rowAt(offset);
    if (!line) {
      rows.push(
        <div key={`wait-${offset}`} className="console-row console-row-loading" style={{ top, height: CONSOLE_ROW_HEIGHT }} data-loading="true">
          …
        </div>,
      );
      continue;
    }
    const current = currentSeq === line.seq;
    const marks: TextMark[] = [
      ...(highlights.length > 0 ? highlightMarks(line.text, highlights) : []),
      ...(hitMatches.get(line.seq) ?? []).map((range): TextMark => ({ start: range.start, end: range.end, kind: 'search', current })),
    ];
    const issues = line.issues.length > 0 ? (flagsBySeq.get(line.seq) ?? line.issues.map((issueId) => ({ issueId, title: issueId }))) : [];
    rows.push(
      <ConsoleLogRow
        key={line.seq}
        line={line}
        top={top}
        height={CONSOLE_ROW_HEIGHT}
        startMs={startMs}
        marks={marks}
        issues={issues}
        selected={isSelected(selection, line.seq)}
        current={current}
        onSelect={selectRow}
      />,
    );
  }

  return (
    <div className="console-frame">
      <div
        ref={box}
        className="console-lines"
        role="log"
        aria-live="off"
        aria-label={label}
        aria-rowcount={total}
        tabIndex={0}
        data-testid="console-lines"
        data-total={total}
        data-pinned={pinned ? 'true' : 'false'}
        onScroll={(event) => {
          const element = event.currentTarget;
          setScrollTop(element.scrollTop);
          firstRowShown.current = firstRowAt(element.scrollTop, geometry);
          if (programmatic.current) {
            programmatic.current = false;
            return;
          }
          setPinned(isAtBottom({ scrollTop: element.scrollTop, scrollHeight: shown.scrollHeight, clientHeight: element.clientHeight }));
        }}
      >
        <div className="console-spacer" style={{ height: shown.scrollHeight }}>
          {rows}
        </div>
        {total === 0 && <p className="console-empty">No lines yet.</p>}
      </div>
      {!pinned && (
        <button type="button" className="button-primary console-jump" onClick={jumpToLatest} data-testid="console-jump">
          {unseen > 0 ? `${unseen.toLocaleString('en-US')} new ${unseen === 1 ? 'line' : 'lines'} — Jump to latest` : 'Jump to latest'}
        </button>
      )}
    </div>
  );
}
