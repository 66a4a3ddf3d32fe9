// The Cases page's search store: typed text debounced into one request, only the latest
// answer shown however the answers arrive, filters mapped onto the contract's request, and
// a refused search shown with the store's message.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaseSearchHit, CaseSearchResult } from '../../src-main/api/schemas';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import {
  NO_FILTERS,
  createCaseSearchStore,
  dayBoundary,
  hasNextPage,
  resultCountText,
  searchRequestOf,
  type CaseSearchRequest,
} from '../../src-renderer/stores/case-search-store';
import { FakeRendererApi, deferred } from '../helpers/fake-renderer-api';

const AT = '2026-03-01T10:00:00.000Z';

function hit(caseId: string, title: string): CaseSearchHit {
  return { caseId, title, status: 'open', deviceModel: 'sensor-node', deviceSerial: 'SN-1', createdAt: AT, updatedAt: AT, matches: [] };
}

function resultOf(...titles: string[]): CaseSearchResult {
  return {
    hits: titles.map((title, i) => hit(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, title)),
    total: titles.length,
    totalIsExact: true,
  };
}

const DEBOUNCE = 200;

function setup() {
  const api = new FakeRendererApi();
  const store = createCaseSearchStore(api, { debounceMs: DEBOUNCE, pageSize: 20 });
  return { api, store };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('searchRequestOf', () => {
  it('sends only the filters that are set, trimmed, with the page as an offset', () => {
    const built = searchRequestOf('  battery  ', { status: 'resolved', deviceModel: ' sensor-node ', serial: '', tag: ' Battery ', from: '', to: '' }, 2, 20);
    expect(built).toEqual({ request: { query: 'battery', status: 'resolved', deviceModel: 'sensor-node', tag: 'Battery', limit: 20, offset: 40 } });
  });

  it('leaves the status out for All, so every status is searched', () => {
    const built = searchRequestOf('', { ...NO_FILTERS, status: 'all' }, 0);
    expect(built).toEqual({ request: { query: '', limit: 20, offset: 0 } });
  });

  it('turns a date range into the start of the first day and the end of the last, in local time', () => {
    const built = searchRequestOf('', { ...NO_FILTERS, from: '2026-03-01', to: '2026-03-02' }, 0);
    if (!('request' in built)) throw new Error('expected a request');
    expect(built.request.from).toBe(new Date(2026, 2, 1, 0, 0, 0, 0).toISOString());
    expect(built.request.to).toBe(new Date(2026, 2, 2, 23, 59, 59, 999).toISOString());
  });

  it('refuses a range that ends before it starts, a day that does not exist, and text past the contract bound', () => {
    const backwards = searchRequestOf('', { ...NO_FILTERS, from: '2026-03-05', to: '2026-03-01' }, 0);
    expect(backwards).toMatchObject({ problem: { code: 'invalid-request', message: expect.stringMatching(/after the To date/), hint: expect.any(String) } });
    expect(dayBoundary('2026-02-31', false)).toBeNull();
    expect(dayBoundary('yesterday', true)).toBeNull();
    expect(searchRequestOf('', { ...NO_FILTERS, from: '2026-02-30' }, 0)).toMatchObject({ problem: { message: expect.stringMatching(/not a date/) } });
    expect(searchRequestOf('x'.repeat(501), NO_FILTERS, 0)).toMatchObject({ problem: { message: expect.stringMatching(/501 characters/) } });
  });
});

describe('result counts and pages', () => {
  const request: Pick<CaseSearchRequest, 'offset' | 'limit'> = { offset: 20, limit: 20 };

  it('words an exact total, a capped one and an empty page', () => {
    expect(resultCountText({ hits: resultOf('a', 'b').hits, total: 22, totalIsExact: true }, request)).toBe('21–22 of 22 cases');
    expect(resultCountText({ hits: resultOf(...Array.from({ length: 20 }, (_, i) => `c${i}`)).hits, total: 200, totalIsExact: false }, request)).toBe(
      '21–40 of more than 200 cases',
    );
    expect(resultCountText({ hits: [], total: 0, totalIsExact: true }, { offset: 0 })).toBe('No cases');
  });

  it('offers a next page while cases remain, and past the counting cap while pages come back full', () => {
    expect(hasNextPage({ hits: resultOf('a', 'b').hits, total: 22, totalIsExact: true }, request)).toBe(false);
    expect(hasNextPage({ hits: resultOf('a').hits, total: 22, totalIsExact: true }, { offset: 0, limit: 1 })).toBe(true);
    const full = resultOf(...Array.from({ length: 20 }, (_, i) => `c${i}`)).hits;
    expect(hasNextPage({ hits: full, total: 200, totalIsExact: false }, { offset: 200, limit: 20 })).toBe(true);
    expect(hasNextPage({ hits: full.slice(0, 5), total: 200, totalIsExact: false }, { offset: 200, limit: 20 })).toBe(false);
  });
});

describe('case search store', () => {
  it('sends one request for a burst of typing, after the typing pauses', async () => {
    const { api, store } = setup();
    api.handle('cases.search', () => resultOf('Battery drains'));
    for (const text of ['b', 'ba', 'bat', 'batt', 'battery']) {
      store.getState().setQuery(text);
      await vi.advanceTimersByTimeAsync(DEBOUNCE / 4);
    }
    expect(api.callsTo('cases.search')).toHaveLength(0);
    expect(store.getState().searching).toBe(true);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(api.callsTo('cases.search')).toEqual([{ query: 'battery', status: 'open', limit: 20, offset: 0 }]);
    expect(store.getState().result?.hits.map((h) => h.title)).toEqual(['Battery drains']);
    expect(store.getState().searching).toBe(false);
  });

  it('shows only the latest answer when an older one arrives last', async () => {
    const { api, store } = setup();
    const answers = new Map<string, ReturnType<typeof deferred<CaseSearchResult>>>();
    api.handle('cases.search', (request) => {
      const answer = deferred<CaseSearchResult>();
      answers.set(request.query, answer);
      return answer.promise;
    });
    store.getState().setQuery('radio');
    store.getState().submit();
    store.getState().setQuery('battery');
    store.getState().submit();
    expect([...answers.keys()]).toEqual(['radio', 'battery']);

    answers.get('battery')!.resolve(resultOf('Battery drains'));
    await vi.advanceTimersByTimeAsync(0);
    answers.get('radio')!.resolve(resultOf('Radio drops'));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().result?.hits.map((h) => h.title)).toEqual(['Battery drains']);
    expect(store.getState().shownRequest?.query).toBe('battery');
  });

  it('drops an answer still on its way when the person types again, and a failure of a stale request too', async () => {
    const { api, store } = setup();
    const first = deferred<CaseSearchResult>();
    let calls = 0;
    api.handle('cases.search', () => (++calls === 1 ? first.promise : resultOf('Second')));
    store.getState().submit();
    store.getState().setQuery('second');
    first.reject(new ApiRequestError({ code: 'store-error', message: 'disk full' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().error).toBeNull();
    expect(store.getState().searching).toBe(true);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(store.getState().result?.hits.map((h) => h.title)).toEqual(['Second']);
    expect(store.getState().error).toBeNull();
  });

  it('searches at once on Enter and on Escape, which empties the box', async () => {
    const { api, store } = setup();
    api.handle('cases.search', () => resultOf());
    store.getState().setQuery('brownout');
    store.getState().submit();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('cases.search').map((r) => r.query)).toEqual(['brownout']);
    store.getState().clearQuery();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().query).toBe('');
    expect(api.callsTo('cases.search').map((r) => r.query)).toEqual(['brownout', '']);
    // Nothing more is due: the debounce the typing started was cancelled by Enter.
    await vi.advanceTimersByTimeAsync(DEBOUNCE * 2);
    expect(api.callsTo('cases.search')).toHaveLength(2);
  });

  it('maps a status click at once and a typed filter after the pause, each back to page one', async () => {
    const { api, store } = setup();
    api.handle('cases.search', () => ({ ...resultOf('a'), total: 100 }));
    store.getState().setPage(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('cases.search').at(-1)).toMatchObject({ offset: 60 });
    store.getState().setFilters({ status: 'waiting' });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('cases.search').at(-1)).toEqual({ query: '', status: 'waiting', limit: 20, offset: 0 });
    store.getState().setFilters({ tag: 'batt' });
    store.getState().setFilters({ tag: 'battery' });
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(api.callsTo('cases.search')).toHaveLength(3);
    expect(api.callsTo('cases.search').at(-1)).toEqual({ query: '', status: 'waiting', tag: 'battery', limit: 20, offset: 0 });
  });

  it('shows the message of a search the store refuses, and keeps the last answer on screen', async () => {
    const { api, store } = setup();
    api.handle('cases.search', (request) => {
      if (request.query === 'bad') {
        throw new ApiRequestError({ code: 'invalid-request', message: 'query: too long', step: 'cases.search', hint: 'Shorten the search.' });
      }
      return resultOf('Kept');
    });
    store.getState().submit();
    await vi.advanceTimersByTimeAsync(0);
    store.getState().setQuery('bad');
    store.getState().submit();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().error).toMatchObject({ code: 'invalid-request', message: 'query: too long', hint: 'Shorten the search.' });
    expect(store.getState().result?.hits.map((h) => h.title)).toEqual(['Kept']);
  });

  it('refuses a backwards date range without asking the core', async () => {
    const { api, store } = setup();
    api.handle('cases.search', () => resultOf());
    store.getState().setFilters({ from: '2026-03-05' });
    store.getState().setFilters({ to: '2026-03-01' });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('cases.search')).toHaveLength(1);
    expect(store.getState().error?.message).toMatch(/after the To date/);
  });

  it('follows cases.changed only while watched, and collapses changes during a running search into one more', async () => {
    const { api, store } = setup();
    const pending: ReturnType<typeof deferred<CaseSearchResult>>[] = [];
    api.handle('cases.search', () => {
      const answer = deferred<CaseSearchResult>();
      pending.push(answer);
      return answer.promise;
    });
    api.emit('cases.changed', { caseId: '00000000-0000-4000-8000-000000000001' });
    expect(pending).toHaveLength(0);

    const unwatch = store.watch();
    expect(pending).toHaveLength(1);
    for (let i = 0; i < 5; i += 1) api.emit('cases.changed', { caseId: '00000000-0000-4000-8000-000000000001' });
    expect(pending).toHaveLength(1);
    pending[0]!.resolve(resultOf('Before'));
    await vi.advanceTimersByTimeAsync(0);
    expect(pending).toHaveLength(2);
    pending[1]!.resolve(resultOf('After'));
    await vi.advanceTimersByTimeAsync(0);
    expect(pending).toHaveLength(2);
    expect(store.getState().result?.hits.map((h) => h.title)).toEqual(['After']);

    unwatch();
    api.emit('cases.changed', { caseId: '00000000-0000-4000-8000-000000000001' });
    expect(pending).toHaveLength(2);
    store.stop();
  });
});
