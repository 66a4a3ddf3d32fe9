// The Bluetooth LE scan as the Devices page shows it: the settings asked for, the scan's
// state and advert list as the core last sent them ('ble.adverts'), and why a scan was
// refused. A refusal (BlueZ missing, adapter off) stays with the scan panel, where the person
// pressed Start, rather than in the global alert region.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { BleScanAdvert, BleScanState } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';

export interface BleScanStoreState {
  /** As the core last said; null until this window started a scan or heard of one. */
  state: BleScanState | null;
  /** Sorted by the core, strongest signal first. */
  adverts: BleScanAdvert[];
  /** A scan ran (or runs) since this window opened: "Scan finished" means something. */
  ranOnce: boolean;
  /** A Start or Stop is on its way. */
  requesting: boolean;
  /** Why the last Start or Stop was refused. */
  error: ApiErrorShape | null;
  startScan(seconds: number, showAll: boolean): Promise<void>;
  stopScan(): Promise<void>;
}

export type BleScanStore = StoreApi<BleScanStoreState> & { stop(): void };

export function createBleScanStore(api: FieldbenchApi): BleScanStore {
  const store = createStore<BleScanStoreState>()((set, get) => {
    async function request(channel: 'ble.scan' | 'ble.stopScan', send: () => Promise<BleScanState>): Promise<void> {
      if (get().requesting) return;
      set({ requesting: true, error: null });
      try {
        const state = await send();
        set((current) => ({ state, ranOnce: current.ranOnce || state.scanning }));
      } catch (error) {
        set({ error: toApiRequestError(error, channel).toShape() });
      } finally {
        set({ requesting: false });
      }
    }

    return {
      state: null,
      adverts: [],
      ranOnce: false,
      requesting: false,
      error: null,
      startScan: (seconds, showAll) => request('ble.scan', () => api.invoke('ble.scan', { seconds, showAll })),
      stopScan: () => request('ble.stopScan', () => api.invoke('ble.stopScan', {})),
    };
  });

  const off = api.on('ble.adverts', (list) =>
    store.setState((current) => ({ state: list.state, adverts: list.adverts, ranOnce: current.ranOnce || list.state.scanning })),
  );
  return Object.assign(store, { stop: off });
}
