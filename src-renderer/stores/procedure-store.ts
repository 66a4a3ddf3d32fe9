// Test procedures on the device page: the procedures a device's profile declares, the cases a
// run can be saved to, and the runs themselves as the core last told them ('procedures.run'
// events), so a run started in another window, or paused when Fieldbench stopped, shows
// where it stands. Requests about one run go out one at a time; a refusal is kept with the
// run, for the runner to show beside the buttons.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { CaseSummary, ProcedureRun, ProcedureSummary } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import { bytesToBase64 } from '../firmware/bytes-to-base64';

export interface DeviceProcedures {
  procedures: ProcedureSummary[] | null;
  /** Cases of this device's serial number a run can be saved to, newest first. */
  cases: CaseSummary[];
  /** Ids of this device's runs, newest first. */
  runIds: string[];
  loading: boolean;
  error: ApiErrorShape | null;
}

export type ControlAction = 'pause' | 'resume' | 'abort' | 'retry' | 'skip';

export interface AnswerInput {
  answer: 'pass' | 'fail';
  reason?: string;
  value?: number;
  image?: File;
}

export interface ProcedureState {
  byDevice: Record<string, DeviceProcedures>;
  runs: Record<string, ProcedureRun>;
  /** A request about this run is on its way. */
  pending: Record<string, boolean>;
  /** Why the last request about a run (or a start on a device) was refused. */
  errors: Record<string, ApiErrorShape | null>;
  load(deviceId: string, serial: string | null): Promise<void>;
  start(deviceId: string, procedureId: string, options: { caseId?: string | undefined; operator?: string | undefined }): Promise<ProcedureRun | null>;
  answer(runId: string, stepId: string, input: AnswerInput): Promise<void>;
  /** deviceId: resume on this device when the run started under another id. */
  control(runId: string, action: ControlAction, reason?: string, deviceId?: string): Promise<void>;
}

export type ProcedureStore = StoreApi<ProcedureState> & { stop(): void };

export const NO_PROCEDURES: DeviceProcedures = Object.freeze({
  procedures: null,
  cases: Object.freeze([]) as unknown as CaseSummary[],
  runIds: Object.freeze([]) as unknown as string[],
  loading: false,
  error: null,
});

/** How many of a device's past runs are fetched with its procedures. */
const RECENT_RUNS = 10;

/** The run the device page shows: the newest one still going (running, waiting or paused), else the newest. */
export function shownRun(state: ProcedureState, deviceId: string): ProcedureRun | null {
  const runs = (state.byDevice[deviceId]?.runIds ?? []).map((id) => state.runs[id]).filter((run): run is ProcedureRun => run !== undefined);
  return runs.find((run) => run.finishedAt === null) ?? runs[0] ?? null;
}

export function createProcedureStore(api: FieldbenchApi): ProcedureStore {
  const store = createStore<ProcedureState>()((set, get) => {
    const patchDevice = (deviceId: string, change: Partial<DeviceProcedures>) =>
      set((state) => ({ byDevice: { ...state.byDevice, [deviceId]: { ...(state.byDevice[deviceId] ?? NO_PROCEDURES), ...change } } }));

    /** Runs one request about a run, noting it pending and keeping its refusal. */
    const request = async (key: string, channel: string, work: () => Promise<ProcedureRun>): Promise<ProcedureRun | null> => {
      if (get().pending[key]) return null;
      set((state) => ({ pending: { ...state.pending, [key]: true }, errors: { ...state.errors, [key]: null } }));
      try {
        const run = await work();
        remember(run);
        return run;
      } catch (error) {
        set((state) => ({ errors: { ...state.errors, [key]: toApiRequestError(error, channel).toShape() } }));
        return null;
      } finally {
        set((state) => ({ pending: { ...state.pending, [key]: false } }));
      }
    };

    return {
      byDevice: {},
      runs: {},
      pending: {},
      errors: {},

      async load(deviceId, serial) {
        patchDevice(deviceId, { loading: true, error: null });
        try {
          const [procedures, runs, cases] = await Promise.all([
            api.invoke('procedures.list', { deviceId }),
            // By serial number, a run paused under the id the device had before a restart shows here too.
            api.invoke('procedures.runs', serial ? { serial, limit: RECENT_RUNS } : { deviceId, limit: RECENT_RUNS }),
            serial ? api.invoke('cases.list', { deviceSerial: serial, limit: 20 }) : Promise.resolve([]),
          ]);
          for (const run of runs) remember(run);
          patchDevice(deviceId, { procedures, cases, runIds: mergeIds(runs.map((run) => run.id), get().byDevice[deviceId]?.runIds ?? []) });
        } catch (error) {
          patchDevice(deviceId, { error: toApiRequestError(error, 'procedures.list').toShape() });
        } finally {
          patchDevice(deviceId, { loading: false });
        }
      },

      start(deviceId, procedureId, options) {
        return request(`start:${deviceId}`, 'procedures.start', () =>
          api.invoke('procedures.start', {
            deviceId,
            procedureId,
            ...(options.caseId ? { caseId: options.caseId } : {}),
            ...(options.operator?.trim() ? { operator: options.operator.trim() } : {}),
          }),
        );
      },

      async answer(runId, stepId, input) {
        await request(runId, 'procedures.answer', async () => {
          const image = input.image ? { fileName: input.image.name, contentBase64: await bytesToBase64(new Uint8Array(await input.image.arrayBuffer())) } : undefined;
          return api.invoke('procedures.answer', {
            runId,
            stepId,
            answer: input.answer,
            ...(input.reason?.trim() ? { reason: input.reason.trim() } : {}),
            ...(input.value !== undefined ? { value: input.value } : {}),
            ...(image ? { image } : {}),
          });
        });
      },

      async control(runId, action, reason, deviceId) {
        await request(runId, 'procedures.control', () =>
          api.invoke('procedures.control', { runId, action, ...(reason?.trim() ? { reason: reason.trim() } : {}), ...(deviceId ? { deviceId } : {}) }),
        );
      },
    };
  });

  /** A run as the core last said, listed first on its device when it is new there. */
  function remember(run: ProcedureRun): void {
    store.setState((state) => {
      const known = state.runs[run.id];
      // Answers and events can arrive out of order: the newer word wins.
      if (known && Date.parse(known.updatedAt) > Date.parse(run.updatedAt)) return state;
      const device = state.byDevice[run.deviceId] ?? NO_PROCEDURES;
      const byDevice = device.runIds.includes(run.id) ? state.byDevice : { ...state.byDevice, [run.deviceId]: { ...device, runIds: [run.id, ...device.runIds] } };
      return { runs: { ...state.runs, [run.id]: run }, byDevice };
    });
  }

  const off = api.on('procedures.run', remember);
  return Object.assign(store, { stop: off });
}

function mergeIds(fetched: string[], known: string[]): string[] {
  // Runs heard of since (started here or in another window) are newer than any fetched.
  return [...known.filter((id) => !fetched.includes(id)), ...fetched];
}
