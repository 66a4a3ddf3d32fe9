// Notes are saved as they are typed, and a save's answer tells the user the text is stored.
// This kills a real writer process with SIGKILL mid-stream, several times over one real
// file, and checks that every answered save (or a later one) is there with its exact text.
// A SIGKILL loses what the process held, not what the kernel already has; power loss is
// what synchronous=FULL covers, and no test here can pull the plug.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaseStore } from '../../src-main/store/case-store';
import { type Round, useCrashWriter } from '../helpers/crash-writer';
import { noteText } from '../helpers/note-text';

const ROUNDS = 6;
/** The writer stops by itself after this long, in case the parent never gets to kill it. */
const WRITER_MAX_MS = 20_000;

const crash = useCrashWriter('note-writer.ts', 'fieldbench-crash-');

interface Acks {
  cases: Set<string>;
  /** note id -> highest revision acknowledged, and its case */
  notes: Map<string, { caseId: string; revision: number }>;
}

/** Runs one writer, kills it after `killAfterAcks` acknowledged saves, and records them in `acks`. */
function runWriter(dataDir: string, seed: number, killAfterAcks: number, acks: Acks): Promise<Round> {
  return crash.writer().run({
    dataDir,
    seed,
    maxMs: WRITER_MAX_MS,
    killAfterAcks,
    onLine: (line) => {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'case' && a) acks.cases.add(a);
      if (kind !== 'ack' || !a || !b || !c) return false;
      const revision = Number(c);
      const before = acks.notes.get(b);
      // Acks for one note arrive in order; anything else means the writer saw the store go back.
      expect(revision).toBe((before?.revision ?? 0) + 1);
      acks.notes.set(b, { caseId: a, revision });
      return true;
    },
  });
}

describe('case store under SIGKILL', () => {
  it('keeps every acknowledged note save, with its exact text, across repeated hard kills', async () => {
    const dataDir = join(crash.workDir(), 'data');
    const acks: Acks = { cases: new Set(), notes: new Map() };
    const baseSeed = Math.floor(Math.random() * 2 ** 31);

    for (let round = 0; round < ROUNDS; round += 1) {
      const seed = baseSeed + round;
      // Mostly kill early and often, sometimes let a long stream build up.
      const killAfterAcks = 1 + Math.floor(Math.random() * (round % 2 === 0 ? 40 : 600));
      const result = await runWriter(dataDir, seed, killAfterAcks, acks);
      const context = `round ${round}, seed ${seed}, killed after ${result.acks} acks`;
      expect(result.signal, `${context}: the writer ended on its own (stderr: ${result.stderr})`).toBe('SIGKILL');
      expect(result.acks, context).toBeGreaterThanOrEqual(killAfterAcks);

      const store = openCaseStore({ dataDir });
      try {
        expect(store.integrityCheck(), context).toEqual([]);
        const stored = new Map<string, { caseId: string; revision: number; text: string }>();
        const summaries = store.cases.list({});
        for (const summary of summaries) {
          for (const note of store.cases.get(summary.id).notes) {
            stored.set(note.id, { caseId: note.caseId, revision: note.revision, text: note.text });
          }
        }
        const caseIds = new Set(summaries.map((s) => s.id));
        for (const caseId of acks.cases) expect(caseIds.has(caseId), `${context}: case ${caseId}`).toBe(true);

        let ahead = 0;
        for (const [noteId, acked] of acks.notes) {
          const note = stored.get(noteId);
          expect(note, `${context}: note ${noteId} (acked revision ${acked.revision}) is missing`).toBeDefined();
          if (!note) continue;
          expect(note.caseId, `${context}: note ${noteId}`).toBe(acked.caseId);
          expect(note.revision, `${context}: note ${noteId}`).toBeGreaterThanOrEqual(acked.revision);
          expect(note.text === noteText(noteId, note.revision), `${context}: note ${noteId} r${note.revision} text`).toBe(
            true,
          );
          if (note.revision > acked.revision) ahead += 1;
        }
        for (const [noteId, note] of stored) {
          if (acks.notes.has(noteId)) continue;
          // A save that committed but whose answer the kill cut off.
          expect(note.revision, `${context}: unacknowledged note ${noteId}`).toBe(1);
          expect(note.text === noteText(noteId, 1), `${context}: unacknowledged note ${noteId} text`).toBe(true);
          ahead += 1;
        }
        // One writer, one save at a time: at most the save in flight can be ahead of its answer.
        expect(ahead, context).toBeLessThanOrEqual(1);
        // Carry the store's view forward, so the next round's check covers the unanswered save too.
        for (const [noteId, note] of stored) acks.notes.set(noteId, { caseId: note.caseId, revision: note.revision });
        for (const caseId of caseIds) acks.cases.add(caseId);
      } finally {
        store.close();
      }
    }
    expect(acks.notes.size).toBeGreaterThan(0);
  });
});
