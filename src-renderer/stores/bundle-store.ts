// Escalation bundles from the page: exporting the case on screen (the zip comes back as
// base64 and is handed to the caller to save) and importing a bundle file picked on the
// Cases page. A refusal keeps the core's words (what was wrong, what to do), for the page to
// show until the next attempt.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import { MAX_BUNDLE_BYTES, type CaseBundleFile, type CaseBundleImport } from '../../src-main/api/schemas';
import { WS_MAX_FRAME_BYTES } from '../../src-main/api/ws-protocol';
import { toApiRequestError } from '../api/api-request-error';
import type { ConnectionState } from '../api/connection-state';
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

export interface BundleStoreOptions {
  /**
   * The largest bundle this door can carry: the browser's WebSocket takes one message of
   * limited size, the window's IPC and the CLI take any bundle the core does.
   */
  maxImportBytes?: number;
  /** Where a bundle too large for this door can be imported instead. */
  tooLargeHint?: string;
}

/** Base64 takes 4 characters for 3 bytes; the rest of the message is the envelope around it. */
export function bundleBytesThatFit(messageBytes: number): number {
  return Math.floor((messageBytes - 4096) / 4) * 3;
}

/** The limits of the door the page came through. */
export function bundleStoreOptionsFor(door: ConnectionState['door']): BundleStoreOptions {
  if (door !== 'browser') return {};
  return {
    maxImportBytes: bundleBytesThatFit(WS_MAX_FRAME_BYTES),
    tooLargeHint: 'A larger bundle is imported in the Fieldbench window, or with `fieldbench cases import FILE` in a terminal.',
  };
}

export function createBundleStore(api: FieldbenchApi, options: BundleStoreOptions = {}): BundleStore {
  const maxBytes = Math.min(MAX_BUNDLE_BYTES, options.maxImportBytes ?? MAX_BUNDLE_BYTES);
  const tooLargeHint = maxBytes < MAX_BUNDLE_BYTES && options.tooLargeHint ? options.tooLargeHint : 'Choose the .zip that "Export for escalation" wrote; a bundle this large is not one.';
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
      if (file.size > maxBytes) {
        set({
          importError: {
            code: 'invalid-request',
            message: `${file.name} is ${formatBytes(file.size)}; a bundle imported here can be at most ${formatBytes(maxBytes)}`,
            step: 'import bundle',
            hint: tooLargeHint,
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
