import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnowledgeBase } from '../../src-main/core/knowledge/knowledge-base';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

let dir: { path: string; remove(): void };
let shipped: string;
let local: string;

beforeEach(() => {
  dir = makeTempDir('kb');
  shipped = join(dir.path, 'shipped');
  local = join(dir.path, 'data', 'knowledge-base');
  mkdirSync(shipped, { recursive: true });
});
afterEach(() => dir.remove());

function write(folder: string, name: string, id: string, title: string, extra = ''): string {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, name);
  writeFileSync(file, `---\nid: ${id}\ntitle: ${title}\n${extra}---\n\nBody of ${title}.\n`);
  return file;
}

describe('the knowledge base folders', () => {
  it('loads shipped and local articles; a local one with a shipped id replaces it and says so', async () => {
    const original = write(shipped, 'low-battery.md', 'low-battery', 'Low battery (shipped)', 'tags: [battery]\n');
    write(shipped, 'watchdog.md', 'watchdog', 'Watchdog resets');
    write(local, 'low-battery.md', 'low-battery', 'Low battery (our lab)', 'tags: [battery, lab]\n');
    const kb = await KnowledgeBase.load({ shipped, local });
    expect(kb.problems).toEqual([]);
    const listed = kb.list();
    expect(listed.map((a) => [a.id, a.source])).toEqual([
      ['low-battery', 'local'],
      ['watchdog', 'shipped'],
    ]);
    expect(kb.get('low-battery')).toMatchObject({ title: 'Low battery (our lab)', overrides: original, body: 'Body of Low battery (our lab).\n' });
    expect(kb.tags()).toEqual(['battery', 'lab']);
  });

  it('skips broken files and duplicates with a problem each, and loads the rest', async () => {
    const first = write(shipped, 'a.md', 'same', 'First');
    const duplicate = write(shipped, 'b.md', 'same', 'Second');
    writeFileSync(join(shipped, 'c.md'), '---\nid: broken\n---\nNo title.\n');
    writeFileSync(join(shipped, 'd.md'), '---\nid: bad-yaml\ntitle: [\n---\n');
    write(shipped, 'e.md', 'fine', 'Fine');
    writeFileSync(join(shipped, 'README.md'), '# About this folder\n');
    writeFileSync(join(shipped, 'notes.txt'), 'not an article');
    const kb = await KnowledgeBase.load({ shipped, local });
    expect(kb.list().map((a) => a.id)).toEqual(['fine', 'same']);
    expect(kb.get('same').file).toBe(first);
    expect(kb.problems).toEqual([
      { file: join(shipped, 'c.md'), field: '/title', message: 'is required' },
      { file: join(shipped, 'd.md'), field: '', message: expect.stringMatching(/^the front matter is not valid YAML: line 3: Flow sequence/) },
      { file: duplicate, field: '/id', message: `the id 'same' is already used by ${first}; this file is skipped` },
    ]);
  });

  it('lists drafts but never offers them for suggestions', async () => {
    write(shipped, 'a.md', 'published', 'Published');
    write(join(local, 'drafts'), 'draft.md', 'from-a-case', 'From a case');
    const kb = await KnowledgeBase.load({ shipped, local });
    expect(kb.list().map((a) => [a.id, a.source])).toEqual([
      ['from-a-case', 'draft'],
      ['published', 'shipped'],
    ]);
    expect(kb.published().map((a) => a.summary.id)).toEqual(['published']);
  });

  it('a missing shipped folder is a problem; a missing local folder is not', async () => {
    const kb = await KnowledgeBase.load({ shipped: join(dir.path, 'nowhere'), local });
    expect(kb.problems).toEqual([{ file: join(dir.path, 'nowhere'), field: '', message: 'the knowledge-base folder does not exist' }]);
    expect(kb.list()).toEqual([]);
  });

  it('filters by every word of a query (title, symptoms, tags, body) and by tag', async () => {
    write(shipped, 'a.md', 'brownout', 'Brownout resets', 'symptoms: [Restarts under load]\ntags: [power]\n');
    write(shipped, 'b.md', 'dfu-verify', 'DFU verify errors', 'tags: [dfu]\n');
    const kb = await KnowledgeBase.load({ shipped, local });
    expect(kb.list({ query: 'RESTARTS load' }).map((a) => a.id)).toEqual(['brownout']);
    expect(kb.list({ query: 'body of dfu' }).map((a) => a.id)).toEqual(['dfu-verify']);
    expect(kb.list({ tag: 'Power' }).map((a) => a.id)).toEqual(['brownout']);
    expect(kb.list({ query: 'brownout', tag: 'dfu' })).toEqual([]);
  });

  it('reload picks up an added file and drops a removed problem', async () => {
    writeFileSync(join(shipped, 'x.md'), 'no front matter');
    const kb = await KnowledgeBase.load({ shipped, local });
    expect(kb.problems).toHaveLength(1);
    writeFileSync(join(shipped, 'x.md'), '---\nid: fixed\ntitle: Fixed\n---\n');
    expect(await kb.reload()).toEqual({ articles: 1, problems: [] });
    expect(kb.get('fixed').title).toBe('Fixed');
  });

  it('an unknown id is not-found, with what to do', async () => {
    const kb = await KnowledgeBase.load({ shipped, local });
    const error = fieldbenchErrorFrom(() => kb.get('nope'));
    expect(error).toMatchObject({ code: 'not-found', step: 'open article' });
    expect(error.hint).toMatch(/Reload/);
  });
});
