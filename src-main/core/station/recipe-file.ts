// A bench station recipe as a file: what to flash onto which kind of device, which test to run
// after, and what to do with a unit that passed or failed. Recipes are shared between benches
// and kept under version control, so they are text (YAML, or JSON, which YAML reads too) and
// checked strictly: an unknown field is a typo that would otherwise be silently ignored on a
// production line. Every problem is reported at once, with its field and its line and column.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { FieldbenchError, type ErrorCode } from '../../api/errors';

export const RECIPE_FORMAT = 'fieldbench-recipe/1';

/** A recipe is a page of settings; anything larger is not one. */
export const MAX_RECIPE_BYTES = 64 * 1024;

/** Most units a station runs at once on one bus, whatever a recipe asks. */
export const MAX_PARALLELISM = 16;

/**
 * How many units run at once on each bus when the recipe does not say.
 * - serial: 8. Each unit has its own port (its own USB-serial adapter or CDC ACM function), and
 *   an SMP upload is bound by the UART's baud rate, not by the host, so units overlap almost
 *   perfectly; eight is a typical tray and keeps a two-core bench PC responsive.
 * - usb: 4. DFU downloads are control transfers that share the host controller's bandwidth and
 *   each unit re-enumerates (detach, bootloader, leave) during the run, which hubs handle badly
 *   in bursts; beyond four, units mostly wait for each other.
 * - ble: 1. One adapter's radio is time-shared between its connections, so parallel SMP over BLE
 *   gains little, and a second connection attempt during another's upload is what most often
 *   drops links on common adapters.
 */
export const DEFAULT_PARALLELISM = { serial: 8, usb: 4, ble: 1 } as const;

/**
 * What to do with a unit once its verdict is known:
 * - confirm: make the new image permanent. Only after it booted and passed: MCUboot boots a new
 *   image for a test, and a confirm is what stops the next reset from swapping the old one back.
 * - reset: restart the unit without confirming. On MCUboot this reverts to the image it had
 *   before; on a USB DFU device it leaves the bootloader and starts the new firmware.
 * - leave-in-bootloader: keep a USB DFU device in its bootloader, to flash it again or inspect it.
 * Which of these a device's update method can do is checked against the profile when the recipe loads.
 */
export const RecipeAction = z.enum(['confirm', 'reset', 'leave-in-bootloader']);
export type RecipeAction = z.infer<typeof RecipeAction>;

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const KEBAB_MESSAGE = 'must be kebab-case: lower-case letters and digits joined by single hyphens';
const Id = z.string().max(100).regex(KEBAB, KEBAB_MESSAGE);
const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const Parallelism = z.number().int('must be a whole number').min(1).max(MAX_PARALLELISM);

const RecipeSchema = z
  .object({
    format: z.literal(RECIPE_FORMAT, { error: `must be '${RECIPE_FORMAT}'` }),
    id: Id,
    name: Text(200),
    description: Text(4000).optional(),
    /** The recipe's own revision, as the team writes it ("2.0.0-r3"); it goes into every record. */
    revision: Text(100),
    profile: Id,
    firmware: z
      .object({
        /** Relative to the recipe file. */
        file: Text(1000),
        /** Pins the image file: a file whose SHA-256 differs is refused. */
        sha256: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 in hex: 64 hex digits, as sha256sum prints it')
          .transform((hex) => hex.toLowerCase())
          .optional(),
        /** Public keys (PEM, relative to the recipe file), one of which must have signed the image. */
        keys: z.array(Text(1000)).max(8).optional(),
      })
      .strict(),
    procedure: z
      .object({
        id: Id,
        /** stop: a failed step ends the test; continue: every step runs, so the record has them all. Either way the unit fails. */
        onFail: z.enum(['stop', 'continue']).default('stop'),
      })
      .strict()
      .optional(),
    onPass: RecipeAction,
    onFail: RecipeAction,
    /** A unit that is plugged in starts at once; otherwise the operator starts each. */
    autoStart: z.boolean().default(false),
    parallelism: z.object({ serial: Parallelism.optional(), usb: Parallelism.optional(), ble: Parallelism.optional() }).strict().optional(),
    /** The station asks who runs it before the first unit, so every record names a person. */
    operatorRequired: z.boolean().default(true),
  })
  .strict();

export interface Recipe {
  format: typeof RECIPE_FORMAT;
  id: string;
  name: string;
  description: string | null;
  revision: string;
  /** The device profile id. */
  profile: string;
  firmware: { file: string; sha256: string | null; keys: string[] };
  procedure: { id: string; onFail: 'stop' | 'continue' } | null;
  onPass: RecipeAction;
  onFail: RecipeAction;
  autoStart: boolean;
  parallelism: { serial: number; usb: number; ble: number };
  operatorRequired: boolean;
}

/** A field of the recipe, as zod and YAML paths name it. */
export type RecipePath = readonly (string | number)[];

export interface RecipeProblem {
  /** Dotted, as people read it: "firmware.keys.0"; empty for the file as a whole. */
  path: string;
  /** 1-based, where the file shows it. */
  line: number | null;
  column: number | null;
  message: string;
}

export interface ParsedRecipe {
  recipe: Recipe;
  /** Where a field sits in the file, for problems found after parsing (a missing image, an unknown profile). */
  positionOf(path: RecipePath): { line: number; column: number } | null;
}

/** Parses and checks a recipe's text; `file` names it in errors. Throws only FieldbenchError (invalid-request). */
export function parseRecipe(text: string, file: string): ParsedRecipe {
  const lineCounter = new LineCounter();
  const document = parseDocument(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const positionOf = (path: RecipePath) => nodePosition(document, lineCounter, path);
  if (document.errors.length > 0) {
    throw recipeError(file, {
      code: 'invalid-request',
      step: 'read recipe',
      problems: document.errors.map((error) => ({
        path: '',
        line: error.linePos?.[0].line ?? null,
        column: error.linePos?.[0].col ?? null,
        message: `not valid YAML or JSON: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
      hint: 'Fix the syntax at the line shown; a recipe is YAML (or JSON) like recipes/sensor-node-2.0.0.yaml.',
    });
  }
  let data: unknown;
  try {
    // Aliases are bounded: a few are handy, thousands are a "billion laughs" file.
    data = document.toJS({ maxAliasCount: 20 });
  } catch (error) {
    throw recipeError(file, {
      code: 'invalid-request',
      step: 'read recipe',
      problems: [{ path: '', line: null, column: null, message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }],
      hint: 'Write the recipe without YAML aliases.',
    });
  }
  // The input is kept in issues to tell a missing field from one of the wrong type.
  const parsed = RecipeSchema.safeParse(data ?? {}, { reportInput: true });
  const problems: RecipeProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, positionOf));
  } else if (parsed.data.onFail === 'confirm') {
    problems.push(located(['onFail'], "'confirm' makes the new image permanent, which a unit that failed must not get: use reset (go back to the old image) or leave-in-bootloader", positionOf));
  }
  if (problems.length > 0 || !parsed.success) {
    throw recipeError(file, { code: 'invalid-request', step: 'check recipe', problems, hint: 'Fix the fields listed, then load the recipe again.' });
  }
  const value = parsed.data;
  const recipe: Recipe = {
    format: RECIPE_FORMAT,
    id: value.id,
    name: value.name,
    description: value.description ?? null,
    revision: value.revision,
    profile: value.profile,
    firmware: { file: value.firmware.file, sha256: value.firmware.sha256 ?? null, keys: value.firmware.keys ?? [] },
    procedure: value.procedure ?? null,
    onPass: value.onPass,
    onFail: value.onFail,
    autoStart: value.autoStart,
    parallelism: { ...DEFAULT_PARALLELISM, ...value.parallelism },
    operatorRequired: value.operatorRequired,
  };
  return { recipe, positionOf };
}

/** A problem at a field, placed in the file. */
export function located(path: RecipePath, message: string, positionOf: ParsedRecipe['positionOf']): RecipeProblem {
  const position = positionOf(path);
  return { path: path.map(String).join('.'), line: position?.line ?? null, column: position?.column ?? null, message };
}

/** The one error a recipe's problems become: the file and every problem in the message, each problem in issues. */
export function recipeError(
  file: string,
  options: { code: Extract<ErrorCode, 'invalid-request' | 'profile-error'>; step: string; problems: RecipeProblem[]; hint: string },
  cause?: unknown,
): FieldbenchError {
  const issues = options.problems.map((problem) => ({
    path: problem.path || '(recipe)',
    message: problem.line === null ? problem.message : `${lineText(problem)}: ${problem.message}`,
  }));
  const listed = options.problems.map((problem) => {
    const at = problem.line === null ? '' : ` (${lineText(problem)})`;
    return `${problem.path || 'the file'}${at}: ${problem.message}`;
  });
  return new FieldbenchError(
    { code: options.code, message: `recipe ${file}: ${listed.join('; ')}`, step: options.step, hint: options.hint, issues },
    cause === undefined ? undefined : { cause },
  );
}

function lineText(problem: RecipeProblem): string {
  return problem.column === null ? `line ${problem.line}` : `line ${problem.line}, column ${problem.column}`;
}

/** One zod issue as problems: an issue naming several unknown keys becomes one problem per key, each at its own line. */
function issueProblems(issue: z.core.$ZodIssue, positionOf: ParsedRecipe['positionOf']): RecipeProblem[] {
  const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => located([...path, key], `unknown field '${key}'${knownFieldsHint(path)}`, positionOf));
  }
  if (issue.code === 'invalid_type' && path.length === 0) {
    return [located(path, `a recipe is a mapping of fields (format: ${RECIPE_FORMAT}, id, name, ...), not a ${describeValue(issue.input)}`, positionOf)];
  }
  if (issue.input === undefined) return [located(path, 'is required', positionOf)];
  if (issue.code === 'invalid_type' && issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean')) {
    return [located(path, `must be text; YAML read ${String(issue.input)} as a ${typeof issue.input}: put it in quotes`, positionOf)];
  }
  if (issue.code === 'invalid_value' && path.length === 1 && (path[0] === 'onPass' || path[0] === 'onFail')) {
    return [located(path, `must be one of ${RecipeAction.options.map((o) => `'${o}'`).join(', ')}`, positionOf)];
  }
  return [located(path, issue.message, positionOf)];
}

function describeValue(value: unknown): string {
  if (value === null) return 'empty file';
  return Array.isArray(value) ? 'list' : typeof value;
}

function knownFieldsHint(path: readonly (string | number)[]): string {
  const shape = path.reduce<z.ZodType | undefined>((schema, part) => {
    const inner = schema instanceof z.ZodOptional || schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema;
    return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[String(part)] : undefined;
  }, RecipeSchema);
  const object = shape instanceof z.ZodOptional || shape instanceof z.ZodDefault ? shape.unwrap() : shape;
  return object instanceof z.ZodObject ? ` (known fields: ${Object.keys(object.shape).join(', ')})` : '';
}

/**
 * The line and column of a field: its key for a mapping entry (so an unknown or misspelt key
 * points at itself), else the value; for a field that is missing, the key of the nearest
 * enclosing one, and none for a missing top-level field (line 1 would point at the wrong thing).
 */
function nodePosition(document: Document, lineCounter: LineCounter, path: RecipePath): { line: number; column: number } | null {
  const rangeOf = (node: unknown) => (node && typeof node === 'object' && 'range' in node ? (node.range as [number, number, number] | null | undefined) : undefined);
  if (path.length === 0) {
    const range = rangeOf(document.contents);
    return range ? position(lineCounter, range[0]) : null;
  }
  for (let depth = path.length; depth >= 1; depth--) {
    const parentPath = path.slice(0, depth - 1);
    const parent: unknown = parentPath.length === 0 ? document.contents : document.getIn(parentPath, true);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(path[depth - 1]));
      const range = isScalar(pair?.key) ? pair.key.range : undefined;
      if (range) return position(lineCounter, range[0]);
      continue;
    }
    const range = rangeOf(document.getIn(path.slice(0, depth), true));
    if (range) return position(lineCounter, range[0]);
  }
  return null;
}

function position(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
