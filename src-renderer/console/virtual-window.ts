// Which rows of a long list a fixed-row-height view puts in the DOM, and where. Browsers stop
// laying out elements past a height (about 17.9 million px in Firefox, 33.5 million in
// Chromium), so a list taller than MAX_SCROLL_HEIGHT_PX gets a spacer of that height and the
// scroll position maps onto row offsets proportionally; below it, one pixel is one pixel.
// Both cases are the same formula: the first row shown is scrollTop × (rows that can be first)
// ÷ (pixels that can be scrolled), and the rows are laid out from there at their own height.

/** Well under every browser's limit, and still fine-grained: 1,000,000 rows of 20 px map 2.5 rows to a pixel. */
export const MAX_SCROLL_HEIGHT_PX = 8_000_000;

export interface WindowGeometry {
  rowHeight: number;
  viewportHeight: number;
  total: number;
  /** Rows rendered beyond each edge, so a quick scroll does not show blank space before the fetch. */
  overscan?: number;
  maxScrollHeight?: number;
}

export interface VisibleWindow {
  /** The spacer's height: what the scrollbar measures. */
  scrollHeight: number;
  /** Rows fully or partly visible at this scrollTop, as [start, end). */
  visibleStart: number;
  visibleEnd: number;
  /** Rows to render, with overscan, as [start, end). */
  start: number;
  end: number;
  /** The first visible row as a fraction (3.5: half of row 3 is scrolled past). */
  firstRow: number;
}

export function scrollHeightFor(geometry: WindowGeometry): number {
  const full = geometry.total * geometry.rowHeight;
  return Math.min(full, geometry.maxScrollHeight ?? MAX_SCROLL_HEIGHT_PX);
}

/** Rows per scrolled pixel's worth of travel: the row that can be first at the bottom, and the pixels it takes to get there. */
function travel(geometry: WindowGeometry): { maxFirst: number; maxScroll: number } {
  const rowsInView = geometry.viewportHeight / geometry.rowHeight;
  const maxFirst = Math.max(0, geometry.total - rowsInView);
  const maxScroll = Math.max(0, scrollHeightFor(geometry) - geometry.viewportHeight);
  return { maxFirst, maxScroll };
}

/** The (fractional) row at the top of the viewport for a scrollTop. */
export function firstRowAt(scrollTop: number, geometry: WindowGeometry): number {
  const { maxFirst, maxScroll } = travel(geometry);
  if (maxScroll <= 0) return 0;
  const clamped = Math.min(Math.max(0, scrollTop), maxScroll);
  return (clamped * maxFirst) / maxScroll;
}

/** The scrollTop that puts `row` at the top of the viewport (as near as the end allows). */
export function scrollTopForRow(row: number, geometry: WindowGeometry): number {
  const { maxFirst, maxScroll } = travel(geometry);
  if (maxFirst <= 0) return 0;
  const clamped = Math.min(Math.max(0, row), maxFirst);
  return (clamped * maxScroll) / maxFirst;
}

/** The scrollTop that shows the last row at the bottom. */
export function scrollTopForEnd(geometry: WindowGeometry): number {
  return travel(geometry).maxScroll;
}

/** Where a row's top goes inside the spacer, for a scrollTop: rows sit at their own height from the first one shown. */
export function rowTop(row: number, scrollTop: number, geometry: WindowGeometry): number {
  const { maxScroll } = travel(geometry);
  const clamped = Math.min(Math.max(0, scrollTop), maxScroll);
  return clamped + (row - firstRowAt(scrollTop, geometry)) * geometry.rowHeight;
}

export function visibleWindow(scrollTop: number, geometry: WindowGeometry): VisibleWindow {
  const { total, rowHeight, viewportHeight } = geometry;
  const overscan = geometry.overscan ?? 0;
  const firstRow = firstRowAt(scrollTop, geometry);
  const visibleStart = Math.min(total, Math.floor(firstRow));
  const visibleEnd = Math.min(total, Math.ceil(firstRow + viewportHeight / rowHeight));
  return {
    scrollHeight: scrollHeightFor(geometry),
    visibleStart,
    visibleEnd,
    start: Math.max(0, visibleStart - overscan),
    end: Math.min(total, visibleEnd + overscan),
    firstRow,
  };
}
