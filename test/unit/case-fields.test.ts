// The support fields of a case: set when it opens or later, each change on the timeline,
// tags normalised, and a second window refused instead of silently overwriting the first.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseDevice } from '../../src-main/api/schemas';
import { normalizeTag, normalizeTags } from '../../src-main/store/case-fields';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

const device: CaseDevice = {
  deviceId: 'serial:/dev/ttyACM0',
  transport: 'serial',
  path: '/dev/ttyACM0',
  profileId: 'fieldbench-sensor-node',
  identity: { model: 'sensor-node', serialNumber: 'SN-00000042', firmwareVersion: '1.4.2' },
};

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
let t: number;
beforeEach(() => {
  dir = makeTempDir('case-fields');
  t = Date.parse('2026-02-01T08:00:00.000Z');
  store = openCaseStore({ dataDir: dir.path, now: () => new Date((t += 1000)) });
});
afterEach(() => {
  store.close();
  dir.remove();
});

describe('case fields', () => {
  it('opens a case with its fields, the serial taken from the device', () => {
    const opened = store.cases.open({
      title: 'Drops off the mesh',
      device,
      snapshot: null,
      fields: { customer: '  Acme Water, pump station 4 ', symptom: 'Loses radio link nightly', severity: 'high', tags: ['Radio', ' radio ', 'Night  Shift'] },
    });
    expect(opened.deviceSerial).toBe('SN-00000042');
    expect(opened.fields).toEqual({
      customer: 'Acme Water, pump station 4',
      assetId: null,
      symptom: 'Loses radio link nightly',
      severity: 'high',
      tags: ['night shift', 'radio'],
      resolution: null,
      rootCause: null,
      revision: 1,
    });
    expect(opened.timeline[0]?.data).toMatchObject({ fields: expect.arrayContaining([expect.objectContaining({ field: 'severity', to: 'high' })]) });
  });

  it('updates only what the patch names, bumps the revision and says what changed on the timeline', () => {
    const opened = store.cases.open({ title: 'No readings', device: null, snapshot: null, fields: { tags: ['battery', 'radio'] } });
    const updated = store.cases.update({
      caseId: opened.id,
      expectedRevision: 1,
      patch: { severity: 'critical', assetId: 'PUMP-4', tags: ['Battery', 'field-return'], symptom: '' },
    });
    expect(updated.fields).toMatchObject({ severity: 'critical', assetId: 'PUMP-4', tags: ['battery', 'field-return'], symptom: null, revision: 2 });
    const event = updated.timeline.at(-1)!;
    expect(event.kind).toBe('fields-changed');
    expect(event.summary).toBe('Changed asset id, severity (critical), tags (+field-return −radio)');
    expect(event.data).toEqual({
      changes: [
        { field: 'assetId', from: null, to: 'PUMP-4' },
        { field: 'severity', from: null, to: 'critical' },
        { field: 'tags', from: ['battery', 'radio'], to: ['battery', 'field-return'] },
      ],
    });

    // The same values again change nothing: no revision, no timeline entry.
    const again = store.cases.update({ caseId: opened.id, patch: { severity: 'critical', tags: ['field-return', 'BATTERY'] } });
    expect(again.fields.revision).toBe(2);
    expect(again.timeline).toHaveLength(updated.timeline.length);
  });

  it('refuses a change made from a stale revision with a conflict, and keeps the first change', () => {
    const opened = store.cases.open({ title: 'Two windows', device: null, snapshot: null });
    store.cases.update({ caseId: opened.id, expectedRevision: 1, patch: { symptom: 'written in window A' } });
    const error = fieldbenchErrorFrom(() => store.cases.update({ caseId: opened.id, expectedRevision: 1, patch: { symptom: 'written in window B' } }));
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('revision 2, not 1');
    expect(error.hint).toMatch(/reload/i);
    expect(store.cases.get(opened.id).fields.symptom).toBe('written in window A');
    // Status changes take part in the same check.
    expect(fieldbenchErrorFrom(() => store.cases.setStatus(opened.id, 'waiting', 1)).code).toBe('conflict');
    expect(store.cases.setStatus(opened.id, 'waiting', 2).status).toBe('waiting');
  });

  it('does not count note saves as a conflicting change', () => {
    const opened = store.cases.open({ title: 'Typing', device: null, snapshot: null });
    store.cases.saveNote({ caseId: opened.id, noteId: randomUUID(), text: 'first words' });
    expect(store.cases.update({ caseId: opened.id, expectedRevision: 1, patch: { customer: 'Acme' } }).fields.customer).toBe('Acme');
  });

  it('moves through open, waiting and resolved, and says when a case is resolved without a resolution', () => {
    const opened = store.cases.open({ title: 'Status walk', device: null, snapshot: null });
    store.cases.setStatus(opened.id, 'waiting');
    store.cases.setStatus(opened.id, 'resolved');
    store.cases.setStatus(opened.id, 'open');
    const resolved = store.cases.update({ caseId: opened.id, patch: { status: 'resolved', resolution: 'Replaced the antenna', rootCause: 'Cracked coax' } });
    const statusEvents = resolved.timeline.filter((event) => event.kind === 'status-changed');
    expect(statusEvents.map((event) => event.summary)).toEqual([
      'Status set to waiting',
      'Status set to resolved, with no resolution recorded',
      'Status set to open',
      'Status set to resolved',
    ]);
    expect(statusEvents.at(-1)?.data).toEqual({ from: 'open', to: 'resolved', resolution: 'Replaced the antenna' });
    expect(resolved.timeline.at(-2)?.kind).toBe('fields-changed');
    expect(store.cases.list({ status: 'resolved' }).map((c) => c.id)).toEqual([opened.id]);
  });

  it('takes a serial number by hand only for a case with no device', () => {
    const bare = store.cases.open({ title: 'Returned unit', device: null, snapshot: null, fields: { serialNumber: 'SN-77' } });
    expect(bare.deviceSerial).toBe('SN-77');
    expect(store.cases.update({ caseId: bare.id, patch: { serialNumber: 'SN-78' } }).deviceSerial).toBe('SN-78');

    const withDevice = store.cases.open({ title: 'On the bench', device, snapshot: null });
    const error = fieldbenchErrorFrom(() => store.cases.update({ caseId: withDevice.id, patch: { serialNumber: 'SN-1' } }));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toContain('SN-00000042');
    expect(fieldbenchErrorFrom(() => store.cases.open({ title: 'x', device, snapshot: null, fields: { serialNumber: 'other' } })).code).toBe('invalid-request');
    // Giving the device's own serial is not a change.
    expect(store.cases.update({ caseId: withDevice.id, patch: { serialNumber: 'SN-00000042' } }).fields.revision).toBe(1);
  });

  it('refuses an unknown case and an over-long tag, and leaves the case as it was', () => {
    expect(fieldbenchErrorFrom(() => store.cases.update({ caseId: randomUUID(), patch: { symptom: 'x' } })).code).toBe('not-found');
    const opened = store.cases.open({ title: 'Tags', device: null, snapshot: null });
    const error = fieldbenchErrorFrom(() => store.cases.update({ caseId: opened.id, patch: { symptom: 'kept?', tags: ['x'.repeat(61)] } }));
    expect(error.code).toBe('invalid-request');
    expect(store.cases.get(opened.id).fields).toMatchObject({ symptom: null, tags: [], revision: 1 });
  });
});

describe('tag normalisation', () => {
  it('lower-cases, collapses spaces, composes accents, drops blanks and duplicates, and sorts', () => {
    expect(normalizeTag('  Night\t Shift ')).toBe('night shift');
    expect(normalizeTag('   ')).toBeNull();
    expect(normalizeTag('Cafe\u0301')).toBe('café');
    expect(normalizeTags(['b', 'A', 'a ', '', 'B'])).toEqual(['a', 'b']);
  });
});
