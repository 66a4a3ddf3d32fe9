// The case list with its status filter, and opening new cases. While the list is on
// screen it follows 'cases.changed'; reloads that pile up while one is running collapse
// into one more, so a burst of note saves costs at most two requests. A device's page shows
// its history (every case for its serial number), followed the same way while it is shown.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { CaseDetail, CaseStatus, CaseSummary } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import type { NoticesStore } from './notices-store';

export type CaseFilter = CaseStatus | 'all';

/** One serial number's cases, newest first; null until the first answer. */
export interface DeviceHistory {
  cases: CaseSummary[] | null;
  loading: boolean;
  error: ApiErrorShape | null;
}

export const NO_HISTORY: DeviceHistory = { cases: null, loading: false, error: null };

export interface CasesState {
  filter: CaseFilter;
  cases: CaseSummary[];
  /** The filter the shown list was loaded with, or null before the first answer. */
  loadedFilter: CaseFilter | null;
  loading: boolean;
  opening: boolean;
  setFilter(filter: CaseFilter): Promise<void>;
  load(): Promise<void>;
  /** Open a case (with a device: its identity and a diagnostics snapshot are attached). */
  openCase(title: string, deviceId?: string): Promise<CaseDetail | null>;
  historyBySerial: Record<string, DeviceHistory>;
  loadHistory(serial: string): Promise<void>;
}

export type CasesStore = StoreApi<CasesState> & {
  /** The list is on screen: follow changes until the returned function is called. */
  watch(): () => void;
  isWatched(): boolean;
  /** A device page shows this serial's history: load it and follow changes until the returned function is called. */
  watchHistory(serial: string): () => void;
  /** Fetch again every history a page shows (the cases changed, or the connection is back). */
  reloadWatchedHistories(): void;
  stop(): void;
};

export function createCasesStore(api: FieldbenchApi, notices: NoticesStore): CasesStore {
  let running: Promise<void> | null = null;
  let again = false;
  let watchers = 0;
  const historyWatchers = new Map<string, number>();
  const historyRunning = new Map<string, Promise<void>>();
  const historyAgain = new Set<string>();

  const store = createStore<CasesState>()((set, get) => ({
    filter: 'open',
    cases: [],
    loadedFilter: null,
    loading: false,
    opening: false,
    historyBySerial: {},

    async setFilter(filter) {
      if (filter === get().filter) return;
      set({ filter });
      await get().load();
    },

    load() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        do {
          again = false;
          const filter = get().filter;
          set({ loading: true });
          try {
            const cases = await api.invoke('cases.list', filter === 'all' ? {} : { status: filter });
            // The filter may have changed while this was out; that change asked for another load.
            if (get().filter === filter) set({ cases, loadedFilter: filter });
            else again = true;
          } catch (error) {
            notices.getState().report('Load the case list', error);
          }
        } while (again);
        set({ loading: false });
        running = null;
      })();
      return running;
    },

    async openCase(title, deviceId) {
      const trimmed = title.trim();
      if (!trimmed || get().opening) return null;
      set({ opening: true });
      try {
        return await api.invoke('cases.open', deviceId === undefined ? { title: trimmed } : { title: trimmed, deviceId });
      } catch (error) {
        notices.getState().report('Open case', error);
        return null;
      } finally {
        set({ opening: false });
      }
    },

    loadHistory(serial) {
      const running = historyRunning.get(serial);
      if (running) {
        historyAgain.add(serial);
        return running;
      }
      const put = (patch: Partial<DeviceHistory>) => {
        const current = get().historyBySerial[serial] ?? NO_HISTORY;
        set({ historyBySerial: { ...get().historyBySerial, [serial]: { ...current, ...patch } } });
      };
      const work = (async () => {
        do {
          historyAgain.delete(serial);
          put({ loading: true });
          try {
            put({ cases: await api.invoke('cases.deviceHistory', { serial }), error: null });
          } catch (error) {
            put({ error: toApiRequestError(error, 'cases.deviceHistory').toShape() });
          }
        } while (historyAgain.has(serial));
        put({ loading: false });
        historyRunning.delete(serial);
      })();
      historyRunning.set(serial, work);
      return work;
    },
  }));

  const off = api.on('cases.changed', () => {
    if (watchers > 0) void store.getState().load();
    reloadWatchedHistories();
  });

  function reloadWatchedHistories(): void {
    for (const serial of historyWatchers.keys()) void store.getState().loadHistory(serial);
  }

  return Object.assign(store, {
    watch() {
      watchers += 1;
      void store.getState().load();
      let active = true;
      return () => {
        if (active) watchers -= 1;
        active = false;
      };
    },
    isWatched: () => watchers > 0,
    watchHistory(serial: string) {
      historyWatchers.set(serial, (historyWatchers.get(serial) ?? 0) + 1);
      void store.getState().loadHistory(serial);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        const left = (historyWatchers.get(serial) ?? 1) - 1;
        if (left > 0) historyWatchers.set(serial, left);
        else historyWatchers.delete(serial);
      };
    },
    reloadWatchedHistories,
    stop: off,
  });
}
