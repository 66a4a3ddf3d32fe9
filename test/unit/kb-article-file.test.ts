import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_ARTICLE_BYTES, parseArticle } from '../../src-main/core/knowledge/article-file';
import { checkLogPattern } from '../../src-main/core/knowledge/log-pattern';

const SHIPPED = fileURLToPath(new URL('../../knowledge-base', import.meta.url));

function article(frontMatter: string, body = '# Steps\n\n1. Do this.\n'): string {
  return `---\n${frontMatter}\n---\n\n${body}`;
}

const GOOD = [
  'id: battery-low',
  'title: Battery low',
  'symptoms: [Restarts]',
  'errorCodes:',
  '  - { kind: smp, code: 2, name: MGMT_ERR_ENOMEM }',
  '  - { kind: dfu, code: errWRITE }',
  'logPatterns: ["brown-?out"]',
  'readings:',
  '  - { id: battery-voltage, status: fail }',
  '  - { id: battery-voltage, below: 3.4 }',
  '  - { id: temperature, above: 85 }',
  'models: [fieldbench-sensor-node]',
  'firmware: ">=1.4.0 <1.6.0"',
  'tags: [Battery, power, battery]',
].join('\n');

describe('an article file', () => {
  it('reads every field of the front matter and the body', () => {
    const parsed = parseArticle(article(GOOD), '/kb/battery-low.md', 'shipped');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { summary, body, tree, patterns } = parsed.article;
    expect(summary).toEqual({
      id: 'battery-low',
      title: 'Battery low',
      symptoms: ['Restarts'],
      errorCodes: [
        { kind: 'smp', code: 2, name: 'MGMT_ERR_ENOMEM' },
        { kind: 'dfu', code: 'errWRITE', name: null },
      ],
      logPatterns: ['brown-?out'],
      readings: [
        { id: 'battery-voltage', status: 'fail', below: null, above: null },
        { id: 'battery-voltage', status: null, below: 3.4, above: null },
        { id: 'temperature', status: null, below: null, above: 85 },
      ],
      models: ['fieldbench-sensor-node'],
      firmware: ['>=1.4.0 <1.6.0'],
      tags: ['battery', 'power'],
      source: 'shipped',
      file: '/kb/battery-low.md',
      overrides: null,
    });
    expect(body).toBe('# Steps\n\n1. Do this.\n');
    expect(tree[0]).toEqual({ type: 'heading', level: 1, children: [{ type: 'text', text: 'Steps' }] });
    expect(patterns.map((p) => p.test('BROWNOUT detected'))).toEqual([true]);
  });

  it.each([
    ['no front matter', '# Just markdown\n', '', /has no front matter/],
    ['bad YAML', article('id: a\ntitle: [unclosed'), '', /not valid YAML: line \d+/],
    ['a missing title', article('id: no-title'), '/title', /is required/],
    ['an id that is not kebab-case', article('id: Battery_Low\ntitle: T'), '/id', /kebab-case/],
    ['an invalid regex', article('id: a\ntitle: T\nlogPatterns: ["ok", "(unclosed"]'), '/logPatterns/1', /not a valid regex/],
    ['a catastrophic regex', article('id: a\ntitle: T\nlogPatterns: ["(a+)+$"]'), '/logPatterns/0', /exponential time/],
    ['a bad firmware range', article('id: a\ntitle: T\nfirmware: [">=1.0", "newest"]'), '/firmware/1', /not a version comparison/],
    ['an unknown field', article('id: a\ntitle: T\nmodel: sensor-node'), '', /unknown field 'model'/],
    ['a reading rule of no known shape', article('id: a\ntitle: T\nreadings: [{ id: x, equals: 3 }]'), '/readings/0', /a reading is \{id, status/],
    ['a duplicated key', article('id: a\ntitle: T\ntitle: U'), '', /not valid YAML/],
  ])('reports %s as a problem with its field', (_name, text, field, message) => {
    const parsed = parseArticle(text, '/kb/x.md', 'local');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems[0]).toMatchObject({ file: '/kb/x.md', field });
    expect(parsed.problems[0]!.message).toMatch(message);
  });

  it('refuses a file larger than the limit, and YAML alias bombs', () => {
    const huge = parseArticle(article('id: a\ntitle: T', 'x'.repeat(MAX_ARTICLE_BYTES)), '/kb/x.md', 'local');
    expect(huge.ok || huge.problems[0]!.message).toMatch(/larger than/);
    const bomb = ['id: a', 'title: T', 'a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(9).fill(i === 0 ? '*a' : `*${'b'.repeat(i)}`).join(', ')}]`)].join('\n');
    const parsed = parseArticle(article(bomb), '/kb/x.md', 'local');
    expect(parsed.ok || parsed.problems[0]!.message).toMatch(/front matter cannot be read: .*alias/i);
  });

  describe('the shipped articles', () => {
    const files = readdirSync(SHIPPED).filter((name) => name.endsWith('.md') && name !== 'README.md');

    it('are six to ten, each loading without a problem under a unique id', () => {
      expect(files.length).toBeGreaterThanOrEqual(6);
      expect(files.length).toBeLessThanOrEqual(10);
      const ids = new Set<string>();
      for (const name of files) {
        const parsed = parseArticle(readFileSync(join(SHIPPED, name), 'utf8'), name, 'shipped');
        expect(parsed.ok ? [] : parsed.problems, name).toEqual([]);
        if (!parsed.ok) continue;
        expect(`${parsed.article.summary.id}.md`).toBe(name);
        ids.add(parsed.article.summary.id);
        const { summary } = parsed.article;
        // Each names something a suggestion can match on, symptoms and steps.
        expect(summary.errorCodes.length + summary.logPatterns.length + summary.readings.length, name).toBeGreaterThan(0);
        expect(summary.symptoms.length, name).toBeGreaterThan(0);
        expect(parsed.article.tree.some((block) => block.type === 'list'), name).toBe(true);
        for (const pattern of summary.logPatterns) expect(checkLogPattern(pattern).ok, pattern).toBe(true);
      }
      expect(ids.size).toBe(files.length);
    });
  });
});
