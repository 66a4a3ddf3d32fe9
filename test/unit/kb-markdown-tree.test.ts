import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MdBlock as MdBlockSchema, type MdBlock, type MdInline } from '../../src-main/api/schemas';
import { markdownTree, safeHref, treeText } from '../../src-main/core/knowledge/markdown-tree';

/** Every link target and every string in a tree, walked. */
function collect(blocks: readonly MdBlock[]): { hrefs: (string | null)[]; strings: string[]; types: string[] } {
  const found = { hrefs: [] as (string | null)[], strings: [] as string[], types: [] as string[] };
  const inline = (nodes: readonly MdInline[]) => {
    for (const node of nodes) {
      found.types.push(node.type);
      if (node.type === 'link') found.hrefs.push(node.href);
      if ('text' in node) found.strings.push(node.text);
      if ('children' in node) inline(node.children);
    }
  };
  const walk = (list: readonly MdBlock[]) => {
    for (const block of list) {
      found.types.push(block.type);
      if (block.type === 'heading' || block.type === 'paragraph') inline(block.children);
      if (block.type === 'list') block.items.forEach(walk);
      if (block.type === 'blockquote') walk(block.children);
      if (block.type === 'code') found.strings.push(block.text);
      if (block.type === 'table') [block.header, ...block.rows].forEach((row) => row.forEach(inline));
    }
  };
  walk(blocks);
  return found;
}

const HOSTILE = [
  '# Title <script>alert(1)</script>',
  '',
  '<script>window.pwned = true</script>',
  '',
  '<div onclick="alert(1)">raw block</div>',
  '',
  'Text with <img src=x onerror="alert(1)"> inline and <a href="javascript:alert(1)">an anchor</a>.',
  '',
  '[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox) [file](file:///etc/passwd) [rel](/settings)',
  '',
  '[ok](https://example.com/a?b=1) [mail](mailto:support@example.com) ![remote image](https://tracker.example/p.png)',
  '',
  '<iframe src="https://example.com"></iframe>',
].join('\n');

describe('the safe Markdown tree', () => {
  it('turns raw HTML into text, drops unsafe link targets, and makes images their description', () => {
    const tree = markdownTree(HOSTILE);
    const { hrefs, strings, types } = collect(tree);
    // markdown-it leaves javascript:, data:, vbscript: and file: links as text; a relative one stays a link without a target.
    expect(hrefs).toEqual([null, 'https://example.com/a?b=1', 'mailto:support@example.com']);
    expect(strings.join('')).toContain('[click](javascript:alert(1))');
    expect(types.every((type) => ['heading', 'paragraph', 'text', 'link'].includes(type))).toBe(true);
    // The markup is still there, as words a person can read, never as elements.
    expect(strings.join('')).toContain('<script>window.pwned = true</script>');
    expect(strings.join('')).toContain('<img src=x onerror="alert(1)">');
    expect(strings.join('')).toContain(' remote image');
    expect(strings.join('')).not.toContain('tracker.example');
    expect(tree.every((block) => MdBlockSchema.safeParse(block).success)).toBe(true);
  });

  it('keeps headings, lists, code, emphasis, quotes and tables', () => {
    const tree = markdownTree(
      ['## Steps', '', '3. First *really*', '4. Then **now** `smp reset`', '', '- a', '  - nested', '', '```sh', 'fieldbench kb list', '```', '', '> careful ~~not~~', '', '| A | B |', '|:-|:-:|', '| 1 | 2 |', '', '---', '', 'line one  ', 'line two'].join('\n'),
    );
    expect(tree[0]).toEqual({ type: 'heading', level: 2, children: [{ type: 'text', text: 'Steps' }] });
    expect(tree[1]).toMatchObject({ type: 'list', ordered: true, start: 3 });
    const ordered = tree[1] as Extract<MdBlock, { type: 'list' }>;
    expect(ordered.items[0]).toEqual([{ type: 'paragraph', children: [{ type: 'text', text: 'First ' }, { type: 'em', children: [{ type: 'text', text: 'really' }] }] }]);
    expect(ordered.items[1]![0]).toMatchObject({ children: [{ text: 'Then ' }, { type: 'strong' }, { text: ' ' }, { type: 'code', text: 'smp reset' }] });
    expect(tree[2]).toMatchObject({ type: 'list', ordered: false, items: [[{ type: 'paragraph' }, { type: 'list' }]] });
    expect(tree[3]).toEqual({ type: 'code', lang: 'sh', text: 'fieldbench kb list\n' });
    expect(tree[4]).toEqual({ type: 'blockquote', children: [{ type: 'paragraph', children: [{ type: 'text', text: 'careful ' }, { type: 'del', children: [{ type: 'text', text: 'not' }] }] }] });
    expect(tree[5]).toEqual({
      type: 'table',
      align: ['left', 'center'],
      header: [[{ type: 'text', text: 'A' }], [{ type: 'text', text: 'B' }]],
      rows: [[[{ type: 'text', text: '1' }], [{ type: 'text', text: '2' }]]],
    });
    expect(tree[6]).toEqual({ type: 'rule' });
    expect(tree[7]).toEqual({ type: 'paragraph', children: [{ type: 'text', text: 'line one' }, { type: 'break' }, { type: 'text', text: 'line two' }] });
    expect(treeText(tree)).toContain('fieldbench kb list');
  });

  it('a link keeps its words, whatever emphasis they carry', () => {
    expect(markdownTree('[the **manual**](https://docs.example/x)')).toEqual([
      { type: 'paragraph', children: [{ type: 'link', href: 'https://docs.example/x', text: 'the manual' }] },
    ]);
  });

  it('only http(s) and mailto targets survive', () => {
    expect(safeHref('HTTPS://x.example')).toBe('HTTPS://x.example');
    for (const href of ['javascript:alert(1)', ' javascript:x', 'data:text/html,x', '//evil.example', '#top', '/path', null, '']) expect(safeHref(href)).toBeNull();
  });

  it('whatever the input, every link target is safe and the tree fits the contract', () => {
    const piece = fc.constantFrom('<script>', '</script>', '<img onerror=x>', '[a](', 'javascript:', 'https://e.x', ')', '*', '**', '`', '\n', '\n\n', '- ', '1. ', '> ', '|', '---', '<a href="javascript:x">', 'text');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const tree = markdownTree(parts.join(''));
        const { hrefs } = collect(tree);
        for (const href of hrefs) expect(href === null || /^(https?:\/\/|mailto:)/i.test(href)).toBe(true);
        expect(tree.every((block) => MdBlockSchema.safeParse(block).success)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
