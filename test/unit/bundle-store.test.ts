// The renderer's bundle store: export answers the file or keeps the error for the case it
// was about; import sends the picked file as base64 with its name, refuses an oversized file
// before reading it, and keeps the core's refusal (message and hint) for the page.
import { describe, expect, it, vi } from 'vitest';
import type { FieldbenchApi } from '../../src-main/api/contract';
import { MAX_BUNDLE_BYTES, type CaseBundleImport } from '../../src-main/api/schemas';
import { WS_MAX_FRAME_BYTES } from '../../src-main/api/ws-protocol';
import { bundleBytesThatFit, bundleStoreOptionsFor, createBundleStore } from '../../src-renderer/stores/bundle-store';

const CASE_ID = '3b0c7e1a-5d2f-4e8b-9a61-7c4d2e1f0a9b';
const imported: CaseBundleImport = {
  case: { id: CASE_ID, title: 'Imported', status: 'open', deviceModel: null, deviceSerial: null, noteCount: 0, createdAt: '2026-11-20T10:00:00.000Z', updatedAt: '2026-11-20T10:00:00.000Z' },
  originalCaseId: CASE_ID,
  renumbered: false,
  machine: 'bench-07',
  fieldbenchVersion: '0.1.0',
  exportedAt: '2026-11-20T10:00:00.000Z',
  imported: { notes: 0, timelineEntries: 1, snapshots: 0, attachments: 0, firmwareJobs: 0 },
};

function apiAnswering(answer: (channel: string, payload: unknown) => unknown) {
  const invoke = vi.fn(async (channel: string, payload: unknown) => answer(channel, payload));
  const api = { invoke, on: () => () => undefined } as unknown as FieldbenchApi;
  return { api, invoke };
}

describe('bundle store', () => {
  it('exports a case, and keeps a failure with the case it was about', async () => {
    const file = { fileName: 'case-x.zip', contentBase64: 'UEsFBg==', size: 4, sha256: 'a'.repeat(64) };
    const { api } = apiAnswering(() => file);
    const store = createBundleStore(api);
    expect(await store.getState().exportCase(CASE_ID)).toEqual(file);
    expect(store.getState()).toMatchObject({ exporting: null, exportError: null });

    const failing = createBundleStore(apiAnswering(() => Promise.reject({ code: 'not-found', message: 'no case', hint: 'Refresh.' })).api);
    expect(await failing.getState().exportCase(CASE_ID)).toBeNull();
    expect(failing.getState().exportError).toEqual({ caseId: CASE_ID, error: { code: 'not-found', message: 'no case', hint: 'Refresh.' } });
  });

  it('imports the picked file as base64 with its name', async () => {
    const { api, invoke } = apiAnswering(() => imported);
    const store = createBundleStore(api);
    const bytes = new TextEncoder().encode('PK bundle bytes');
    expect(await store.getState().importBundle({ name: 'case.zip', size: bytes.length, bytes: async () => bytes })).toEqual(imported);
    expect(invoke).toHaveBeenCalledWith('cases.import', { contentBase64: Buffer.from(bytes).toString('base64'), fileName: 'case.zip' });
    expect(store.getState()).toMatchObject({ importing: false, importError: null, lastImport: imported });
  });

  it('shows a refusal with its message and hint', async () => {
    const refusal = { code: 'invalid-request', message: 'evil.zip was not imported: entry "../x" has an unsafe name', step: 'import bundle', hint: 'Ask the sender to export the case again.' };
    const store = createBundleStore(apiAnswering(() => Promise.reject(refusal)).api);
    expect(await store.getState().importBundle({ name: 'evil.zip', size: 3, bytes: async () => new Uint8Array(3) })).toBeNull();
    expect(store.getState().importError).toEqual(refusal);
    store.getState().clearImport();
    expect(store.getState().importError).toBeNull();
  });

  it('refuses a file too large to be a bundle without reading or sending it', async () => {
    const { api, invoke } = apiAnswering(() => imported);
    const store = createBundleStore(api);
    const bytes = vi.fn(async () => new Uint8Array(0));
    expect(await store.getState().importBundle({ name: 'disk.img', size: MAX_BUNDLE_BYTES + 1, bytes })).toBeNull();
    expect(bytes).not.toHaveBeenCalled();
    expect(invoke).not.toHaveBeenCalled();
    expect(store.getState().importError).toMatchObject({ code: 'invalid-request', step: 'import bundle' });
    expect(store.getState().importError?.hint).toBeTruthy();
  });

  it('in the browser, refuses a bundle larger than one WebSocket message can carry, saying where it fits', async () => {
    const fits = bundleBytesThatFit(WS_MAX_FRAME_BYTES);
    // The largest bundle that fits, as base64 in its request, is within the message limit.
    const frame = JSON.stringify({ id: Number.MAX_SAFE_INTEGER, channel: 'cases.import', payload: { contentBase64: 'A'.repeat((fits / 3) * 4), fileName: 'x'.repeat(255) } });
    expect(frame.length).toBeLessThanOrEqual(WS_MAX_FRAME_BYTES);

    const { api, invoke } = apiAnswering(() => imported);
    const browser = createBundleStore(api, bundleStoreOptionsFor('browser'));
    expect(await browser.getState().importBundle({ name: 'big.zip', size: fits + 1, bytes: async () => new Uint8Array(0) })).toBeNull();
    expect(invoke).not.toHaveBeenCalled();
    expect(browser.getState().importError?.hint).toMatch(/Fieldbench window|fieldbench cases import/u);

    const window = createBundleStore(api, bundleStoreOptionsFor('electron'));
    const bytes = new Uint8Array(3);
    expect(await window.getState().importBundle({ name: 'big.zip', size: fits + 1, bytes: async () => bytes })).toEqual(imported);
  });
});
