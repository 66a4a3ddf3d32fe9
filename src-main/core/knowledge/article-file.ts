// One knowledge-base article file: YAML front matter between '---' lines, then Markdown.
// Like a device profile, a file passes gates (size, front matter, YAML, fields, patterns and
// ranges that make sense); a file that fails is reported field by field, never thrown, so
// one article edited by hand cannot hide the others.
import { z } from 'zod';
import { parseDocument } from 'yaml';
import type { KbArticleSummary, KbErrorCode, KbProblem, KbReadingRule, KbSource, MdBlock } from '../../api/schemas';
import { parseFirmwareRange } from './firmware-range';
import { checkLogPattern } from './log-pattern';
import { markdownTree } from './markdown-tree';

/** An article is a page of steps; anything larger is refused rather than parsed. */
export const MAX_ARTICLE_BYTES = 256 * 1024;

export interface LoadedArticle {
  summary: KbArticleSummary;
  body: string;
  tree: MdBlock[];
  /** The compiled log patterns, in the order of summary.logPatterns. */
  patterns: RegExp[];
  /** Lower-case words of title, symptoms, tags and body, for list queries. */
  searchText: string;
}

const ARTICLE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const ShortText = z.string().trim().min(1).max(300);

const ReadingRuleInput = z.union([
  z.object({ id: ShortText, status: z.enum(['warn', 'fail', 'error']) }).strict(),
  z.object({ id: ShortText, below: z.number() }).strict(),
  z.object({ id: ShortText, above: z.number() }).strict(),
]);

const FrontMatter = z
  .object({
    id: z.string().regex(ARTICLE_ID, 'must be kebab-case: lower-case letters and digits joined by single hyphens').max(100),
    title: ShortText,
    symptoms: z.array(ShortText).max(50).default([]),
    errorCodes: z
      .array(
        z
          .object({
            kind: z.enum(['smp', 'dfu', 'device']),
            code: z.union([z.number().int(), z.string().trim().min(1).max(100)]),
            name: z.string().trim().min(1).max(100).optional(),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    logPatterns: z.array(z.string()).max(50).default([]),
    readings: z.array(ReadingRuleInput).max(50).default([]),
    models: z.array(ShortText).max(50).default([]),
    firmware: z.union([ShortText, z.array(ShortText).max(20)]).optional(),
    tags: z.array(z.string().trim().min(1).max(60)).max(30).default([]),
  })
  .strict();

type Checked = { ok: true; article: LoadedArticle } | { ok: false; problems: KbProblem[] };

/** Parses an article's text; `file` and `source` say where it came from. */
export function parseArticle(text: string, file: string, source: KbSource): Checked {
  const fail = (field: string, message: string): Checked => ({ ok: false, problems: [{ file, field, message }] });
  if (Buffer.byteLength(text) > MAX_ARTICLE_BYTES) return fail('', `is larger than ${MAX_ARTICLE_BYTES / 1024} KiB`);
  const split = splitFrontMatter(text);
  if (!split) return fail('', "has no front matter: start the file with a line '---', the YAML fields, and another '---'");

  const document = parseDocument(split.yaml, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const line = error.linePos?.[0] ? `line ${error.linePos[0].line + split.firstLine - 1}: ` : '';
    // The library's own position counts from the front matter; the file's line is given instead.
    const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    return fail('', `the front matter is not valid YAML: ${line}${what}`);
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 20 });
  } catch (error) {
    return fail('', `the front matter cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = FrontMatter.safeParse(data ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({ file, field: pointer(issue.path), message: issueMessage(issue) })),
    };
  }
  const fields = parsed.data;
  const problems: KbProblem[] = [];
  const patterns: RegExp[] = [];
  fields.logPatterns.forEach((source, i) => {
    const checked = checkLogPattern(source);
    if (checked.ok) patterns.push(checked.regex);
    else problems.push({ file, field: `/logPatterns/${i}`, message: `the pattern ${checked.reason}` });
  });
  const firmware = fields.firmware === undefined ? [] : typeof fields.firmware === 'string' ? [fields.firmware] : fields.firmware;
  firmware.forEach((range, i) => {
    const checked = parseFirmwareRange(range);
    if (!checked.ok) problems.push({ file, field: typeof fields.firmware === 'string' ? '/firmware' : `/firmware/${i}`, message: checked.reason });
  });
  if (problems.length > 0) return { ok: false, problems };

  const tree = markdownTree(split.body);
  const summary: KbArticleSummary = {
    id: fields.id,
    title: fields.title,
    symptoms: fields.symptoms,
    errorCodes: fields.errorCodes.map((c): KbErrorCode => ({ kind: c.kind, code: c.code, name: c.name ?? null })),
    logPatterns: fields.logPatterns,
    readings: fields.readings.map(readingRule),
    models: fields.models,
    firmware,
    tags: [...new Set(fields.tags.map((tag) => tag.toLowerCase()))],
    source,
    file,
    overrides: null,
  };
  const searchText = [summary.title, ...summary.symptoms, ...summary.tags, split.body].join('\n').toLowerCase();
  return { ok: true, article: { summary, body: split.body, tree, patterns, searchText } };
}

function readingRule(input: z.infer<typeof ReadingRuleInput>): KbReadingRule {
  return {
    id: input.id,
    status: 'status' in input ? input.status : null,
    below: 'below' in input ? input.below : null,
    above: 'above' in input ? input.above : null,
  };
}

/** The YAML between the opening and closing '---' lines, the Markdown after, and the YAML's first line number. */
export function splitFrontMatter(text: string): { yaml: string; body: string; firstLine: number } | null {
  const match = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return null;
  return { yaml: match[1] ?? '', body: text.slice(match[0].length).replace(/^\s*\n/, ''), firstLine: 2 };
}

function pointer(path: readonly PropertyKey[]): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'invalid_union' && issue.path.at(-2) === 'readings') {
    return "a reading is {id, status: warn|fail|error}, {id, below: NUMBER} or {id, above: NUMBER}";
  }
  return issue.message;
}
