// `fieldbench kb`: the knowledge base from a terminal. `kb list` lists the articles (and the
// files that did not load), `kb show ID` prints one as plain text, and `kb suggest` names the
// articles that fit a log line, an SMP error or a DFU status, for a model and firmware.
import type { KbArticle, KbArticleSummary, KbProblem, KbSuggestion, MdBlock, MdInline } from '../../api/schemas';
import { DFU_ERROR_STATUSES } from '../../api/schemas';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table, UsageError, type Io } from '../output';

export const KB_USAGE =
  'kb list [WORDS] [--tag T] | kb show ID | kb suggest --log-line TEXT | --smp-error N | --dfu-status NAME [--model M] [--firmware V]';

export type KbAction =
  | { action: 'list'; query: string; tag: string | undefined }
  | { action: 'show'; id: string }
  | {
      action: 'suggest';
      logLine: string | undefined;
      errorCode: { kind: 'smp'; code: number } | { kind: 'dfu'; code: string } | undefined;
      model: string | undefined;
      firmware: string | undefined;
    };

export interface KbOptions {
  tag: string | undefined;
  logLine: string | undefined;
  smpError: string | undefined;
  dfuStatus: string | undefined;
  model: string | undefined;
  firmware: string | undefined;
}

/** Reads the words after `kb` into an action; options were parsed by the caller. */
export function kbActionOf(rest: readonly string[], options: KbOptions): KbAction {
  const [action, ...args] = rest;
  const suggestOnly = (
    [
      ['log-line', options.logLine],
      ['smp-error', options.smpError],
      ['dfu-status', options.dfuStatus],
      ['model', options.model],
      ['firmware', options.firmware],
    ] as const
  ).find(([, value]) => value !== undefined)?.[0];
  if (suggestOnly && action !== 'suggest') throw new UsageError(`--${suggestOnly} is for kb suggest`);
  if (options.tag !== undefined && action !== 'list') throw new UsageError('--tag is for kb list');
  switch (action) {
    case 'list':
      return { action: 'list', query: args.join(' '), tag: options.tag };
    case 'show':
      if (args.length !== 1 || !args[0]?.trim()) throw new UsageError(`kb show needs an article id: ${KB_USAGE}`);
      return { action: 'show', id: args[0] };
    case 'suggest': {
      if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}' for kb suggest`);
      const given = [options.logLine, options.smpError, options.dfuStatus].filter((v) => v !== undefined).length;
      if (given !== 1) throw new UsageError('kb suggest needs one of --log-line TEXT, --smp-error N or --dfu-status NAME');
      return { action: 'suggest', logLine: options.logLine, errorCode: errorCodeOf(options), model: options.model, firmware: options.firmware };
    }
    default:
      throw new UsageError(action === undefined ? `kb needs an action: ${KB_USAGE}` : `unknown kb action '${action}': ${KB_USAGE}`);
  }
}

function errorCodeOf(options: KbOptions): { kind: 'smp'; code: number } | { kind: 'dfu'; code: string } | undefined {
  if (options.smpError !== undefined) {
    const code = Number(options.smpError);
    if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new UsageError(`--smp-error takes an SMP result code (a whole number), not '${options.smpError}'`);
    return { kind: 'smp', code };
  }
  if (options.dfuStatus !== undefined) {
    const name = DFU_ERROR_STATUSES.find((status) => status.toLowerCase() === options.dfuStatus!.trim().toLowerCase());
    if (!name) throw new UsageError(`--dfu-status takes a DFU 1.1 status name (${DFU_ERROR_STATUSES.join(', ')}), not '${options.dfuStatus}'`);
    return { kind: 'dfu', code: name };
  }
  return undefined;
}

export async function kbCommand(session: CoreSessionOptions, json: boolean, request: KbAction): Promise<number> {
  return withCore({ ...session, noDevices: true }, async (core) => {
    const { io } = session;
    switch (request.action) {
      case 'list': {
        const result = await call(core, 'kb.list', { ...(request.query ? { query: request.query } : {}), ...(request.tag ? { tag: request.tag } : {}) });
        if (json) printJson(io, result);
        else printList(io, result.articles, result.problems);
        return EXIT_OK;
      }
      case 'show': {
        const article = await call(core, 'kb.get', { id: request.id });
        if (json) printJson(io, article);
        else io.out(articleText(article));
        return EXIT_OK;
      }
      case 'suggest': {
        const result = await call(core, 'kb.suggest', {
          ...(request.logLine !== undefined ? { logLine: request.logLine } : {}),
          ...(request.errorCode ? { errorCode: request.errorCode } : {}),
          ...(request.model ? { model: request.model } : {}),
          ...(request.firmware ? { firmware: request.firmware } : {}),
        });
        if (json) printJson(io, result);
        else printSuggestions(io, result.suggestions);
        return EXIT_OK;
      }
    }
  });
}

function printList(io: Io, articles: readonly KbArticleSummary[], problems: readonly KbProblem[]): void {
  if (articles.length === 0) io.out('No articles match.');
  else io.out(table([['ID', 'SOURCE', 'TAGS', 'TITLE'], ...articles.map((a) => [a.id, a.source, a.tags.join(',') || '—', a.title])]));
  for (const problem of problems) io.err(`skipped ${problem.file}${problem.field ? ` at ${problem.field}` : ''}: ${problem.message}`);
}

function printSuggestions(io: Io, suggestions: readonly KbSuggestion[]): void {
  if (suggestions.length === 0) {
    io.out('No article matches.');
    return;
  }
  const lines: string[] = [];
  for (const suggestion of suggestions) {
    lines.push(`${suggestion.article.id}  ${suggestion.article.title}`);
    for (const reason of suggestion.reasons) lines.push(`    ${reason.text}`);
  }
  io.out(lines.join('\n'));
}

/** An article for a terminal: its facts, then its body as plain text. */
export function articleText(article: KbArticle): string {
  const facts: [string, string][] = [['Article', `${article.title} (${article.id})`]];
  facts.push(['Source', article.overrides ? `${article.source}, replaces ${article.overrides}` : `${article.source}: ${article.file}`]);
  if (article.models.length > 0) facts.push(['Models', article.models.join(', ')]);
  if (article.firmware.length > 0) facts.push(['Firmware', article.firmware.join(' or ')]);
  if (article.errorCodes.length > 0) facts.push(['Codes', article.errorCodes.map((c) => `${c.kind} ${c.code}${c.name ? ` (${c.name})` : ''}`).join(', ')]);
  if (article.tags.length > 0) facts.push(['Tags', article.tags.join(', ')]);
  return `${table(facts.map(([k, v]) => [`${k}:`, v]))}\n\n${blocksText(article.tree, '')}`.trimEnd();
}

function blocksText(blocks: readonly MdBlock[], indent: string): string {
  return blocks.map((block) => blockText(block, indent)).join('\n\n');
}

function blockText(block: MdBlock, indent: string): string {
  switch (block.type) {
    case 'heading':
      return `${indent}${'#'.repeat(block.level)} ${inlineText(block.children)}`;
    case 'paragraph':
      return indent + inlineText(block.children).replace(/\n/g, `\n${indent}`);
    case 'list':
      return block.items
        .map((item, i) => {
          const marker = block.ordered ? `${(block.start ?? 1) + i}. ` : '- ';
          const text = blocksText(item, `${indent}${' '.repeat(marker.length)}`);
          return `${indent}${marker}${text.slice(indent.length + marker.length)}`;
        })
        .join('\n');
    case 'code':
      return block.text.replace(/\n$/, '').split('\n').map((line) => `${indent}    ${line}`).join('\n');
    case 'blockquote':
      return blocksText(block.children, `${indent}> `);
    case 'table':
      return table([block.header.map(inlineText), ...block.rows.map((row) => row.map(inlineText))]).split('\n').map((line) => indent + line).join('\n');
    case 'rule':
      return `${indent}----`;
  }
}

function inlineText(nodes: readonly MdInline[]): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case 'text':
          return node.text;
        case 'code':
          return `\`${node.text}\``;
        case 'break':
          return '\n';
        case 'link':
          return node.href && node.href !== node.text ? `${node.text} <${node.href}>` : node.text;
        default:
          return inlineText(node.children);
      }
    })
    .join('');
}
