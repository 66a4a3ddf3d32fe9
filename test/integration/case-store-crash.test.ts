// Notes are saved as they are typed, and a save's answer tells the user the text is stored.
// This kills a real writer process with SIGKILL mid-stream, several times over one real
// file, and checks that every answered save (or a later one) is there with its exact text.
// A SIGKILL loses what the process held, not what the kernel already has; power loss is
// what synchronous=FULL covers, and no test here can pull the plug.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openCaseStore } from '../../src-main/store/case-store';
import { noteText } from '../helpers/note-text';

const ROUNDS = 6;
const READY_DEADLINE_MS = 10_000;
const EXIT_DEADLINE_MS = 5_000;
/** The writer stops by itself after this long, in case the parent never gets to kill it. */
const WRITER_MAX_MS = 20_000;

let workDir: string;
let writerScript: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'fieldbench-crash-'));
  writerScript = join(workDir, 'note-writer.mjs');
  // The native module stays outside the bundle, loaded from this checkout's node_modules by
  // absolute path, since the bundle lives in a temp folder with no node_modules above it.
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  await build({
    entryPoints: [fileURLToPath(new URL('../helpers/note-writer.ts', import.meta.url))],
    outfile: writerScript,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [
      {
        name: 'native-sqlite',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlitePath, external: true }));
        },
      },
    ],
  });
});

afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Acks {
  cases: Set<string>;
  /** note id -> highest revision acknowledged, and its case */
  notes: Map<string, { caseId: string; revision: number }>;
}

interface Round {
  acks: number;
  lines: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
  exitCode: number | null;
}

/** Runs one writer, kills it after `killAfterAcks` acknowledgements, and records every line it got out. */
async function runWriter(dataDir: string, seed: number, killAfterAcks: number, acks: Acks): Promise<Round> {
  const child = spawn(process.execPath, [writerScript, dataDir, String(seed), String(WRITER_MAX_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );

  const lines: string[] = [];
  let roundAcks = 0;
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  let reached!: () => void;
  const reachedTarget = new Promise<void>((resolve) => (reached = resolve));

  const reader = createInterface({ input: child.stdout });
  reader.on('line', (line) => {
    lines.push(line);
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'ready') ready();
    else if (kind === 'case' && a) acks.cases.add(a);
    else if (kind === 'ack' && a && b && c) {
      const revision = Number(c);
      const before = acks.notes.get(b);
      // Acks for one note arrive in order; anything else means the writer saw the store go back.
      expect(revision).toBe((before?.revision ?? 0) + 1);
      acks.notes.set(b, { caseId: a, revision });
      roundAcks += 1;
      if (roundAcks >= killAfterAcks) reached();
    }
  });

  try {
    await deadline(isReady, READY_DEADLINE_MS, `writer round seed ${seed}: ready`);
    await deadline(reachedTarget, WRITER_MAX_MS, `writer round seed ${seed}: ${killAfterAcks} acks`);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\nstderr: ${stderr}`);
  }
  child.kill('SIGKILL');
  // Read to the end of the pipe: a line written just before the kill is still an answer the
  // user saw, and so must be honoured.
  const { code, signal } = await deadline(exited, EXIT_DEADLINE_MS, `writer round seed ${seed}: exit after SIGKILL`);
  return { acks: roundAcks, lines, stderr, signal, exitCode: code };
}

describe('case store under SIGKILL', () => {
  it('keeps every acknowledged note save, with its exact text, across repeated hard kills', async () => {
    const dataDir = join(workDir, 'data');
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
