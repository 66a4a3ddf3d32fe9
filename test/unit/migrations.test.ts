import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { openDatabase, type Database } from '../../src-main/store/database';
import { openCaseStore } from '../../src-main/store/case-store';
import { APPLICATION_ID, LATEST_VERSION, migrate, migrations, userVersion, type Migration } from '../../src-main/store/migrations';

let dir: string;
const opened: Database[] = [];

function open(file: string): Database {
  const db = openDatabase(file);
  opened.push(db);
  return db;
}

function caught(work: () => unknown): FieldbenchError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(FieldbenchError);
    return error as FieldbenchError;
  }
  throw new Error('expected a FieldbenchError, nothing was thrown');
}

function tables(db: Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (row) => row.name,
  );
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldbench-migrations-'));
});

afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('creates the parent folder and applies the durability settings', () => {
    const file = join(dir, 'nested', 'deeper', 'store.db');
    const db = open(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(1000);
  });

  it('refuses a file that is not a database and leaves it byte-for-byte untouched', () => {
    const file = join(dir, 'fieldbench.db');
    const bytes = Buffer.from(
      'These are my case notes from before, typed into the wrong file. Do not lose them.\n'.repeat(200),
    );
    writeFileSync(file, bytes);
    const error = caught(() => open(file));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain(file);
    expect(error.hint).toMatch(/move the file aside/i);
    expect(error.hint).toMatch(/never deletes/i);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    // No journal or WAL files were left behind either.
    expect(readdirSync(dir)).toEqual(['fieldbench.db']);
  });

  it('refuses a database whose pages are damaged, without changing it', () => {
    const file = join(dir, 'fieldbench.db');
    const db = open(file);
    migrate(db);
    db.close();
    const bytes = readFileSync(file);
    // Keep a valid header but overwrite the schema page's contents with garbage.
    const damaged = Buffer.from(bytes);
    damaged.fill(0xa5, 100, Math.min(damaged.length, 4096));
    writeFileSync(file, damaged);
    const error = caught(() => open(file));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain(file);
    expect(readFileSync(file).equals(damaged)).toBe(true);
  });

  it('opens read-only without creating anything, and refuses writes', () => {
    const missing = join(dir, 'absent', 'fieldbench.db');
    expect(caught(() => openDatabase(missing, { readonly: true })).code).toBe('store-error');
    expect(readdirSync(dir)).toEqual([]);

    const file = join(dir, 'fieldbench.db');
    const writable = open(file);
    migrate(writable);
    writable.close();
    const readonly = openDatabase(file, { readonly: true });
    opened.push(readonly);
    expect(userVersion(readonly)).toBe(LATEST_VERSION);
    expect(() => readonly.exec("INSERT INTO cases (id, title, status, created_at, updated_at) VALUES ('c', 't', 'open', 'a', 'a')")).toThrow(
      /readonly/i,
    );
  });

  it('refuses a folder where the file should be', () => {
    const error = caught(() => open(dir));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain(dir);
  });
});

describe('migrate', () => {
  it('brings a fresh database to the latest version with the case tables', () => {
    const db = open(join(dir, 'fieldbench.db'));
    expect(migrate(db)).toEqual({ from: 0, to: LATEST_VERSION });
    expect(userVersion(db)).toBe(LATEST_VERSION);
    expect(LATEST_VERSION).toBe(migrations.length);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(tables(db)).toEqual(expect.arrayContaining(['cases', 'case_snapshots', 'notes']));
  });

  it('is idempotent: reopening changes nothing', () => {
    const file = join(dir, 'fieldbench.db');
    const first = open(file);
    migrate(first);
    first.prepare("INSERT INTO cases (id, title, status, created_at, updated_at) VALUES ('c', 't', 'open', 'a', 'a')").run();
    const schema = first.prepare('SELECT sql FROM sqlite_schema ORDER BY name').all();
    first.close();

    const second = open(file);
    expect(migrate(second)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION });
    expect(second.prepare('SELECT sql FROM sqlite_schema ORDER BY name').all()).toEqual(schema);
    expect(second.prepare('SELECT count(*) AS n FROM cases').get()).toEqual({ n: 1 });
  });

  it('refuses a database from a newer Fieldbench and tells the user to update', () => {
    const file = join(dir, 'fieldbench.db');
    const db = open(file);
    migrate(db);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    const before = readFileSync(file);

    const again = open(file);
    const error = caught(() => migrate(again));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain(file);
    expect(error.message).toContain(`schema version ${LATEST_VERSION + 1}`);
    expect(error.hint).toMatch(/update fieldbench/i);
    expect(userVersion(again)).toBe(LATEST_VERSION + 1);
    again.close();
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a SQLite file that belongs to something else', () => {
    const db = open(join(dir, 'other.db'));
    db.exec('CREATE TABLE recipes (name TEXT)');
    const error = caught(() => migrate(db));
    expect(error.code).toBe('store-error');
    expect(error.message).toMatch(/not a Fieldbench case store/);
    expect(tables(db)).toEqual(['recipes']);
  });

  it('applies each migration in its own transaction: a failing one leaves the previous version', () => {
    const db = open(join(dir, 'fieldbench.db'));
    const list: Migration[] = [
      ...migrations,
      {
        version: LATEST_VERSION + 1,
        name: 'half-way failure',
        up(target) {
          target.exec('CREATE TABLE attachments (id TEXT)');
          throw new Error('disk on fire');
        },
      },
    ];
    const error = caught(() => migrate(db, list));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain('half-way failure');
    expect(userVersion(db)).toBe(LATEST_VERSION);
    expect(tables(db)).not.toContain('attachments');
  });

  it('runs later migrations on an older file, in order', () => {
    const file = join(dir, 'fieldbench.db');
    const db = open(file);
    migrate(db);
    const applied: number[] = [];
    const list: Migration[] = [
      ...migrations,
      { version: LATEST_VERSION + 1, name: 'a', up: (t) => (applied.push(LATEST_VERSION + 1), t.exec('CREATE TABLE a (x)')) },
      { version: LATEST_VERSION + 2, name: 'b', up: (t) => (applied.push(LATEST_VERSION + 2), t.exec('CREATE TABLE b (x)')) },
    ];
    expect(migrate(db, list)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION + 2 });
    expect(applied).toEqual([LATEST_VERSION + 1, LATEST_VERSION + 2]);
  });

  it('upgrades a schema-2 store with cases, notes, snapshots, events and firmware jobs: defaults, references intact, searchable', () => {
    const file = join(dir, 'fieldbench.db');
    const old = open(file);
    migrate(old, migrations.slice(0, 2));
    const at = '2025-06-01T10:00:00.000Z';
    const device = JSON.stringify({ deviceId: 'serial:/dev/ttyACM0', transport: 'serial', path: '/dev/ttyACM0', profileId: null, identity: { model: 'sensor-node', serialNumber: 'SN-OLD', firmwareVersion: '1.0.0' } });
    old.prepare(
      `INSERT INTO cases (id, title, status, device_json, device_model, device_serial, created_at, updated_at)
       VALUES ('11111111-1111-4111-8111-111111111111', 'Pump controller resets', 'resolved', ?, 'sensor-node', 'SN-OLD', ?, ?)`,
    ).run(device, at, at);
    old.prepare(
      `INSERT INTO cases (id, title, status, created_at, updated_at)
       VALUES ('22222222-2222-4222-8222-222222222222', 'Second case', 'open', ?, ?)`,
    ).run(at, at);
    old.prepare(
      `INSERT INTO notes (id, case_id, text, revision, created_at, updated_at)
       VALUES ('33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111', 'Brown-out detector tripped during pump start', 3, ?, ?)`,
    ).run(at, at);
    old.prepare(
      `INSERT INTO case_events (id, case_id, kind, at, summary) VALUES ('44444444-4444-4444-8444-444444444444', '11111111-1111-4111-8111-111111111111', 'status-changed', ?, 'Status set to resolved')`,
    ).run(at);
    old.prepare(
      `INSERT INTO firmware_jobs (id, case_id, device_json, image_json, options_json, state, started_at, updated_at)
       VALUES ('55555555-5555-4555-8555-555555555555', '11111111-1111-4111-8111-111111111111', ?, '{}', '{}', 'done', ?, ?)`,
    ).run(device, at, at);
    const seqs = old.prepare('SELECT seq, id FROM cases ORDER BY seq').all();
    old.close();

    const db = open(file);
    expect(migrate(db)).toEqual({ from: 2, to: LATEST_VERSION });
    expect(db.prepare('SELECT seq, id FROM cases ORDER BY seq').all()).toEqual(seqs);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();

    const store = openCaseStore({ dataDir: dir });
    try {
      expect(store.integrityCheck()).toEqual([]);
      const detail = store.cases.get('11111111-1111-4111-8111-111111111111');
      expect(detail).toMatchObject({
        status: 'resolved',
        deviceSerial: 'SN-OLD',
        fields: { customer: null, assetId: null, symptom: null, severity: null, tags: [], resolution: null, rootCause: null, revision: 1 },
        notes: [{ text: 'Brown-out detector tripped during pump start', revision: 3 }],
        attachments: [],
      });
      const found = store.search.search({ query: 'brown-out pump', limit: 10 });
      expect(found.hits.map((hit) => hit.caseId)).toEqual(['11111111-1111-4111-8111-111111111111']);
      expect(found.hits[0]?.matches.map((m) => m.field)).toEqual(['title', 'note']);
      expect(store.search.deviceHistory('SN-OLD').map((c) => c.id)).toEqual(['11111111-1111-4111-8111-111111111111']);
      // The old cases take the new status and fields.
      expect(store.cases.setStatus('22222222-2222-4222-8222-222222222222', 'waiting').status).toBe('waiting');
      expect(store.cases.update({ caseId: '22222222-2222-4222-8222-222222222222', patch: { tags: ['Legacy'] } }).fields.tags).toEqual(['legacy']);
      expect(store.search.search({ query: '', tag: 'legacy', limit: 5 }).hits).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('upgrades a schema-4 store with procedure runs: the runs of a case become searchable, as procedure matches', () => {
    const file = join(dir, 'fieldbench.db');
    const old = open(file);
    migrate(old, migrations.slice(0, 4));
    const at = '2026-11-20T10:00:00.000Z';
    const caseId = '11111111-1111-4111-8111-111111111111';
    const other = '22222222-2222-4222-8222-222222222222';
    const insertCase = old.prepare(`INSERT INTO cases (id, title, status, created_at, updated_at) VALUES (?, ?, 'open', ?, ?)`);
    insertCase.run(caseId, 'Gateway fails burn-in', at, at);
    insertCase.run(other, 'Unrelated', at, at);
    const procedure = JSON.stringify({
      id: 'burn-in',
      name: 'Burn-in',
      steps: [
        { kind: 'check', id: 'temp', title: 'Board temperature', command: 'temp', unit: 'degC', limits: { max: 70 } },
        { kind: 'instruction', id: 'fan', title: 'Fan spins', instructions: 'Look at the fan.' },
      ],
    });
    const insertRun = old.prepare(
      `INSERT INTO procedure_runs (id, device_id, device_json, profile_id, procedure_id, procedure_json, case_id, operator, on_fail,
         state, state_reason, current_step, started_at, updated_at, finished_at)
       VALUES (?, 'serial:/dev/ttyACM0', ?, 'gateway', 'burn-in', ?, ?, 'Ben', 'ask', 'failed', NULL, NULL, ?, ?, ?)`,
    );
    const device = JSON.stringify({ label: '/dev/ttyACM0', transport: 'serial', model: 'gateway', serialNumber: 'GW-1', firmwareVersion: '2.0.0' });
    const runId = '33333333-3333-4333-8333-333333333333';
    insertRun.run(runId, device, procedure, caseId, at, at, at);
    insertRun.run('44444444-4444-4444-8444-444444444444', device, procedure.replace('Burn-in', 'Overheat soak'), null, at, at, at);
    const insertStep = old.prepare(
      `INSERT INTO procedure_steps (run_id, step_index, step_id, status, reading_json, reason, answer_json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const id of [runId, '44444444-4444-4444-8444-444444444444']) {
      insertStep.run(id, 0, 'temp', 'failed', JSON.stringify({ value: 81.5, unit: 'degC', text: 'temp=81.5' }), '81.5 degC is above the maximum 70 degC', null);
      insertStep.run(id, 1, 'fan', 'failed', null, 'fan stalled', JSON.stringify({ answer: 'fail', reason: 'fan stalled', value: null, imageFileName: null, by: 'Ben', at }));
    }
    old.close();

    const db = open(file);
    expect(migrate(db)).toEqual({ from: 4, to: LATEST_VERSION });
    db.close();
    const store = openCaseStore({ dataDir: dir });
    try {
      expect(store.integrityCheck()).toEqual([]);
      const found = store.search.search({ query: '"board temperature" 81.5 stalled', limit: 10 });
      expect(found.hits.map((hit) => hit.caseId)).toEqual([caseId]);
      expect(found.hits[0]?.matches.map((m) => [m.field, m.sourceId])).toEqual([['procedure', runId]]);
      expect(store.search.search({ query: '"at most 70 degC" burn-in failed ben', limit: 10 }).hits.map((hit) => hit.caseId)).toEqual([caseId]);
      // A run with no case stays out of case search; the cases keep their own words.
      expect(store.search.search({ query: 'overheat', limit: 10 }).total).toBe(0);
      expect(store.search.search({ query: 'unrelated', limit: 10 }).hits.map((hit) => hit.caseId)).toEqual([other]);
    } finally {
      store.close();
    }
  });

  it('upgrades a schema-5 store with the station record, leaving the cases as they were; an outcome goes with an end', () => {
    const file = join(dir, 'fieldbench.db');
    const old = open(file);
    migrate(old, migrations.slice(0, 5));
    const at = '2026-11-20T10:00:00.000Z';
    old.prepare(`INSERT INTO cases (id, title, status, created_at, updated_at) VALUES (?, 'Kept', 'open', ?, ?)`).run('11111111-1111-4111-8111-111111111111', at, at);
    old.close();

    const db = open(file);
    expect(migrate(db)).toEqual({ from: 5, to: LATEST_VERSION });
    expect(tables(db)).toEqual(expect.arrayContaining(['cases', 'station_runs']));
    expect(db.prepare('SELECT title FROM cases').all()).toEqual([{ title: 'Kept' }]);
    const indexes = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'station_runs' AND sql IS NOT NULL ORDER BY name").all() as {
      name: string;
    }[]).map((row) => row.name);
    expect(indexes).toEqual(['station_runs_by_recipe', 'station_runs_by_serial', 'station_runs_by_time', 'station_runs_unfinished']);
    const insert = db.prepare(
      `INSERT INTO station_runs (id, recipe_id, recipe_revision, recipe_sha256, profile_id, station, owner_host, owner_pid, device_label,
         transport, image_sha256, started_at, outcome, ended_at) VALUES (?, 'r', '1', 'x', 'p', 'bench', 'bench', 1, '/dev/ttyACM0', ?, 'y', ?, ?, ?)`,
    );
    expect(() => insert.run('run-1', 'serial', at, 'passed', null)).toThrow(/CHECK/);
    expect(() => insert.run('run-2', 'serial', at, null, at)).toThrow(/CHECK/);
    expect(() => insert.run('run-3', 'serial', at, 'exploded', at)).toThrow(/CHECK/);
    expect(() => insert.run('run-4', 'carrier-pigeon', at, null, null)).toThrow(/CHECK/);
    insert.run('run-5', 'usb', at, 'unplugged', at);
    insert.run('run-6', 'ble', at, null, null);
    expect(db.prepare('SELECT count(*) AS n FROM station_runs').get()).toEqual({ n: 2 });
  });

  it('keeps foreign keys on after a migration that rebuilds a table, even when it fails', () => {
    const db = open(join(dir, 'fieldbench.db'));
    const list: Migration[] = [
      ...migrations,
      { version: LATEST_VERSION + 1, name: 'rebuild gone wrong', rebuildsTables: true, up: () => { throw new Error('no space'); } },
    ];
    expect(caught(() => migrate(db, list)).message).toContain('rebuild gone wrong');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(userVersion(db)).toBe(LATEST_VERSION);
  });

  it('rejects a migration list with gaps', () => {
    const db = open(join(dir, 'fieldbench.db'));
    const list: Migration[] = [...migrations, { version: LATEST_VERSION + 2, name: 'gap', up: () => undefined }];
    expect(() => migrate(db, list)).toThrow(/expected/);
    expect(userVersion(db)).toBe(0);
  });
});
