// How an ANSI span looks: palette colours are CSS classes (the theme decides the shade, see
// styles.css), "#rrggbb" an inline colour; anything else the line carries is ignored.
import type { CSSProperties } from 'react';
import type { ConsoleSpan } from '../../src-main/api/console-schemas';

const BASE = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
const PALETTE = new Set([...BASE, ...BASE.map((name) => `bright-${name}`)]);
const HEX = /^#[0-9a-f]{6}$/i;

export interface SpanLook {
  className: string;
  style: CSSProperties | undefined;
}

export function spanLook(span: Omit<ConsoleSpan, 'text'>): SpanLook {
  const classes: string[] = [];
  const style: CSSProperties = {};
  if (span.fg !== undefined) {
    if (PALETTE.has(span.fg)) classes.push(`ansi-fg-${span.fg}`);
    else if (HEX.test(span.fg)) style.color = span.fg;
  }
  if (span.bg !== undefined) {
    if (PALETTE.has(span.bg)) classes.push(`ansi-bg-${span.bg}`);
    else if (HEX.test(span.bg)) style.backgroundColor = span.bg;
  }
  if (span.bold) classes.push('ansi-bold');
  if (span.underline) classes.push('ansi-underline');
  return { className: classes.join(' '), style: Object.keys(style).length > 0 ? style : undefined };
}
