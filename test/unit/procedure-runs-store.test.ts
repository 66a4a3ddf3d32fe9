// Procedure runs in the case store: schema 4 on a store written by the version before, and
// runs written and read back step by step, through a real SQLite file.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { openDatabase } from '../../src-main/store/database';
import { LATEST_VERSION, migrate, migrations, userVersion } from '../../src-main/store/migrations';
import type { StoredRun } from '../../src-main/store/procedure-runs';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;

beforeEach(() => {
  dir = makeTempDir('procedure-runs');
  store = openCaseStore({ dataDir: dir.path });
});
afterEach(() => {
  store.close();
  dir.remove();
});

function newRun(overrides: Partial<StoredRun> = {}): StoredRun {
  const at = '2026-11-27T09:00:00.000Z';
  return {
    id: randomUUID(),
    deviceId: 'serial:/dev/ttyACM0',
    device: { label: '/dev/ttyACM0', transport: 'serial', model: 'sensor-node', serialNumber: 'SN-00C0FFEE', firmwareVersion: '1.4.2' },
    profileId: 'fieldbench-sensor-node',
    procedure: {
      id: 'p',
      name: 'P',
      steps: [
        { kind: 'check', id: 'volts', title: 'Volts', diagnostic: 'battery-voltage', limits: { min: 3.3 } },
        { kind: 'measurement', id: 'current', title: 'Current', instructions: 'Measure.', unit: 'mA', limits: { max: 15 } },
      ],
    },
    caseId: null,
    operator: 'Ana',
    onFail: 'ask',
    state: 'running',
    stateReason: null,
    currentStep: 0,
    steps: [0, 1].map(() => ({ status: 'pending', attempts: 0, reading: null, reason: null, answer: null, awaiting: null, startedAt: null, finishedAt: null, deadlineAt: null })),
    startedAt: at,
    updatedAt: at,
    finishedAt: null,
    ...overrides,
  };
}

describe('schema 4: procedure runs', () => {
  it('is added to a store written by schema 3, which keeps its cases', () => {
    store.close();
    const file = join(dir.path, 'old.db');
    const old = openDatabase(file);
    const before = migrations.filter((m) => m.version <= 3);
    for (const migration of before) old.transaction(() => {
      migration.up(old);
      old.pragma(`user_version = ${migration.version}`);
    })();
    old.prepare("INSERT INTO cases (id, title, status, created_at, updated_at) VALUES ('c1', 'Old case', 'open', 'a', 'a')").run();
    expect(userVersion(old)).toBe(3);
    expect(migrate(old)).toEqual({ from: 3, to: LATEST_VERSION });
    const tables = old.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'procedure_%' ORDER BY name").all();
    expect(tables).toEqual([{ name: 'procedure_runs' }, { name: 'procedure_steps' }]);
    expect(old.prepare('SELECT title FROM cases').all()).toEqual([{ title: 'Old case' }]);
    old.close();
    store = openCaseStore({ dataDir: dir.path });
  });

  it('refuses a step status or run state Fieldbench does not write', () => {
    const run = store.procedures.create(newRun());
    const db = openDatabase(store.file);
    try {
      expect(() => db.prepare("UPDATE procedure_runs SET state = 'exploded' WHERE id = ?").run(run.id)).toThrow(/CHECK constraint/);
      expect(() => db.prepare("UPDATE procedure_steps SET status = 'maybe' WHERE run_id = ?").run(run.id)).toThrow(/CHECK constraint/);
    } finally {
      db.close();
    }
  });
});

describe('procedure runs', () => {
  it('are written step by step and read back as written, across a reopen', () => {
    const run = store.procedures.create(newRun());
    expect(run.steps.map((s) => s.status)).toEqual(['pending', 'pending']);
    run.steps[0] = { ...run.steps[0]!, status: 'passed', attempts: 1, reading: { value: 3.9, unit: 'V', text: 'voltage: 3.90 V' }, reason: '3.9 V is within at least 3.3 V', startedAt: run.startedAt, finishedAt: run.startedAt };
    run.steps[1] = { ...run.steps[1]!, status: 'waiting', attempts: 1, awaiting: 'value', startedAt: run.startedAt };
    run.currentStep = 1;
    run.state = 'waiting';
    store.procedures.save(run, [0, 1]);
    store.close();
    store = openCaseStore({ dataDir: dir.path });
    const back = store.procedures.get(run.id);
    expect(back).toEqual(run);
    expect(store.procedures.interrupted().map((r) => r.id)).toEqual([run.id]);
    expect(store.integrityCheck()).toEqual([]);
  });

  it('list newest first by device or case, and a case must exist', () => {
    const opened = store.cases.open({ title: 'Case', device: null, snapshot: null });
    const first = store.procedures.create(newRun({ caseId: opened.id }));
    const second = store.procedures.create(newRun({ deviceId: 'serial:/dev/other' }));
    expect(store.procedures.list({ limit: 10 }).map((r) => r.id)).toEqual([second.id, first.id]);
    expect(store.procedures.list({ caseId: opened.id, limit: 10 }).map((r) => r.id)).toEqual([first.id]);
    expect(store.procedures.list({ deviceId: 'serial:/dev/other', limit: 10 }).map((r) => r.id)).toEqual([second.id]);
    expect(store.procedures.list({ serial: 'SN-00C0FFEE', limit: 10 }).map((r) => r.id)).toEqual([second.id, first.id]);
    expect(store.procedures.list({ serial: 'SN-OTHER', limit: 10 })).toEqual([]);
    const missing = fieldbenchErrorFrom(() => store.procedures.create(newRun({ caseId: randomUUID() })));
    expect(missing).toMatchObject({ code: 'not-found', step: 'start procedure' });
    expect(fieldbenchErrorFrom(() => store.procedures.get(randomUUID())).code).toBe('not-found');
  });

  it('a damaged row is a store error naming the run, not a crash', () => {
    const run = store.procedures.create(newRun());
    const db = openDatabase(store.file);
    try {
      db.prepare("UPDATE procedure_steps SET awaiting = 'coffee' WHERE run_id = ?").run(run.id);
    } finally {
      db.close();
    }
    const error = fieldbenchErrorFrom(() => store.procedures.get(run.id));
    expect(error).toMatchObject({ code: 'store-error', step: 'read procedure run' });
    expect(error.message).toContain(run.id);
  });
});
