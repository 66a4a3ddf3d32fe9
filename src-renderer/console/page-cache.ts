// Rows of a capture view held in the renderer: fixed-size pages of lines, keyed by the view
// (a filter makes another view) and the page's index, the least recently used let go past a
// bound, so scrolling through a million lines keeps a few thousand in memory. A page at the
// end of a live capture may be short; it is fetched again once more lines exist.
import type { ConsoleLine } from '../../src-main/api/console-schemas';

const PAGE_SIZE = 200;
/** 60 pages of 200: several screens either side of the view, a few MB at most. */
const PAGE_CAPACITY = 60;

export interface PageRef {
  page: number;
  offset: number;
  count: number;
}

export class PageCache {
  private readonly pages = new Map<string, ConsoleLine[]>();

  constructor(
    readonly pageSize = PAGE_SIZE,
    readonly capacity = PAGE_CAPACITY,
  ) {}

  private key(view: string, page: number): string {
    return `${page}\u0000${view}`;
  }

  get size(): number {
    return this.pages.size;
  }

  /** Lines from `offset` on, taken from a read, split into the pages they fill. */
  put(view: string, offset: number, lines: readonly ConsoleLine[]): void {
    let index = 0;
    while (index < lines.length) {
      const at = offset + index;
      const page = Math.floor(at / this.pageSize);
      const pageStart = page * this.pageSize;
      const take = Math.min(lines.length - index, pageStart + this.pageSize - at);
      const existing = this.pages.get(this.key(view, page)) ?? [];
      const within = at - pageStart;
      // Pages hold lines from their start without holes: a read that begins past what a page holds is not kept.
      if (within <= existing.length) {
        const merged = existing.slice(0, within).concat(lines.slice(index, index + take), existing.slice(within + take));
        this.touch(view, page, merged);
      }
      index += take;
    }
    this.evict();
  }

  /** The line at a view offset, when its page is held; counts as a use. */
  line(view: string, offset: number): ConsoleLine | undefined {
    const page = Math.floor(offset / this.pageSize);
    const lines = this.pages.get(this.key(view, page));
    if (!lines) return undefined;
    const line = lines[offset - page * this.pageSize];
    if (line) this.touch(view, page, lines);
    return line;
  }

  /** The pages [start, end) needs that are not held, or held shorter than the view now is. */
  missing(view: string, start: number, end: number, total: number): PageRef[] {
    const refs: PageRef[] = [];
    const last = Math.min(end, total);
    if (last <= start) return refs;
    for (let page = Math.floor(start / this.pageSize); page * this.pageSize < last; page++) {
      const offset = page * this.pageSize;
      const count = Math.min(this.pageSize, total - offset);
      const held = this.pages.get(this.key(view, page));
      if (!held || held.length < count) refs.push({ page, offset, count });
    }
    return refs;
  }

  /** Forget one view (its filter went away) or everything. */
  clear(view?: string): void {
    if (view === undefined) {
      this.pages.clear();
      return;
    }
    for (const key of [...this.pages.keys()]) if (key.slice(key.indexOf('\u0000') + 1) === view) this.pages.delete(key);
  }

  private touch(view: string, page: number, lines: ConsoleLine[]): void {
    const key = this.key(view, page);
    this.pages.delete(key);
    this.pages.set(key, lines);
  }

  private evict(): void {
    // Map keeps insertion order and touch() re-inserts, so the first keys are the least recently used.
    for (const key of this.pages.keys()) {
      if (this.pages.size <= this.capacity) break;
      this.pages.delete(key);
    }
  }
}
