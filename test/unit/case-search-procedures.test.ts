// Procedure results in case search: a run attached to a case is found by what it checked and
// how it ended, with a 'procedure' match and its snippet; the index follows every write to
// runs and steps, whoever makes it, and drops a run that leaves the case; the limit the index
// holds reads as the runner says it.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseSearchResult, StepAnswer } from '../../src-main/api/schemas';
import { runView } from '../../src-main/core/procedures/run-view';
import type { ProcedureStepSpec } from '../../src-main/core/profiles/profile-types';
import { CaseSearch, type CaseSearchInput } from '../../src-main/store/case-search';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { openDatabase, type Database } from '../../src-main/store/database';
import type { StoredRun, StoredStep } from '../../src-main/store/procedure-runs';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
let db: Database;
let bench: string;
let field: string;

const ids = (result: CaseSearchResult) => result.hits.map((hit) => hit.caseId);

function search(input: Partial<CaseSearchInput>): CaseSearchResult {
  return store.search.search({ query: '', limit: 20, ...input });
}

function pending(): StoredStep {
  return { status: 'pending', attempts: 0, reading: null, reason: null, answer: null, awaiting: null, startedAt: null, finishedAt: null, deadlineAt: null };
}

const AT = '2026-11-27T09:00:00.000Z';

function answer(verdict: 'pass' | 'fail', reason: string | null, extra: Partial<StepAnswer> = {}): StepAnswer {
  return { answer: verdict, reason, value: null, imageFileName: null, by: 'Ana', at: AT, ...extra };
}

const BRING_UP: ProcedureStepSpec[] = [
  { kind: 'check', id: 'battery', title: 'Battery voltage', diagnostic: 'battery-voltage', unit: 'V', limits: { min: 3.3, max: 4.25 } },
  { kind: 'measurement', id: 'sleep-current', title: 'Sleep current', instructions: 'Measure on J3.', unit: 'uA', limits: { max: 15 } },
  { kind: 'instruction', id: 'label', title: 'Label fitted', instructions: 'Fit the asset label.' },
];

function run(caseId: string | null, steps: ProcedureStepSpec[] = BRING_UP, overrides: Partial<StoredRun> = {}): StoredRun {
  return {
    id: randomUUID(),
    deviceId: 'serial:/dev/ttyACM0',
    device: { label: '/dev/ttyACM0', transport: 'serial', model: 'sensor-node', serialNumber: 'SN-7', firmwareVersion: '1.4.2' },
    profileId: 'fieldbench-sensor-node',
    procedure: { id: 'bench-bring-up', name: 'Bench bring-up', steps },
    caseId,
    operator: 'Ana',
    onFail: 'ask',
    state: 'running',
    stateReason: null,
    currentStep: 0,
    steps: steps.map(pending),
    startedAt: AT,
    updatedAt: AT,
    finishedAt: null,
    ...overrides,
  };
}

/** The bring-up run as it ends: a reading in range, a value out of range failed by the operator, a skipped step. */
function finish(stored: StoredRun): StoredRun {
  stored.steps[0] = { ...pending(), status: 'passed', attempts: 1, reading: { value: 3.92, unit: 'V', text: 'vbat 3920 mV' }, reason: '3.92 V is within 3.3 to 4.25 V' };
  stored.steps[1] = {
    ...pending(),
    status: 'failed',
    attempts: 1,
    reading: { value: 48, unit: 'uA', text: null },
    reason: '48 uA is above the maximum 15 uA',
    answer: answer('fail', 'regulator quiescent draw', { value: 48 }),
  };
  stored.steps[2] = { ...pending(), status: 'skipped', reason: 'the run was aborted: wrong fixture' };
  stored.state = 'aborted';
  stored.stateReason = 'aborted by Ana: wrong fixture';
  stored.currentStep = null;
  stored.finishedAt = AT;
  return stored;
}

beforeEach(() => {
  dir = makeTempDir('case-search-procedures');
  store = openCaseStore({ dataDir: dir.path });
  db = openDatabase(store.file);
  bench = store.cases.open({ title: 'Node fails bring-up', device: null, snapshot: null, fields: { serialNumber: 'SN-7' } }).id;
  field = store.cases.open({ title: 'Node back from the field', device: null, snapshot: null, fields: { serialNumber: 'SN-8' } }).id;
});

afterEach(() => {
  db.close();
  store.close();
  dir.remove();
});

describe('procedure results in case search', () => {
  it('finds a case by its runs: procedure, step, reading with unit, limit, reasons, answers and outcome', () => {
    const stored = store.procedures.create(run(bench));
    store.procedures.save(finish(stored));
    for (const query of [
      '"bench bring-up"',
      '"sleep current"',
      '"3.92 V"',
      'vbat 3920',
      '"3.3 to 4.25 V"',
      '"at most 15 uA"',
      'quiescent',
      'aborted "wrong fixture"',
      '"answered fail by Ana"',
      'skipped label',
    ]) {
      expect(ids(search({ query })), query).toEqual([bench]);
    }
    // The words must all be in this case, across its parts: its title and its run.
    expect(ids(search({ query: 'bring-up quiescent' }))).toEqual([bench]);
    expect(ids(search({ query: 'quiescent field' }))).toEqual([]);
  });

  it('says a hit is a procedure result, names the run and marks the words in a snippet', () => {
    const stored = store.procedures.create(run(bench));
    store.procedures.save(finish(stored));
    const [hit] = search({ query: 'quiescent' }).hits;
    expect(hit?.matches).toHaveLength(1);
    const [match] = hit!.matches;
    expect(match).toMatchObject({ field: 'procedure', sourceId: stored.id });
    expect(match!.snippet.filter((segment) => segment.hit).map((segment) => segment.text)).toEqual(['quiescent']);
    expect(match!.snippet.map((segment) => segment.text).join('')).toContain('15 uA, answered fail by Ana: regulator quiescent draw; Label fitted: skipped');
    const step = search({ query: '"sleep current"' }).hits[0]?.matches.find((m) => m.field === 'procedure');
    expect(step?.snippet.map((segment) => segment.text).join('')).toContain('Sleep current: failed, read 48 uA, limit at most 15 uA, 48 uA is above');
    // A prefix and a phrase are marked as they match.
    const prefixed = search({ query: 'regul*' }).hits[0]?.matches[0];
    expect(prefixed?.snippet.find((segment) => segment.hit)?.text).toBe('regulator');
    // The run's own line comes first: procedure, outcome, operator, why it ended.
    const outcome = search({ query: '"bench bring-up"' }).hits[0]?.matches.find((m) => m.field === 'procedure');
    expect(outcome?.snippet.map((segment) => segment.text).join('')).toMatch(/^Bench bring-up: aborted, by Ana, aborted by Ana: wrong fixture; Battery voltage: passed, read 3\.92 V \(vbat 3920 mV\)/);
  });

  it('follows a run step by step as it is written, while it runs', () => {
    const stored = store.procedures.create(run(bench));
    // The run is indexed as soon as it starts, by its procedure and steps.
    expect(ids(search({ query: '"sleep current" running' }))).toEqual([bench]);
    expect(ids(search({ query: '3920' }))).toEqual([]);
    stored.steps[0] = { ...pending(), status: 'passed', reading: { value: 3.92, unit: 'V', text: 'vbat 3920 mV' }, reason: 'in range' };
    store.procedures.save(stored, [0]);
    expect(ids(search({ query: '3920' }))).toEqual([bench]);
    // A retry replaces the reading: the old one is gone from the index.
    stored.steps[0] = { ...stored.steps[0]!, reading: { value: 3.4, unit: 'V', text: 'vbat 3400 mV' }, attempts: 2 };
    store.procedures.save(stored, [0]);
    expect(ids(search({ query: '3920' }))).toEqual([]);
    expect(ids(search({ query: '3400' }))).toEqual([bench]);
    stored.state = 'paused';
    stored.stateReason = 'Fieldbench stopped during step 2 (Sleep current)';
    store.procedures.save(stored, []);
    expect(ids(search({ query: 'paused stopped' }))).toEqual([bench]);
    expect(ids(search({ query: '"bench bring-up" running' }))).toEqual([]);
  });

  it('indexes only runs attached to a case, and moves a run with its case', () => {
    const loose = store.procedures.create(run(null));
    store.procedures.save(finish(loose));
    expect(ids(search({ query: 'quiescent' }))).toEqual([]);
    // Any writer is followed, not only the repository: the triggers keep the index.
    db.prepare('UPDATE procedure_runs SET case_id = ? WHERE id = ?').run(field, loose.id);
    expect(ids(search({ query: 'quiescent' }))).toEqual([field]);
    db.prepare('UPDATE procedure_runs SET case_id = ? WHERE id = ?').run(bench, loose.id);
    expect(ids(search({ query: 'quiescent' }))).toEqual([bench]);
    expect(search({ query: 'quiescent' }).total).toBe(1);
    db.prepare('UPDATE procedure_runs SET case_id = NULL WHERE id = ?').run(loose.id);
    expect(search({ query: 'quiescent' })).toEqual({ hits: [], total: 0, totalIsExact: true });
    // The case itself is still found by its own words.
    expect(ids(search({ query: 'bring-up' }))).toEqual([bench]);
  });

  it('keeps every run of a case: each one found and shown with its own snippet', () => {
    const first = store.procedures.create(run(bench));
    store.procedures.save(finish(first));
    const second = store.procedures.create(run(bench, [{ kind: 'wait', id: 'boot', title: 'Reboots cleanly', for: 'reboot', timeoutMs: 30_000 }]));
    second.steps[0] = { ...pending(), status: 'passed', reading: { value: 'uptime 3 s', unit: null, text: null }, reason: 'it rebooted' };
    second.state = 'passed';
    store.procedures.save(second);
    expect(ids(search({ query: 'quiescent' }))).toEqual([bench]);
    expect(ids(search({ query: '"reboots within 30 s"' }))).toEqual([bench]);
    const [hit] = search({ query: '"bench bring-up"' }).hits;
    expect(hit?.matches.filter((m) => m.field === 'procedure').map((m) => m.sourceId)).toEqual([second.id, first.id]);
  });

  it('applies the filters to procedure matches, whichever side the search walks', () => {
    store.procedures.save(finish(store.procedures.create(run(bench))));
    store.procedures.save(finish(store.procedures.create(run(field))));
    store.cases.update({ caseId: field, patch: { tags: ['returns'] } });
    expect(ids(search({ query: 'quiescent' }))).toEqual([field, bench]);
    for (const selectiveFilterCases of [0, 1_000_000]) {
      const searcher = new CaseSearch(db, { selectiveFilterCases });
      const find = (input: Partial<CaseSearchInput>) => ids(searcher.search({ query: 'quiescent', limit: 20, ...input }));
      expect(find({ serial: 'SN-7' })).toEqual([bench]);
      expect(find({ tag: 'returns' })).toEqual([field]);
      expect(find({ status: 'resolved' })).toEqual([]);
      expect(find({ limit: 1, offset: 1 })).toEqual([bench]);
    }
  });

  it('is checked by the store integrity check: a case with runs and no procedures row is reported', () => {
    store.procedures.save(finish(store.procedures.create(run(bench))));
    expect(store.integrityCheck()).toEqual([]);
    const seq = db.prepare<[string], { seq: number }>('SELECT seq FROM cases WHERE id = ?').get(bench)!.seq;
    db.prepare('DELETE FROM case_fts WHERE rowid = ?').run(seq * 4 + 2);
    expect(store.integrityCheck()).toEqual([`search index: case ${bench} has no row for its procedure results`]);
  });

  it('leaves the index as it was when the write that changed a run is rolled back', () => {
    const stored = store.procedures.create(run(bench));
    const before = search({ query: '"sleep current"' });
    expect(() =>
      db.transaction(() => {
        db.prepare("UPDATE procedure_steps SET reason = 'quiescent' WHERE run_id = ? AND step_index = 1").run(stored.id);
        db.prepare('UPDATE procedure_runs SET case_id = ? WHERE id = ?').run(field, stored.id);
        throw new Error('power cut');
      })(),
    ).toThrow('power cut');
    expect(ids(search({ query: 'quiescent' }))).toEqual([]);
    expect(search({ query: '"sleep current"' })).toEqual(before);
  });

  it('holds each limit in the words the runner shows, for every kind of step and limit', () => {
    const steps: ProcedureStepSpec[] = [
      { kind: 'check', id: 'range', title: 'Range', diagnostic: 'd', unit: 'V', limits: { min: 3.3, max: 4.25 } },
      { kind: 'check', id: 'least', title: 'Least', diagnostic: 'd', unit: '%', limits: { min: 20 } },
      { kind: 'check', id: 'most', title: 'Most', command: 'temp', pattern: 't=(\\S+)', limits: { max: -0.5 } },
      { kind: 'check', id: 'own', title: 'Own limits', diagnostic: 'd' },
      { kind: 'check', id: 'equals-text', title: 'Equals text', command: 'selftest', limits: { equals: 'PASS' } },
      { kind: 'measurement', id: 'equals-number', title: 'Equals number', instructions: 'x', unit: 'mA', limits: { equals: 12 } },
      { kind: 'check', id: 'regex', title: 'Regex', command: 'ver', limits: { regex: '^1\\.[45]\\.' } },
      { kind: 'check', id: 'one-of', title: 'One of', command: 'reset-cause', limits: { oneOf: ['power-on', 'pin', 1.5, 3] } },
      { kind: 'measurement', id: 'tiny', title: 'Tiny', instructions: 'x', unit: 'A', limits: { min: 0.000001, max: 1e-3 } },
      { kind: 'wait', id: 'log', title: 'Log line', for: 'log-line', pattern: 'READY', timeoutMs: 2_500 },
      { kind: 'wait', id: 'reboot', title: 'Reboot', for: 'reboot', timeoutMs: 30_000, reset: 'smp' },
      { kind: 'wait', id: 'button', title: 'Button', for: 'button', timeoutMs: 12_345 },
      { kind: 'firmware', id: 'fw', title: 'Firmware', version: '1.5.0' },
      { kind: 'instruction', id: 'plain', title: 'Plain', instructions: 'Fit the lid.' },
    ];
    const stored = store.procedures.create(run(bench, steps));
    const lines = db
      .prepare<[string], { text: string }>('SELECT text FROM procedure_step_text WHERE run_id = ? ORDER BY step_index')
      .all(stored.id)
      .map((row) => row.text);
    const shown = runView(stored).steps.map((step) => step.limit);
    expect(lines).toHaveLength(steps.length);
    shown.forEach((limit, index) => {
      const line = lines[index]!;
      if (limit === null) expect(line).not.toContain('limit');
      else expect(line.endsWith(`, limit ${limit}`), `${line} ends with the limit ${limit}`).toBe(true);
    });
  });

  it('says readings of every type and an answer with an image', () => {
    const steps: ProcedureStepSpec[] = [
      { kind: 'check', id: 'flag', title: 'Flag', command: 'flag', limits: { equals: 'true' } },
      { kind: 'check', id: 'word', title: 'Word', command: 'word', limits: { equals: 'OK' } },
      { kind: 'instruction', id: 'photo', title: 'Photo of the board', instructions: 'Take a photo.' },
    ];
    const stored = store.procedures.create(run(bench, steps));
    stored.steps[0] = { ...pending(), status: 'passed', reading: { value: true, unit: null, text: 'flag=1' } };
    stored.steps[1] = { ...pending(), status: 'failed', reading: { value: 'NOK', unit: null, text: null } };
    stored.steps[2] = { ...pending(), status: 'passed', answer: answer('pass', null, { imageFileName: 'board-top.jpg' }) };
    store.procedures.save(stored);
    const lines = db
      .prepare<[string], { text: string }>('SELECT text FROM procedure_step_text WHERE run_id = ? ORDER BY step_index')
      .all(stored.id)
      .map((row) => row.text);
    expect(lines).toEqual([
      "Flag: passed, read true (flag=1), limit equals 'true'",
      "Word: failed, read NOK, limit equals 'OK'",
      'Photo of the board: passed, answered pass by Ana, image board-top.jpg',
    ]);
    expect(ids(search({ query: 'board-top.jpg' }))).toEqual([bench]);
  });
});
