import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { CaseDetail, CaseSummary, Note, type CaseDevice, type DiagnosticsReport } from '../../src-main/api/schemas';
import { CaseRepository } from '../../src-main/store/case-repository';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { openDatabase, type Database } from '../../src-main/store/database';
import { migrate } from '../../src-main/store/migrations';

const device: CaseDevice = {
  deviceId: 'serial:/dev/ttyUSB0',
  transport: 'serial',
  path: '/dev/ttyUSB0',
  profileId: 'sensor-node',
  identity: { model: 'Sensor Node', serialNumber: 'SN-0042', firmwareVersion: '1.4.2' },
};

const snapshot: DiagnosticsReport = {
  deviceId: 'serial:/dev/ttyUSB0',
  profileId: 'sensor-node',
  identity: device.identity,
  readings: [
    {
      id: 'battery',
      label: 'Battery',
      value: 3.41,
      unit: 'V',
      status: 'warn',
      limits: 'warn below 3.5 V, fail below 3.3 V',
      message: 'low',
      readAt: '2025-03-01T10:00:00.000Z',
    },
  ],
  startedAt: '2025-03-01T09:59:59.000Z',
  finishedAt: '2025-03-01T10:00:00.500Z',
};

/** A clock that moves one second per reading, so every write has a distinct time. */
function steppingClock(start = Date.parse('2025-03-01T12:00:00.000Z')) {
  let t = start;
  const clock = () => new Date(t);
  return Object.assign(clock, {
    tick: (ms = 1000) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  });
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

function memoryRepository(now: () => Date = () => new Date()): { db: Database; repo: CaseRepository } {
  const db = openDatabase(':memory:');
  migrate(db);
  return { db, repo: new CaseRepository(db, { now }) };
}

let dir: string;
let store: CaseStore;
let clock: ReturnType<typeof steppingClock>;
let repo: CaseRepository;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldbench-cases-'));
  clock = steppingClock();
  store = openCaseStore({ dataDir: dir, now: clock });
  repo = store.cases;
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CaseRepository', () => {
  it('opens a case with its device and snapshot, and reads it back', () => {
    const opened = repo.open({ title: '  Battery drains overnight ', device, snapshot });
    expect(CaseDetail.parse(opened)).toEqual(opened);
    expect(opened).toMatchObject({
      title: 'Battery drains overnight',
      status: 'open',
      deviceModel: 'Sensor Node',
      deviceSerial: 'SN-0042',
      noteCount: 0,
      device,
      snapshot,
      notes: [],
      createdAt: '2025-03-01T12:00:00.000Z',
      updatedAt: '2025-03-01T12:00:00.000Z',
    });
    expect(opened.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(repo.get(opened.id)).toEqual(opened);
    expect(store.file).toBe(join(dir, 'fieldbench.db'));
  });

  it('opens a case with no device', () => {
    const opened = repo.open({ title: 'Question about licences', device: null, snapshot: null });
    expect(opened).toMatchObject({ device: null, snapshot: null, deviceModel: null, deviceSerial: null });
    expect(repo.get(opened.id)).toEqual(opened);
  });

  it('refuses an empty title and a device that does not fit its schema', () => {
    expect(caught(() => repo.open({ title: '   ', device: null, snapshot: null })).code).toBe('invalid-request');
    const broken = { ...device, transport: 'carrier-pigeon' } as unknown as CaseDevice;
    const error = caught(() => repo.open({ title: 'x', device: broken, snapshot: null }));
    expect(error.code).toBe('invalid-request');
    expect(error.issues?.[0]?.path).toBe('device.transport');
    expect(repo.list({})).toEqual([]);
  });

  it('saves a note: the first save creates it, later saves replace the text and bump the revision', () => {
    const kase = repo.open({ title: 'Flaky reboot', device, snapshot: null });
    const noteId = randomUUID();
    clock.tick();
    const first = repo.saveNote({ caseId: kase.id, noteId, text: 'Dev' });
    expect(Note.parse(first)).toEqual(first);
    expect(first).toEqual({
      id: noteId,
      caseId: kase.id,
      text: 'Dev',
      revision: 1,
      createdAt: '2025-03-01T12:00:01.000Z',
      updatedAt: '2025-03-01T12:00:01.000Z',
    });
    clock.tick();
    const second = repo.saveNote({ caseId: kase.id, noteId, text: 'Device reboots when the radio starts ✓' });
    expect(second).toMatchObject({ revision: 2, createdAt: first.createdAt, updatedAt: '2025-03-01T12:00:02.000Z' });
    clock.tick();
    const retried = repo.saveNote({ caseId: kase.id, noteId, text: 'Device reboots when the radio starts ✓' });
    expect(retried.revision).toBe(3);

    const detail = repo.get(kase.id);
    expect(detail.notes).toEqual([retried]);
    expect(detail.noteCount).toBe(1);
    expect(detail.updatedAt).toBe('2025-03-01T12:00:03.000Z');
  });

  it('keeps notes of a case in the order they were started', () => {
    const kase = repo.open({ title: 'Two notes', device: null, snapshot: null });
    const a = randomUUID();
    const b = randomUUID();
    clock.tick();
    repo.saveNote({ caseId: kase.id, noteId: a, text: 'first' });
    clock.tick();
    repo.saveNote({ caseId: kase.id, noteId: b, text: 'second' });
    clock.tick();
    repo.saveNote({ caseId: kase.id, noteId: a, text: 'first, edited' });
    expect(repo.get(kase.id).notes.map((n) => [n.id, n.text, n.revision])).toEqual([
      [a, 'first, edited', 2],
      [b, 'second', 1],
    ]);
  });

  it('stores large and unusual text exactly', () => {
    const kase = repo.open({ title: 'Log paste', device: null, snapshot: null });
    const text = `\u0000nul, 'quotes' "double" \u{1F50B} ${'line of a pasted log\r\n'.repeat(40_000)}`;
    const noteId = randomUUID();
    repo.saveNote({ caseId: kase.id, noteId, text });
    expect(repo.get(kase.id).notes[0]?.text).toBe(text);
  });

  it('stores half of a surrogate pair as one replacement character, and answers with what it stored', () => {
    const kase = repo.open({ title: 'Cut emoji', device: null, snapshot: null });
    const noteId = randomUUID();
    const answer = repo.saveNote({ caseId: kase.id, noteId, text: 'battery \uD83D end \uDD0B ok 🔋' });
    expect(answer.text).toBe('battery \uFFFD end \uFFFD ok 🔋');
    expect(repo.get(kase.id).notes[0]?.text).toBe(answer.text);
  });

  it('refuses a note for a missing case with not-found, and writes nothing', () => {
    const error = caught(() => repo.saveNote({ caseId: randomUUID(), noteId: randomUUID(), text: 'lost?' }));
    expect(error.code).toBe('not-found');
    expect(repo.list({})).toEqual([]);
  });

  it('refuses a note id that belongs to another case, leaving both cases as they were', () => {
    const a = repo.open({ title: 'A', device: null, snapshot: null });
    const b = repo.open({ title: 'B', device: null, snapshot: null });
    const noteId = randomUUID();
    clock.tick();
    repo.saveNote({ caseId: a.id, noteId, text: 'belongs to A' });
    const beforeA = repo.get(a.id);
    const beforeB = repo.get(b.id);
    clock.tick();
    const error = caught(() => repo.saveNote({ caseId: b.id, noteId, text: 'hijack' }));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toContain(a.id);
    expect(repo.get(a.id)).toEqual(beforeA);
    expect(repo.get(b.id)).toEqual(beforeB);
  });

  it('get of a missing case is not-found', () => {
    const id = randomUUID();
    const error = caught(() => repo.get(id));
    expect(error.code).toBe('not-found');
    expect(error.message).toContain(id);
  });

  it('lists newest-updated first with note counts, and filters by status, serial and limit', () => {
    const other: CaseDevice = {
      ...device,
      identity: { model: 'Gateway', serialNumber: 'GW-7', firmwareVersion: '2.0.0' },
    };
    const first = repo.open({ title: 'first', device, snapshot: null });
    clock.tick();
    const second = repo.open({ title: 'second', device: other, snapshot: null });
    clock.tick();
    const third = repo.open({ title: 'third', device: null, snapshot: null });
    clock.tick();
    repo.saveNote({ caseId: first.id, noteId: randomUUID(), text: 'a' });
    repo.saveNote({ caseId: first.id, noteId: randomUUID(), text: 'b' });
    clock.tick();
    repo.setStatus(second.id, 'resolved');

    const all = repo.list({});
    for (const summary of all) expect(CaseSummary.parse(summary)).toEqual(summary);
    expect(all.map((c) => c.title)).toEqual(['second', 'first', 'third']);
    expect(all.map((c) => c.noteCount)).toEqual([0, 2, 0]);
    expect(repo.list({ status: 'open' }).map((c) => c.id)).toEqual([first.id, third.id]);
    expect(repo.list({ status: 'resolved' }).map((c) => c.id)).toEqual([second.id]);
    expect(repo.list({ deviceSerial: 'SN-0042' }).map((c) => c.id)).toEqual([first.id]);
    expect(repo.list({ deviceSerial: 'SN-0042', status: 'resolved' })).toEqual([]);
    expect(repo.list({ deviceSerial: 'nobody' })).toEqual([]);
    expect(repo.list({ limit: 2 }).map((c) => c.title)).toEqual(['second', 'first']);
  });

  it('breaks ties in updated time by the most recently opened case', () => {
    const a = repo.open({ title: 'a', device: null, snapshot: null });
    const b = repo.open({ title: 'b', device: null, snapshot: null });
    expect(a.updatedAt).toBe(b.updatedAt);
    expect(repo.list({}).map((c) => c.title)).toEqual(['b', 'a']);
  });

  it('sets the status; the same status again changes nothing; a missing case is not-found', () => {
    const kase = repo.open({ title: 'x', device, snapshot: null });
    clock.tick();
    const resolved = repo.setStatus(kase.id, 'resolved');
    expect(resolved).toMatchObject({ id: kase.id, status: 'resolved', updatedAt: '2025-03-01T12:00:01.000Z' });
    clock.tick();
    expect(repo.setStatus(kase.id, 'resolved')).toEqual(resolved);
    clock.tick();
    expect(repo.setStatus(kase.id, 'open').status).toBe('open');
    expect(caught(() => repo.setStatus(randomUUID(), 'open')).code).toBe('not-found');
  });

  it('never moves updated time backwards when the clock is set back', () => {
    const kase = repo.open({ title: 'x', device: null, snapshot: null });
    const noteId = randomUUID();
    repo.saveNote({ caseId: kase.id, noteId, text: 'one' });
    clock.set(Date.parse('2024-01-01T00:00:00.000Z'));
    const note = repo.saveNote({ caseId: kase.id, noteId, text: 'two' });
    expect(note.updatedAt).toBe('2025-03-01T12:00:00.000Z');
    expect(note.revision).toBe(2);
    expect(repo.get(kase.id).updatedAt).toBe('2025-03-01T12:00:00.000Z');
  });

  it('writes ISO 8601 timestamps with an offset', () => {
    const real = memoryRepository();
    const kase = real.repo.open({ title: 'x', device: null, snapshot: null });
    expect(kase.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    real.db.close();
  });

  it('a hand-edited device column surfaces as a store-error naming the case', () => {
    const kase = repo.open({ title: 'x', device, snapshot: null });
    const raw = openDatabase(store.file);
    raw.prepare('UPDATE cases SET device_json = ? WHERE id = ?').run('{"deviceId": 42}', kase.id);
    raw.close();
    const error = caught(() => repo.get(kase.id));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain(kase.id);
    expect(error.message).toContain('device');
    // Listing does not need the damaged column, so the case stays visible.
    expect(repo.list({}).map((c) => c.id)).toEqual([kase.id]);
  });

  it('a damaged snapshot (not even JSON) surfaces as a store-error naming the case', () => {
    const kase = repo.open({ title: 'x', device, snapshot });
    const raw = openDatabase(store.file);
    // Bypass the json_valid CHECK the way a damaged page or a careless tool would.
    raw.pragma('ignore_check_constraints = ON');
    raw.prepare('UPDATE case_snapshots SET report_json = ? WHERE case_id = ?').run('{"readings": [tru', kase.id);
    raw.close();
    const error = caught(() => repo.get(kase.id));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain(kase.id);
    expect(error.message).toMatch(/snapshot is not valid JSON/);
  });

  it('a hand-edited timestamp surfaces as a store-error, not as a bad value for the renderer', () => {
    const kase = repo.open({ title: 'x', device: null, snapshot: null });
    const raw = openDatabase(store.file);
    raw.prepare('UPDATE cases SET updated_at = ? WHERE id = ?').run('last tuesday', kase.id);
    raw.close();
    const error = caught(() => repo.list({}));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain(kase.id);
  });

  it('turns SQLite failures into store-errors with a hint', () => {
    const kase = repo.open({ title: 'x', device: null, snapshot: null });
    const raw = openDatabase(store.file);
    raw.exec('BEGIN IMMEDIATE');
    raw.pragma('busy_timeout = 0');
    const impatient = openDatabase(store.file);
    impatient.pragma('busy_timeout = 50');
    try {
      const error = caught(() => new CaseRepository(impatient).saveNote({ caseId: kase.id, noteId: randomUUID(), text: 'x' }));
      expect(error.code).toBe('store-error');
      expect(error.message).toContain(store.file);
      expect(error.hint).toMatch(/another fieldbench/i);
    } finally {
      raw.exec('ROLLBACK');
      raw.close();
      impatient.close();
    }
  });

  it('reports a sound store as having no integrity problems', () => {
    const kase = repo.open({ title: 'x', device, snapshot });
    repo.saveNote({ caseId: kase.id, noteId: randomUUID(), text: 'fine' });
    expect(store.integrityCheck()).toEqual([]);
  });

  it('keeps everything across close and reopen', () => {
    const kase = repo.open({ title: 'x', device, snapshot });
    const noteId = randomUUID();
    repo.saveNote({ caseId: kase.id, noteId, text: 'kept' });
    const before = repo.get(kase.id);
    store.close();
    store.close(); // a second close is harmless
    store = openCaseStore({ dataDir: dir, now: clock });
    expect(store.cases.get(kase.id)).toEqual(before);
  });
});

describe('CaseRepository.saveNote, any sequence of saves', () => {
  it('leaves each note with exactly its last text and a revision equal to its number of saves', () => {
    const caseIds = [randomUUID(), randomUUID()] as const;
    const noteIds = [randomUUID(), randomUUID(), randomUUID(), randomUUID()] as const;
    const save = fc.record({
      note: fc.nat({ max: noteIds.length - 1 }),
      text: fc.string({ unit: 'binary', maxLength: 200 }),
    });
    fc.assert(
      fc.property(fc.array(save, { maxLength: 60 }), (saves) => {
        const { db, repo: memory } = memoryRepository();
        try {
          // Two cases; a note's owner is fixed by its index so cross-case saves are not generated here.
          const cases = caseIds.map((_, i) => memory.open({ title: `case ${i}`, device: null, snapshot: null }).id);
          const expected = new Map<string, { text: string; saves: number; caseId: string }>();
          for (const { note, text } of saves) {
            const noteId = noteIds[note]!;
            const caseId = cases[note % 2]!;
            const answer = memory.saveNote({ caseId, noteId, text });
            const previous = expected.get(noteId);
            const entry = { text, saves: (previous?.saves ?? 0) + 1, caseId };
            expected.set(noteId, entry);
            expect(answer.revision).toBe(entry.saves);
          }
          const stored = cases.flatMap((caseId) => memory.get(caseId).notes);
          expect(stored).toHaveLength(expected.size);
          for (const note of stored) {
            const want = expected.get(note.id);
            expect(want).toBeDefined();
            expect(note.text).toBe(want!.text);
            expect(note.revision).toBe(want!.saves);
            expect(note.caseId).toBe(want!.caseId);
          }
          for (const caseId of cases) {
            expect(memory.get(caseId).noteCount).toBe([...expected.values()].filter((n) => n.caseId === caseId).length);
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
