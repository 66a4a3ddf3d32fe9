// The case list with its status filter, and opening new cases. While the list is on
// screen it follows 'cases.changed'; reloads that pile up while one is running collapse
// into one more, so a burst of note saves costs at most two requests.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { CaseDetail, CaseStatus, CaseSummary } from '../../src-main/api/schemas';
import type { NoticesStore } from './notices-store';

export type CaseFilter = CaseStatus | 'all';

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
}

export type CasesStore = StoreApi<CasesState> & {
  /** The list is on screen: follow changes until the returned function is called. */
  watch(): () => void;
  isWatched(): boolean;
  stop(): void;
};

export function createCasesStore(api: FieldbenchApi, notices: NoticesStore): CasesStore {
  let running: Promise<void> | null = null;
  let again = false;
  let watchers = 0;

  const store = createStore<CasesState>()((set, get) => ({
    filter: 'open',
    cases: [],
    loadedFilter: null,
    loading: false,
    opening: false,

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
  }));

  const off = api.on('cases.changed', () => {
    if (watchers > 0) void store.getState().load();
  });

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
    stop: off,
  });
}
