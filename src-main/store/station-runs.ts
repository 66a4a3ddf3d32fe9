// The bench station's production record: one row per unit a recipe ran on, written when the
// run starts and completed as it goes, each write one transaction. A unit's history is found
// by its serial number; a production log is exported as CSV or JSON lines, page by page, so
// a long record never sits in memory whole nor holds the store while it is written out.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { FieldbenchError } from '../api/errors';
import type { Transport } from '../api/schemas';
import { StationRun, type StationOutcome, type StationProcedureResult } from '../api/station-schemas';
import { guarded, timestampOf } from './case-rows';
import type { Database } from './database';

// The shapes are the contract's: the record is what station.runs and the exports show.
export { StationOutcome, StationProcedureResult, StationRun } from '../api/station-schemas';

export interface StartStationRunInput {
  recipe: { id: string; revision: string; sha256: string };
  profileId: string;
  station: string;
  operator: string | null;
  device: { label: string; transport: Transport; serialNumber: string | null };
  image: { sha256: string; version: string | null };
  versionBefore: string | null;
  procedureId: string | null;
}

/** What becomes known while a run goes on; fields left out keep their value. */
export interface StationRunProgress {
  serialNumber?: string | null;
  versionBefore?: string | null;
  versionAfter?: string | null;
  procedure?: StationProcedureResult | null;
}

export interface StationRunEnd extends StationRunProgress {
  outcome: StationOutcome;
  /** For every outcome but passed: where it stopped and why, in words the operator reads. */
  failureStep?: string | null;
  failureReason?: string | null;
}

export interface StationRunFilter {
  /** Runs started at or after this instant (ISO 8601). */
  from?: string | undefined;
  /** Runs started before this instant (ISO 8601). */
  to?: string | undefined;
  recipeId?: string | undefined;
}

export interface StationRunsOptions {
  now?: () => Date;
  /** Who writes the runs started here; the default is this host and process. */
  owner?: { host: string; pid: number };
  /** Whether a process of this host still runs; the default asks the operating system. */
  isAlive?: (pid: number) => boolean;
}

/** The reason a run left unfinished by a station that stopped is closed with. */
export const INTERRUPTED_REASON = 'Fieldbench stopped during the run';

/** Rows read per query when exporting: enough to be quick, few enough to keep memory flat. */
const EXPORT_PAGE = 500;

/** The CSV columns, in order: the header names and how each cell is taken from a run. */
const CSV_COLUMNS: readonly [string, (run: StationRun) => string | null][] = [
  ['run_id', (r) => r.id],
  ['started_at', (r) => r.startedAt],
  ['ended_at', (r) => r.endedAt],
  ['outcome', (r) => r.outcome],
  ['serial_number', (r) => r.serialNumber],
  ['recipe_id', (r) => r.recipeId],
  ['recipe_revision', (r) => r.recipeRevision],
  ['recipe_sha256', (r) => r.recipeSha256],
  ['profile_id', (r) => r.profileId],
  ['image_sha256', (r) => r.imageSha256],
  ['image_version', (r) => r.imageVersion],
  ['version_before', (r) => r.versionBefore],
  ['version_after', (r) => r.versionAfter],
  ['procedure_id', (r) => r.procedureId],
  ['procedure_steps', (r) => (r.procedure ? r.procedure.steps.map((s) => `${s.id}: ${s.status}`).join('; ') : null)],
  ['failure_step', (r) => r.failureStep],
  ['failure_reason', (r) => r.failureReason],
  ['station', (r) => r.station],
  ['operator', (r) => r.operator],
  ['device_label', (r) => r.deviceLabel],
  ['transport', (r) => r.transport],
];

interface RangeBounds {
  from: string | null;
  to: string | null;
  recipeId: string | null;
}

interface RunRow {
  seq: number;
  id: string;
  recipe_id: string;
  recipe_revision: string;
  recipe_sha256: string;
  profile_id: string;
  station: string;
  operator: string | null;
  device_label: string;
  transport: string;
  serial_number: string | null;
  image_sha256: string;
  image_version: string | null;
  version_before: string | null;
  version_after: string | null;
  procedure_id: string | null;
  procedure_result_json: string | null;
  outcome: string | null;
  failure_step: string | null;
  failure_reason: string | null;
  started_at: string;
  ended_at: string | null;
}

export class StationRuns {
  private readonly now: () => Date;
  private readonly owner: { host: string; pid: number };
  private readonly isAlive: (pid: number) => boolean;
  private readonly file: string;
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database,
    options: StationRunsOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.owner = options.owner ?? { host: hostname(), pid: process.pid };
    this.isAlive = options.isAlive ?? processIsAlive;
    this.file = db.name;
    this.statements = prepare(db);
  }

  /** Writes the run as started, before anything touches the unit. */
  start(input: StartStationRunInput): StationRun {
    const id = randomUUID();
    return this.guard('record station run', id, () =>
      this.db
        .transaction(() => {
          this.statements.insert.run({
            id,
            recipeId: input.recipe.id,
            recipeRevision: input.recipe.revision,
            recipeSha256: input.recipe.sha256,
            profileId: input.profileId,
            station: input.station,
            ownerHost: this.owner.host,
            ownerPid: this.owner.pid,
            operator: input.operator,
            deviceLabel: input.device.label,
            transport: input.device.transport,
            serialNumber: input.device.serialNumber,
            imageSha256: input.image.sha256,
            imageVersion: input.image.version,
            versionBefore: input.versionBefore,
            procedureId: input.procedureId,
            startedAt: this.timestamp(),
          });
          return this.read(id);
        })
        .immediate(),
    );
  }

  /** Records what was learnt while the run goes on (the serial number, versions, procedure steps). */
  progress(runId: string, progress: StationRunProgress): StationRun {
    return this.guard('record station run progress', runId, () =>
      this.db
        .transaction(() => {
          const run = this.unfinished(runId, 'record station run progress');
          this.statements.update.run(this.updateParams(run, progress, null));
          return this.read(runId);
        })
        .immediate(),
    );
  }

  /** Ends the run with its outcome; a run that already ended is a conflict, never overwritten. */
  finish(runId: string, end: StationRunEnd): StationRun {
    const step = 'end station run';
    if (end.outcome === 'passed' && (end.failureStep || end.failureReason)) {
      throw new FieldbenchError({ code: 'invalid-request', message: `station run ${runId}: a passed run has no failure step or reason`, step, hint: 'End it as failed, or leave the failure out.' });
    }
    if (end.outcome !== 'passed' && !end.failureReason) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `station run ${runId}: a run that ended ${end.outcome} needs the reason`,
        step,
        hint: 'Say why the unit did not pass, so the record can be acted on.',
      });
    }
    return this.guard(step, runId, () =>
      this.db
        .transaction(() => {
          const run = this.unfinished(runId, step);
          this.statements.update.run(this.updateParams(run, end, end));
          return this.read(runId);
        })
        .immediate(),
    );
  }

  get(runId: string): StationRun {
    return this.guard('read station run', runId, () => this.read(runId));
  }

  /** A unit's history, newest first. */
  history(serialNumber: string, limit = 100): StationRun[] {
    return this.guard('read unit history', undefined, () =>
      this.statements.bySerial.all({ serial: serialNumber, limit }).map((row) => this.fromRow(row)),
    );
  }

  /** Runs in the order they were recorded, within a time range and of one recipe as the filter says. */
  list(filter: StationRunFilter = {}, limit = 1000): StationRun[] {
    const bounds = this.bounds(filter);
    return this.guard('list station runs', undefined, () =>
      this.statements.range.all({ ...bounds, after: 0, limit }).map((row) => this.fromRow(row)),
    );
  }

  /** The last `limit` runs of a time range and recipe, newest first: what a look at the record wants. */
  newest(filter: StationRunFilter = {}, limit = 200): StationRun[] {
    const bounds = this.bounds(filter);
    return this.guard('list station runs', undefined, () => this.statements.newest.all({ ...bounds, limit }).map((row) => this.fromRow(row)));
  }

  /**
   * Ends the runs whose station stopped (its process is gone, or it ran on another host) as
   * aborted; a run another live process on this host is still on is left to it. Returns the
   * runs closed.
   */
  closeInterrupted(): StationRun[] {
    return this.guard('close interrupted station runs', undefined, () =>
      this.db
        .transaction(() => {
          const closed: string[] = [];
          const at = this.timestamp();
          for (const row of this.statements.unfinished.all()) {
            if (row.owner_host === this.owner.host && (row.owner_pid === this.owner.pid || this.isAlive(row.owner_pid))) continue;
            this.statements.abort.run({ id: row.id, endedAt: at, reason: INTERRUPTED_REASON });
            closed.push(row.id);
          }
          return closed.map((id) => this.read(id));
        })
        .immediate(),
    );
  }

  /**
   * The production log as CSV (RFC 4180: CRLF line ends, quotes where needed), a header
   * first, one line per run in the order they were recorded; each string is one line. The
   * filter is checked at the call, so a bad one fails before anything is written.
   */
  exportCsv(filter: StationRunFilter = {}): Iterable<string> {
    const runs = this.exportRuns(this.bounds(filter));
    return (function* () {
      yield csvLine(CSV_COLUMNS.map(([name]) => name));
      for (const run of runs) yield csvLine(CSV_COLUMNS.map(([, cell]) => cell(run)));
    })();
  }

  /** The production log as JSON lines: one run per line, the whole record including procedure steps. */
  exportJsonLines(filter: StationRunFilter = {}): Iterable<string> {
    const runs = this.exportRuns(this.bounds(filter));
    return (function* () {
      for (const run of runs) yield `${JSON.stringify(run)}\n`;
    })();
  }

  // ------------------------------------------------------------------ internals

  /** Page by page, each page its own query: no statement stays open while the caller writes. */
  private *exportRuns(bounds: RangeBounds): Generator<StationRun> {
    let after = 0;
    for (;;) {
      const rows = this.guard('export station runs', undefined, () => this.statements.range.all({ ...bounds, after, limit: EXPORT_PAGE }));
      for (const row of rows) yield this.fromRow(row);
      if (rows.length < EXPORT_PAGE) return;
      after = rows.at(-1)!.seq;
    }
  }

  private bounds(filter: StationRunFilter): RangeBounds {
    return { from: instant(filter.from, 'from'), to: instant(filter.to, 'to'), recipeId: filter.recipeId ?? null };
  }

  private unfinished(runId: string, step: string): RunRow {
    const row = this.statements.get.get(runId);
    if (row === undefined) throw notFound(runId);
    if (row.ended_at !== null) {
      throw new FieldbenchError({
        code: 'conflict',
        message: `station run ${runId} already ended (${row.outcome ?? 'no outcome'}, at ${row.ended_at})`,
        device: row.device_label,
        step,
        hint: 'Its record is final; start a new run to try the unit again.',
      });
    }
    return row;
  }

  private updateParams(run: RunRow, progress: StationRunProgress, end: StationRunEnd | null) {
    const keep = <T>(given: T | undefined, stored: T): T => (given === undefined ? stored : given);
    return {
      id: run.id,
      serialNumber: keep(progress.serialNumber, run.serial_number),
      versionBefore: keep(progress.versionBefore, run.version_before),
      versionAfter: keep(progress.versionAfter, run.version_after),
      procedureResultJson: progress.procedure === undefined ? run.procedure_result_json : progress.procedure === null ? null : JSON.stringify(progress.procedure),
      outcome: end?.outcome ?? null,
      failureStep: end?.failureStep ?? null,
      failureReason: end?.failureReason ?? null,
      endedAt: end ? this.timestamp() : null,
    };
  }

  private read(runId: string): StationRun {
    const row = this.statements.get.get(runId);
    if (row === undefined) throw notFound(runId);
    return this.fromRow(row);
  }

  private fromRow(row: RunRow): StationRun {
    let procedure: unknown = null;
    if (row.procedure_result_json !== null) {
      try {
        procedure = JSON.parse(row.procedure_result_json);
      } catch {
        throw this.damaged(row.id, 'its procedure result is not valid JSON');
      }
    }
    const parsed = StationRun.safeParse({
      id: row.id,
      recipeId: row.recipe_id,
      recipeRevision: row.recipe_revision,
      recipeSha256: row.recipe_sha256,
      profileId: row.profile_id,
      station: row.station,
      operator: row.operator,
      deviceLabel: row.device_label,
      transport: row.transport,
      serialNumber: row.serial_number,
      imageSha256: row.image_sha256,
      imageVersion: row.image_version,
      versionBefore: row.version_before,
      versionAfter: row.version_after,
      procedureId: row.procedure_id,
      procedure,
      outcome: row.outcome,
      failureStep: row.failure_step,
      failureReason: row.failure_reason,
      startedAt: row.started_at,
      endedAt: row.ended_at,
    });
    if (!parsed.success) {
      throw this.damaged(row.id, parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    return parsed.data;
  }

  private damaged(runId: string, reason: string): FieldbenchError {
    return new FieldbenchError({
      code: 'store-error',
      message: `case store ${this.file}: station run ${runId} is damaged: ${reason}`,
      step: 'read station run',
      hint: 'Other runs are unaffected. Keep the file for recovery and report this.',
    });
  }

  private timestamp(): string {
    return timestampOf(this.now);
  }

  private guard<T>(step: string, runId: string | undefined, work: () => T): T {
    return guarded(this.file, runId ? `${step} (run ${runId})` : step, undefined, work);
  }
}

/** One CSV record with its CRLF; every cell is text, and an absent value is an empty cell. */
export function csvLine(cells: readonly (string | null)[]): string {
  return `${cells.map((cell) => csvCell(cell ?? '')).join(',')}\r\n`;
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which some
 * strip before looking) as a formula: a serial number or a device's error text could then
 * run one on the reader's machine. Such a cell is prefixed with ' so it stays text.
 */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A filter bound as the store compares it (toISOString's fixed width, so text order is time order). */
function instant(value: string | undefined, name: 'from' | 'to'): string | null {
  if (value === undefined) return null;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `'${value}' is not a date and time`,
      step: `list station runs: ${name}`,
      hint: 'Give it as ISO 8601, for example 2026-11-27T08:00:00Z.',
    });
  }
  return time.toISOString();
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user; only ESRCH says it is gone.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function notFound(runId: string): FieldbenchError {
  return new FieldbenchError({
    code: 'not-found',
    message: `no station run ${runId}`,
    step: 'read station run',
    hint: "Look the unit up by its serial number to find the run you mean.",
  });
}

function prepare(db: Database) {
  const columns = `seq, id, recipe_id, recipe_revision, recipe_sha256, profile_id, station, operator, device_label, transport,
    serial_number, image_sha256, image_version, version_before, version_after, procedure_id, procedure_result_json, outcome,
    failure_step, failure_reason, started_at, ended_at`;
  return {
    insert: db.prepare(
      `INSERT INTO station_runs (id, recipe_id, recipe_revision, recipe_sha256, profile_id, station, owner_host, owner_pid, operator,
         device_label, transport, serial_number, image_sha256, image_version, version_before, procedure_id, started_at)
       VALUES (@id, @recipeId, @recipeRevision, @recipeSha256, @profileId, @station, @ownerHost, @ownerPid, @operator,
         @deviceLabel, @transport, @serialNumber, @imageSha256, @imageVersion, @versionBefore, @procedureId, @startedAt)`,
    ),
    update: db.prepare(
      `UPDATE station_runs SET serial_number = @serialNumber, version_before = @versionBefore, version_after = @versionAfter,
         procedure_result_json = @procedureResultJson, outcome = @outcome, failure_step = @failureStep,
         failure_reason = @failureReason, ended_at = @endedAt
       WHERE id = @id AND ended_at IS NULL`,
    ),
    abort: db.prepare(
      `UPDATE station_runs SET outcome = 'aborted', failure_reason = @reason, ended_at = @endedAt WHERE id = @id AND ended_at IS NULL`,
    ),
    get: db.prepare<[string], RunRow>(`SELECT ${columns} FROM station_runs WHERE id = ?`),
    bySerial: db.prepare<{ serial: string; limit: number }, RunRow>(
      `SELECT ${columns} FROM station_runs WHERE serial_number = @serial ORDER BY started_at DESC, seq DESC LIMIT @limit`,
    ),
    newest: db.prepare<{ from: string | null; to: string | null; recipeId: string | null; limit: number }, RunRow>(
      `SELECT ${columns} FROM station_runs
       WHERE (@from IS NULL OR started_at >= @from) AND (@to IS NULL OR started_at < @to)
         AND (@recipeId IS NULL OR recipe_id = @recipeId)
       ORDER BY seq DESC LIMIT @limit`,
    ),
    range: db.prepare<{ from: string | null; to: string | null; recipeId: string | null; after: number; limit: number }, RunRow>(
      `SELECT ${columns} FROM station_runs
       WHERE (@from IS NULL OR started_at >= @from) AND (@to IS NULL OR started_at < @to)
         AND (@recipeId IS NULL OR recipe_id = @recipeId) AND seq > @after
       ORDER BY seq LIMIT @limit`,
    ),
    unfinished: db.prepare<[], { id: string; owner_host: string; owner_pid: number }>(
      'SELECT id, owner_host, owner_pid FROM station_runs WHERE ended_at IS NULL ORDER BY seq',
    ),
  };
}
