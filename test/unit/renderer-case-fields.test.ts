// A case's fields edited in a draft: only what changed is sent, with the revision it was
// edited from; a save refused because someone else saved first either moves quietly onto
// their version (they changed other fields) or lays the clash out and waits for a choice.
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseDetail, CaseFields, CaseFieldsPatch } from '../../src-main/api/schemas';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { createCaseDetailStore, type CaseDetailStore } from '../../src-renderer/stores/case-detail-store';
import { conflictOf, fieldValuesOf, newDraft, patchOf, tagOf } from '../../src-renderer/stores/case-fields-draft';
import { createNoticesStore } from '../../src-renderer/stores/notices-store';
import { FakeRendererApi } from '../helpers/fake-renderer-api';

const CASE_ID = '11111111-1111-4111-8111-111111111111';
const AT = '2026-03-01T10:00:00.000Z';

const blankFields: CaseFields = { customer: null, assetId: null, symptom: null, severity: null, tags: [], resolution: null, rootCause: null, revision: 1 };

function caseDetail(fields: Partial<CaseFields> = {}, patch: Partial<CaseDetail> = {}): CaseDetail {
  return {
    id: CASE_ID,
    title: 'Battery drains',
    status: 'open',
    deviceModel: null,
    deviceSerial: null,
    noteCount: 0,
    createdAt: AT,
    updatedAt: AT,
    fields: { ...blankFields, ...fields },
    device: null,
    snapshot: null,
    notes: [],
    attachments: [],
    timeline: [],
    ...patch,
  };
}

/** A fake core holding one case: it applies patches and refuses stale revisions as the store does. */
class OneCaseCore {
  stored: CaseDetail;
  constructor(readonly api: FakeRendererApi, initial: CaseDetail) {
    this.stored = initial;
    api.handle('cases.get', () => structuredClone(this.stored));
    api.handle('cases.update', ({ expectedRevision, fields }) => {
      if (expectedRevision !== undefined && expectedRevision !== this.stored.fields.revision) {
        throw new ApiRequestError({ code: 'conflict', message: 'changed since it was read', step: 'update case', hint: 'Reload the case.' });
      }
      this.apply(fields);
      return structuredClone(this.stored);
    });
  }

  /** Someone else's save, straight into the store. */
  apply(fields: CaseFieldsPatch): void {
    const { status, serialNumber, title, ...rest } = fields;
    const next: CaseDetail = structuredClone(this.stored);
    if (status !== undefined) next.status = status;
    if (title !== undefined) next.title = title;
    if (serialNumber !== undefined) next.deviceSerial = serialNumber;
    for (const [key, value] of Object.entries(rest)) Object.assign(next.fields, { [key]: key === 'tags' ? [...(value as string[])].sort() : value });
    next.fields.revision += 1;
    this.stored = next;
  }
}

let store: CaseDetailStore;
afterEach(() => store?.stop());

async function open(initial = caseDetail()) {
  const api = new FakeRendererApi();
  const core = new OneCaseCore(api, initial);
  const notices = createNoticesStore();
  store = createCaseDetailStore(api, notices);
  await store.getState().load(CASE_ID);
  return { api, core, notices };
}

describe('patchOf', () => {
  it('sends only changed fields, blank text as null, and a serial only for a case with no device', () => {
    const base = fieldValuesOf(caseDetail({ customer: 'Acme', symptom: 'resets' }));
    const values = { ...base, customer: 'Acme ', symptom: '  ', severity: 'high' as const, tags: ['battery'], serialNumber: 'SN-9' };
    expect(patchOf(base, values, false)).toEqual({ symptom: null, severity: 'high', tags: ['battery'], serialNumber: 'SN-9' });
    expect(patchOf(base, values, true)).toEqual({ symptom: null, severity: 'high', tags: ['battery'] });
  });
});

describe('tagOf', () => {
  it('folds case and spaces as the store does, skips blanks and duplicates, and refuses an overlong tag with a hint', () => {
    expect(tagOf('  Low   Battery ', [])).toEqual({ tag: 'low battery' });
    expect(tagOf('BATTERY', ['battery'])).toBeNull();
    expect(tagOf('   ', [])).toBeNull();
    expect(tagOf('x'.repeat(61), [])).toMatchObject({ problem: { code: 'invalid-request', hint: expect.any(String) } });
  });
});

describe('conflictOf', () => {
  it('names the fields both sides changed, and those only the other side changed', () => {
    const draft = newDraft(caseDetail({ severity: 'low' }));
    draft.values = { ...draft.values, severity: 'high', customer: 'Acme' };
    const theirs = caseDetail({ severity: 'critical', symptom: 'resets at night', revision: 2 });
    const conflict = conflictOf(draft, theirs);
    expect(conflict.contested).toEqual(['severity']);
    expect(conflict.kept).toEqual(['symptom']);
    expect(conflict.theirRevision).toBe(2);
  });
});

describe('case fields in the case detail store', () => {
  it('keeps edits in a draft across a refresh and saves only them with the revision they came from', async () => {
    const { api, core } = await open(caseDetail({ customer: 'Acme' }));
    store.getState().editFields({ symptom: 'Resets at night', tags: ['battery'] });
    await store.getState().refresh();
    expect(store.hasUnsavedFields(CASE_ID)).toBe(true);
    expect(store.getState().fieldDrafts[CASE_ID]?.values.symptom).toBe('Resets at night');

    await expect(store.getState().saveFields()).resolves.toBe(true);
    expect(api.callsTo('cases.update')).toEqual([{ caseId: CASE_ID, expectedRevision: 1, fields: { symptom: 'Resets at night', tags: ['battery'] } }]);
    expect(core.stored.fields).toMatchObject({ customer: 'Acme', symptom: 'Resets at night', tags: ['battery'], revision: 2 });
    expect(store.hasUnsavedFields(CASE_ID)).toBe(false);
    expect(store.getState().detail?.fields.revision).toBe(2);
  });

  it('keeps a draft of one case while another is open, so leaving the page loses nothing', async () => {
    const { api } = await open();
    store.getState().editFields({ customer: 'Acme' });
    const other = caseDetail({}, { id: '22222222-2222-4222-8222-222222222222', title: 'Other' });
    api.handle('cases.get', ({ caseId }) => (caseId === other.id ? other : caseDetail()));
    await store.getState().load(other.id);
    await store.getState().load(CASE_ID);
    expect(store.getState().fieldDrafts[CASE_ID]?.values.customer).toBe('Acme');
    expect(store.hasUnsavedFields(CASE_ID)).toBe(true);
  });

  it('moves quietly onto another save that touched other fields, keeping both', async () => {
    const { api, core } = await open();
    store.getState().editFields({ customer: 'Acme' });
    core.apply({ symptom: 'Resets at night' });
    await expect(store.getState().saveFields()).resolves.toBe(true);
    expect(api.callsTo('cases.update').map((r) => r.expectedRevision)).toEqual([1, 2]);
    expect(core.stored.fields).toMatchObject({ customer: 'Acme', symptom: 'Resets at night', revision: 3 });
    expect(store.getState().fieldsConflict).toBeNull();
  });

  it('stops on a field both sides changed, shows both values, and reloading theirs drops the draft', async () => {
    const { core } = await open();
    store.getState().editFields({ severity: 'high', customer: 'Acme' });
    core.apply({ severity: 'critical' });
    await expect(store.getState().saveFields()).resolves.toBe(false);
    const conflict = store.getState().fieldsConflict;
    expect(conflict?.contested).toEqual(['severity']);
    expect(conflict?.mine.severity).toBe('high');
    expect(conflict?.theirs.severity).toBe('critical');
    // Nothing was written, and the edit is still there.
    expect(core.stored.fields.customer).toBeNull();
    expect(store.getState().fieldDrafts[CASE_ID]?.values.severity).toBe('high');
    // A second Save does not slip past the open conflict.
    await expect(store.getState().saveFields()).resolves.toBe(false);

    await store.getState().reloadAfterConflict();
    expect(store.getState().fieldsConflict).toBeNull();
    expect(store.hasUnsavedFields(CASE_ID)).toBe(false);
    expect(store.getState().detail?.fields.severity).toBe('critical');
  });

  it('overwrites knowingly: writes the fields changed here over theirs and keeps what only they changed', async () => {
    const { api, core } = await open();
    store.getState().editFields({ severity: 'high' });
    core.apply({ severity: 'critical', symptom: 'Resets at night' });
    await store.getState().saveFields();
    expect(store.getState().fieldsConflict?.kept).toEqual(['symptom']);

    await expect(store.getState().overwriteAfterConflict()).resolves.toBe(true);
    expect(api.callsTo('cases.update').at(-1)).toEqual({ caseId: CASE_ID, expectedRevision: 2, fields: { severity: 'high' } });
    expect(core.stored.fields).toMatchObject({ severity: 'high', symptom: 'Resets at night', revision: 3 });
    expect(store.getState().fieldsConflict).toBeNull();
    expect(store.hasUnsavedFields(CASE_ID)).toBe(false);
  });

  it('an overwrite that meets yet another change asks again instead of writing blind', async () => {
    const { core } = await open();
    store.getState().editFields({ severity: 'high' });
    core.apply({ severity: 'critical' });
    await store.getState().saveFields();
    core.apply({ severity: 'low' });
    await expect(store.getState().overwriteAfterConflict()).resolves.toBe(false);
    expect(store.getState().fieldsConflict?.theirs.severity).toBe('low');
    expect(core.stored.fields.severity).toBe('low');
  });

  it('shows any other refusal with its message and keeps the draft', async () => {
    const { api } = await open();
    api.handle('cases.update', () => {
      throw new ApiRequestError({ code: 'invalid-request', message: 'the tag is too long', step: 'tag case', hint: 'Use a shorter tag.' });
    });
    store.getState().editFields({ tags: ['x'] });
    await expect(store.getState().saveFields()).resolves.toBe(false);
    expect(store.getState().fieldsError).toMatchObject({ message: 'the tag is too long', hint: 'Use a shorter tag.' });
    expect(store.hasUnsavedFields(CASE_ID)).toBe(true);
  });

  it('refuses the one-click status change while field edits are unsaved', async () => {
    const { api } = await open();
    api.handle('cases.setStatus', () => {
      throw new Error('must not be called');
    });
    store.getState().editFields({ customer: 'Acme' });
    await store.getState().setStatus('resolved');
    expect(api.callsTo('cases.setStatus')).toEqual([]);
  });
});

describe('attachments in the case detail store', () => {
  it('refuses a file over the cap before reading it, with the size and a hint', async () => {
    const { api } = await open();
    let read = false;
    const stored = await store.getState().attachFile({
      name: 'capture.bin',
      type: '',
      size: 65 * 1024 * 1024,
      bytes: () => {
        read = true;
        return Promise.resolve(new Uint8Array());
      },
    });
    expect(stored).toBe(false);
    expect(read).toBe(false);
    expect(api.callsTo('cases.attach')).toEqual([]);
    expect(store.getState().attachError).toMatchObject({ message: expect.stringMatching(/capture\.bin is 65 MiB.*at most 64 MiB/), hint: expect.any(String) });
  });

  it('sends a file as base64 with its type and shows the store’s refusal with its hint', async () => {
    const { api } = await open();
    api.handle('cases.attach', () => {
      throw new ApiRequestError({ code: 'invalid-request', message: 'not a file name', step: 'attach file', hint: 'Give the file’s own name.' });
    });
    const stored = await store.getState().attachFile({ name: 'uart.log', type: 'text/plain', size: 5, bytes: () => Promise.resolve(new TextEncoder().encode('hello')) });
    expect(stored).toBe(false);
    expect(api.callsTo('cases.attach')).toEqual([{ caseId: CASE_ID, fileName: 'uart.log', mediaType: 'text/plain', contentBase64: 'aGVsbG8=' }]);
    expect(store.getState().attachError).toMatchObject({ message: 'not a file name', hint: 'Give the file’s own name.' });
  });
});
