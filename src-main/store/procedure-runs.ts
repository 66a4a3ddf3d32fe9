// Procedure runs in the case store: the run and each of its steps, written as they change,
// each write one transaction, so a run interrupted by a crash or a quit is found again as
// it was and can be resumed from the step it was on.
import { FieldbenchError, isFieldbenchError } from '../api/errors';
import {
  ProcedureRunState,
  ProcedureStepStatus,
  StepAnswer,
  StepAwaiting,
  StepReading,
  Transport,
} from '../api/schemas';
import type { ProcedureSpec } from '../core/profiles/profile-types';
import { hintFor, sqliteCode, storeError, type Database } from './database';
import { z } from 'zod';

const StoredDevice = z.object({
  label: z.string(),
  transport: Transport,
  model: z.string().nullable(),
  serialNumber: z.string().nullable(),
  firmwareVersion: z.string().nullable(),
});
export type StoredDevice = z.infer<typeof StoredDevice>;

export interface StoredStep {
  status: ProcedureStepStatus;
  attempts: number;
  reading: StepReading | null;
  reason: string | null;
  answer: StepAnswer | null;
  awaiting: StepAwaiting | null;
  startedAt: string | null;
  finishedAt: string | null;
  deadlineAt: string | null;
}

export interface StoredRun {
  id: string;
  deviceId: string;
  device: StoredDevice;
  profileId: string;
  /** The procedure as it was when the run started. */
  procedure: ProcedureSpec;
  caseId: string | null;
  operator: string;
  onFail: 'ask' | 'continue';
  state: ProcedureRunState;
  stateReason: string | null;
  currentStep: number | null;
  steps: StoredStep[];
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface RunRow {
  id: string;
  device_id: string;
  device_json: string;
  profile_id: string;
  procedure_json: string;
  case_id: string | null;
  operator: string;
  on_fail: string;
  state: string;
  state_reason: string | null;
  current_step: number | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

interface StepRow {
  step_index: number;
  status: string;
  attempts: number;
  reading_json: string | null;
  reason: string | null;
  answer_json: string | null;
  awaiting: string | null;
  started_at: string | null;
  finished_at: string | null;
  deadline_at: string | null;
}

export interface RunFilter {
  deviceId?: string | undefined;
  caseId?: string | undefined;
  /** The device's serial number as it was when the run started. */
  serial?: string | undefined;
  limit: number;
}

export class ProcedureRuns {
  private readonly file: string;
  private readonly statements: ReturnType<typeof prepare>;

  constructor(private readonly db: Database) {
    this.file = db.name;
    this.statements = prepare(db);
  }

  /** Records a new run with every step pending; not-found when the case does not exist. */
  create(run: StoredRun): StoredRun {
    return this.guard('record procedure run', run.id, () =>
      this.db
        .transaction(() => {
          if (run.caseId !== null && !this.statements.caseExists.get(run.caseId)) {
            throw new FieldbenchError({
              code: 'not-found',
              message: `no case ${run.caseId}`,
              step: 'start procedure',
              hint: 'Open the case again from the case list, or start the run without one.',
            });
          }
          this.statements.insertRun.run(runParams(run));
          run.steps.forEach((step, index) => this.statements.insertStep.run(stepParams(run, index, step)));
          return this.read(run.id);
        })
        .immediate(),
    );
  }

  /** Writes the run's state and the steps given (all when none are named) in one transaction. */
  save(run: StoredRun, stepIndexes?: readonly number[]): void {
    this.guard('save procedure run', run.id, () =>
      this.db
        .transaction(() => {
          const changed = this.statements.updateRun.run(runParams(run)).changes;
          if (changed === 0) throw notFound(run.id);
          for (const index of stepIndexes ?? run.steps.map((_, i) => i)) {
            const step = run.steps[index];
            if (step) this.statements.updateStep.run(stepParams(run, index, step));
          }
        })
        .immediate(),
    );
  }

  get(runId: string): StoredRun {
    return this.guard('read procedure run', runId, () => this.db.transaction(() => this.read(runId))());
  }

  /** Newest first, of a device, a case, a serial number, any of them together, or all. */
  list(filter: RunFilter): StoredRun[] {
    return this.guard('list procedure runs', undefined, () =>
      this.db.transaction(() =>
        this.statements.list
          .all({ deviceId: filter.deviceId ?? null, caseId: filter.caseId ?? null, serial: filter.serial ?? null, limit: filter.limit })
          .map((row) => this.read(row.id)),
      )(),
    );
  }

  /** Runs that were running or waiting: the process that ran them stopped. */
  interrupted(): StoredRun[] {
    return this.guard('list interrupted procedure runs', undefined, () =>
      this.db.transaction(() => this.statements.interrupted.all().map((row) => this.read(row.id)))(),
    );
  }

  private read(runId: string): StoredRun {
    const row = this.statements.getRun.get(runId);
    if (row === undefined) throw notFound(runId);
    const steps = this.statements.stepsOf.all(runId).map((step) => this.step(runId, step));
    const procedure = this.json(row.procedure_json, runId) as ProcedureSpec;
    if (!Array.isArray(procedure?.steps) || procedure.steps.length !== steps.length) {
      throw this.damaged(runId, `it has ${steps.length} step rows for a procedure of ${String(procedure?.steps?.length)} steps`);
    }
    const device = StoredDevice.safeParse(this.json(row.device_json, runId));
    const state = ProcedureRunState.safeParse(row.state);
    if (!device.success || !state.success || (row.on_fail !== 'ask' && row.on_fail !== 'continue')) {
      throw this.damaged(runId, 'its device, state or failure handling is not one Fieldbench writes');
    }
    return {
      id: row.id,
      deviceId: row.device_id,
      device: device.data,
      profileId: row.profile_id,
      procedure,
      caseId: row.case_id,
      operator: row.operator,
      onFail: row.on_fail,
      state: state.data,
      stateReason: row.state_reason,
      currentStep: row.current_step,
      steps,
      startedAt: row.started_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
    };
  }

  private step(runId: string, row: StepRow): StoredStep {
    const status = ProcedureStepStatus.safeParse(row.status);
    const reading = row.reading_json === null ? null : StepReading.safeParse(this.json(row.reading_json, runId));
    const answer = row.answer_json === null ? null : StepAnswer.safeParse(this.json(row.answer_json, runId));
    const awaiting = row.awaiting === null ? null : StepAwaiting.safeParse(row.awaiting);
    if (!status.success || reading?.success === false || answer?.success === false || awaiting?.success === false) {
      throw this.damaged(runId, `step ${row.step_index + 1} holds a value Fieldbench does not write`);
    }
    return {
      status: status.data,
      attempts: row.attempts,
      reading: reading?.data ?? null,
      reason: row.reason,
      answer: answer?.data ?? null,
      awaiting: awaiting?.data ?? null,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      deadlineAt: row.deadline_at,
    };
  }

  private json(text: string, runId: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.damaged(runId, 'a column is not valid JSON');
    }
  }

  private damaged(runId: string, reason: string): FieldbenchError {
    return new FieldbenchError({
      code: 'store-error',
      message: `case store ${this.file}: procedure run ${runId} is damaged: ${reason}`,
      step: 'read procedure run',
      hint: 'Other runs and cases are unaffected. Keep the file for recovery and report this.',
    });
  }

  private guard<T>(step: string, runId: string | undefined, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (isFieldbenchError(error) || sqliteCode(error) === null) throw error;
      throw storeError(this.file, runId ? `${step} (run ${runId})` : step, error, hintFor(this.file, error));
    }
  }
}

function notFound(runId: string): FieldbenchError {
  return new FieldbenchError({
    code: 'not-found',
    message: `no procedure run ${runId}`,
    step: 'read procedure run',
    hint: 'List the runs of the device or the case to find the one you mean.',
  });
}

function runParams(run: StoredRun) {
  return {
    id: run.id,
    deviceId: run.deviceId,
    deviceJson: JSON.stringify(run.device),
    profileId: run.profileId,
    procedureId: run.procedure.id,
    procedureJson: JSON.stringify(run.procedure),
    caseId: run.caseId,
    operator: run.operator,
    onFail: run.onFail,
    state: run.state,
    stateReason: run.stateReason,
    currentStep: run.currentStep,
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
  };
}

function stepParams(run: StoredRun, index: number, step: StoredStep) {
  return {
    runId: run.id,
    index,
    stepId: run.procedure.steps[index]?.id ?? '',
    status: step.status,
    attempts: step.attempts,
    readingJson: step.reading === null ? null : JSON.stringify(step.reading),
    reason: step.reason,
    answerJson: step.answer === null ? null : JSON.stringify(step.answer),
    awaiting: step.awaiting,
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
    deadlineAt: step.deadlineAt,
  };
}

function prepare(db: Database) {
  const runColumns = `id, device_id, device_json, profile_id, procedure_json, case_id, operator, on_fail, state,
    state_reason, current_step, started_at, updated_at, finished_at`;
  return {
    caseExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM cases WHERE id = ?'),
    insertRun: db.prepare(
      `INSERT INTO procedure_runs (${runColumns}, procedure_id)
       VALUES (@id, @deviceId, @deviceJson, @profileId, @procedureJson, @caseId, @operator, @onFail, @state,
         @stateReason, @currentStep, @startedAt, @updatedAt, @finishedAt, @procedureId)`,
    ),
    insertStep: db.prepare(
      `INSERT INTO procedure_steps (run_id, step_index, step_id, status, attempts, reading_json, reason, answer_json, awaiting,
         started_at, finished_at, deadline_at)
       VALUES (@runId, @index, @stepId, @status, @attempts, @readingJson, @reason, @answerJson, @awaiting, @startedAt, @finishedAt, @deadlineAt)`,
    ),
    // The device id changes when a resumed run goes on with the device listed under another id.
    updateRun: db.prepare(
      `UPDATE procedure_runs SET device_id = @deviceId, state = @state, state_reason = @stateReason, current_step = @currentStep,
         updated_at = @updatedAt, finished_at = @finishedAt WHERE id = @id`,
    ),
    updateStep: db.prepare(
      `UPDATE procedure_steps SET status = @status, attempts = @attempts, reading_json = @readingJson, reason = @reason,
         answer_json = @answerJson, awaiting = @awaiting, started_at = @startedAt, finished_at = @finishedAt, deadline_at = @deadlineAt
       WHERE run_id = @runId AND step_index = @index AND step_id = @stepId`,
    ),
    getRun: db.prepare<[string], RunRow>(`SELECT ${runColumns} FROM procedure_runs WHERE id = ?`),
    stepsOf: db.prepare<[string], StepRow>(
      `SELECT step_index, status, attempts, reading_json, reason, answer_json, awaiting, started_at, finished_at, deadline_at
       FROM procedure_steps WHERE run_id = ? ORDER BY step_index`,
    ),
    list: db.prepare<{ deviceId: string | null; caseId: string | null; serial: string | null; limit: number }, { id: string }>(
      `SELECT id FROM procedure_runs
       WHERE (@deviceId IS NULL OR device_id = @deviceId) AND (@caseId IS NULL OR case_id = @caseId)
         AND (@serial IS NULL OR json_extract(device_json, '$.serialNumber') = @serial)
       ORDER BY seq DESC LIMIT @limit`,
    ),
    interrupted: db.prepare<[], { id: string }>("SELECT id FROM procedure_runs WHERE state IN ('running', 'waiting') ORDER BY seq"),
  };
}
