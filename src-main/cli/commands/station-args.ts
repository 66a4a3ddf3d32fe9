// The words and flags of `fieldbench station` read into one action, refusing what does not fit
// before any core, port or virtual board is opened.
import { StationExportFormat, type StationRecipe } from '../../api/station-schemas';
import { IsoTime, VirtualFaults, VirtualModel } from '../../api/schemas';
import { UsageError } from '../output';

/** Most virtual units one request attaches (devices.attachVirtualMany's limit). */
export const MAX_VIRTUAL_UNITS = 16;
/** Most units a run waits for with --units: a long shift, not a typo of ten digits. */
export const MAX_UNITS = 100_000;

export interface VirtualTray {
  model: VirtualModel;
  /** One entry per unit, in the order they are attached (unit 1 first). */
  units: { faults?: VirtualFaults }[];
}

export interface StationRunOptions {
  /** As given; resolved against the working directory when loaded. */
  recipeFile: string;
  operator: string | null;
  virtual: VirtualTray | null;
  /** Stop after this many finished units; null: run until interrupted. */
  units: number | null;
  answersFile: string | null;
  /** False: the recipe's auto-start is overridden off and every unit present is started once. */
  autoStart: boolean;
}

export interface StationRunFilterOptions {
  from?: string;
  to?: string;
  recipeId?: string;
}

export type StationAction =
  | ({ action: 'run' } & StationRunOptions)
  | ({ action: 'runs'; serialNumber?: string; limit: number } & StationRunFilterOptions)
  | ({ action: 'export'; format: StationExportFormat; out: string } & StationRunFilterOptions)
  | { action: 'recipes' };

/** The flags of main's table that station reads; numbers already checked as whole numbers in range. */
export interface StationFlags {
  recipe?: string;
  operator?: string;
  virtual?: boolean;
  /** The N of --virtual N (see stationWords). */
  virtualCount?: number;
  'virtual-model'?: string;
  fault?: string[];
  units?: number;
  answers?: string;
  'no-auto-start'?: boolean;
  serial?: string;
  from?: string;
  to?: string;
  limit?: number;
  format?: string;
  out?: string;
}

/** The parts of node:util parseArgs's tokens that say where a flag's value came from. */
export type ArgToken = { kind: 'positional'; index: number; value: string } | { kind: 'option'; index: number; name: string } | { kind: 'option-terminator'; index: number };

export const STATION_USAGE =
  'station --recipe FILE [--operator NAME] [--virtual N] ... | station runs [--serial SN] [--from ISO] [--to ISO] [--recipe ID] [--limit N] | station export --format csv|jsonl --out FILE | station recipes';

const FLAGS_OF: Record<StationAction['action'], readonly (keyof StationFlags)[]> = {
  run: ['recipe', 'operator', 'virtual', 'virtualCount', 'virtual-model', 'fault', 'units', 'answers', 'no-auto-start'],
  runs: ['serial', 'from', 'to', 'recipe', 'limit'],
  export: ['format', 'out', 'from', 'to', 'recipe'],
  recipes: [],
};

const STATION_FLAGS = [...new Set(Object.values(FLAGS_OF).flat())];

/**
 * `--virtual` is a plain switch for the other commands (procedure, log), so parseArgs leaves
 * station's count as the positional right after it: this takes it back out of the words.
 */
export function stationWords(tokens: readonly ArgToken[]): { words: string[]; virtualCount: string | null } {
  const positionals = tokens.filter((token): token is Extract<ArgToken, { kind: 'positional' }> => token.kind === 'positional');
  const command = positionals[0];
  let counted: ArgToken | null = null;
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (token.kind === 'option' && token.name === 'virtual' && next?.kind === 'positional' && next !== command) counted ??= next;
  });
  const count = counted as Extract<ArgToken, { kind: 'positional' }> | null;
  return { words: positionals.filter((token) => token !== command && token !== count).map((token) => token.value), virtualCount: count?.value ?? null };
}

export function stationActionOf(words: readonly string[], flags: StationFlags): StationAction {
  const [verb, ...extra] = words;
  const action: StationAction['action'] = verb === undefined ? 'run' : verb === 'runs' || verb === 'export' || verb === 'recipes' ? verb : unknownVerb(verb);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' for station ${verb}`);
  const misplaced = STATION_FLAGS.find((name) => flags[name] !== undefined && flags[name] !== false && !FLAGS_OF[action].includes(name));
  if (misplaced) throw new UsageError(`--${misplaced === 'virtualCount' ? 'virtual' : misplaced} is not an option of station${action === 'run' ? '' : ` ${action}`}: ${STATION_USAGE}`);
  switch (action) {
    case 'run':
      return runAction(flags);
    case 'runs':
      return {
        action,
        ...filterOf(flags),
        ...(flags.serial !== undefined ? { serialNumber: text('serial', flags.serial) } : {}),
        limit: flags.limit ?? 200,
      };
    case 'export': {
      const format = StationExportFormat.safeParse(flags.format);
      if (!format.success) throw new UsageError(`station export needs --format csv or --format jsonl${flags.format === undefined ? '' : `, not '${flags.format}'`}`);
      if (!flags.out?.trim()) throw new UsageError('station export needs --out FILE, the production log to write (never over an existing file)');
      return { action, format: format.data, out: flags.out, ...filterOf(flags) };
    }
    case 'recipes':
      return { action };
  }
}

function unknownVerb(verb: string): never {
  throw new UsageError(`unknown station action '${verb}': ${STATION_USAGE}`);
}

function runAction(flags: StationFlags): StationAction {
  if (!flags.recipe?.trim()) throw new UsageError(`station needs --recipe FILE (the recipe to run; station recipes lists those found): ${STATION_USAGE}`);
  if (flags.virtual && flags.virtualCount === undefined) throw new UsageError('--virtual takes the number of virtual units to attach, such as --virtual 3');
  const count = flags.virtualCount ?? null;
  if (count === null && flags['virtual-model'] !== undefined) throw new UsageError('--virtual-model says which virtual units --virtual N attaches: give --virtual N too');
  if (count === null && flags.fault !== undefined) throw new UsageError('--fault sets a knob of a virtual unit: give --virtual N too');
  let virtual: VirtualTray | null = null;
  if (count !== null) {
    const model = VirtualModel.safeParse(flags['virtual-model'] ?? 'sensor-node');
    if (!model.success) throw new UsageError(`--virtual-model takes ${VirtualModel.options.join(', ')}, not '${flags['virtual-model']}'`);
    virtual = { model: model.data, units: unitFaults(count, flags.fault ?? []) };
  }
  const units = flags.units ?? count;
  return {
    action: 'run',
    recipeFile: flags.recipe,
    operator: flags.operator === undefined ? null : text('operator', flags.operator),
    virtual,
    units,
    answersFile: flags.answers ?? null,
    autoStart: !flags['no-auto-start'],
  };
}

const FAULT = /^(\d+):([A-Za-z]+)=(.*)$/s;

/**
 * Each `--fault I:KNOB=VALUE` sets one knob of unit I (1-based). VALUE is read as JSON when it
 * is JSON (3.1, true, {"status":"errWRITE"}), as text otherwise (sensor), so the common knobs
 * need no quoting in a shell.
 */
export function unitFaults(count: number, faults: readonly string[]): { faults?: VirtualFaults }[] {
  const knobs: Record<string, unknown>[] = Array.from({ length: count }, () => ({}));
  for (const fault of faults) {
    const match = FAULT.exec(fault);
    if (!match?.[1] || !match[2] || match[3] === undefined) throw new UsageError(`--fault takes UNIT:KNOB=VALUE, such as 2:failingSelftestPart=sensor, not '${fault}'`);
    const unit = Number(match[1]);
    if (unit < 1 || unit > count) throw new UsageError(`--fault ${fault}: there ${count === 1 ? 'is 1 virtual unit' : `are ${count} virtual units`} (--virtual ${count}), numbered from 1`);
    knobs[unit - 1]![match[2]] = jsonOrText(match[3]);
  }
  return knobs.map((set, index) => {
    if (Object.keys(set).length === 0) return {};
    const parsed = VirtualFaults.safeParse(set);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'knob'}: ${issue.message}`).join('; ');
      throw new UsageError(`--fault for unit ${index + 1} has a bad knob: ${problems}`);
    }
    return { faults: parsed.data };
  });
}

function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function filterOf(flags: StationFlags): StationRunFilterOptions {
  return {
    ...(flags.from !== undefined ? { from: isoTime('from', flags.from) } : {}),
    ...(flags.to !== undefined ? { to: isoTime('to', flags.to) } : {}),
    ...(flags.recipe !== undefined ? { recipeId: text('recipe', flags.recipe) } : {}),
  };
}

function isoTime(name: string, value: string): string {
  // A date alone is the start of that day in UTC, which is what a person filtering by day means.
  const full = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value;
  if (!IsoTime.safeParse(full).success || Number.isNaN(Date.parse(full))) {
    throw new UsageError(`--${name} takes an ISO 8601 date or time, such as 2026-11-27 or 2026-11-27T14:00:00Z, not '${value}'`);
  }
  return full;
}

function text(name: string, value: string): string {
  if (!value.trim()) throw new UsageError(`--${name} must not be empty`);
  return value.trim();
}

/** A recipe that wants every record to name a person is refused without --operator, before any unit starts. */
export function requireOperator(recipe: Pick<StationRecipe, 'id' | 'operatorRequired'>, recipeFile: string, operator: string | null): void {
  if (recipe.operatorRequired && operator === null) {
    throw new UsageError(`the recipe ${recipe.id} (${recipeFile}) requires an operator, so every record names who ran it: give --operator NAME`);
  }
}
