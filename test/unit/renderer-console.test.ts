// The console view's pure parts: which rows a million-line list renders and where (with the
// spacer capped below browser limits), the bounded page cache, Tab completion, history
// walking, marks cut across ANSI spans, span colours, line times and row selection.
import { describe, expect, it } from 'vitest';
import type { ConsoleLine, ConsoleSpan } from '../../src-main/api/console-schemas';
import { commonPrefix, completeCommand, completionCandidates, nextWordOptions } from '../../src-renderer/console/command-completion';
import { AT_DRAFT, historyDown, historyUp } from '../../src-renderer/console/command-history';
import { formatRelative } from '../../src-renderer/console/line-time';
import { hrefFor, parseHash, sectionOf } from '../../src-renderer/router/routes';
import { PageCache } from '../../src-renderer/console/page-cache';
import { fromSeqToNow, isSelected, selectionRange, selectionText, selectRow } from '../../src-renderer/console/row-selection';
import { spanLook } from '../../src-renderer/console/span-style';
import { compileHighlight, highlightMarks, markSpans, matchRanges, searchMarks } from '../../src-renderer/console/text-marks';
import {
  firstRowAt,
  MAX_SCROLL_HEIGHT_PX,
  rowTop,
  scrollHeightFor,
  scrollTopForEnd,
  scrollTopForRow,
  visibleWindow,
  type WindowGeometry,
} from '../../src-renderer/console/virtual-window';

function line(seq: number, text = `line ${seq}`): ConsoleLine {
  return { seq, time: 1_000 + seq, kind: 'device', text, spans: [{ text }], level: null, deviceTime: null, binary: false, truncated: false, issues: [], reboot: false };
}

describe('virtual window', () => {
  const small: WindowGeometry = { rowHeight: 20, viewportHeight: 400, total: 1000, overscan: 5 };
  const million: WindowGeometry = { rowHeight: 20, viewportHeight: 400, total: 1_000_000, overscan: 5 };

  it('maps one pixel to one pixel while the list fits under the cap', () => {
    expect(scrollHeightFor(small)).toBe(20_000);
    expect(firstRowAt(200, small)).toBeCloseTo(10);
    const w = visibleWindow(210, small);
    expect([w.visibleStart, w.visibleEnd]).toEqual([10, 31]);
    expect([w.start, w.end]).toEqual([5, 36]);
    expect(rowTop(10, 210, small)).toBeCloseTo(200);
    expect(rowTop(11, 210, small)).toBeCloseTo(220);
    expect(scrollTopForRow(10, small)).toBeCloseTo(200);
  });

  it('caps the spacer at a million rows and still reaches the first and the last row', () => {
    expect(scrollHeightFor(million)).toBe(MAX_SCROLL_HEIGHT_PX);
    expect(visibleWindow(0, million).visibleStart).toBe(0);
    const bottom = scrollTopForEnd(million);
    expect(bottom).toBe(MAX_SCROLL_HEIGHT_PX - 400);
    const end = visibleWindow(bottom, million);
    expect(end.visibleEnd).toBe(1_000_000);
    expect(end.visibleStart).toBe(1_000_000 - 20);
    // The last row's bottom edge is the spacer's bottom edge: nothing is laid out past the cap.
    expect(rowTop(999_999, bottom, million) + 20).toBeCloseTo(MAX_SCROLL_HEIGHT_PX, 3);
    expect(rowTop(end.end - 1, bottom, million)).toBeLessThan(MAX_SCROLL_HEIGHT_PX);
  });

  it('maps scroll positions proportionally past the cap, and back', () => {
    const middle = scrollTopForRow(500_000, million);
    expect(middle).toBeGreaterThan(0);
    expect(middle).toBeLessThan(MAX_SCROLL_HEIGHT_PX);
    expect(firstRowAt(middle, million)).toBeCloseTo(500_000, 3);
    const w = visibleWindow(middle, million);
    expect(w.visibleStart).toBe(500_000);
    // Rows sit at their own height from the first one, where the viewport is.
    expect(rowTop(500_000, middle, million)).toBeCloseTo(middle, 3);
    expect(rowTop(500_001, middle, million) - rowTop(500_000, middle, million)).toBeCloseTo(20);
    // Rendered rows are the visible ones and the overscan, never the million.
    expect(w.end - w.start).toBe(20 + 2 * 5);
  });

  it('keeps an empty or short list at the top', () => {
    expect(visibleWindow(300, { rowHeight: 20, viewportHeight: 400, total: 0 })).toMatchObject({ start: 0, end: 0, scrollHeight: 0 });
    expect(scrollTopForEnd({ rowHeight: 20, viewportHeight: 400, total: 5 })).toBe(0);
    expect(visibleWindow(0, { rowHeight: 20, viewportHeight: 400, total: 5 })).toMatchObject({ visibleStart: 0, visibleEnd: 5 });
  });
});

describe('page cache', () => {
  it('splits a read into pages and finds what a range still needs', () => {
    const cache = new PageCache(10, 5);
    cache.put('all', 0, Array.from({ length: 25 }, (_, i) => line(i)));
    expect(cache.size).toBe(3);
    expect(cache.line('all', 24)?.seq).toBe(24);
    // The third page is short of the 30 lines the view now has: fetched again.
    expect(cache.missing('all', 0, 30, 30)).toEqual([{ page: 2, offset: 20, count: 10 }]);
    expect(cache.missing('all', 0, 25, 25)).toEqual([]);
    expect(cache.missing('other', 0, 12, 12)).toEqual([
      { page: 0, offset: 0, count: 10 },
      { page: 1, offset: 10, count: 2 },
    ]);
  });

  it('lets the least recently used page go past its capacity', () => {
    const cache = new PageCache(10, 3);
    for (const page of [0, 1, 2]) cache.put('all', page * 10, Array.from({ length: 10 }, (_, i) => line(page * 10 + i)));
    expect(cache.line('all', 3)).toBeDefined(); // page 0 used: page 1 is now the oldest
    cache.put('all', 30, Array.from({ length: 10 }, (_, i) => line(30 + i)));
    expect(cache.size).toBe(3);
    expect(cache.line('all', 13)).toBeUndefined();
    expect(cache.line('all', 3)?.seq).toBe(3);
    expect(cache.line('all', 35)?.seq).toBe(35);
  });

  it('grows a short tail page and never keeps a page with a hole', () => {
    const cache = new PageCache(10, 5);
    cache.put('all', 0, [line(0), line(1)]);
    cache.put('all', 2, [line(2), line(3)]);
    expect(cache.line('all', 3)?.seq).toBe(3);
    cache.put('all', 15, [line(15)]);
    expect(cache.line('all', 15)).toBeUndefined();
    cache.clear('all');
    expect(cache.size).toBe(0);
  });
});

describe('command completion', () => {
  const commands = ['device info', 'kernel uptime', 'kernel reboot cold', 'log stream on', 'log stream off', 'log flood 1000', 'battery'];

  it('completes a word at a time, then offers the subcommands', () => {
    expect(completeCommand('ba', commands, null)).toEqual({ text: 'battery', cycle: null });
    expect(completeCommand('lo', commands, null)).toEqual({ text: 'log ', cycle: null });
    expect(nextWordOptions('log ', commands)).toEqual(['log flood', 'log stream']);
    expect(completeCommand('log s', commands, null)).toEqual({ text: 'log stream ', cycle: null });
    expect(nextWordOptions('log stream ', commands)).toEqual(['log stream off', 'log stream on']);
  });

  it('extends to the common prefix before cycling', () => {
    // Nothing more in common: the first Tab already picks the first option, the next ones cycle.
    expect(completeCommand('log stream o', commands, null)).toEqual({ text: 'log stream off', cycle: { base: 'log stream o', options: ['log stream off', 'log stream on'], index: 0 } });
    expect(completeCommand('log f', commands, null).text).toBe('log flood ');
    expect(commonPrefix(['kernel uptime', 'kernel reboot'])).toBe('kernel ');
    expect(completeCommand('k', commands, null).text).toBe('kernel ');
  });

  it('cycles through options with Tab and backwards with Shift+Tab', () => {
    const first = completeCommand('log ', commands, null);
    expect(first.text).toBe('log flood');
    const second = completeCommand(first.text, commands, first.cycle);
    expect(second.text).toBe('log stream');
    const third = completeCommand(second.text, commands, second.cycle);
    expect(third.text).toBe('log flood');
    expect(completeCommand(third.text, commands, third.cycle, true).text).toBe('log stream');
    // Typing ends the cycle: the cycle no longer names the text.
    expect(completeCommand('log flood ', commands, third.cycle)).toEqual({ text: 'log flood 1000', cycle: null });
  });

  it('leaves text alone when nothing fits, and merges history with the profile list', () => {
    expect(completeCommand('xyz', commands, null)).toEqual({ text: 'xyz', cycle: null });
    expect(completeCommand('battery', commands, null)).toEqual({ text: 'battery', cycle: null });
    expect(completionCandidates(['a', 'b'], ['b', ' ', 'c'])).toEqual(['a', 'b', 'c']);
  });
});

describe('command history', () => {
  const history = ['device info', 'battery', 'kernel uptime'];

  it('walks back from the newest and keeps the draft', () => {
    const up1 = historyUp(history, AT_DRAFT, 'log st');
    expect(up1.text).toBe('kernel uptime');
    const up2 = historyUp(history, up1.cursor, up1.text);
    const up3 = historyUp(history, up2.cursor, up2.text);
    expect([up2.text, up3.text]).toEqual(['battery', 'device info']);
    expect(historyUp(history, up3.cursor, up3.text).text).toBe('device info');
    const down1 = historyDown(history, up3.cursor, up3.text);
    expect(down1.text).toBe('battery');
    const back = historyDown(history, historyDown(history, down1.cursor, '').cursor, '');
    expect(back).toEqual({ text: 'log st', cursor: AT_DRAFT });
  });

  it('does nothing without a history or below the draft', () => {
    expect(historyUp([], AT_DRAFT, 'x')).toEqual({ text: 'x', cursor: AT_DRAFT });
    expect(historyDown(history, AT_DRAFT, 'x')).toEqual({ text: 'x', cursor: AT_DRAFT });
  });
});

describe('marks over spans', () => {
  const spans: ConsoleSpan[] = [{ text: '[00:01] ' }, { text: '<err>', fg: 'red', bold: true }, { text: ' i2c: bus error' }];

  it('cuts spans at every mark edge and keeps each piece its colour', () => {
    const pieces = markSpans(spans, [{ start: 10, end: 20, kind: 'highlight', color: '#ffcc00' }]);
    expect(pieces.map((p) => p.text).join('')).toBe('[00:01] <err> i2c: bus error');
    expect(pieces.map((p) => [p.text, p.span.fg ?? null, p.mark?.kind ?? null])).toEqual([
      ['[00:01] ', null, null],
      ['<e', 'red', null],
      ['rr>', 'red', 'highlight'],
      [' i2c: b', null, 'highlight'],
      ['us error', null, null],
    ]);
    expect(pieces[2]!.span.bold).toBe(true);
  });

  it('shows a search match over a highlight where they overlap', () => {
    const pieces = markSpans([{ text: 'abcdef' }], [
      { start: 0, end: 4, kind: 'highlight', color: '#00ff00' },
      { start: 2, end: 6, kind: 'search', current: true },
    ]);
    expect(pieces.map((p) => [p.text, p.mark?.kind])).toEqual([
      ['ab', 'highlight'],
      ['cd', 'search'],
      ['ef', 'search'],
    ]);
  });

  it('ignores empty marks and marks past the end', () => {
    expect(markSpans([{ text: 'abc' }], [{ start: 1, end: 1, kind: 'search' }, { start: 5, end: 9, kind: 'search' }]).map((p) => p.text)).toEqual(['abc']);
  });

  it('finds highlight matches ignoring case, literal text escaped, bad regexes refused', () => {
    const literal = compileHighlight({ pattern: 'a.b', regex: false });
    if (!('regex' in literal)) throw new Error('expected a pattern');
    expect(matchRanges('axb A.B a.b', literal.regex)).toEqual([
      { start: 4, end: 7 },
      { start: 8, end: 11 },
    ]);
    expect(compileHighlight({ pattern: '(', regex: true })).toHaveProperty('error');
    const empty = compileHighlight({ pattern: 'x*', regex: true });
    if (!('regex' in empty)) throw new Error('expected a pattern');
    expect(matchRanges('axxb', empty.regex)).toEqual([{ start: 1, end: 3 }]);
    const caseSensitive = compileHighlight({ pattern: 'Err', regex: false }, false);
    if (!('regex' in caseSensitive)) throw new Error('expected a pattern');
    expect(searchMarks('err Err', caseSensitive.regex, true)).toEqual([{ start: 4, end: 7, kind: 'search', current: true }]);
    expect(searchMarks('err', null, false)).toEqual([]);
    expect(highlightMarks('ERROR here', [{ regex: /error/giu, color: '#ff0000' }])).toEqual([{ start: 0, end: 5, kind: 'highlight', color: '#ff0000' }]);
  });
});

describe('span colours, times and selection', () => {
  it('turns palette names into classes and #rrggbb into inline colours, ignoring anything else', () => {
    expect(spanLook({ fg: 'bright-cyan', bg: 'red', bold: true })).toEqual({ className: 'ansi-fg-bright-cyan ansi-bg-red ansi-bold', style: undefined });
    expect(spanLook({ fg: '#12ab9F', underline: true })).toEqual({ className: 'ansi-underline', style: { color: '#12ab9F' } });
    expect(spanLook({ fg: 'red;background:url(x)', bg: 'javascript' })).toEqual({ className: '', style: undefined });
  });

  it('formats time since the capture began', () => {
    expect(formatRelative(0)).toBe('+00:00.000');
    expect(formatRelative(61_234)).toBe('+01:01.234');
    expect(formatRelative(3_723_004)).toBe('+1:02:03.004');
    expect(formatRelative(-5)).toBe('−00:00.005');
  });

  it('selects from a row to a shift-clicked row in either direction, or from a mark to now', () => {
    const one = selectRow(null, 40, true);
    expect(selectionRange(one)).toEqual({ fromSeq: 40, toSeq: 40 });
    const range = selectRow(one, 12, true);
    expect(selectionRange(range)).toEqual({ fromSeq: 12, toSeq: 40 });
    expect(selectionText(range)).toBe('lines 12–40');
    expect(isSelected(range, 12) && isSelected(range, 40) && !isSelected(range, 41)).toBe(true);
    expect(selectionRange(selectRow(range, 7, false))).toEqual({ fromSeq: 7, toSeq: 7 });
    const toNow = fromSeqToNow(100);
    expect(selectionRange(toNow)).toEqual({ fromSeq: 100 });
    expect(isSelected(toNow, 5_000_000)).toBe(true);
    expect(selectionText(toNow)).toBe('lines 100 to the newest');
  });
});

describe('console routes', () => {
  it('round-trips a device console and a capture through the hash', () => {
    const console = { name: 'console', deviceId: 'serial:/dev/pts/7' } as const;
    expect(hrefFor(console)).toBe('#/devices/serial%3A%2Fdev%2Fpts%2F7/console');
    expect(parseHash(hrefFor(console))).toEqual(console);
    expect(parseHash('#/captures/sensor-node-SN-0042-1')).toEqual({ name: 'capture', captureId: 'sensor-node-SN-0042-1' });
    expect(sectionOf(console)).toBe('devices');
    expect(parseHash('#/devices/x/other')).toEqual({ name: 'not-found', path: '/devices/x/other' });
  });
});
