// What `fieldbench station` prints: one line per unit event, as JSON for scripts or as a line a
// bench technician reads at a glance (verdicts in capitals), and the tables at the end.
import type { StationCounts, StationPrompt, StationRecipe, StationRecipeFile, StationRun, StationUnit } from '../../api/station-schemas';
import { clockTime } from '../../core/clock-time';
import { table } from '../output';

export type StationLine =
  | ({ event: 'station' } & StationRecipe & { operator: string | null; station: string; autoStart: boolean })
  | ({ event: 'unit' } & StationUnit)
  | ({ event: 'prompt'; deviceId: string; serialNumber: string | null } & StationPrompt)
  | { event: 'summary'; counts: StationCounts; runs: string[] };

export function stationLine(recipe: StationRecipe, operator: string | null, station: string, autoStart: boolean): StationLine {
  return { event: 'station', ...recipe, operator, station, autoStart };
}

export function unitLine(unit: StationUnit): StationLine {
  return { event: 'unit', ...unit };
}

export function promptLine(unit: StationUnit, prompt: StationPrompt): StationLine {
  return { event: 'prompt', deviceId: unit.deviceId, serialNumber: unit.serialNumber, ...prompt };
}

export function summaryLine(counts: StationCounts, runs: string[]): StationLine {
  return { event: 'summary', counts, runs };
}

const ENDED = new Set<StationUnit['state']>(['passed', 'failed', 'unplugged', 'aborted']);

export function hasEnded(unit: Pick<StationUnit, 'state'>): boolean {
  return ENDED.has(unit.state);
}

/**
 * Decides which tile changes are worth a line: a new state, step, serial number or presence,
 * and upload progress once per tenth (a run id arriving is carried by the next such line). Progress comes a few times a second per unit,
 * and eight units of it would bury the verdicts.
 */
export class UnitChanges {
  private readonly last = new Map<string, string>();

  isNew(unit: StationUnit): boolean {
    const tenth = unit.progress === null ? '' : String(Math.floor(unit.progress * 10));
    const key = [unit.state, unit.step ?? '', unit.serialNumber ?? '', String(unit.present), tenth].join('\u0000');
    if (this.last.get(unit.deviceId) === key) return false;
    this.last.set(unit.deviceId, key);
    return true;
  }
}

/** "/dev/ttyACM0 SN-0042", or the label alone when it names the serial number already or the unit has not told it. */
export function unitName(unit: Pick<StationUnit, 'label' | 'serialNumber'>): string {
  return unit.serialNumber === null || unit.label.includes(unit.serialNumber) ? unit.label : `${unit.label} ${unit.serialNumber}`;
}

/** The verdict as the bench reads it: PASS, FAIL, UNPLUGGED or ABORTED. */
export function verdict(unit: Pick<StationUnit, 'state'>): string | null {
  if (!hasEnded(unit)) return null;
  return unit.state === 'passed' ? 'PASS' : unit.state === 'failed' ? 'FAIL' : unit.state.toUpperCase();
}

/** Why a unit did not pass, and the step it stopped at: "3.1 V is below the minimum 3.3 V [test: Battery voltage]". */
export function whyNot(unit: Pick<StationUnit, 'reason' | 'failureStep'>): string {
  return [unit.reason, unit.failureStep === null ? null : `[${unit.failureStep}]`].filter((part) => part !== null).join(' ');
}

/** "PASS", or "FAIL: why" (UNPLUGGED, ABORTED likewise); null while the run goes on. */
function verdictLine(unit: Pick<StationUnit, 'state' | 'reason' | 'failureStep'>): string | null {
  const word = verdict(unit);
  if (word === null || unit.state === 'passed') return word;
  const why = whyNot(unit);
  return why ? `${word}: ${why}` : word;
}

/** "14:03:07.250  sensor-node-1 SN-0042  flashing  upload 40%", or the verdict when it ended. */
export function humanUnitLine(unit: StationUnit, at: Date): string {
  const ended = verdictLine(unit);
  const progress = unit.progress === null ? null : `${Math.floor(unit.progress * 100)}%`;
  const doing = ended ?? [unit.state, unit.step, progress, unit.note === null ? null : `(${unit.note})`].filter((part) => part !== null).join('  ');
  return `${clockTime(at)}  ${unitName(unit)}  ${doing}${unit.present ? '' : '  [unplugged]'}`;
}

export function humanPromptLine(unit: StationUnit, prompt: StationPrompt, at: Date): string {
  const limit = prompt.limit === null ? '' : ` (limit ${prompt.limit})`;
  return `${clockTime(at)}  ${unitName(unit)}  waits for the operator: ${prompt.title}${limit}${prompt.instructions ? ` — ${prompt.instructions}` : ''}`;
}

export function humanStationLines(recipe: StationRecipe, operator: string | null, station: string, autoStart: boolean): string[] {
  const procedure = recipe.procedure === null ? 'no test procedure' : `test ${recipe.procedure.name} (${recipe.procedure.id})`;
  return [
    `Station ${station}: ${recipe.name} (${recipe.id} ${recipe.revision}) for ${recipe.profileName}`,
    `  image ${recipe.image.fileName}${recipe.image.version ? ` ${recipe.image.version}` : ''}, SHA-256 ${recipe.image.sha256}; ${procedure}; on pass ${recipe.onPass}, on fail ${recipe.onFail}`,
    `  operator ${operator ?? 'not set'}; auto-start ${autoStart ? 'on' : 'off'}`,
    ...recipe.warnings.map((warning) => `  warning: ${warning}`),
  ];
}

/** The run's units, one row each, and the counts: what the technician sorts the tray by. */
export function humanSummary(units: readonly StationUnit[], counts: StationCounts): string {
  const rows = units
    .filter((unit) => unit.runId !== null)
    .map((unit) => [unit.label, unit.serialNumber ?? '—', verdict(unit) ?? unit.state, versions(unit.versionBefore, unit.versionAfter), unit.runId ?? '', unit.state === 'passed' ? '' : whyNot(unit)]);
  const tally = (['passed', 'failed', 'unplugged', 'aborted', 'running'] as const).filter((key) => counts[key] > 0).map((key) => `${counts[key]} ${key}`);
  const total = counts.passed + counts.failed + counts.unplugged + counts.aborted;
  const head = `${total} unit${total === 1 ? '' : 's'} finished${tally.length > 0 ? `: ${tally.join(', ')}` : ''}`;
  if (rows.length === 0) return head;
  return `${table([['UNIT', 'SERIAL', 'OUTCOME', 'FIRMWARE', 'RUN', 'REASON'], ...rows])}\n${head}`;
}

function versions(before: string | null, after: string | null): string {
  return `${before ?? '?'} → ${after ?? '?'}`;
}

export function runsTable(runs: readonly StationRun[]): string {
  if (runs.length === 0) return 'No station runs match.';
  return table([
    ['STARTED', 'SERIAL', 'RECIPE', 'REV', 'IMAGE', 'FIRMWARE', 'OUTCOME', 'REASON'],
    ...runs.map((run) => [
      run.startedAt.slice(0, 19).replace('T', ' '),
      run.serialNumber ?? '—',
      run.recipeId,
      run.recipeRevision,
      run.imageVersion ?? run.imageSha256.slice(0, 12),
      versions(run.versionBefore, run.versionAfter),
      run.outcome ?? 'running',
      run.failureReason ?? '',
    ]),
  ]);
}

export function recipesTable(recipes: readonly StationRecipeFile[]): string {
  if (recipes.length === 0) return 'No recipes found: put recipe files in the data folder\'s recipes/ folder, or give station --recipe FILE.';
  return table([
    ['SOURCE', 'ID', 'REV', 'PROFILE', 'NAME', 'FILE'],
    ...recipes.map((recipe) => [recipe.source, recipe.id ?? '?', recipe.revision ?? '?', recipe.profileId ?? '?', recipe.problem === null ? (recipe.name ?? '') : `CANNOT LOAD: ${recipe.problem}`, recipe.file]),
  ]);
}
