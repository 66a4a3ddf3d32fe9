// The bench station as the core last said: the whole state from 'station.state' (events and
// answers), each tile from 'station.unit' events, the recipes on offer, the production record
// the operator searched, and what each request left to say. Tiles keep the order the core
// gave them; a unit event replaces its tile in place.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi, RequestOf } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { VirtualModel } from '../../src-main/api/schemas';
import type { StationExport, StationExportFormat, StationRecipeFile, StationRun, StationState, StationUnit } from '../../src-main/api/station-schemas';
import { toApiRequestError } from '../api/api-request-error';
import type { TrayUnits } from '../station/virtual-tray';
import { isFinished } from './station-selectors';

/** Requests that act on the station as a whole; a tile's own requests are keyed by its device id. */
export type StationAction = 'load' | 'unload' | 'operator' | 'autoStart' | 'startAll' | 'attach' | 'export';

export interface StationRecord {
  serialNumber: string;
  runs: StationRun[] | null;
  searching: boolean;
  error: ApiErrorShape | null;
}

export interface StationStoreState {
  /** Null until the first answer; a station with no recipe is a state, not null. */
  station: StationState | null;
  /** Why the station could not be read (a core without a station says so here). */
  stateError: ApiErrorShape | null;
  recipes: StationRecipeFile[] | null;
  recipesError: ApiErrorShape | null;
  /** Requests on their way, by action or device id. */
  pending: Partial<Record<StationAction | `unit:${string}`, boolean>>;
  /** Why the last request of an action (or on a tile) was refused, shown beside it. */
  errors: Partial<Record<StationAction | `unit:${string}`, ApiErrorShape>>;
  record: StationRecord | null;

  refresh(): Promise<void>;
  loadRecipes(): Promise<void>;
  load(file: string): Promise<boolean>;
  unload(): Promise<void>;
  setOperator(operator: string): Promise<boolean>;
  setAutoStart(autoStart: boolean): Promise<void>;
  startAll(): Promise<void>;
  start(deviceId: string): Promise<void>;
  abort(deviceId: string, reason?: string): Promise<void>;
  attachVirtual(model: VirtualModel, units: TrayUnits): Promise<boolean>;
  searchRuns(serialNumber: string): Promise<void>;
  exportLog(format: StationExportFormat, range: { from?: string; to?: string }): Promise<StationExport | null>;
  clearError(key: StationAction | `unit:${string}`): void;
}

export type StationStore = StoreApi<StationStoreState> & { stop(): void };

/** How many runs of one serial number the record panel asks for. */
const RECORD_LIMIT = 200;

export function createStationStore(api: FieldbenchApi): StationStore {
  // Each unit event is numbered; a fetched state only replaces a tile the events have not
  // touched since the fetch was sent, so a slow answer never rolls a tile back.
  let eventSeq = 0;
  /** When the last pushed 'station.state' came, on the same count as the unit events. */
  let pushedAt = 0;
  const unitSeq = new Map<string, number>();
  const latestUnits = new Map<string, StationUnit>();
  let refetching = false;
  let refetchAgain = false;

  const store = createStore<StationStoreState>()((set, get) => {
    /** One request keyed by action or tile: pending while out, its refusal kept for the view. */
    const run = async <T>(key: StationAction | `unit:${string}`, channel: string, work: () => Promise<T>): Promise<T | null> => {
      if (get().pending[key]) return null;
      set((state) => {
        const { [key]: _cleared, ...errors } = state.errors;
        return { pending: { ...state.pending, [key]: true }, errors };
      });
      try {
        return await work();
      } catch (error) {
        set((state) => ({ errors: { ...state.errors, [key]: toApiRequestError(error, channel).toShape() } }));
        return null;
      } finally {
        set((state) => ({ pending: { ...state.pending, [key]: false } }));
      }
    };

    /** A request answered with the station: apply it as a fetched state. */
    const stationRequest = async <C extends 'station.load' | 'station.unload' | 'station.setOperator' | 'station.setAutoStart' | 'station.start' | 'station.abort'>(
      key: StationAction | `unit:${string}`,
      channel: C,
      payload: RequestOf<C>,
    ): Promise<boolean> => {
      const sentAt = eventSeq;
      const answer = await run(key, channel, () => api.invoke(channel, payload) as Promise<StationState>);
      if (answer === null) return false;
      applyFetched(answer, sentAt);
      return true;
    };

    return {
      station: null,
      stateError: null,
      recipes: null,
      recipesError: null,
      pending: {},
      errors: {},
      record: null,

      async refresh() {
        const sentAt = eventSeq;
        try {
          applyFetched(await api.invoke('station.state', {}), sentAt);
          set({ stateError: null });
        } catch (error) {
          set({ stateError: toApiRequestError(error, 'station.state').toShape() });
        }
      },

      async loadRecipes() {
        try {
          set({ recipes: await api.invoke('station.recipes', {}), recipesError: null });
        } catch (error) {
          set({ recipesError: toApiRequestError(error, 'station.recipes').toShape() });
        }
      },

      load(file) {
        return stationRequest('load', 'station.load', { file: file.trim() });
      },

      async unload() {
        await stationRequest('unload', 'station.unload', {});
      },

      setOperator(operator) {
        return stationRequest('operator', 'station.setOperator', { operator: operator.trim() });
      },

      async setAutoStart(autoStart) {
        await stationRequest('autoStart', 'station.setAutoStart', { autoStart });
      },

      async startAll() {
        await stationRequest('startAll', 'station.start', {});
      },

      async start(deviceId) {
        await stationRequest(`unit:${deviceId}`, 'station.start', { deviceId });
      },

      async abort(deviceId, reason) {
        await stationRequest(`unit:${deviceId}`, 'station.abort', { deviceId, ...(reason?.trim() ? { reason: reason.trim() } : {}) });
      },

      async attachVirtual(model, units) {
        // The tiles arrive as 'station.unit' events once the core has matched each device.
        const attached = await run('attach', 'devices.attachVirtualMany', () => api.invoke('devices.attachVirtualMany', { model, units }));
        return attached !== null;
      },

      async searchRuns(serialNumber) {
        const serial = serialNumber.trim();
        if (!serial) return;
        set({ record: { serialNumber: serial, runs: get().record?.serialNumber === serial ? (get().record?.runs ?? null) : null, searching: true, error: null } });
        try {
          const runs = await api.invoke('station.runs', { serialNumber: serial, limit: RECORD_LIMIT });
          // A newer search may have been sent while this one was out: only the latest shows.
          if (get().record?.serialNumber === serial) set({ record: { serialNumber: serial, runs, searching: false, error: null } });
        } catch (error) {
          if (get().record?.serialNumber === serial) {
            set({ record: { serialNumber: serial, runs: null, searching: false, error: toApiRequestError(error, 'station.runs').toShape() } });
          }
        }
      },

      exportLog(format, range) {
        return run('export', 'station.export', () => api.invoke('station.export', { format, ...range }));
      },

      clearError(key) {
        set((state) => {
          const { [key]: _cleared, ...errors } = state.errors;
          return { errors };
        });
      },
    };
  });

  function applyFetched(fetched: StationState, sentAt: number): void {
    // The core pushes the whole state on every change to it (recipe, operator, tiles, counts):
    // one pushed after this fetch left is at least as new, and this answer may predate it.
    if (pushedAt > sentAt) return;
    const newer = (deviceId: string) => (unitSeq.get(deviceId) ?? 0) > sentAt;
    const units = fetched.units.map((unit) => (newer(unit.deviceId) ? (latestUnits.get(unit.deviceId) ?? unit) : unit));
    // A tile announced after the fetch left is newer than the answer's list: it stays, at the end.
    for (const [deviceId, unit] of latestUnits) {
      if (newer(deviceId) && !units.some((u) => u.deviceId === deviceId)) units.push(unit);
    }
    // What is shown is now the last word on each tile: after a reconnect the events missed
    // while down are in the answer, and the next event's verdict is judged against it.
    latestUnits.clear();
    for (const unit of units) latestUnits.set(unit.deviceId, unit);
    store.setState({ station: { ...fetched, units } });
  }

  function applyUnit(unit: StationUnit): void {
    unitSeq.set(unit.deviceId, ++eventSeq);
    const before = latestUnits.get(unit.deviceId) ?? store.getState().station?.units.find((u) => u.deviceId === unit.deviceId) ?? null;
    latestUnits.set(unit.deviceId, unit);
    store.setState((state) => {
      // Before the first state arrives there is nothing to place a tile in; the fetch will take it from latestUnits.
      if (!state.station) return state;
      const units = [...state.station.units];
      const index = units.findIndex((u) => u.deviceId === unit.deviceId);
      if (index >= 0) units[index] = unit;
      else units.push(unit);
      return { station: { ...state.station, units } };
    });
    if (isFinished(unit.state) && before?.state !== unit.state) refetchCounts();
  }

  /**
   * Tiles entering a verdict change the counts, which only the whole state carries: fetch it
   * then, one fetch at a time; verdicts that arrive meanwhile get one more fetch after it.
   */
  function refetchCounts(): void {
    if (refetching) {
      refetchAgain = true;
      return;
    }
    refetching = true;
    void store
      .getState()
      .refresh()
      .finally(() => {
        refetching = false;
        if (refetchAgain) {
          refetchAgain = false;
          refetchCounts();
        }
      });
  }

  const offState = api.on('station.state', (station) => {
    // Pushed in order with the unit events on the same connection: it is the newest word, and
    // units it no longer lists have left for good.
    pushedAt = ++eventSeq;
    latestUnits.clear();
    for (const unit of station.units) {
      unitSeq.set(unit.deviceId, ++eventSeq);
      latestUnits.set(unit.deviceId, unit);
    }
    store.setState({ station, stateError: null });
  });
  const offUnit = api.on('station.unit', applyUnit);

  return Object.assign(store, {
    stop() {
      offState();
      offUnit();
    },
  });
}
