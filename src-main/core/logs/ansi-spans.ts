// Device logs colour their levels with ANSI SGR sequences (Zephyr and ESP-IDF both do), and
// shells move the cursor while they echo. The console shows the colours and must never act
// on the rest, so a line becomes styled spans: SGR sequences set the style of the text that
// follows, every other escape sequence is dropped, and one cut short is dropped too, so
// nothing that looks like an escape reaches the view. One pass, linear in the line's length.
import { visibleText } from '../ble/nus-log-lines';

/** A colour from the 16-entry terminal palette, or '#rrggbb' for 256-colour cube/grey and truecolor. */
export type AnsiColor = string;

export interface StyledSpan {
  text: string;
  fg?: AnsiColor;
  bg?: AnsiColor;
  bold?: boolean;
  underline?: boolean;
}

type Style = Omit<StyledSpan, 'text'>;

const BASE_COLORS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;
/** Indexes 0–15 of the 256-colour table are the palette itself: the renderer's theme decides how they look. */
export const PALETTE: readonly string[] = [...BASE_COLORS, ...BASE_COLORS.map((name) => `bright-${name}`)];

const ESC = 0x1b;
const CSI_8BIT = 0x9b;
const BEL = 0x07;

/** The line as styled spans with escapes removed and control characters drawn visibly. */
export function toStyledSpans(line: string): StyledSpan[] {
  const spans: StyledSpan[] = [];
  let style: Style = {};
  let textStart = 0;
  let i = 0;
  while (i < line.length) {
    const code = line.charCodeAt(i);
    if (code !== ESC && code !== CSI_8BIT) {
      i++;
      continue;
    }
    pushSpan(spans, line.slice(textStart, i), style);
    const sequence = readEscape(line, i);
    if (sequence.sgr !== undefined) style = applySgr(style, sequence.sgr);
    i = sequence.end;
    textStart = i;
  }
  pushSpan(spans, line.slice(textStart), style);
  return spans;
}

function pushSpan(spans: StyledSpan[], raw: string, style: Style): void {
  if (raw === '') return;
  // A line feed inside a line only arrives from callers that split lines themselves; show it too.
  const text = visibleText(raw).replace(/\n/g, '\u240a');
  const last = spans[spans.length - 1];
  if (last && sameStyle(last, style)) {
    last.text += text;
    return;
  }
  spans.push({ text, ...style });
}

function sameStyle(a: Style, b: Style): boolean {
  return a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.underline === b.underline;
}

/** Where the escape sequence starting at `start` ends, and its SGR parameters if it is one. */
function readEscape(line: string, start: number): { end: number; sgr?: string } {
  if (line.charCodeAt(start) === CSI_8BIT) return readCsi(line, start + 1);
  const introducer = line[start + 1];
  if (introducer === undefined) return { end: start + 1 };
  if (introducer === '[') return readCsi(line, start + 2);
  if (introducer === ']') return readString(line, start + 2, true);
  if ('PX^_'.includes(introducer)) return readString(line, start + 2, false);
  // nF (ESC ( B), Fp/Fe/Fs (ESC 7, ESC c): intermediates, then one final byte.
  let i = start + 1;
  while (i < line.length && inRange(line.charCodeAt(i), 0x20, 0x2f)) i++;
  if (i < line.length && inRange(line.charCodeAt(i), 0x30, 0x7e)) return { end: i + 1 };
  // An ESC followed by nothing a sequence can hold: only the ESC goes.
  return { end: start + 1 };
}

function readCsi(line: string, paramsStart: number): { end: number; sgr?: string } {
  let i = paramsStart;
  while (i < line.length && inRange(line.charCodeAt(i), 0x30, 0x3f)) i++;
  const paramsEnd = i;
  while (i < line.length && inRange(line.charCodeAt(i), 0x20, 0x2f)) i++;
  if (i >= line.length || !inRange(line.charCodeAt(i), 0x40, 0x7e)) {
    // Cut short or broken by noise: what was read of it goes, the rest stays text.
    return { end: i };
  }
  const end = i + 1;
  const params = line.slice(paramsStart, paramsEnd);
  if (line[i] === 'm' && paramsEnd === i && /^[\d;:]*$/.test(params)) return { end, sgr: params };
  return { end };
}

/** OSC ends at BEL or ST (ESC \); DCS, SOS, PM and APC only at ST. Unterminated, only the ESC goes. */
function readString(line: string, payloadStart: number, bellEnds: boolean): { end: number } {
  for (let i = payloadStart; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (bellEnds && code === BEL) return { end: i + 1 };
    if (code === ESC && line[i + 1] === '\\') return { end: i + 2 };
  }
  return { end: payloadStart - 1 };
}

function inRange(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}

/** The style after one SGR sequence: `params` as written between CSI and 'm'. */
export function applySgr(current: Style, params: string): Style {
  const style: Style = { ...current };
  // Semicolons separate attributes; colons join the sub-parameters of one (38:2::r:g:b).
  const fields = params === '' ? ['0'] : params.split(';');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.includes(':')) {
      const [head, ...rest] = field.split(':');
      const colour = extendedColor(rest.map(toNumber), true);
      if (head === '38' && colour.color !== undefined) style.fg = colour.color;
      if (head === '48' && colour.color !== undefined) style.bg = colour.color;
      if (head === '4') setFlag(style, 'underline', toNumber(rest[0] ?? '1') !== 0);
      continue;
    }
    const n = toNumber(field);
    if (n === 38 || n === 48) {
      const colour = extendedColor(fields.slice(i + 1).map(toNumber), false);
      if (colour.color !== undefined) {
        if (n === 38) style.fg = colour.color;
        else style.bg = colour.color;
      }
      i += colour.consumed;
      continue;
    }
    applyAttribute(style, n);
  }
  return style;
}

function applyAttribute(style: Style, n: number): void {
  if (n === 0) {
    delete style.fg;
    delete style.bg;
    delete style.bold;
    delete style.underline;
  } else if (n === 1) setFlag(style, 'bold', true);
  else if (n === 22) setFlag(style, 'bold', false);
  else if (n === 4) setFlag(style, 'underline', true);
  else if (n === 24) setFlag(style, 'underline', false);
  else if (inRange(n, 30, 37)) style.fg = PALETTE[n - 30];
  else if (n === 39) delete style.fg;
  else if (inRange(n, 40, 47)) style.bg = PALETTE[n - 40];
  else if (n === 49) delete style.bg;
  else if (inRange(n, 90, 97)) style.fg = PALETTE[n - 90 + 8];
  else if (inRange(n, 100, 107)) style.bg = PALETTE[n - 100 + 8];
  // Blink, italic, inverse and the rest have no place in the span shape: ignored.
}

function setFlag(style: Style, flag: 'bold' | 'underline', on: boolean): void {
  if (on) style[flag] = true;
  else delete style[flag];
}

/**
 * The colour of a 38/48 attribute from the values after it, and how many it used.
 * In the colon form, 2 is followed by a colour-space id (often empty) before r, g, b.
 */
function extendedColor(values: number[], colonForm: boolean): { color?: AnsiColor; consumed: number } {
  const mode = values[0];
  if (mode === 5) {
    const index = values[1];
    if (index === undefined || index < 0 || index > 255) return { consumed: Math.min(values.length, 2) };
    return { color: color256(index), consumed: 2 };
  }
  if (mode === 2) {
    const rgb = colonForm && values.length >= 5 ? values.slice(2, 5) : values.slice(1, 4);
    if (rgb.length < 3 || rgb.some((v) => v < 0 || v > 255)) return { consumed: Math.min(values.length, 4) };
    return { color: hex(rgb[0]!, rgb[1]!, rgb[2]!), consumed: 4 };
  }
  return { consumed: mode === undefined ? 0 : 1 };
}

/** xterm's 256-colour table: the palette, a 6×6×6 cube, then 24 greys. */
export function color256(index: number): AnsiColor {
  if (index < 16) return PALETTE[index]!;
  if (index < 232) {
    const cube = index - 16;
    const level = (step: number): number => (step === 0 ? 0 : 55 + step * 40);
    return hex(level(Math.floor(cube / 36)), level(Math.floor(cube / 6) % 6), level(cube % 6));
  }
  const grey = 8 + (index - 232) * 10;
  return hex(grey, grey, grey);
}

function hex(r: number, g: number, b: number): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** An SGR parameter: empty means 0; anything unparseable is out of every range used. */
function toNumber(text: string): number {
  if (text === '') return 0;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}
