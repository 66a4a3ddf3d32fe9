// Diagnostics per device: the last report, whether a read is running, and why the last
// read failed. The error stays with the device page (next to its Refresh button) rather
// than in the global alert region, because that is where the person is looking.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { DiagnosticsReport } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';

export interface DeviceDiagnostics {
  report: DiagnosticsReport | null;
  reading: boolean;
  error: ApiErrorShape | null;
}

export interface DiagnosticsState {
  byDevice: Record<string, DeviceDiagnostics>;
  /** Fetch the report read earlier this session, if any (no device traffic). */
  loadLast(deviceId: string): Promise<void>;
  /** Read the device's diagnostics now. */
  refresh(deviceId: string): Promise<void>;
}

export type DiagnosticsStore = StoreApi<DiagnosticsState>;

export const NO_DIAGNOSTICS: DeviceDiagnostics = Object.freeze({ report: null, reading: false, error: null });

export function createDiagnosticsStore(api: FieldbenchApi): DiagnosticsStore {
  return createStore<DiagnosticsState>()((set, get) => {
    const patch = (deviceId: string, change: Partial<DeviceDiagnostics>) =>
      set((state) => ({
        byDevice: { ...state.byDevice, [deviceId]: { ...(state.byDevice[deviceId] ?? NO_DIAGNOSTICS), ...change } },
      }));

    return {
      byDevice: {},

      async loadLast(deviceId) {
        try {
          const report = await api.invoke('diagnostics.last', { deviceId });
          // A Refresh started meanwhile has the newer answer; do not overwrite it.
          const current = get().byDevice[deviceId];
          if (report && !current?.reading) patch(deviceId, { report });
        } catch (error) {
          patch(deviceId, { error: toApiRequestError(error, 'diagnostics.last').toShape() });
        }
      },

      async refresh(deviceId) {
        if (get().byDevice[deviceId]?.reading) return;
        patch(deviceId, { reading: true, error: null });
        try {
          const report = await api.invoke('diagnostics.read', { deviceId });
          patch(deviceId, { report, reading: false });
        } catch (error) {
          patch(deviceId, { reading: false, error: toApiRequestError(error, 'diagnostics.read').toShape() });
        }
      },
    };
  });
}
