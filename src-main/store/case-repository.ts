// Cases and their notes, read from and written to the case store. Each public write is one
// IMMEDIATE transaction, so an answer means the change is committed, and a crash leaves
// either all of it or none. Everything read back goes through the contract's schemas: a
// hand-edited or damaged row becomes a store-error that names the case, not a bad value
// travelling on to the renderer.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { FieldbenchError, isFieldbenchError } from '../api/errors';
import {
  CaseDetail,
  CaseDevice,
  CaseEvent,
  type CaseEventKind,
  CaseSummary,
  DiagnosticsReport,
  Note,
  type CaseStatus,
} from '../api/schemas';
import { hintFor, sqliteCode, storeError, type Database } from './database';

export interface CaseFilter {
  status?: CaseStatus;
  deviceSerial?: string;
  limit?: number;
}

export interface OpenCaseInput {
  title: string;
  device: CaseDevice | null;
  snapshot: DiagnosticsReport | null;
}

export interface SaveNoteInput {
  caseId: string;
  noteId: string;
  text: string;
}

export interface AppendEventInput {
  caseId: string;
  kind: CaseEventKind;
  summary: string;
  data?: Record<string, unknown> | null;
}

export interface CaseRepositoryOptions {
  /** The clock for created_at/updated_at; tests pass a fake one. */
  now?: () => Date;
}

interface CaseRow {
  seq: number;
  id: string;
  title: string;
  status: string;
  device_json: string | null;
  device_model: string | null;
  device_serial: string | null;
  created_at: string;
  updated_at: string;
  note_count: number;
}

interface EventRow {
  id: string;
  case_id: string;
  kind: string;
  at: string;
  summary: string;
  data_json: string | null;
}

interface NoteRow {
  id: string;
  case_id: string;
  text: string;
  revision: number;
  created_at: string;
  updated_at: string;
}

const CASE_COLUMNS = `c.seq, c.id, c.title, c.status, c.device_json, c.device_model, c.device_serial,
  c.created_at, c.updated_at, (SELECT count(*) FROM notes n WHERE n.case_id = c.id) AS note_count`;

const NOTE_COLUMNS = 'id, case_id, text, revision, created_at, updated_at';

const EVENT_COLUMNS = 'id, case_id, kind, at, summary, data_json';

export class CaseRepository {
  private readonly now: () => Date;
  private readonly file: string;
  private readonly statements: Statements;

  constructor(
    private readonly db: Database,
    options: CaseRepositoryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.file = db.name;
    this.statements = prepareStatements(db);
  }

  /** Cases, the most recently changed first. */
  list(filter: CaseFilter = {}): CaseSummary[] {
    const { status, deviceSerial } = filter;
    const params: ListParams = { limit: filter.limit ?? -1 };
    if (status !== undefined) params.status = status;
    if (deviceSerial !== undefined) params.deviceSerial = deviceSerial;
    const statements = this.statements.list;
    const statement =
      status === undefined
        ? deviceSerial === undefined
          ? statements.all
          : statements.bySerial
        : deviceSerial === undefined
          ? statements.byStatus
          : statements.byStatusAndSerial;
    return this.guard('list cases', undefined, () => statement.all(params).map((row) => this.summaryOf(row)));
  }

  get(caseId: string): CaseDetail {
    return this.guard('read case', caseId, () => this.db.transaction(() => this.detail(caseId))());
  }

  open(input: OpenCaseInput): CaseDetail {
    const title = input.title.trim();
    if (title.length === 0) {
      throw new FieldbenchError({ code: 'invalid-request', message: 'a case needs a title', step: 'open case' });
    }
    const device = input.device === null ? null : this.checkedInput(CaseDevice, input.device, 'device');
    const snapshot = input.snapshot === null ? null : this.checkedInput(DiagnosticsReport, input.snapshot, 'snapshot');
    const identity = device?.identity ?? snapshot?.identity ?? null;
    const caseId = randomUUID();
    const at = this.timestamp();

    return this.guard('open case', caseId, () =>
      this.db
        .transaction(() => {
          this.statements.insertCase.run({
            id: caseId,
            title,
            deviceJson: device === null ? null : JSON.stringify(device),
            deviceModel: identity?.model ?? null,
            deviceSerial: identity?.serialNumber ?? null,
            at,
          });
          const who = identity ? ` for ${identity.model} ${identity.serialNumber}` : '';
          this.insertEvent({ caseId, kind: 'case-opened', summary: `Case opened${who}`, data: device ? { device } : null }, at);
          if (snapshot !== null) {
            this.statements.insertSnapshot.run({ caseId, reportJson: JSON.stringify(snapshot), takenAt: at });
            this.insertEvent({ caseId, kind: 'snapshot', summary: snapshotSummary(snapshot), data: { report: snapshot } }, at);
          }
          return this.detail(caseId);
        })
        .immediate(),
    );
  }

  /**
   * Store the full text of a note. The client chose the note id, so the first save creates
   * the note and every later one (including a retry) replaces its text and bumps the revision.
   */
  saveNote(input: SaveNoteInput): Note {
    const { caseId, noteId } = input;
    const text = wellFormed(input.text);
    const at = this.timestamp();
    return this.guard('save note', caseId, () =>
      // IMMEDIATE: the existence checks and the write happen under one write lock. A
      // deferred transaction would read first and could then fail to upgrade (SQLITE_BUSY,
      // with no waiting) if another connection wrote in between.
      this.db
        .transaction(() => {
          if (!this.statements.caseExists.get(caseId)) throw notFound(caseId);
          const existing = this.statements.getNote.get(noteId);
          if (existing === undefined) {
            this.statements.insertNote.run({ noteId, caseId, text, at });
          } else if (existing.case_id !== caseId) {
            throw new FieldbenchError({
              code: 'invalid-request',
              message: `note ${noteId} belongs to case ${existing.case_id}, not to case ${caseId}`,
              step: 'save note',
              hint: 'Reload the case; the editor is showing a note from another case.',
            });
          } else {
            this.statements.updateNote.run({ noteId, text, at });
          }
          this.statements.touchCase.run({ caseId, at });
          const row = this.statements.getNote.get(noteId);
          if (row === undefined) throw new Error(`note ${noteId} vanished inside its own transaction`);
          return this.noteOf(row);
        })
        .immediate(),
    );
  }

  setStatus(caseId: string, status: CaseStatus): CaseSummary {
    const at = this.timestamp();
    return this.guard('set case status', caseId, () =>
      this.db
        .transaction(() => {
          const current = this.statements.caseStatus.get(caseId);
          if (current === undefined) throw notFound(caseId);
          // Setting the status it already has changes nothing, so it does not count as an update.
          if (current.status !== status) {
            this.statements.setStatus.run({ caseId, status, at });
            this.insertEvent({ caseId, kind: 'status-changed', summary: `Status set to ${status}`, data: { from: current.status, to: status } }, at);
          }
          const row = this.statements.getCase.get(caseId);
          if (row === undefined) throw notFound(caseId);
          return this.summaryOf(row);
        })
        .immediate(),
    );
  }

  /** Add an entry to a case's timeline (a firmware step, say); committed when this returns. */
  appendEvent(input: AppendEventInput): CaseEvent {
    const at = this.timestamp();
    return this.guard('add to case timeline', input.caseId, () =>
      this.db
        .transaction(() => {
          if (!this.statements.caseExists.get(input.caseId)) throw notFound(input.caseId);
          const id = this.insertEvent(input, at);
          this.statements.touchCase.run({ caseId: input.caseId, at });
          const row = this.statements.getEvent.get(id);
          if (row === undefined) throw new Error(`event ${id} vanished inside its own transaction`);
          return this.checkedRow(CaseEvent, this.eventFields(row), input.caseId);
        })
        .immediate(),
    );
  }

  private insertEvent(input: AppendEventInput, at: string): string {
    const id = randomUUID();
    this.statements.insertEvent.run({
      id,
      caseId: input.caseId,
      kind: input.kind,
      at,
      summary: input.summary,
      dataJson: input.data ? JSON.stringify(input.data) : null,
    });
    return id;
  }

  private eventFields(row: EventRow) {
    return {
      id: row.id,
      caseId: row.case_id,
      kind: row.kind,
      at: row.at,
      summary: row.summary,
      data: row.data_json === null ? null : this.parseJson(row.data_json, row.case_id, 'timeline event'),
    };
  }

  private detail(caseId: string): CaseDetail {
    const row = this.statements.getCase.get(caseId);
    if (row === undefined) throw notFound(caseId);
    const snapshotRow = this.statements.latestSnapshot.get(caseId);
    const detail = {
      ...this.summaryFields(row),
      device: row.device_json === null ? null : this.parseJson(row.device_json, caseId, 'device'),
      snapshot: snapshotRow === undefined ? null : this.parseJson(snapshotRow.report_json, caseId, 'snapshot'),
      notes: this.statements.notesOf.all(caseId).map((note) => this.noteFields(note)),
      timeline: this.statements.eventsOf.all(caseId).map((event) => this.eventFields(event)),
    };
    return this.checkedRow(CaseDetail, detail, caseId);
  }

  private summaryOf(row: CaseRow): CaseSummary {
    return this.checkedRow(CaseSummary, this.summaryFields(row), row.id);
  }

  private summaryFields(row: CaseRow) {
    return {
      id: row.id,
      title: row.title,
      status: row.status,
      deviceModel: row.device_model,
      deviceSerial: row.device_serial,
      noteCount: row.note_count,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private noteOf(row: NoteRow): Note {
    return this.checkedRow(Note, this.noteFields(row), row.case_id);
  }

  private noteFields(row: NoteRow) {
    return {
      id: row.id,
      caseId: row.case_id,
      text: row.text,
      revision: row.revision,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private parseJson(json: string, caseId: string, column: string): unknown {
    try {
      return JSON.parse(json) as unknown;
    } catch (error) {
      throw this.damaged(caseId, `its ${column} is not valid JSON (${(error as Error).message})`);
    }
  }

  private checkedRow<S extends z.ZodType>(schema: S, value: unknown, caseId: string): z.output<S> {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.map(String).join('.') || '(row)'}: ${issue.message}`)
      .join('; ');
    throw this.damaged(caseId, `a stored value does not fit the case format (${problems})`);
  }

  private checkedInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((issue) => ({
      path: [what, ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `open case: the ${what} does not fit its schema: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      step: 'open case',
      issues,
    });
  }

  private damaged(caseId: string, reason: string): FieldbenchError {
    return new FieldbenchError({
      code: 'store-error',
      message: `case store ${this.file}: case ${caseId} is damaged: ${reason}`,
      step: `read case ${caseId}`,
      hint: 'The rest of the case store is unaffected. Keep the file for recovery and report this with the log file.',
    });
  }

  private timestamp(): string {
    const date = this.now();
    if (Number.isNaN(date.getTime())) throw new Error('the clock returned an invalid date');
    return date.toISOString();
  }

  /** Our own errors pass through; SQLite's become store-errors with a hint for their cause. */
  private guard<T>(step: string, caseId: string | undefined, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (isFieldbenchError(error) || sqliteCode(error) === null) throw error;
      const what = caseId === undefined ? step : `${step} (case ${caseId})`;
      throw storeError(this.file, what, error, hintFor(this.file, error));
    }
  }
}

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database) {
  return {
    // One statement per filter shape rather than `@status IS NULL OR ...`: SQLite plans a
    // statement once, and only a plain equality lets it use the status or serial index.
    list: {
      all: listStatement(db, false, false),
      byStatus: listStatement(db, true, false),
      bySerial: listStatement(db, false, true),
      byStatusAndSerial: listStatement(db, true, true),
    },
    getCase: db.prepare<[string], CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.id = ?`),
    caseExists: db.prepare<[string], { id: string }>('SELECT id FROM cases WHERE id = ?'),
    caseStatus: db.prepare<[string], { status: string }>('SELECT status FROM cases WHERE id = ?'),
    latestSnapshot: db.prepare<[string], { report_json: string }>(
      'SELECT report_json FROM case_snapshots WHERE case_id = ? ORDER BY taken_at DESC, seq DESC LIMIT 1',
    ),
    notesOf: db.prepare<[string], NoteRow>(
      `SELECT ${NOTE_COLUMNS} FROM notes WHERE case_id = ? ORDER BY created_at, seq`,
    ),
    getNote: db.prepare<[string], NoteRow>(`SELECT ${NOTE_COLUMNS} FROM notes WHERE id = ?`),
    eventsOf: db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM case_events WHERE case_id = ? ORDER BY at, seq`),
    getEvent: db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM case_events WHERE id = ?`),
    insertEvent: db.prepare(
      `INSERT INTO case_events (id, case_id, kind, at, summary, data_json)
       VALUES (@id, @caseId, @kind, @at, @summary, @dataJson)`,
    ),
    insertCase: db.prepare(
      `INSERT INTO cases (id, title, status, device_json, device_model, device_serial, created_at, updated_at)
       VALUES (@id, @title, 'open', @deviceJson, @deviceModel, @deviceSerial, @at, @at)`,
    ),
    insertSnapshot: db.prepare(
      'INSERT INTO case_snapshots (case_id, report_json, taken_at) VALUES (@caseId, @reportJson, @takenAt)',
    ),
    insertNote: db.prepare(
      `INSERT INTO notes (id, case_id, text, revision, created_at, updated_at)
       VALUES (@noteId, @caseId, @text, 1, @at, @at)`,
    ),
    // max(): a clock set back (NTP, a time-zone fix gone wrong) never moves a record
    // backwards in time, so "newest first" and "is my save stored" stay true.
    updateNote: db.prepare(
      `UPDATE notes SET text = @text, revision = revision + 1, updated_at = max(updated_at, @at)
       WHERE id = @noteId`,
    ),
    touchCase: db.prepare('UPDATE cases SET updated_at = max(updated_at, @at) WHERE id = @caseId'),
    setStatus: db.prepare(
      'UPDATE cases SET status = @status, updated_at = max(updated_at, @at) WHERE id = @caseId',
    ),
  };
}

interface ListParams {
  status?: string;
  deviceSerial?: string;
  limit: number;
}

function listStatement(db: Database, byStatus: boolean, bySerial: boolean) {
  const where = [byStatus ? 'c.status = @status' : null, bySerial ? 'c.device_serial = @deviceSerial' : null]
    .filter((clause) => clause !== null)
    .join(' AND ');
  return db.prepare<[ListParams], CaseRow>(
    `SELECT ${CASE_COLUMNS} FROM cases c ${where ? `WHERE ${where}` : ''}
     ORDER BY c.updated_at DESC, c.seq DESC
     LIMIT @limit`,
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * SQLite stores UTF-8, which cannot hold half of a surrogate pair (a paste cut mid-emoji);
 * left to the driver it would turn into several replacement characters. One U+FFFD per lone
 * half, done here, is the same as String.prototype.toWellFormed, and the answer shows it.
 */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

function notFound(caseId: string): FieldbenchError {
  return new FieldbenchError({
    code: 'not-found',
    message: `no case with id ${caseId}`,
    step: 'find case',
    hint: 'It may have been opened in another Fieldbench data folder; refresh the case list.',
  });
}

function snapshotSummary(report: DiagnosticsReport): string {
  const count = (status: string) => report.readings.filter((r) => r.status === status).length;
  const problems = [['fail', count('fail')], ['warn', count('warn')], ['error', count('error')]]
    .filter(([, n]) => Number(n) > 0)
    .map(([status, n]) => `${n} ${status}`);
  return `Diagnostics snapshot: ${report.readings.length} readings${problems.length ? ` (${problems.join(', ')})` : ', all ok'}`;
}
