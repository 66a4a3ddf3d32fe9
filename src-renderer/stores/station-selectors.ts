// How the bench station reads on screen: a tile per unit (its title, state in words, the
// verdict that must be readable from across the bench, what the operator can do to it), the
// counts band, the recipe's facts and a production record's rows. Kept out of components so
// the wording is tested under Node and the same everywhere.
import type {
  StationAction,
  StationCounts,
  StationOutcome,
  StationPrompt,
  StationRecipe,
  StationRun,
  StationState,
  StationUnit,
  StationUnitState,
} from '../../src-main/api/station-schemas';
import { stepStatusWords } from './procedure-words';

/** How a tile is coloured; the colour always comes with the state in words. */
export type TileTone = 'idle' | 'busy' | 'pass' | 'fail' | 'warn' | 'muted';

export interface TileView {
  deviceId: string;
  /** The serial number, or "serial unknown" until the unit has told it. */
  title: string;
  serialKnown: boolean;
  /** The port or device label, under the title. */
  label: string;
  state: StationUnitState;
  tone: TileTone;
  /** The state in words, for every state ("Flashing", "Queued (bus busy)", "PASS"). */
  stateText: string;
  /** PASS, FAIL, UNPLUGGED or ABORTED once the run ended; null while it goes on. */
  verdict: string | null;
  /** One line under the state: the step, the failure and its reason, the version now on the unit. */
  detail: string | null;
  /** 0..100 while flashing with a known progress; null otherwise. */
  progressPercent: number | null;
  present: boolean;
  prompt: StationPrompt | null;
  canStart: boolean;
  startText: 'Start' | 'Start again';
  canAbort: boolean;
  /** A unit already being flashed or tested is only aborted after the operator confirms. */
  abortNeedsConfirm: boolean;
}

const RUNNING_STATES: ReadonlySet<StationUnitState> = new Set<StationUnitState>(['flashing', 'testing', 'finishing']);
const FINISHED_STATES: ReadonlySet<StationUnitState> = new Set<StationUnitState>(['passed', 'failed', 'unplugged', 'aborted']);

export function isRunning(state: StationUnitState): boolean {
  return RUNNING_STATES.has(state);
}

export function isFinished(state: StationUnitState): boolean {
  return FINISHED_STATES.has(state);
}

/** Under way: queued for its bus or being worked on. Unload waits until none are. */
export function isUnderWay(state: StationUnitState): boolean {
  return state === 'queued' || isRunning(state);
}

export const unitStateText: Record<StationUnitState, string> = {
  waiting: 'Waiting',
  queued: 'Queued (bus busy)',
  flashing: 'Flashing',
  testing: 'Testing',
  finishing: 'Finishing',
  passed: 'PASS',
  failed: 'FAIL',
  unplugged: 'UNPLUGGED',
  aborted: 'ABORTED',
};

const toneOf: Record<StationUnitState, TileTone> = {
  waiting: 'idle',
  queued: 'idle',
  flashing: 'busy',
  testing: 'busy',
  finishing: 'busy',
  passed: 'pass',
  failed: 'fail',
  unplugged: 'warn',
  aborted: 'muted',
};

export const outcomeText: Record<StationOutcome, string> = {
  passed: 'Passed',
  failed: 'Failed',
  unplugged: 'Unplugged',
  aborted: 'Aborted',
};

/** The verdict word of a finished state; null while the unit waits or runs. */
export function verdictOf(state: StationUnitState): string | null {
  return isFinished(state) ? unitStateText[state] : null;
}

/** Whole percent of the upload while flashing; null when the unit is not flashing or the core has not said. */
export function progressPercent(unit: Pick<StationUnit, 'state' | 'progress'>): number | null {
  if (unit.state !== 'flashing' || unit.progress === null) return null;
  return Math.min(100, Math.max(0, Math.floor(unit.progress * 100)));
}

/** "self-test: sensor failed": where a run stopped and why, as far as the core said. */
export function failureText(step: string | null, reason: string | null): string | null {
  if (step && reason) return `${step}: ${reason}`;
  return reason ?? (step ? `stopped at ${step}` : null);
}

function detailOf(unit: StationUnit): string | null {
  switch (unit.state) {
    case 'waiting':
      return unit.note;
    case 'queued':
      return null;
    case 'flashing':
    case 'testing':
    case 'finishing':
      return unit.step;
    case 'passed':
      return unit.versionAfter ? `version ${unit.versionAfter}` : null;
    case 'failed':
    case 'aborted':
      return failureText(unit.failureStep, unit.reason);
    case 'unplugged':
      return unit.failureStep ? `at ${unit.failureStep}` : unit.reason;
  }
}

export function tileView(unit: StationUnit): TileView {
  const finished = isFinished(unit.state);
  return {
    deviceId: unit.deviceId,
    title: unit.serialNumber ?? 'serial unknown',
    serialKnown: unit.serialNumber !== null,
    label: unit.label,
    state: unit.state,
    tone: toneOf[unit.state],
    stateText: unitStateText[unit.state],
    verdict: verdictOf(unit.state),
    detail: detailOf(unit),
    progressPercent: progressPercent(unit),
    present: unit.present,
    prompt: unit.state === 'testing' ? unit.prompt : null,
    // A unit that left cannot be started again until it is back (it comes back as a new tile).
    canStart: unit.present && (unit.state === 'waiting' || finished),
    startText: finished ? 'Start again' : 'Start',
    canAbort: isUnderWay(unit.state),
    abortNeedsConfirm: isRunning(unit.state),
  };
}

/**
 * Whether a tile still asks "Abort mid-run?": only for the run the operator pressed Abort on
 * (known by when it started), so a question left open when that run ended never comes back
 * on the unit's next run.
 */
export function abortQuestionOpen(unit: Pick<StationUnit, 'state' | 'startedAt'>, askedFor: string | null): boolean {
  return isRunning(unit.state) && askedFor !== null && askedFor === runOf(unit);
}

/** The run a tile shows, as abortQuestionOpen names it. */
export function runOf(unit: Pick<StationUnit, 'startedAt'>): string {
  return unit.startedAt ?? '';
}

/** The operator step a prompt form answers; a new step gets an empty form. */
export function promptKey(prompt: Pick<StationPrompt, 'procedureRunId' | 'stepId'>): string {
  return `${prompt.procedureRunId}:${prompt.stepId}`;
}

export interface CountView {
  key: 'passed' | 'failed' | 'unplugged' | 'running' | 'waiting';
  label: string;
  value: number;
  tone: TileTone;
}

/**
 * The counts band. Verdicts are the session's runs as the core counts them (a unit run twice
 * counts twice); running and waiting are the tiles as they stand now, so they move with every
 * unit event rather than only when the whole state is fetched again.
 */
export function countsView(counts: StationCounts, units: readonly Pick<StationUnit, 'state'>[]): CountView[] {
  const running = units.filter((u) => isUnderWay(u.state)).length;
  const waiting = units.filter((u) => u.state === 'waiting').length;
  return [
    { key: 'passed', label: 'Passed', value: counts.passed, tone: 'pass' },
    { key: 'failed', label: 'Failed', value: counts.failed, tone: 'fail' },
    { key: 'unplugged', label: 'Unplugged', value: counts.unplugged, tone: 'warn' },
    { key: 'running', label: 'Running', value: running, tone: 'busy' },
    { key: 'waiting', label: 'Waiting', value: waiting, tone: 'idle' },
  ];
}

/** Whether the station may start units now: a recipe that needs an operator has one. */
export function operatorMissing(state: Pick<StationState, 'recipe' | 'operator'>): boolean {
  return state.recipe !== null && state.recipe.operatorRequired && !state.operator;
}

export function anyUnderWay(units: readonly Pick<StationUnit, 'state'>[]): boolean {
  return units.some((u) => isUnderWay(u.state));
}

/** The first 12 hex digits of a SHA-256, as git and most release notes shorten one. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}

export const actionText: Record<StationAction, string> = {
  confirm: 'confirm the new image',
  reset: 'reset',
  'leave-in-bootloader': 'leave in bootloader',
};

/** "serial 8 · USB 4 · BLE 1" at once per bus. */
export function parallelismText(parallelism: StationRecipe['parallelism']): string {
  return `serial ${parallelism.serial} · USB ${parallelism.usb} · BLE ${parallelism.ble}`;
}

/** "1.4.2 → 2.0.0", with "unknown" for a side the unit never told. */
export function versionChangeText(before: string | null, after: string | null): string {
  if (before === null && after === null) return '—';
  return `${before ?? 'unknown'} → ${after ?? 'unknown'}`;
}

export interface RunRow {
  id: string;
  startedAt: string;
  outcome: string;
  outcomeTone: TileTone;
  imageVersion: string;
  versions: string;
  reason: string;
  operator: string;
  station: string;
  /** "Pass · Self-test: sensor failed" lines, one per procedure step. */
  steps: { id: string; text: string }[];
}

const outcomeTone: Record<StationOutcome, TileTone> = { passed: 'pass', failed: 'fail', unplugged: 'warn', aborted: 'muted' };

export function runRow(run: StationRun): RunRow {
  return {
    id: run.id,
    startedAt: run.startedAt,
    outcome: run.outcome ? outcomeText[run.outcome] : 'Under way',
    outcomeTone: run.outcome ? outcomeTone[run.outcome] : 'busy',
    imageVersion: run.imageVersion ?? 'unknown',
    versions: versionChangeText(run.versionBefore, run.versionAfter),
    reason: failureText(run.failureStep, run.failureReason) ?? '',
    operator: run.operator ?? '—',
    station: run.station,
    steps: (run.procedure?.steps ?? []).map((step) => ({
      id: step.id,
      text: `${stepStatusWords[step.status]} · ${step.title}${step.reason ? `: ${step.reason}` : ''}`,
    })),
  };
}
