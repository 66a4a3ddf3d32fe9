// An article's Markdown as a tree of plain values that a client renders with its own
// elements. Nothing here is ever HTML: markdown-it runs with raw HTML off, so tags in an
// article arrive as text; images become their alt text (no remote content); a link keeps
// its target only when it is http(s) or mailto. A client never has to sanitise anything.
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import type { MdBlock, MdInline } from '../../api/schemas';

const markdown = new MarkdownIt('default', { html: false, linkify: false, typographer: false });

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

export function markdownTree(source: string): MdBlock[] {
  const tokens = markdown.parse(source, {});
  const reader = new TokenReader(tokens);
  return reader.blocks(null);
}

/** The link target a client may open outside the app, or null. */
export function safeHref(href: string | null | undefined): string | null {
  if (!href) return null;
  const trimmed = href.trim();
  return SAFE_LINK.test(trimmed) ? trimmed : null;
}

class TokenReader {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  /** Blocks up to the closing token of type `until` (consumed), or to the end. */
  blocks(until: string | null): MdBlock[] {
    const out: MdBlock[] = [];
    while (this.index < this.tokens.length) {
      const token = this.tokens[this.index++]!;
      if (until !== null && token.type === until) return out;
      const block = this.block(token);
      if (block) out.push(block);
    }
    return out;
  }

  private block(token: Token): MdBlock | null {
    switch (token.type) {
      case 'heading_open':
        return { type: 'heading', level: Number(token.tag.slice(1)) || 1, children: this.inlineUntil('heading_close') };
      case 'paragraph_open':
        return { type: 'paragraph', children: this.inlineUntil('paragraph_close') };
      case 'bullet_list_open':
        return { type: 'list', ordered: false, start: null, items: this.items('bullet_list_close') };
      case 'ordered_list_open': {
        const start = Number(token.attrGet('start') ?? 1);
        return { type: 'list', ordered: true, start: Number.isFinite(start) ? start : 1, items: this.items('ordered_list_close') };
      }
      case 'fence':
        return { type: 'code', lang: token.info.trim().split(/\s+/)[0] || null, text: token.content };
      case 'code_block':
        return { type: 'code', lang: null, text: token.content };
      case 'blockquote_open':
        return { type: 'blockquote', children: this.blocks('blockquote_close') };
      case 'table_open':
        return this.table();
      case 'hr':
        return { type: 'rule' };
      case 'html_block':
        // Never produced with html off; kept as text should the parser ever change.
        return { type: 'paragraph', children: [{ type: 'text', text: token.content }] };
      default:
        return null;
    }
  }

  private items(close: string): MdBlock[][] {
    const items: MdBlock[][] = [];
    while (this.index < this.tokens.length) {
      const token = this.tokens[this.index++]!;
      if (token.type === close) break;
      if (token.type === 'list_item_open') items.push(this.blocks('list_item_close'));
    }
    return items;
  }

  private inlineUntil(close: string): MdInline[] {
    const children: MdInline[] = [];
    while (this.index < this.tokens.length) {
      const token = this.tokens[this.index++]!;
      if (token.type === close) break;
      if (token.type === 'inline') children.push(...inlineTree(token.children ?? []));
    }
    return children;
  }

  private table(): MdBlock {
    const header: MdInline[][] = [];
    const rows: MdInline[][][] = [];
    const align: ('left' | 'center' | 'right' | null)[] = [];
    let row: MdInline[][] | null = null;
    let inHead = false;
    while (this.index < this.tokens.length) {
      const token = this.tokens[this.index++]!;
      if (token.type === 'table_close') break;
      if (token.type === 'thead_open') inHead = true;
      else if (token.type === 'thead_close') inHead = false;
      else if (token.type === 'tr_open') row = [];
      else if (token.type === 'tr_close') {
        if (row && !inHead) rows.push(row);
        row = null;
      } else if (token.type === 'th_open' || token.type === 'td_open') {
        const cell = this.inlineUntil(token.type === 'th_open' ? 'th_close' : 'td_close');
        if (inHead) {
          header.push(cell);
          align.push(alignmentOf(stringAttr(token, 'style')));
        } else {
          row?.push(cell);
        }
      }
    }
    return { type: 'table', align, header, rows };
  }
}

function stringAttr(token: Token, name: string): string | null {
  const value = token.attrGet(name);
  return typeof value === 'string' ? value : null;
}

function alignmentOf(style: string | null): 'left' | 'center' | 'right' | null {
  const match = style ? /text-align:\s*(left|center|right)/.exec(style) : null;
  return (match?.[1] as 'left' | 'center' | 'right' | undefined) ?? null;
}

/** markdown-it's inline tokens (flat, with open/close pairs) as nested nodes. */
function inlineTree(tokens: readonly Token[]): MdInline[] {
  const root: MdInline[] = [];
  const stack: { close: string; children: MdInline[] }[] = [];
  const current = () => stack.at(-1)?.children ?? root;
  const pushText = (text: string) => {
    if (text === '') return;
    const list = current();
    const last = list.at(-1);
    if (last?.type === 'text') list[list.length - 1] = { type: 'text', text: last.text + text };
    else list.push({ type: 'text', text });
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    switch (token.type) {
      case 'text':
      case 'text_special':
      case 'html_inline':
        pushText(token.content);
        break;
      case 'code_inline':
        current().push({ type: 'code', text: token.content });
        break;
      case 'softbreak':
        pushText('\n');
        break;
      case 'hardbreak':
        current().push({ type: 'break' });
        break;
      case 'image':
        // No remote content: an image is its description.
        pushText(token.content);
        break;
      case 'em_open':
      case 'strong_open':
      case 's_open': {
        const type = token.type === 'em_open' ? 'em' : token.type === 'strong_open' ? 'strong' : 'del';
        const node: MdInline = { type, children: [] };
        current().push(node);
        stack.push({ close: token.type.replace('_open', '_close'), children: node.children });
        break;
      }
      case 'em_close':
      case 'strong_close':
      case 's_close':
        if (stack.at(-1)?.close === token.type) stack.pop();
        break;
      case 'link_open': {
        // A link's words, whatever emphasis they carry, become its plain text.
        let text = '';
        let depth = 1;
        while (++i < tokens.length) {
          const inner = tokens[i]!;
          if (inner.type === 'link_open') depth++;
          if (inner.type === 'link_close' && --depth === 0) break;
          if (inner.type === 'softbreak' || inner.type === 'hardbreak') text += ' ';
          else text += inner.content;
        }
        const href = safeHref(stringAttr(token, 'href'));
        current().push({ type: 'link', href, text: text || (href ?? '') });
        break;
      }
      default:
        pushText(token.content);
    }
  }
  return root;
}

/** The plain words of a tree, for search. */
export function treeText(blocks: readonly MdBlock[]): string {
  const parts: string[] = [];
  const inline = (nodes: readonly MdInline[]) => {
    for (const node of nodes) {
      if (node.type === 'text' || node.type === 'code' || node.type === 'link') parts.push(node.text);
      else if (node.type !== 'break') inline(node.children);
    }
  };
  const walk = (list: readonly MdBlock[]) => {
    for (const block of list) {
      switch (block.type) {
        case 'heading':
        case 'paragraph':
          inline(block.children);
          break;
        case 'list':
          block.items.forEach(walk);
          break;
        case 'code':
          parts.push(block.text);
          break;
        case 'blockquote':
          walk(block.children);
          break;
        case 'table':
          block.header.forEach(inline);
          block.rows.forEach((row) => row.forEach(inline));
          break;
        case 'rule':
          break;
      }
    }
  };
  walk(blocks);
  return parts.join(' ');
}
