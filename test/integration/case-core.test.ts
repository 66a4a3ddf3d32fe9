// The case-history requests through the core's dispatch, as every door calls them: payloads
// checked on the way in, answers checked against the contract, cases.changed on each write.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { fails, ok, startCore } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;
let changed: string[];

beforeEach(async () => {
  dir = makeTempDir('case-core');
  core = await startCore(dir.path);
  changed = [];
  core.events.on('cases.changed', ({ caseId }) => changed.push(caseId));
});

afterEach(async () => {
  await core.close();
  dir.remove();
});

describe('case history over the contract', () => {
  it('opens with fields, updates with a revision check, attaches, searches and lists a device history', async () => {
    const opened = await ok(core, 'cases.open', {
      title: 'Modem hangs after update',
      fields: { serialNumber: 'SN-5150', severity: 'high', tags: ['Modem'], customer: 'Harbour authority' },
    });
    expect(opened.fields).toMatchObject({ severity: 'high', tags: ['modem'], revision: 1 });
    expect(opened.deviceSerial).toBe('SN-5150');

    const updated = await ok(core, 'cases.update', { caseId: opened.id, expectedRevision: 1, fields: { symptom: 'AT commands time out', status: 'waiting' } });
    expect(updated).toMatchObject({ status: 'waiting', fields: { symptom: 'AT commands time out', revision: 2 } });
    const conflict = await fails(core, 'cases.update', { caseId: opened.id, expectedRevision: 1, fields: { symptom: 'stale window' } });
    expect(conflict).toMatchObject({ code: 'conflict', step: 'update case' });
    expect(conflict.hint).toMatch(/reload/i);

    const log = 'AT+CSQ\r\nERROR: modem firmware assert at ring_buffer.c:88\r\n';
    const attachment = await ok(core, 'cases.attach', { caseId: opened.id, fileName: 'modem.log', contentBase64: Buffer.from(log).toString('base64') });
    expect(attachment).toMatchObject({ fileName: 'modem.log', mediaType: 'text/plain', size: log.length, searchable: true });
    const back = await ok(core, 'cases.attachment', { caseId: opened.id, attachmentId: attachment.id });
    expect(Buffer.from(back.contentBase64, 'base64').toString()).toBe(log);

    const found = await ok(core, 'cases.search', { query: 'ring_buffer assert' });
    expect(found.total).toBe(1);
    expect(found.hits[0]?.matches[0]).toMatchObject({ field: 'attachment', sourceId: attachment.id });
    expect((await ok(core, 'cases.search', { query: '', status: 'waiting', tag: 'modem' })).hits).toHaveLength(1);
    expect((await ok(core, 'cases.deviceHistory', { serial: 'SN-5150' })).map((c) => c.id)).toEqual([opened.id]);

    expect(changed).toEqual([opened.id, opened.id, opened.id]);
    // The full case, after a restart, has everything.
    await core.close();
    core = await startCore(dir.path);
    const detail = await ok(core, 'cases.get', { caseId: opened.id });
    expect(detail.timeline.map((e) => e.kind)).toEqual(['case-opened', 'fields-changed', 'status-changed', 'attachment-added']);
  });

  it('refuses malformed requests before they reach the store', async () => {
    const opened = await ok(core, 'cases.open', { title: 'Checks' });
    expect((await fails(core, 'cases.update', { caseId: opened.id, fields: { severity: 'apocalyptic' } })).code).toBe('invalid-request');
    expect((await fails(core, 'cases.update', { caseId: opened.id, fields: { colour: 'red' } })).code).toBe('invalid-request');
    expect((await fails(core, 'cases.attach', { caseId: opened.id, fileName: 'x.bin', contentBase64: 'not base64!' })).code).toBe('invalid-request');
    expect((await fails(core, 'cases.search', { query: 'x', limit: 0 })).code).toBe('invalid-request');
    expect((await fails(core, 'cases.search', { query: 'x', from: 'yesterday' })).code).toBe('invalid-request');
    expect((await fails(core, 'cases.attachment', { caseId: opened.id, attachmentId: randomUUID() })).code).toBe('not-found');
    expect((await fails(core, 'cases.setStatus', { caseId: opened.id, status: 'closed' })).code).toBe('invalid-request');
  });
});
