// Attachments, field changes and notes, each written with its search-index update in one
// transaction, under a writer process killed with SIGKILL again and again on one real file.
// After every kill: SQLite's integrity check, the foreign keys and FTS5's own integrity
// check pass, every acknowledged write is there (attachment bytes by their hash, fields by
// their revision, notes by their text), and search finds each of them by its word.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { attachmentBytes, fieldsWord } from '../helpers/case-history-content';
import { useCrashWriter } from '../helpers/crash-writer';
import { noteText } from '../helpers/note-text';

const ROUNDS = 6;
/** Rounds, kills and checks on a busy two-core machine; each round is a few seconds. */
const TEST_DEADLINE_MS = 120_000;
const WRITER_MAX_MS = 20_000;

const crash = useCrashWriter('case-history-writer.ts', 'fieldbench-history-crash-');

interface Acks {
  cases: Set<string>;
  notes: Map<string, { caseId: string; revision: number }>;
  attachments: Map<string, { caseId: string; sha256: string; word: string }>;
  /** case id -> the last acknowledged fields change */
  fields: Map<string, { revision: number; word: string }>;
}

function record(acks: Acks, line: string): boolean {
  const [kind, caseId, a, b, c] = line.split(' ');
  if (!caseId) return false;
  switch (kind) {
    case 'case':
      acks.cases.add(caseId);
      return false;
    case 'note':
      if (!a || !b) return false;
      acks.notes.set(a, { caseId, revision: Number(b) });
      return true;
    case 'attach':
      if (!a || !b || !c) return false;
      acks.attachments.set(a, { caseId, sha256: b, word: c });
      return true;
    case 'fields':
      if (!a || !b) return false;
      acks.fields.set(caseId, { revision: Number(a), word: b });
      return true;
    default:
      return false;
  }
}

function foundIn(store: CaseStore, word: string): string[] {
  return store.search.search({ query: word, limit: 50 }).hits.map((hit) => hit.caseId);
}

function check(store: CaseStore, acks: Acks, context: string): void {
  expect(store.integrityCheck(), context).toEqual([]);
  const caseIds = new Set(store.cases.list({}).map((c) => c.id));
  for (const caseId of acks.cases) expect(caseIds.has(caseId), `${context}: case ${caseId}`).toBe(true);

  for (const [attachmentId, acked] of acks.attachments) {
    // get() checks the bytes against the stored hash; the hash is checked against the answer.
    const stored = store.attachments.get(acked.caseId, attachmentId);
    expect(stored.sha256, `${context}: attachment ${attachmentId}`).toBe(acked.sha256);
    const size = Buffer.from(stored.contentBase64, 'base64').length;
    expect([0, 1, 2].map((sizeClass) => attachmentBytes(acked.word, sizeClass).length), `${context}: size`).toContain(size);
    expect(foundIn(store, acked.word), `${context}: search for attachment ${acked.word}`).toContain(acked.caseId);
  }

  const details = new Map(store.cases.list({}).map((summary) => [summary.id, store.cases.get(summary.id)]));
  const detailOf = (caseId: string) => {
    const detail = details.get(caseId);
    if (detail === undefined) throw new Error(`${context}: case ${caseId} is missing`);
    return detail;
  };

  for (const [caseId, acked] of acks.fields) {
    const { fields } = detailOf(caseId);
    expect(fields.revision, `${context}: fields of ${caseId}`).toBeGreaterThanOrEqual(acked.revision);
    if (fields.revision === acked.revision) {
      expect(fields.symptom).toBe(fieldsWord(acked.word));
      expect(fields.tags).toEqual(['crash', acked.word]);
      expect(foundIn(store, acked.word), `${context}: search for field ${acked.word}`).toEqual([caseId]);
    }
  }

  for (const [noteId, acked] of acks.notes) {
    const note = detailOf(acked.caseId).notes.find((n) => n.id === noteId);
    expect(note, `${context}: note ${noteId} r${acked.revision}`).toBeDefined();
    expect(note!.revision).toBeGreaterThanOrEqual(acked.revision);
    expect(note!.text === noteText(noteId, note!.revision), `${context}: note ${noteId} text`).toBe(true);
  }
  // The index follows the newest text: a sample of notes found by their id, which their text begins with.
  for (const [noteId, acked] of [...acks.notes].slice(-20)) {
    expect(foundIn(store, `"${noteId}"`), `${context}: search for note ${noteId}`).toContain(acked.caseId);
  }
}

describe('case history under SIGKILL', () => {
  it('keeps every acknowledged attachment, field change and note, indexed, across repeated hard kills', async () => {
    const dataDir = join(crash.workDir(), 'data');
    const acks: Acks = { cases: new Set(), notes: new Map(), attachments: new Map(), fields: new Map() };
    const baseSeed = Math.floor(Math.random() * 2 ** 31);

    for (let round = 0; round < ROUNDS; round += 1) {
      const seed = baseSeed + round;
      const killAfterAcks = 1 + Math.floor(Math.random() * (round % 2 === 0 ? 30 : 300));
      const result = await crash.writer().run({ dataDir, seed, maxMs: WRITER_MAX_MS, killAfterAcks, onLine: (line) => record(acks, line) });
      const context = `round ${round}, seed ${seed}, killed after ${result.acks} acks`;
      expect(result.signal, `${context}: the writer ended on its own (stderr: ${result.stderr})`).toBe('SIGKILL');

      const store = openCaseStore({ dataDir });
      try {
        check(store, acks, context);
        // Carry what the store holds forward: the next writer continues from it, and a write
        // that committed but whose answer the kill cut off must survive the next rounds too.
        for (const summary of store.cases.list({})) {
          acks.cases.add(summary.id);
          for (const note of store.cases.get(summary.id).notes) acks.notes.set(note.id, { caseId: note.caseId, revision: note.revision });
        }
      } finally {
        store.close();
      }
    }
    expect(acks.attachments.size + acks.fields.size).toBeGreaterThan(0);
  }, TEST_DEADLINE_MS);
});
