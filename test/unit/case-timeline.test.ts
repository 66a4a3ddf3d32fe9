// The case timeline: what happened to a case, in order, committed as it happens.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseDevice, DiagnosticsReport } from '../../src-main/api/schemas';
import { CaseRepository } from '../../src-main/store/case-repository';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { openDatabase } from '../../src-main/store/database';
import { migrate, migrations } from '../../src-main/store/migrations';
import { makeTempDir } from '../helpers/temp-dir';

const device: CaseDevice = {
  deviceId: 'serial:/dev/ttyACM0',
  transport: 'serial',
  path: '/dev/ttyACM0',
  profileId: 'fieldbench-sensor-node',
  identity: { model: 'sensor-node', serialNumber: 'SN-00000042', firmwareVersion: '1.4.2' },
};

const snapshot: DiagnosticsReport = {
  deviceId: device.deviceId,
  profileId: 'fieldbench-sensor-node',
  identity: device.identity,
  readings: [
    { id: 'battery', label: 'Battery', value: 3.2, unit: 'V', status: 'fail', limits: null, message: 'low', readAt: '2026-01-01T00:00:00.000Z' },
    { id: 'temp', label: 'Temperature', value: 20, unit: '°C', status: 'ok', limits: null, message: null, readAt: '2026-01-01T00:00:00.000Z' },
  ],
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
};

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
beforeEach(() => {
  dir = makeTempDir('timeline');
  store = openCaseStore({ dataDir: dir.path });
});
afterEach(() => {
  store.close();
  dir.remove();
});

describe('case timeline', () => {
  it('records the opening, the snapshot and status changes, oldest first', () => {
    const opened = store.cases.open({ title: 'Resets at night', device, snapshot });
    expect(opened.timeline.map((e) => e.kind)).toEqual(['case-opened', 'snapshot']);
    expect(opened.timeline[0]?.summary).toBe('Case opened for sensor-node SN-00000042');
    expect(opened.timeline[1]?.summary).toBe('Diagnostics snapshot: 2 readings (1 fail)');

    store.cases.setStatus(opened.id, 'resolved');
    store.cases.setStatus(opened.id, 'resolved'); // no change, no entry
    const detail = store.cases.get(opened.id);
    expect(detail.timeline.map((e) => e.kind)).toEqual(['case-opened', 'snapshot', 'status-changed']);
    expect(detail.timeline[2]?.data).toEqual({ from: 'open', to: 'resolved', resolution: null });
    expect(detail.timeline[2]?.summary).toBe('Status set to resolved, with no resolution recorded');
  });

  it('appends events with their data, and refuses a case that does not exist', () => {
    const opened = store.cases.open({ title: 'Update to 1.5.0', device: null, snapshot: null });
    const event = store.cases.appendEvent({ caseId: opened.id, kind: 'firmware', summary: 'Upload started', data: { bytes: 4096 } });
    expect(event).toMatchObject({ caseId: opened.id, kind: 'firmware', summary: 'Upload started', data: { bytes: 4096 } });
    expect(store.cases.get(opened.id).timeline.at(-1)).toEqual(event);
    expect(() => store.cases.appendEvent({ caseId: randomUUID(), kind: 'firmware', summary: 'x' })).toThrow(
      expect.objectContaining({ code: 'not-found' }),
    );
  });

  it('a store written before the timeline existed upgrades with its cases intact', () => {
    store.close();
    const file = `${dir.path}/old.db`;
    const old = openDatabase(file);
    migrate(old, migrations.slice(0, 1));
    const caseId = randomUUID();
    old.prepare(
      `INSERT INTO cases (id, title, status, device_json, device_model, device_serial, created_at, updated_at)
       VALUES (?, 'Old case', 'open', NULL, NULL, NULL, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
    ).run(caseId);
    old.close();
    const upgraded = openDatabase(file);
    expect(migrate(upgraded)).toEqual({ from: 1, to: migrations.at(-1)?.version });
    const cases = new CaseRepository(upgraded);
    expect(cases.get(caseId)).toMatchObject({ title: 'Old case', timeline: [] });
    cases.appendEvent({ caseId, kind: 'firmware', summary: 'after the upgrade' });
    expect(cases.get(caseId).timeline).toHaveLength(1);
    upgraded.close();
    store = openCaseStore({ dataDir: dir.path });
  });
});
