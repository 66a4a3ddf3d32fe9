// Renders an article's safe tree (built in the core from its Markdown) with React elements
// only: every string becomes a text node, never markup. Links are shown as their words and
// their address, to copy into a browser; the app window never navigates away from itself.
import type { ReactNode } from 'react';
import type { MdBlock, MdInline } from '../../src-main/api/schemas';

export function MarkdownView({ tree, headingOffset = 1 }: { tree: readonly MdBlock[]; headingOffset?: number }) {
  return <div className="markdown">{blocks(tree, headingOffset)}</div>;
}

function blocks(list: readonly MdBlock[], offset: number): ReactNode[] {
  return list.map((block, i) => <MarkdownBlock key={i} block={block} offset={offset} />);
}

function MarkdownBlock({ block, offset }: { block: MdBlock; offset: number }) {
  switch (block.type) {
    case 'heading': {
      // The page has its own h1: an article's headings sit below it.
      const level = Math.min(6, block.level + offset);
      const Tag = `h${level}` as 'h2' | 'h3' | 'h4' | 'h5' | 'h6';
      return <Tag>{inlines(block.children)}</Tag>;
    }
    case 'paragraph':
      return <p>{inlines(block.children)}</p>;
    case 'list': {
      const items = block.items.map((item, i) => <li key={i}>{blocks(item, offset)}</li>);
      return block.ordered ? <ol start={block.start ?? undefined}>{items}</ol> : <ul>{items}</ul>;
    }
    case 'code':
      return (
        <pre className="markdown-code" data-lang={block.lang ?? undefined}>
          <code>{block.text}</code>
        </pre>
      );
    case 'blockquote':
      return <blockquote>{blocks(block.children, offset)}</blockquote>;
    case 'table':
      return (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                {block.header.map((cell, i) => (
                  <th key={i} scope="col" className={alignClass(block.align[i])}>
                    {inlines(cell)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {block.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, i) => (
                    <td key={i} className={alignClass(block.align[i])}>
                      {inlines(cell)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    case 'rule':
      return <hr />;
  }
}

function alignClass(align: 'left' | 'center' | 'right' | null | undefined): string | undefined {
  return align ? `align-${align}` : undefined;
}

function inlines(nodes: readonly MdInline[]): ReactNode[] {
  return nodes.map((node, i) => <MarkdownInline key={i} node={node} />);
}

function MarkdownInline({ node }: { node: MdInline }) {
  switch (node.type) {
    case 'text':
      return <>{node.text}</>;
    case 'code':
      return <code>{node.text}</code>;
    case 'break':
      return <br />;
    case 'em':
      return <em>{inlines(node.children)}</em>;
    case 'strong':
      return <strong>{inlines(node.children)}</strong>;
    case 'del':
      return <del>{inlines(node.children)}</del>;
    case 'link':
      return (
        <span className="markdown-link">
          {node.text}
          {node.href && node.href !== node.text && (
            <>
              {' '}
              <span className="markdown-link-address" title="Copy this address into a browser">
                ({node.href})
              </span>
            </>
          )}
        </span>
      );
  }
}
