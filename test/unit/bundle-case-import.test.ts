// Storing an imported case: one transaction that writes all of it or, when any row fails
// (here a firmware step the schema refuses, written last), none of it; the case searchable
// at once; and a case already here stored again under new ids whose references follow.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { CaseEventKind, FirmwareJobStep } from '../../src-main/api/schemas';
import type { ImportedCase } from '../../src-main/store/case-import';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { BINARY, LOG_TEXT, sampleBundledCase } from '../helpers/bundle-fixtures';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;

beforeEach(() => {
  dir = makeTempDir('bundle-case-import');
  store = openCaseStore({ dataDir: dir.path, now: () => new Date('2026-11-25T12:00:00.000Z') });
});

afterEach(() => {
  store.close();
  dir.remove();
});

function importedCase(): ImportedCase {
  const bundled = sampleBundledCase();
  const bytes = [new TextEncoder().encode(LOG_TEXT), BINARY];
  return {
    case: bundled.case,
    device: bundled.device,
    snapshots: bundled.snapshots,
    notes: bundled.notes,
    timeline: bundled.timeline.filter((event) => event.kind !== 'procedure-result').map((event) => ({ ...event, kind: event.kind as CaseEventKind })),
    attachments: bundled.attachments.map((attachment, index) => ({ ...attachment, bytes: bytes[index]! })),
    firmwareJobs: bundled.firmwareJobs,
    importEvent: { summary: 'Imported from bundle test.zip', data: { bundle: 'test.zip' } },
  };
}

describe('CaseRepository.importCase', () => {
  it('stores the whole case with its own times, searchable at once', () => {
    const input = importedCase();
    const { detail, renumbered, caseId } = store.cases.importCase(input);
    expect(renumbered).toBe(false);
    expect(caseId).toBe(input.case.id);
    expect(detail).toMatchObject({ title: input.case.title, status: 'resolved', createdAt: input.case.createdAt, updatedAt: '2026-11-25T12:00:00.000Z', noteCount: 2 });
    expect(detail.fields).toEqual(input.case.fields);
    expect(detail.notes).toEqual(input.notes);
    expect(detail.timeline.map((event) => event.kind)).toEqual(['case-opened', 'firmware', 'attachment-added', 'procedure', 'imported']);
    expect(detail.attachments.map((a) => [a.fileName, a.searchable])).toEqual([['radio.log', true], ['config dump.bin', false]]);
    expect(store.cases.snapshotsOf(caseId)).toEqual(input.snapshots);
    expect(store.firmware.ofCase(caseId)).toEqual(input.firmwareJobs);
    expect(store.search.search({ query: 'radio_task', limit: 20, offset: 0 }).hits.map((hit) => hit.caseId)).toEqual([caseId]);
    expect(store.integrityCheck()).toEqual([]);
  });

  it('writes nothing when any row fails, even the last one', () => {
    const input = importedCase();
    const job = input.firmwareJobs[0]!;
    job.steps.push({ step: 'confirm', status: 'exploded' as FirmwareJobStep['status'], at: job.updatedAt, detail: null });
    expect(() => store.cases.importCase(input)).toThrow(FieldbenchError);
    expect(store.cases.list()).toEqual([]);
    expect(store.firmware.ofCase(input.case.id)).toEqual([]);
    expect(store.search.search({ query: 'radio', limit: 20, offset: 0 }).total).toBe(0);
    expect(store.integrityCheck()).toEqual([]);
  });

  it('stores a case already here under new ids, its references following', () => {
    const first = store.cases.importCase(importedCase());
    const second = store.cases.importCase(importedCase());
    expect(second.renumbered).toBe(true);
    expect(second.caseId).not.toBe(first.caseId);
    expect(store.cases.get(first.caseId)).toEqual(first.detail);
    const copy = second.detail;
    const jobs = store.firmware.ofCase(copy.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.id).not.toBe(first.detail.timeline.find((e) => e.kind === 'firmware')?.data?.jobId);
    expect(copy.timeline.find((e) => e.kind === 'firmware')?.data?.jobId).toBe(jobs[0]!.id);
    expect(copy.timeline.find((e) => e.kind === 'attachment-added')?.data?.attachmentId).toBe(copy.attachments[0]!.id);
    expect(new Set([...copy.notes.map((n) => n.id), ...first.detail.notes.map((n) => n.id)]).size).toBe(4);
    expect(store.integrityCheck()).toEqual([]);
  });

  it('stores a firmware job still running where it was exported as finished here, saying so', () => {
    const input = importedCase();
    Object.assign(input.firmwareJobs[0]!, { state: 'running', outcome: null, finishedAt: null });
    const { caseId } = store.cases.importCase(input);
    const [job] = store.firmware.ofCase(caseId);
    expect(job).toMatchObject({ state: 'finished', outcome: null, finishedAt: '2026-11-25T12:00:00.000Z', reason: 'still running on the machine the case was exported from' });
    expect(store.firmware.unfinished()).toEqual([]);
  });
});
