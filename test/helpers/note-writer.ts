// A child process for the crash test: saves notes through the real case store as fast as it
// can, and prints a line only after each write has returned, which is the moment the
// renderer would be told its text is stored. The parent kills it with SIGKILL at a random
// moment and then checks that everything it was told survived.
//
// Usage: node note-writer.mjs <dataDir> <seed> <maxMs>
// Output: "ready", then "case <caseId>" and "ack <caseId> <noteId> <revision>" lines.
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { openCaseStore } from '../../src-main/store/case-store';
import { mulberry32 } from '../../src-main/virtual/seeded-random';
import { noteText } from './note-text';

const [dataDir, seedText, maxMsText] = process.argv.slice(2);
if (!dataDir || !seedText || !maxMsText) {
  process.stderr.write('usage: note-writer <dataDir> <seed> <maxMs>\n');
  process.exit(2);
}

// A reproducible sequence per seed, so a failing round can be replayed.
const random = mulberry32(Number(seedText));

// writeSync to fd 1: the line is in the pipe before the next save starts, with no buffering
// in this process that a SIGKILL could throw away.
function say(line: string): void {
  writeSync(1, `${line}\n`);
}

const store = openCaseStore({ dataDir });
const cases = store.cases;

/** What this writer knows is stored: case id -> note id -> revision. */
const known = new Map<string, Map<string, number>>();
for (const summary of cases.list({})) {
  known.set(summary.id, new Map(cases.get(summary.id).notes.map((note) => [note.id, note.revision])));
}

function openCase(): string {
  const opened = cases.open({ title: `crash round case ${known.size + 1}`, device: null, snapshot: null });
  known.set(opened.id, new Map());
  say(`case ${opened.id}`);
  return opened.id;
}

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

if (known.size === 0) openCase();
say('ready');

const stopAt = Date.now() + Number(maxMsText);
while (Date.now() < stopAt) {
  const caseId = random() < 0.01 ? openCase() : pick([...known.keys()]);
  const notes = known.get(caseId);
  if (notes === undefined) throw new Error(`lost track of case ${caseId}`);
  const noteId = notes.size === 0 || random() < 0.08 ? randomUUID() : pick([...notes.keys()]);
  const revision = (notes.get(noteId) ?? 0) + 1;
  const saved = cases.saveNote({ caseId, noteId, text: noteText(noteId, revision) });
  if (saved.revision !== revision) {
    throw new Error(`note ${noteId}: expected revision ${revision}, the store answered ${saved.revision}`);
  }
  notes.set(noteId, revision);
  say(`ack ${caseId} ${noteId} ${revision}`);
}
store.close();
say('done');
