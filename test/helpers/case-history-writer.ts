// A child process for the case-history crash test: writes notes, attachments and field
// changes through the real case store as fast as it can (each also re-indexes the case for
// search), and prints a line only after each write has returned, the moment a window would
// tell the user it is stored. The parent kills it with SIGKILL at a random moment.
//
// Usage: node case-history-writer.mjs <dataDir> <seed> <maxMs>
// Output: "ready", then lines:
//   case <caseId>
//   note <caseId> <noteId> <revision>
//   attach <caseId> <attachmentId> <sha256> <word>
//   fields <caseId> <revision> <word>
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { openCaseStore } from '../../src-main/store/case-store';
import { attachmentBytes, fieldsWord } from './case-history-content';
import { mulberry32 } from '../../src-main/virtual/seeded-random';
import { noteText } from './note-text';

const [dataDir, seedText, maxMsText] = process.argv.slice(2);
if (!dataDir || !seedText || !maxMsText) {
  process.stderr.write('usage: case-history-writer <dataDir> <seed> <maxMs>\n');
  process.exit(2);
}

// A reproducible sequence per seed, so a failing round can be replayed.
const random = mulberry32(Number(seedText));

// writeSync to fd 1: the line is in the pipe before the next write starts.
function say(line: string): void {
  writeSync(1, `${line}\n`);
}

const store = openCaseStore({ dataDir });
const { cases, attachments } = store;

/** What this writer knows is stored: case id -> note id -> revision. */
const known = new Map<string, Map<string, number>>();
for (const summary of cases.list({})) {
  known.set(summary.id, new Map(cases.get(summary.id).notes.map((note) => [note.id, note.revision])));
}

function openCase(): string {
  const opened = cases.open({ title: `crash round case ${known.size + 1}`, device: null, snapshot: null, fields: { tags: ['crash'] } });
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
  const roll = random();
  const caseId = roll < 0.02 ? openCase() : pick([...known.keys()]);
  const notes = known.get(caseId);
  if (notes === undefined) throw new Error(`lost track of case ${caseId}`);
  if (roll < 0.15) {
    // Attachments between a few bytes and about 300 KB: small ones in a page, large ones in
    // many overflow pages, the text ones indexed.
    const id = randomUUID().slice(0, 8);
    const word = `att${id}`;
    const bytes = attachmentBytes(word, Math.floor(random() * 3));
    const meta = attachments.attach({ caseId, fileName: random() < 0.7 ? `${word}.log` : `${word}.bin`, bytes });
    say(`attach ${caseId} ${meta.id} ${meta.sha256} ${word}`);
  } else if (roll < 0.25) {
    const word = `fld${randomUUID().slice(0, 8)}`;
    const detail = cases.update({ caseId, patch: { symptom: fieldsWord(word), tags: ['crash', word] } });
    say(`fields ${caseId} ${detail.fields.revision} ${word}`);
  } else {
    const noteId = notes.size === 0 || random() < 0.08 ? randomUUID() : pick([...notes.keys()]);
    const revision = (notes.get(noteId) ?? 0) + 1;
    const saved = cases.saveNote({ caseId, noteId, text: noteText(noteId, revision) });
    if (saved.revision !== revision) throw new Error(`note ${noteId}: expected revision ${revision}, the store answered ${saved.revision}`);
    notes.set(noteId, revision);
    say(`note ${caseId} ${noteId} ${revision}`);
  }
}
store.close();
say('done');
