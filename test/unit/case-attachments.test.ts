// Files stored with a case: bytes back exactly, text files searchable, the size cap clear,
// damage detected by the stored hash.
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ATTACHMENT_BYTES } from '../../src-main/api/schemas';
import { MAX_SEARCHABLE_TEXT_BYTES, mediaTypeOf, searchableText } from '../../src-main/store/attachment-text';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { openDatabase } from '../../src-main/store/database';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

const utf8 = (text: string) => new TextEncoder().encode(text);

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
beforeEach(() => {
  dir = makeTempDir('attachments');
  store = openCaseStore({ dataDir: dir.path });
});
afterEach(() => {
  store.close();
  dir.remove();
});

describe('case attachments', () => {
  it('stores any file and gives back the same bytes, with its size, hash and a timeline entry', () => {
    const opened = store.cases.open({ title: 'Photo of the board', device: null, snapshot: null });
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7919) % 256);
    const meta = store.attachments.attach({ caseId: opened.id, fileName: 'board.jpg', bytes });
    expect(meta).toMatchObject({
      caseId: opened.id,
      fileName: 'board.jpg',
      mediaType: 'image/jpeg',
      size: 70_000,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      searchable: false,
    });
    const back = store.attachments.get(opened.id, meta.id);
    expect(Buffer.from(back.contentBase64, 'base64').equals(Buffer.from(bytes))).toBe(true);
    const detail = store.cases.get(opened.id);
    expect(detail.attachments).toEqual([meta]);
    expect(detail.timeline.at(-1)).toMatchObject({ kind: 'attachment-added', summary: 'Attached board.jpg (68.4 KiB)', data: { attachmentId: meta.id } });
  });

  it('indexes a log capture and finds the case by a word in it', () => {
    const opened = store.cases.open({ title: 'Resets', device: null, snapshot: null });
    const meta = store.attachments.attach({
      caseId: opened.id,
      fileName: 'uart.log',
      mediaType: 'application/octet-stream',
      bytes: utf8('[00:01] boot\n[00:02] <wrn> watchdog_timeout in task uart_rx\n'),
    });
    expect(meta.searchable).toBe(true);
    const result = store.search.search({ query: 'watchdog', limit: 10 });
    expect(result.hits.map((hit) => hit.caseId)).toEqual([opened.id]);
    expect(result.hits[0]?.matches).toEqual([
      {
        field: 'attachment',
        sourceId: meta.id,
        snippet: [
          { text: '[00:01] boot [00:02] <wrn> ', hit: false },
          { text: 'watchdog', hit: true },
          { text: '_timeout in task uart_rx ', hit: false },
        ],
      },
    ]);
    // The file name is searchable too.
    expect(store.search.search({ query: 'uart.log', limit: 10 }).hits[0]?.matches[0]).toMatchObject({ field: 'attachment', sourceId: meta.id });
  });

  it('refuses a file over the cap, a path as a name and an unknown case, storing nothing', () => {
    const opened = store.cases.open({ title: 'Big', device: null, snapshot: null });
    const tooBig = fieldbenchErrorFrom(() => store.attachments.attach({ caseId: opened.id, fileName: 'core.bin', bytes: new Uint8Array(MAX_ATTACHMENT_BYTES + 1) }));
    expect(tooBig.code).toBe('invalid-request');
    expect(tooBig.message).toContain('64.0 MiB');
    expect(tooBig.hint).toMatch(/compress/);
    expect(fieldbenchErrorFrom(() => store.attachments.attach({ caseId: opened.id, fileName: '../etc/passwd', bytes: utf8('x') })).code).toBe('invalid-request');
    expect(fieldbenchErrorFrom(() => store.attachments.attach({ caseId: randomUUID(), fileName: 'a.txt', bytes: utf8('x') })).code).toBe('not-found');
    expect(store.cases.get(opened.id).attachments).toEqual([]);
    expect(fieldbenchErrorFrom(() => store.attachments.get(opened.id, randomUUID())).code).toBe('not-found');
  });

  it('reports an attachment whose stored bytes no longer match their hash', () => {
    const opened = store.cases.open({ title: 'Damaged', device: null, snapshot: null });
    const meta = store.attachments.attach({ caseId: opened.id, fileName: 'config.json', bytes: utf8('{"interval": 60}') });
    const raw = openDatabase(store.file);
    raw.prepare("UPDATE case_attachments SET content = CAST('{\"interval\": 61}' AS BLOB) WHERE id = ?").run(meta.id);
    raw.close();
    const error = fieldbenchErrorFrom(() => store.attachments.get(opened.id, meta.id));
    expect(error.code).toBe('store-error');
    expect(error.message).toContain('SHA-256');
    // An attachment asked for under the wrong case is not found, not leaked.
    const other = store.cases.open({ title: 'Other', device: null, snapshot: null });
    expect(fieldbenchErrorFrom(() => store.attachments.get(other.id, meta.id)).code).toBe('not-found');
  });
});

describe('attachment text', () => {
  it('guesses media types from the name when none is given', () => {
    expect(mediaTypeOf('capture.LOG', undefined)).toBe('text/plain');
    expect(mediaTypeOf('dump.bin', undefined)).toBe('application/octet-stream');
    expect(mediaTypeOf('x', 'Text/CSV; charset=utf-8')).toBe('text/csv');
  });

  it('indexes UTF-8 text files, not binaries or invalid UTF-8 dressed as text', () => {
    expect(searchableText(utf8('señal débil'), 'a.txt', 'text/plain')).toBe('señal débil');
    expect(searchableText(utf8('{"a":1}'), 'settings', 'application/json')).toBe('{"a":1}');
    expect(searchableText(utf8('not indexed'), 'photo.png', 'image/png')).toBeNull();
    expect(searchableText(new Uint8Array([0x66, 0xff, 0xfe]), 'x.log', 'text/plain')).toBeNull();
    expect(searchableText(new Uint8Array([0x66, 0x00, 0x67]), 'x.log', 'text/plain')).toBeNull();
  });

  it('keeps only the first part of a long text file, cut at a character boundary', () => {
    // 'é' is two bytes: an odd cap would split one unless the cut steps back.
    const text = 'é'.repeat(MAX_SEARCHABLE_TEXT_BYTES);
    const kept = searchableText(utf8(text), 'big.log', 'text/plain')!;
    expect(kept.length).toBe(MAX_SEARCHABLE_TEXT_BYTES / 2);
    const odd = searchableText(utf8(`x${text}`), 'big.log', 'text/plain')!;
    expect(odd.startsWith('xé')).toBe(true);
    expect(odd.includes('\uFFFD')).toBe(false);
    expect(new TextEncoder().encode(odd).length).toBeLessThanOrEqual(MAX_SEARCHABLE_TEXT_BYTES);
  });
});
