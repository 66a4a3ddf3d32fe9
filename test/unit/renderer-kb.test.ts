// The knowledge base in the renderer: its store against a hand-answered API (stale answers
// dropped, errors kept with the box that asked, drafts), and the article renderer, which
// must turn any tree, however hostile its article, into inert elements.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { EventChannel, EventOf, FieldbenchApi, RequestChannel, RequestOf, ResponseOf } from '../../src-main/api/contract';
import type { KbArticle, KbSuggestion } from '../../src-main/api/schemas';
import { markdownTree } from '../../src-main/core/knowledge/markdown-tree';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { MarkdownView } from '../../src-renderer/components/MarkdownView';
import { hrefFor, parseHash, sectionOf } from '../../src-renderer/router/routes';
import { createKnowledgeStore, NO_SUGGESTIONS, sourceLabel, suggestionKey } from '../../src-renderer/stores/knowledge-store';

interface PendingCall {
  channel: RequestChannel;
  payload: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

class ManualApi implements FieldbenchApi {
  readonly pending: PendingCall[] = [];
  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
    return new Promise((resolve, reject) => this.pending.push({ channel, payload, resolve: resolve as (value: unknown) => void, reject }));
  }
  on<E extends EventChannel>(_event: E, _listener: (payload: EventOf<E>) => void): () => void {
    return () => undefined;
  }
  take(channel: RequestChannel): PendingCall {
    const index = this.pending.findIndex((call) => call.channel === channel);
    if (index < 0) throw new Error(`no pending ${channel}`);
    return this.pending.splice(index, 1)[0]!;
  }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function summary(id: string): KbArticle {
  return { id, title: id, symptoms: [], errorCodes: [], logPatterns: [], readings: [], models: [], firmware: [], tags: [], source: 'shipped', file: `/kb/${id}.md`, overrides: null, body: '', tree: [] };
}

function suggestion(id: string, reason: string): KbSuggestion {
  return { article: summary(id), reasons: [{ kind: 'reading', text: reason }], score: 10 };
}

describe('the knowledge store', () => {
  it('keeps suggestions per device or case, and only the newest answer for each', async () => {
    const api = new ManualApi();
    const store = createKnowledgeStore(api);
    const key = suggestionKey({ deviceId: 'd1' });
    expect(store.getState().byTarget[key] ?? NO_SUGGESTIONS).toEqual(NO_SUGGESTIONS);

    void store.getState().suggest({ deviceId: 'd1' });
    void store.getState().suggest({ deviceId: 'd1' });
    void store.getState().suggest({ caseId: 'c1' });
    expect(store.getState().byTarget[key]).toMatchObject({ loading: true, loaded: false });
    const first = api.take('kb.suggest');
    const second = api.take('kb.suggest');
    expect(second.payload).toEqual({ deviceId: 'd1' });
    second.resolve({ suggestions: [suggestion('new', 'reading battery-voltage fail')], basis: { models: [], firmware: null } });
    await flush();
    first.resolve({ suggestions: [suggestion('old', 'stale')], basis: { models: [], firmware: null } });
    await flush();
    expect(store.getState().byTarget[key]).toMatchObject({ loading: false, loaded: true, suggestions: [{ article: { id: 'new' } }] });
    expect(store.getState().byTarget['case:c1']).toMatchObject({ loading: true });

    api.take('kb.suggest').reject(new ApiRequestError({ code: 'not-found', message: 'no case' }, 'kb.suggest'));
    await flush();
    expect(store.getState().byTarget['case:c1']).toMatchObject({ loading: false, loaded: true, error: { code: 'not-found' } });
  });

  it('lists with the search words and tag, dropping a slower earlier answer', async () => {
    const api = new ManualApi();
    const store = createKnowledgeStore(api);
    store.getState().setQuery('brown');
    store.getState().setTag('power');
    const older = api.take('kb.list');
    const newer = api.take('kb.list');
    expect(older.payload).toEqual({ query: 'brown' });
    expect(newer.payload).toEqual({ query: 'brown', tag: 'power' });
    newer.resolve({ articles: [summary('a')], tags: ['power'], problems: [] });
    await flush();
    older.resolve({ articles: [summary('a'), summary('b')], tags: [], problems: [] });
    await flush();
    expect(store.getState()).toMatchObject({ listing: false, tags: ['power'], articles: [{ id: 'a' }] });

    store.getState().setQuery('   ');
    expect(api.take('kb.list').payload).toEqual({ tag: 'power' });
  });

  it('writes a draft from a case once at a time, and keeps where it went or why it could not', async () => {
    const api = new ManualApi();
    const store = createKnowledgeStore(api);
    void store.getState().draftFromCase('c1');
    void store.getState().draftFromCase('c1');
    expect(api.pending.filter((call) => call.channel === 'kb.draftFromCase')).toHaveLength(1);
    api.take('kb.draftFromCase').resolve({ path: '/data/knowledge-base/drafts/x.md', article: { ...summary('x'), source: 'draft' } });
    await flush();
    expect(store.getState().drafts.c1).toEqual({ writing: false, error: null, written: { path: '/data/knowledge-base/drafts/x.md', articleId: 'x' } });
    expect(store.getState().byArticle.x?.article?.source).toBe('draft');
    expect(api.pending.map((call) => call.channel)).toEqual(['kb.list']); // the list shows the new draft

    void store.getState().draftFromCase('c2');
    api.take('kb.draftFromCase').reject(new ApiRequestError({ code: 'invalid-request', message: 'the case is open, not resolved', hint: 'Resolve it first.' }));
    await flush();
    expect(store.getState().drafts.c2).toMatchObject({ writing: false, written: null, error: { code: 'invalid-request', hint: 'Resolve it first.' } });
  });

  it('names where an article comes from', () => {
    expect(sourceLabel({ source: 'shipped', overrides: null })).toBe('Shipped with Fieldbench');
    expect(sourceLabel({ source: 'local', overrides: '/kb/a.md' })).toBe('Local article, replaces the shipped one');
    expect(sourceLabel({ source: 'draft', overrides: null })).toMatch(/not suggested/);
  });
});

describe('the article renderer', () => {
  const HOSTILE = [
    '# <script>alert(1)</script>',
    '',
    '<script>window.pwned = 1</script>',
    '',
    '<img src=x onerror="window.pwned = 2">',
    '',
    '[run](javascript:alert(1)) [site](https://example.com/docs) <a href="javascript:alert(2)" onclick="x()">raw anchor</a>',
    '',
    '<div onmouseover="x()"><iframe src="https://evil.example"></iframe></div>',
    '',
    '| a <b onclick=x> | b |',
    '|---|---|',
    '| `<svg onload=x>` | <style>body{}</style> |',
  ].join('\n');

  it('renders a hostile article as text: no script, no element with an on* attribute, no link the window could follow', () => {
    const html = renderToStaticMarkup(createElement(MarkdownView, { tree: markdownTree(HOSTILE) }));
    expect(html).not.toMatch(/<script|<img|<iframe|<svg|<style|<a[\s>]|<div onmouseover/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(html).not.toMatch(/<[a-z][^>]*\s(href|src)=/i);
    expect(html).toContain('&lt;script&gt;window.pwned = 1&lt;/script&gt;');
    expect(html).toContain('site <span class="markdown-link-address" title="Copy this address into a browser">(https://example.com/docs)</span>');
  });

  it('renders headings below the page heading, lists, code and aligned tables', () => {
    const html = renderToStaticMarkup(createElement(MarkdownView, { tree: markdownTree('# Top\n\n## Steps\n\n3. one\n4. two\n\n```sh\nls\n```\n\n| L | R |\n|:-|-:|\n| 1 | 2 |\n') }));
    expect(html).toContain('<h2>Top</h2><h3>Steps</h3><ol start="3"><li><p>one</p></li><li><p>two</p></li></ol>');
    expect(html).toContain('<pre class="markdown-code" data-lang="sh"><code>ls\n</code></pre>');
    expect(html).toContain('<th scope="col" class="align-left">L</th><th scope="col" class="align-right">R</th>');
  });
});

describe('knowledge routes', () => {
  it('round-trip the list and an article, and belong to the Knowledge section', () => {
    expect(parseHash('#/knowledge')).toEqual({ name: 'knowledge' });
    expect(parseHash(hrefFor({ name: 'article', articleId: 'dfu write/verify' }))).toEqual({ name: 'article', articleId: 'dfu write/verify' });
    expect(hrefFor({ name: 'article', articleId: 'a b' })).toBe('#/knowledge/a%20b');
    expect(sectionOf({ name: 'article', articleId: 'x' })).toBe('knowledge');
    expect(parseHash('#/knowledge/a/b')).toEqual({ name: 'not-found', path: '/knowledge/a/b' });
  });
});
