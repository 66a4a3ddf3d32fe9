// Escalation bundles from the page: exporting the case on screen (the zip comes back as
// base64 and is handed to the caller to save) and importing a bundle file picked on the
// Cases page. A refusal keeps the core's words (what was wrong, what to do), for the page to
// show until the next attempt.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import { MAX_BUNDLE_BYTES, type CaseBundleFile, type CaseBundleImport } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import { bytesToBase64 } from '../firmware/bytes-to-base64';
import { formatBytes } from '../format/format-transfer';

/** A file picked on the page: read only once it is known to be worth sending. */
export interface PickedBundle {
  name: string;
  size: number;
  bytes(): Promise<Uint8Array>;
}

export interface BundleState {
  /** The case being exported, or null. */
  exporting: string | null;
  exportError: { caseId: string; error: ApiErrorShape } | null;
  importing: boolean;
  importError: ApiErrorShape | null;
  lastImport: CaseBundleImport | null;
  exportCase(caseId: string): Promise<CaseBundleFile | null>;
  importBundle(file: PickedBundle): Promise<CaseBundleImport | null>;
  clearImport(): void;
}

export type BundleStore = StoreApi<BundleState>;

export function createBundleStore(api: FieldbenchApi): BundleStore {
  return createStore<BundleState>()((set, get) => ({
    exporting: null,
    exportError: null,
    importing: false,
    importError: null,
    lastImport: null,

    async exportCase(caseId) {
      if (get().exporting !== null) return null;
      set({ exporting: caseId, exportError: null });
      try {
        return await api.invoke('cases.export', { caseId });
      } catch (error) {
        set({ exportError: { caseId, error: toApiRequestError(error, 'cases.export').toShape() } });
        return null;
      } finally {
        set({ exporting: null });
      }
    },

    async importBundle(file) {
      if (get().importing) return null;
      if (file.size > MAX_BUNDLE_BYTES) {
        set({
          importError: {
            code: 'invalid-request',
            message: `${file.name} is ${formatBytes(file.size)}; a bundle can be at most ${formatBytes(MAX_BUNDLE_BYTES)}`,
            step: 'import bundle',
            hint: 'Choose the .zip that "Export for escalation" wrote; a bundle this large is not one.',
          },
        });
        return null;
      }
      set({ importing: true, importError: null, lastImport: null });
      try {
        const contentBase64 = await bytesToBase64(await file.bytes());
        const imported = await api.invoke('cases.import', { contentBase64, fileName: file.name });
        set({ lastImport: imported });
        return imported;
      } catch (error) {
        set({ importError: toApiRequestError(error, 'cases.import').toShape() });
        return null;
      } finally {
        set({ importing: false });
      }
    },

    clearImport() {
      set({ importError: null, lastImport: null });
    },
  }));
}
