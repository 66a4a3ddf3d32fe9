// The Cases page: a search box and filters, turned into cases.search requests. Typing is
// debounced so a word costs one request, not one per key; every request carries a number,
// and only the answer to the latest one is ever shown, so a slow answer to an old query can
// never replace the answer to the new one. While the page is on screen it follows
// 'cases.changed'; refreshes that pile up behind a running request collapse into one.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi, RequestOf } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { CaseSearchResult, CaseStatus, SearchField } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';

export type StatusFilter = CaseStatus | 'all';

/** The filters as the form holds them: text as typed, dates as an <input type="date"> gives them (YYYY-MM-DD). */
export interface CaseSearchFilters {
  status: StatusFilter;
  deviceModel: string;
  serial: string;
  tag: string;
  from: string;
  to: string;
}

export const NO_FILTERS: CaseSearchFilters = { status: 'open', deviceModel: '', serial: '', tag: '', from: '', to: '' };

/** Where in a case a match was found, in words. */
export const searchFieldLabel: Record<SearchField, string> = {
  title: 'Title',
  customer: 'Customer or site',
  asset: 'Asset id',
  serial: 'Serial number',
  model: 'Model',
  symptom: 'Symptom',
  resolution: 'Resolution',
  'root-cause': 'Root cause',
  tag: 'Tag',
  note: 'Note',
  attachment: 'Attachment',
  procedure: 'Procedure result',
};

/** "1–20 of 57", "21–40 of more than 1000"; the count the page heading shows. */
export function resultCountText(result: CaseSearchResult, request: Pick<CaseSearchRequest, 'offset'>): string {
  const total = result.totalIsExact ? String(result.total) : `more than ${result.total}`;
  if (result.hits.length === 0) return result.totalIsExact && result.total === 0 ? 'No cases' : `None on this page of ${total}`;
  const first = (request.offset ?? 0) + 1;
  const last = first + result.hits.length - 1;
  const noun = result.total === 1 && result.totalIsExact ? 'case' : 'cases';
  return `${first}–${last} of ${total} ${noun}`;
}

/** Whether a later page exists. */
export function hasNextPage(result: CaseSearchResult, request: Pick<CaseSearchRequest, 'offset' | 'limit'>): boolean {
  const shownUpTo = (request.offset ?? 0) + result.hits.length;
  if (shownUpTo < result.total) return true;
  // Past the counting cap, a full page says there may be more.
  return !result.totalIsExact && result.hits.length === (request.limit ?? SEARCH_PAGE_SIZE);
}

export type CaseSearchRequest = RequestOf<'cases.search'>;

export const SEARCH_DEBOUNCE_MS = 250;
export const SEARCH_PAGE_SIZE = 20;
/** The contract's bound on the query text. */
export const MAX_QUERY_CHARS = 500;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/u;

/**
 * A calendar day typed in the form, as the instant it starts (or, with endOfDay, the last
 * millisecond of it) in the person's own time zone: "cases up to 3 March" means all of 3 March
 * where they are sitting. Null for a text that is not a real date.
 */
export function dayBoundary(day: string, endOfDay: boolean): string | null {
  const parts = DATE_PATTERN.exec(day);
  if (!parts) return null;
  const [year, month, date] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const at = endOfDay ? new Date(year, month - 1, date, 23, 59, 59, 999) : new Date(year, month - 1, date);
  // new Date rolls 31 February over into March; a rolled-over day is not the day typed.
  if (at.getFullYear() !== year || at.getMonth() !== month - 1 || at.getDate() !== date) return null;
  return at.toISOString();
}

function problem(message: string, hint: string): ApiErrorShape {
  return { code: 'invalid-request', message, step: 'search cases', hint };
}

/**
 * The request for a query, filters and page, or the reason there is none. Blank filters are
 * left out rather than sent empty, since an empty serial would select cases with no serial.
 */
export function searchRequestOf(
  query: string,
  filters: CaseSearchFilters,
  page: number,
  pageSize = SEARCH_PAGE_SIZE,
): { request: CaseSearchRequest } | { problem: ApiErrorShape } {
  const request: CaseSearchRequest = { query: query.trim(), limit: pageSize, offset: page * pageSize };
  if (request.query.length > MAX_QUERY_CHARS) {
    return { problem: problem(`the search text is ${request.query.length} characters long; at most ${MAX_QUERY_CHARS} are searched`, 'Search for a few distinctive words of it instead.') };
  }
  if (filters.status !== 'all') request.status = filters.status;
  const model = filters.deviceModel.trim();
  if (model) request.deviceModel = model;
  const serial = filters.serial.trim();
  if (serial) request.serial = serial;
  const tag = filters.tag.trim();
  if (tag) request.tag = tag;
  if (filters.from) {
    const from = dayBoundary(filters.from, false);
    if (from === null) return { problem: problem(`"${filters.from}" is not a date`, 'Pick the From date from the calendar, or clear it.') };
    request.from = from;
  }
  if (filters.to) {
    const to = dayBoundary(filters.to, true);
    if (to === null) return { problem: problem(`"${filters.to}" is not a date`, 'Pick the To date from the calendar, or clear it.') };
    request.to = to;
  }
  if (request.from !== undefined && request.to !== undefined && request.from > request.to) {
    return { problem: problem(`the From date (${filters.from}) is after the To date (${filters.to})`, 'Swap the two dates, or clear one of them.') };
  }
  return { request };
}

/** Whether any filter narrows the list beyond the default status. */
export function filtersNarrow(filters: CaseSearchFilters): boolean {
  return Boolean(filters.deviceModel.trim() || filters.serial.trim() || filters.tag.trim() || filters.from || filters.to);
}

export interface CaseSearchState {
  /** The search box's text, as typed. */
  query: string;
  filters: CaseSearchFilters;
  /** Zero-based page of results. */
  page: number;
  /** The latest answer shown, and the request it answers; null before the first one. */
  result: CaseSearchResult | null;
  shownRequest: CaseSearchRequest | null;
  /** True from the moment a search is due (typing, debounce) until its answer is in. */
  searching: boolean;
  /** Why the latest search gave no answer: refused by the store, a bad date, a lost connection. */
  error: ApiErrorShape | null;
  setQuery(query: string): void;
  setFilters(change: Partial<CaseSearchFilters>): void;
  setPage(page: number): void;
  /** Search now, without waiting for the typing to pause (Enter). */
  submit(): void;
  /** Empty the search box and search at once (Escape). */
  clearQuery(): void;
  /** Run the current search again (the cases changed). */
  refresh(): void;
}

export type CaseSearchStore = StoreApi<CaseSearchState> & {
  /** The page is on screen: search now and follow changes until the returned function is called. */
  watch(): () => void;
  isWatched(): boolean;
  stop(): void;
};

export interface CaseSearchStoreOptions {
  debounceMs?: number;
  pageSize?: number;
}

export function createCaseSearchStore(api: FieldbenchApi, options: CaseSearchStoreOptions = {}): CaseSearchStore {
  const debounceMs = options.debounceMs ?? SEARCH_DEBOUNCE_MS;
  const pageSize = options.pageSize ?? SEARCH_PAGE_SIZE;
  let latest = 0;
  let inFlight = false;
  let refreshQueued = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let watchers = 0;

  const store = createStore<CaseSearchState>()((set, get) => {
    function cancelTimer(): void {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    }

    function run(): void {
      cancelTimer();
      refreshQueued = false;
      const { query, filters, page } = get();
      const built = searchRequestOf(query, filters, page, pageSize);
      const ticket = ++latest;
      if ('problem' in built) {
        set({ searching: false, error: built.problem });
        return;
      }
      const { request } = built;
      inFlight = true;
      set({ searching: true });
      api.invoke('cases.search', request).then(
        (result) => {
          if (ticket === latest) set({ result, shownRequest: request, error: null, searching: false });
        },
        (error: unknown) => {
          if (ticket === latest) set({ error: toApiRequestError(error, 'cases.search').toShape(), searching: false });
        },
      ).finally(() => {
        if (ticket !== latest) return;
        inFlight = false;
        if (refreshQueued) run();
      });
    }

    function schedule(): void {
      cancelTimer();
      // Superseding the ticket now means an answer still on its way for the old text is dropped.
      latest += 1;
      inFlight = false;
      set({ searching: true });
      timer = setTimeout(run, debounceMs);
    }

    return {
      query: '',
      filters: NO_FILTERS,
      page: 0,
      result: null,
      shownRequest: null,
      searching: false,
      error: null,

      setQuery(query) {
        if (query === get().query) return;
        set({ query, page: 0 });
        schedule();
      },
      setFilters(change) {
        set({ filters: { ...get().filters, ...change }, page: 0 });
        // Text filters are typed like the query; a status, a date or a cleared field is one click.
        const typed = (['deviceModel', 'serial', 'tag'] as const).some((key) => key in change && change[key] !== '');
        if (typed) schedule();
        else run();
      },
      setPage(page) {
        if (page < 0 || page === get().page) return;
        set({ page });
        run();
      },
      submit() {
        run();
      },
      clearQuery() {
        set({ query: '', page: 0 });
        run();
      },
      refresh() {
        if (timer !== null) return; // a search is already due and will read the latest state
        if (inFlight) refreshQueued = true;
        else run();
      },
    };
  });

  const off = api.on('cases.changed', () => {
    if (watchers > 0) store.getState().refresh();
  });

  return Object.assign(store, {
    watch() {
      watchers += 1;
      store.getState().submit();
      let active = true;
      return () => {
        if (active) watchers -= 1;
        active = false;
      };
    },
    isWatched: () => watchers > 0,
    stop() {
      off();
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  });
}
