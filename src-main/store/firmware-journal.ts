// The firmware update journal: a job and each of its steps, committed as they happen, so
// that after a crash, an unplug or a restart the record says exactly where the device was
// left and how far the upload got. Reads go back through the contract's schema.
import { randomUUID } from 'node:crypto';
import { FieldbenchError, isFieldbenchError } from '../api/errors';
import {
  FirmwareJob,
  type CaseDevice,
  type FirmwareImageInfo,
  type FirmwareJobOptions,
  type FirmwareJobStep,
  type FirmwareOutcome,
  type FirmwareStep,
} from '../api/schemas';
import { hintFor, sqliteCode, storeError, type Database } from './database';

export interface StartJobInput {
  /** The device as it is when the job starts; its deviceId is the job's. */
  device: CaseDevice;
  caseId: string | null;
  image: FirmwareImageInfo;
  options: FirmwareJobOptions;
  versionBefore: string | null;
}

interface JobRow {
  id: string;
  case_id: string | null;
  device_json: string;
  image_json: string;
  options_json: string;
  state: string;
  outcome: string | null;
  reason: string | null;
  before_json: string | null;
  after_json: string | null;
  uploaded: number;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

interface StepRow {
  step: string;
  status: string;
  at: string;
  detail: string | null;
}

export class FirmwareJournal {
  private readonly now: () => Date;
  private readonly file: string;
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.file = db.name;
    this.statements = prepare(db);
  }

  start(input: StartJobInput): FirmwareJob {
    const id = randomUUID();
    const at = this.timestamp();
    return this.guard('start firmware job', id, () =>
      this.db
        .transaction(() => {
          this.statements.insertJob.run({
            id,
            caseId: input.caseId,
            deviceJson: JSON.stringify(input.device),
            imageJson: JSON.stringify(input.image),
            optionsJson: JSON.stringify(input.options),
            beforeJson: JSON.stringify(input.versionBefore),
            at,
          });
          return this.read(id);
        })
        .immediate(),
    );
  }

  step(jobId: string, step: FirmwareStep, status: FirmwareJobStep['status'], detail: string | null = null): FirmwareJob {
    const at = this.timestamp();
    return this.write('journal firmware step', jobId, () => {
      this.statements.insertStep.run({ jobId, step, status, at, detail });
      this.statements.touch.run({ jobId, at });
    });
  }

  /** How many bytes the device has acknowledged; written at most every few chunks by the caller. */
  uploaded(jobId: string, bytes: number): void {
    const at = this.timestamp();
    this.write('journal upload progress', jobId, () => this.statements.setUploaded.run({ jobId, bytes, at }));
  }

  /** The version running when the update began, as the bootloader reported it in preflight. */
  versionBefore(jobId: string, version: string | null): void {
    const at = this.timestamp();
    this.write('journal running version', jobId, () => this.statements.setBefore.run({ jobId, beforeJson: JSON.stringify(version), at }));
  }

  versionAfter(jobId: string, version: string | null): void {
    const at = this.timestamp();
    this.write('journal running version', jobId, () => this.statements.setAfter.run({ jobId, afterJson: JSON.stringify(version), at }));
  }

  finish(jobId: string, outcome: FirmwareOutcome, reason: string | null): FirmwareJob {
    const at = this.timestamp();
    return this.write('finish firmware job', jobId, () => this.statements.finish.run({ jobId, outcome, reason, at }));
  }

  get(jobId: string): FirmwareJob {
    return this.guard('read firmware job', jobId, () => this.read(jobId));
  }

  /** The jobs run for a case, oldest first. */
  ofCase(caseId: string): FirmwareJob[] {
    return this.guard('list firmware jobs of a case', undefined, () =>
      this.db.transaction(() => this.statements.ofCase.all(caseId).map((row) => this.read(row.id)))(),
    );
  }

  /** Jobs that never finished: the app stopped or crashed during them. */
  unfinished(): FirmwareJob[] {
    return this.guard('list unfinished firmware jobs', undefined, () =>
      this.statements.unfinished.all().map((row) => this.read(row.id)),
    );
  }

  private write(step: string, jobId: string, work: () => void): FirmwareJob {
    return this.guard(step, jobId, () =>
      this.db
        .transaction(() => {
          if (!this.statements.jobExists.get(jobId)) throw notFound(jobId);
          work();
          return this.read(jobId);
        })
        .immediate(),
    );
  }

  private read(jobId: string): FirmwareJob {
    const row = this.statements.getJob.get(jobId);
    if (row === undefined) throw notFound(jobId);
    const device = this.json(row.device_json, jobId) as { deviceId?: unknown } | null;
    const parsed = FirmwareJob.safeParse({
      id: row.id,
      deviceId: device?.deviceId,
      device,
      caseId: row.case_id,
      image: this.json(row.image_json, jobId),
      options: this.json(row.options_json, jobId),
      state: row.finished_at === null ? 'running' : 'finished',
      // Only the process running the job knows; FirmwareUpdates says so for its own jobs.
      cancellable: false,
      outcome: row.outcome,
      reason: row.reason,
      versionBefore: row.before_json === null ? null : this.json(row.before_json, jobId),
      versionAfter: row.after_json === null ? null : this.json(row.after_json, jobId),
      uploaded: row.uploaded,
      startedAt: row.started_at,
      updatedAt: row.updated_at,
      finishedAt: row.finished_at,
      steps: this.statements.stepsOf.all(jobId).map((step: StepRow) => ({ ...step })),
    });
    if (!parsed.success) throw this.damaged(jobId, parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return parsed.data;
  }

  private json(text: string, jobId: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.damaged(jobId, 'a column is not valid JSON');
    }
  }

  private damaged(jobId: string, reason: string): FieldbenchError {
    return new FieldbenchError({
      code: 'store-error',
      message: `case store ${this.file}: firmware job ${jobId} is damaged: ${reason}`,
      step: 'read firmware job',
      hint: 'Other jobs and cases are unaffected. Keep the file for recovery and report this.',
    });
  }

  private timestamp(): string {
    return this.now().toISOString();
  }

  private guard<T>(step: string, jobId: string | undefined, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (isFieldbenchError(error) || sqliteCode(error) === null) throw error;
      throw storeError(this.file, jobId ? `${step} (job ${jobId})` : step, error, hintFor(this.file, error));
    }
  }
}

function notFound(jobId: string): FieldbenchError {
  return new FieldbenchError({ code: 'not-found', message: `no firmware job ${jobId}`, step: 'read firmware job' });
}

function prepare(db: Database) {
  const columns = `id, case_id, device_json, image_json, options_json, state, outcome, reason, before_json,
    after_json, uploaded, started_at, updated_at, finished_at`;
  return {
    insertJob: db.prepare(
      `INSERT INTO firmware_jobs (id, case_id, device_json, image_json, options_json, state, before_json, started_at, updated_at)
       VALUES (@id, @caseId, @deviceJson, @imageJson, @optionsJson, 'running', @beforeJson, @at, @at)`,
    ),
    insertStep: db.prepare(
      'INSERT INTO firmware_job_steps (job_id, step, status, at, detail) VALUES (@jobId, @step, @status, @at, @detail)',
    ),
    touch: db.prepare('UPDATE firmware_jobs SET updated_at = max(updated_at, @at) WHERE id = @jobId'),
    setUploaded: db.prepare('UPDATE firmware_jobs SET uploaded = @bytes, updated_at = max(updated_at, @at) WHERE id = @jobId'),
    setBefore: db.prepare('UPDATE firmware_jobs SET before_json = @beforeJson, updated_at = max(updated_at, @at) WHERE id = @jobId'),
    setAfter: db.prepare('UPDATE firmware_jobs SET after_json = @afterJson, updated_at = max(updated_at, @at) WHERE id = @jobId'),
    finish: db.prepare(
      `UPDATE firmware_jobs SET state = 'finished', outcome = @outcome, reason = @reason,
         finished_at = @at, updated_at = max(updated_at, @at) WHERE id = @jobId AND finished_at IS NULL`,
    ),
    jobExists: db.prepare<[string], { id: string }>('SELECT id FROM firmware_jobs WHERE id = ?'),
    getJob: db.prepare<[string], JobRow>(`SELECT ${columns} FROM firmware_jobs WHERE id = ?`),
    stepsOf: db.prepare<[string], StepRow>('SELECT step, status, at, detail FROM firmware_job_steps WHERE job_id = ? ORDER BY seq'),
    ofCase: db.prepare<[string], { id: string }>('SELECT id FROM firmware_jobs WHERE case_id = ? ORDER BY started_at, seq'),
    unfinished: db.prepare<[], { id: string }>('SELECT id FROM firmware_jobs WHERE finished_at IS NULL ORDER BY started_at'),
  };
}
