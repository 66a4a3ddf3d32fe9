// `fieldbench station`: the bench station from a terminal. It loads a recipe and runs it on
// every matching unit that is (or gets) connected, printing a line per unit event, until the
// asked number of units has finished or it is interrupted; `station runs`, `station export`
// and `station recipes` read the production record and the recipes on this machine.
import { resolve } from 'node:path';
import { FieldbenchError } from '../../api/errors';
import type { StationState, StationUnit } from '../../api/station-schemas';
import type { Core } from '../../core/core';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_FAILED, EXIT_OK, printFailure, printJson, type Io } from '../output';
import { writeNewFile } from '../read-files';
import { readAnswers } from './procedure';
import { OperatorAnswers } from './station-answers';
import { requireOperator, type StationAction, type StationRunOptions } from './station-args';
import {
  hasEnded,
  humanPromptLine,
  humanStationLines,
  humanSummary,
  humanUnitLine,
  promptLine,
  recipesTable,
  runsTable,
  stationLine,
  summaryLine,
  UnitChanges,
  unitLine,
} from './station-lines';

/** How long units still running at the end get to reach a safe point after their abort. */
const ABORT_WAIT_MS = 60_000;
/** How long virtual units get to be identified and shown as tiles before the station starts them (auto-start off). */
const TILES_WAIT_MS = 30_000;

export async function stationCommand(session: CoreSessionOptions, action: StationAction, json: boolean, signal: AbortSignal, input: NodeJS.ReadableStream | null): Promise<number> {
  const { io } = session;
  switch (action.action) {
    case 'run':
      return stationRunCommand(session, action, json, signal, input);
    case 'runs':
      return withCore({ ...session, noDevices: true }, async (core) => {
        const { action: _, ...filter } = action;
        const runs = await call(core, 'station.runs', filter);
        if (json) printJson(io, runs);
        else io.out(runsTable(runs));
        return EXIT_OK;
      });
    case 'export':
      return withCore({ ...session, noDevices: true }, async (core) => {
        const { action: _, out, ...request } = action;
        const exported = await call(core, 'station.export', request);
        await writeNewFile(out, Buffer.from(exported.contentBase64, 'base64'), 'write production log');
        if (json) printJson(io, { file: out, format: request.format, runs: exported.runs });
        else io.out(`Wrote ${exported.runs} run${exported.runs === 1 ? '' : 's'} to ${out} (${request.format === 'csv' ? 'CSV' : 'JSON lines'})`);
        return EXIT_OK;
      });
    case 'recipes':
      return withCore({ ...session, noDevices: true }, async (core) => {
        const recipes = await call(core, 'station.recipes', {});
        if (json) printJson(io, recipes);
        else io.out(recipesTable(recipes));
        return EXIT_OK;
      });
  }
}

/**
 * Runs the station; `input` is where operator answers the answers file lacks are read from
 * (standard input), null where there is none.
 */
export async function stationRunCommand(session: CoreSessionOptions, options: StationRunOptions, json: boolean, signal: AbortSignal, input: NodeJS.ReadableStream | null): Promise<number> {
  const answers = options.answersFile === null ? null : { path: options.answersFile, answers: await readAnswers(options.answersFile) };
  // Serial discovery keeps running (as for serve): units plugged in during the run get tiles.
  return withCore({ ...session, watch: true }, async (core) => new TerminalStation(core, session.io, json, options, answers, input).run(signal));
}

type StopReason = 'units' | 'interrupted';

/** One station run in a terminal: follows the tiles, prints their changes, stops when told. */
class TerminalStation {
  private readonly answers: OperatorAnswers;
  private readonly tiles = new Map<string, StationUnit>();
  /** Runs that ended (by run id, or by unit and start for one aborted before its record began): what the exit status and the summary are about. */
  private readonly ended = new Map<string, Pick<StationUnit, 'state' | 'runId'>>();
  private readonly changes = new UnitChanges();
  /** Tile changes are held until the station line is out, so it is always the first line. */
  private held: StationUnit[] | null = [];
  private stop: ((reason: StopReason) => void) | null = null;
  /** Why the station is stopping, once it is: nothing starts after that. */
  private stopReason: StopReason | null = null;
  private tileWaiters: (() => void)[] = [];

  constructor(
    private readonly core: Core,
    private readonly io: Io,
    private readonly json: boolean,
    private readonly options: StationRunOptions,
    answersFile: ConstructorParameters<typeof OperatorAnswers>[3],
    input: NodeJS.ReadableStream | null,
  ) {
    this.answers = new OperatorAnswers(core, io, json, answersFile, input, () => this.units());
  }

  units(): StationUnit[] {
    return [...this.tiles.values()];
  }

  async run(signal: AbortSignal): Promise<number> {
    const stopped = new Promise<StopReason>((resolveStop) => {
      this.stop = (reason) => {
        this.stopReason ??= reason;
        resolveStop(reason);
        this.wakeTileWaiters();
      };
    });
    const interrupt = () => this.stop?.('interrupted');
    signal.addEventListener('abort', interrupt, { once: true });
    const offs = [
      this.core.events.on('station.unit', (unit) => this.seen(unit)),
      // A tile that came or went is announced with the whole station.
      this.core.events.on('station.state', (state) => state.units.forEach((unit) => this.seen(unit))),
    ];
    try {
      const state = await this.setUp();
      const reason = signal.aborted ? 'interrupted' : await this.startUnits(state, stopped);
      return await this.finish(reason === 'interrupted' || signal.aborted ? 'interrupted from the terminal' : `the station stopped after ${this.options.units} units`);
    } finally {
      signal.removeEventListener('abort', interrupt);
      for (const off of offs) off();
      this.answers.close();
    }
  }

  /** Names the operator, loads the recipe, turns auto-start off where it is overridden, prints the station line. */
  private async setUp(): Promise<StationState> {
    // The operator first: a recipe with auto-start starts the units present as soon as it loads, and their records name who ran them.
    if (this.options.operator !== null) await call(this.core, 'station.setOperator', { operator: this.options.operator });
    let state = await call(this.core, 'station.load', { file: resolve(this.options.recipeFile) });
    const recipe = state.recipe!;
    requireOperator(recipe, this.options.recipeFile, this.options.operator);
    if (state.autoStart && !this.options.autoStart) state = await call(this.core, 'station.setAutoStart', { autoStart: false });
    if (this.json) printJson(this.io, stationLine(recipe, state.operator, state.station, state.autoStart));
    else this.io.out(humanStationLines(recipe, state.operator, state.station, state.autoStart).join('\n'));
    const held = this.held ?? [];
    this.held = null;
    // Events in the order they came; the snapshot only for tiles no event has told of (it may be older than the events).
    const told = new Set(held.map((unit) => unit.deviceId));
    for (const unit of [...held, ...state.units.filter((tile) => !told.has(tile.deviceId))]) this.seen(unit);
    return state;
  }

  /** Attaches the virtual units, starts what auto-start does not, and waits for the stop. */
  private async startUnits(state: StationState, stopped: Promise<StopReason>): Promise<StopReason> {
    const { virtual } = this.options;
    const attached = virtual ? await call(this.core, 'devices.attachVirtualMany', { model: virtual.model, units: virtual.units }) : [];
    if (!state.autoStart) {
      await this.core.ready();
      await this.tilesFor(attached.map((device) => device.id));
      // Interrupted while the tiles came: the units stay as they are, none is started to be aborted at once.
      if (this.stopReason !== null) return this.stopReason;
      await call(this.core, 'station.start', {});
    }
    this.checkCount();
    return stopped;
  }

  /** Resolves once every one of these devices has a tile, or after TILES_WAIT_MS (those missing are then not started, and say why). */
  private async tilesFor(deviceIds: string[]): Promise<void> {
    const missing = () => deviceIds.filter((id) => !this.tiles.has(id));
    await this.tilesUntil(() => this.stopReason !== null || missing().length === 0, TILES_WAIT_MS);
    const left = missing();
    if (left.length === 0 || this.stopReason !== null) return;
    const error = new FieldbenchError({
      code: 'timeout',
      message: `${left.length} virtual unit${left.length === 1 ? '' : 's'} did not show as a station tile within ${TILES_WAIT_MS / 1000} s and ${left.length === 1 ? 'was' : 'were'} not started`,
      device: left.join(', '),
      step: 'start units',
      hint: 'Run fieldbench devices with --verbose to see how the virtual units identify; the others run on.',
    });
    printFailure(this.io, error, this.json);
  }

  /** Resolves when the tiles satisfy the condition (checked at each change), or once the deadline passes. */
  private async tilesUntil(condition: () => boolean, deadlineMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolveWait) => {
        timer = setTimeout(resolveWait, deadlineMs);
        const check = () => {
          if (condition()) resolveWait();
          else this.tileWaiters.push(check);
        };
        check();
      });
    } finally {
      clearTimeout(timer);
      this.tileWaiters = [];
    }
  }

  private seen(unit: StationUnit): void {
    if (this.held !== null) {
      this.held.push(unit);
      return;
    }
    this.tiles.set(unit.deviceId, unit);
    this.wakeTileWaiters();
    const now = new Date();
    if (this.changes.isNew(unit)) {
      if (this.json) printJson(this.io, unitLine(unit));
      else this.io.out(humanUnitLine(unit, now));
    }
    const prompt = this.answers.unitChanged(unit);
    if (prompt !== null) {
      if (this.json) printJson(this.io, promptLine(unit, prompt));
      else this.io.out(humanPromptLine(unit, prompt, now));
    }
    const key = unit.runId ?? `${unit.deviceId}@${unit.startedAt ?? ''}`;
    if (hasEnded(unit) && unit.startedAt !== null && !this.ended.has(key)) {
      this.ended.set(key, { state: unit.state, runId: unit.runId });
      this.checkCount();
    }
  }

  private wakeTileWaiters(): void {
    const waiters = this.tileWaiters;
    this.tileWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private checkCount(): void {
    if (this.options.units !== null && this.ended.size >= this.options.units) this.stop?.('units');
  }

  /** No new unit starts; those still running are aborted and get a bounded time to end; then the summary. */
  private async finish(reason: string): Promise<number> {
    await call(this.core, 'station.setAutoStart', { autoStart: false }).catch((error: unknown) => printFailure(this.io, error, this.json));
    const running = this.units().filter((unit) => unit.state !== 'waiting' && !hasEnded(unit));
    for (const unit of running) {
      await call(this.core, 'station.abort', { deviceId: unit.deviceId, reason }).catch((error: unknown) => {
        // A unit that ended while the others were aborted has nothing to abort.
        const now = this.tiles.get(unit.deviceId);
        if (now !== undefined && !hasEnded(now)) printFailure(this.io, error, this.json);
      });
    }
    await this.allEnded(running.map((unit) => unit.deviceId));
    const state = await call(this.core, 'station.state', {});
    // The last word on each tile, in case an event of the end was still on its way.
    for (const unit of state.units) this.seen(unit);
    const runs = [...this.ended.values()].flatMap((run) => (run.runId === null ? [] : [run.runId]));
    if (this.json) printJson(this.io, summaryLine(state.counts, runs));
    else this.io.out(`\n${humanSummary(state.units, state.counts)}`);
    const allPassed = [...this.ended.values()].every((run) => run.state === 'passed');
    return allPassed ? EXIT_OK : EXIT_FAILED;
  }

  private async allEnded(deviceIds: string[]): Promise<void> {
    const stillRunning = () =>
      deviceIds.filter((id) => {
        const unit = this.tiles.get(id);
        return unit !== undefined && unit.state !== 'waiting' && !hasEnded(unit);
      });
    await this.tilesUntil(() => stillRunning().length === 0, ABORT_WAIT_MS);
    const left = stillRunning();
    if (left.length > 0) {
      const names = left.map((id) => this.tiles.get(id)?.label ?? id).join(', ');
      const error = new FieldbenchError({
        code: 'timeout',
        message: `did not stop within ${ABORT_WAIT_MS / 1000} s of the abort`,
        device: names,
        step: 'stop station',
        hint: `The station closes ${left.length === 1 ? 'its run' : 'their runs'} in the record as aborted; check ${left.length === 1 ? 'the unit' : 'those units'} before using ${left.length === 1 ? 'it' : 'them'}.`,
      });
      printFailure(this.io, error, this.json);
    }
  }
}
