// Cases and their notes, read from and written to the case store. Each public write is one
// IMMEDIATE transaction, so an answer means the change is committed, and a crash leaves
// either all of it or none. Everything read back goes through the contract's schemas: a
// hand-edited or damaged row becomes a store-error that names the case, not a bad value
// travelling on to the renderer.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { FieldbenchError } from '../api/errors';
import {
  CaseDetail,
  CaseDevice,
  CaseEvent,
  type CaseEventKind,
  type CaseFieldsPatch,
  CaseSummary,
  DiagnosticsReport,
  Note,
  type CaseStatus,
} from '../api/schemas';
import { CaseAttachments } from './case-attachments';
import { CaseImportWriter, type ImportedCase, type ImportedCaseIds } from './case-import';
import { applyPatch, changesBetween, describeChanges, type CaseFieldValues, type FieldChange } from './case-fields';
import { caseNotFound, checkedRow, guarded, parseStoredJson, timestampOf } from './case-rows';
import type { Database } from './database';

export interface CaseFilter {
  status?: CaseStatus;
  deviceSerial?: string;
  limit?: number;
}

export interface OpenCaseInput {
  title: string;
  device: CaseDevice | null;
  snapshot: DiagnosticsReport | null;
  /** Support fields filled in when the case is opened (title and status come from here and 'open'). */
  fields?: Omit<CaseFieldsPatch, 'title' | 'status'>;
}

export interface UpdateCaseInput {
  caseId: string;
  patch: CaseFieldsPatch;
  /** The fields revision the client showed; a different stored one is a conflict. */
  expectedRevision?: number | undefined;
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
  /** The attachments of the same store, listed in a case's detail; made here when not given. */
  attachments?: CaseAttachments;
}

export interface CaseRow {
  seq: number;
  id: string;
  title: string;
  status: string;
  device_json: string | null;
  device_model: string | null;
  device_serial: string | null;
  customer: string | null;
  asset_id: string | null;
  symptom: string | null;
  severity: string | null;
  resolution: string | null;
  root_cause: string | null;
  fields_revision: number;
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

export const CASE_COLUMNS = `c.seq, c.id, c.title, c.status, c.device_json, c.device_model, c.device_serial,
  c.customer, c.asset_id, c.symptom, c.severity, c.resolution, c.root_cause, c.fields_revision,
  c.created_at, c.updated_at, (SELECT count(*) FROM notes n WHERE n.case_id = c.id) AS note_count`;

const NOTE_COLUMNS = 'id, case_id, text, revision, created_at, updated_at';

const EVENT_COLUMNS = 'id, case_id, kind, at, summary, data_json';

export class CaseRepository {
  private readonly now: () => Date;
  private readonly file: string;
  private readonly statements: Statements;
  private readonly attachments: CaseAttachments;
  private readonly imports: CaseImportWriter;

  constructor(
    private readonly db: Database,
    options: CaseRepositoryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.file = db.name;
    this.statements = prepareStatements(db);
    this.attachments = options.attachments ?? new CaseAttachments(db, this.now);
    this.imports = new CaseImportWriter(db);
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

  /** Every diagnostics snapshot of a case with when it was taken, oldest first (the detail shows the latest). */
  snapshotsOf(caseId: string): { takenAt: string; report: DiagnosticsReport }[] {
    return this.guard('read case snapshots', caseId, () =>
      this.db.transaction(() => {
        if (!this.statements.caseExists.get(caseId)) throw caseNotFound(caseId);
        return this.statements.snapshotsOf.all(caseId).map((row) => ({
          takenAt: row.taken_at,
          report: this.checkedRow(DiagnosticsReport, parseStoredJson(this.file, row.report_json, caseId, 'snapshot'), caseId),
        }));
      })(),
    );
  }

  /**
   * Store a whole case from elsewhere (an escalation bundle) in one transaction: the case,
   * its snapshots, notes, timeline, attachments and firmware jobs, then a timeline entry for
   * the import. Nothing stored here is replaced: ids already in use are renewed.
   */
  importCase(input: ImportedCase): ImportedCaseIds & { detail: CaseDetail } {
    const at = this.timestamp();
    return this.guard('import case', input.case.id, () =>
      this.db
        .transaction(() => {
          const ids = this.imports.write(input, at);
          return { ...ids, detail: this.detail(ids.caseId) };
        })
        .immediate(),
    );
  }

  open(input: OpenCaseInput): CaseDetail {
    const title = input.title.trim();
    if (title.length === 0) {
      throw new FieldbenchError({ code: 'invalid-request', message: 'a case needs a title', step: 'open case' });
    }
    const device = input.device === null ? null : this.checkedInput(CaseDevice, input.device, 'device');
    const snapshot = input.snapshot === null ? null : this.checkedInput(DiagnosticsReport, input.snapshot, 'snapshot');
    const identity = device?.identity ?? snapshot?.identity ?? null;
    const given = input.fields ?? {};
    if (device !== null && given.serialNumber != null && given.serialNumber.trim() !== (identity?.serialNumber ?? '')) {
      throw serialIsTheDevices(identity?.serialNumber ?? null);
    }
    const blank: CaseFieldValues = {
      title,
      status: 'open',
      customer: null,
      assetId: null,
      serialNumber: identity?.serialNumber ?? null,
      symptom: null,
      severity: null,
      tags: [],
      resolution: null,
      rootCause: null,
    };
    const values = applyPatch(blank, device === null ? given : { ...given, serialNumber: blank.serialNumber });
    const caseId = randomUUID();
    const at = this.timestamp();

    return this.guard('open case', caseId, () =>
      this.db
        .transaction(() => {
          const { lastInsertRowid } = this.statements.insertCase.run({
            id: caseId,
            title,
            deviceJson: device === null ? null : JSON.stringify(device),
            deviceModel: identity?.model ?? null,
            ...columnsOf(values),
            at,
          });
          for (const tag of values.tags) this.statements.insertTag.run({ caseSeq: lastInsertRowid, tag });
          const who = identity ? ` for ${identity.model} ${identity.serialNumber}` : '';
          const filled = changesBetween(blank, values);
          const data = { ...(device ? { device } : {}), ...(filled.length > 0 ? { fields: filled } : {}) };
          this.insertEvent(
            { caseId, kind: 'case-opened', summary: `Case opened${who}`, data: Object.keys(data).length > 0 ? data : null },
            at,
          );
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
   * Change some of a case's fields, its title or its status, in one transaction with their
   * timeline entries. Nothing changes (and the revision stays) when the patch changes nothing.
   * Resolving without a resolution is allowed (the fix is not always known when the device
   * is returned), but the timeline entry says that none was recorded.
   */
  update(input: UpdateCaseInput): CaseDetail {
    const { caseId, patch, expectedRevision } = input;
    const at = this.timestamp();
    return this.guard('update case', caseId, () =>
      this.db
        .transaction(() => {
          const row = this.statements.getCase.get(caseId);
          if (row === undefined) throw caseNotFound(caseId);
          if (expectedRevision !== undefined && row.fields_revision !== expectedRevision) {
            throw new FieldbenchError({
              code: 'conflict',
              message: `case ${caseId} was changed since it was read (its fields are at revision ${row.fields_revision}, not ${expectedRevision}); nothing was saved`,
              step: 'update case',
              hint: 'Reload the case to see the other change, then make yours again.',
            });
          }
          const before = this.valuesOf(row);
          const after = applyPatch(before, patch);
          if (row.device_json !== null && after.serialNumber !== before.serialNumber) {
            throw serialIsTheDevices(before.serialNumber);
          }
          const changes = changesBetween(before, after);
          if (changes.length === 0) return this.detail(caseId);

          this.statements.updateCase.run({ caseId, title: after.title, status: after.status, ...columnsOf(after), at });
          const tagChange = changes.find((change) => change.field === 'tags');
          if (tagChange) this.replaceTags(row.seq, before.tags, after.tags);

          const fieldChanges = changes.filter((change) => change.field !== 'status');
          if (fieldChanges.length > 0) {
            this.insertEvent(
              { caseId, kind: 'fields-changed', summary: describeChanges(fieldChanges), data: { changes: fieldChanges } },
              at,
            );
          }
          const statusChange = changes.find((change) => change.field === 'status');
          if (statusChange) this.insertStatusEvent(caseId, statusChange, after, at);
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
          if (!this.statements.caseExists.get(caseId)) throw caseNotFound(caseId);
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
          } else if (existing.text !== text) {
            // An unchanged text is a retried save: the trigger would re-index the case for nothing.
            this.statements.updateNote.run({ noteId, text, at });
          } else {
            this.statements.bumpNote.run({ noteId, at });
          }
          this.statements.touchCase.run({ caseId, at });
          const row = this.statements.getNote.get(noteId);
          if (row === undefined) throw new Error(`note ${noteId} vanished inside its own transaction`);
          return this.noteOf(row);
        })
        .immediate(),
    );
  }

  /** A status change alone; the same as update with only a status. */
  setStatus(caseId: string, status: CaseStatus, expectedRevision?: number): CaseSummary {
    const detail = this.update({ caseId, patch: { status }, expectedRevision });
    return this.checkedRow(CaseSummary, detail, caseId);
  }

  /** Add an entry to a case's timeline (a firmware step, say); committed when this returns. */
  appendEvent(input: AppendEventInput): CaseEvent {
    const at = this.timestamp();
    return this.guard('add to case timeline', input.caseId, () =>
      this.db
        .transaction(() => {
          if (!this.statements.caseExists.get(input.caseId)) throw caseNotFound(input.caseId);
          const id = this.insertEvent(input, at);
          this.statements.touchCase.run({ caseId: input.caseId, at });
          const row = this.statements.getEvent.get(id);
          if (row === undefined) throw new Error(`event ${id} vanished inside its own transaction`);
          return this.checkedRow(CaseEvent, this.eventFields(row), input.caseId);
        })
        .immediate(),
    );
  }

  private replaceTags(caseSeq: number, before: readonly string[], after: readonly string[]): void {
    for (const tag of before) if (!after.includes(tag)) this.statements.deleteTag.run({ caseSeq, tag });
    for (const tag of after) if (!before.includes(tag)) this.statements.insertTag.run({ caseSeq, tag });
  }

  private insertStatusEvent(caseId: string, change: FieldChange, after: CaseFieldValues, at: string): void {
    const unresolved = after.status === 'resolved' && after.resolution === null;
    const summary = `Status set to ${String(change.to)}${unresolved ? ', with no resolution recorded' : ''}`;
    const data: Record<string, unknown> = { from: change.from, to: change.to };
    if (after.status === 'resolved') data.resolution = after.resolution;
    this.insertEvent({ caseId, kind: 'status-changed', summary, data }, at);
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
      data: row.data_json === null ? null : parseStoredJson(this.file, row.data_json, row.case_id, 'timeline event'),
    };
  }

  private valuesOf(row: CaseRow): CaseFieldValues {
    const fields = this.checkedRow(CaseDetail.shape.fields, this.fieldsOf(row), row.id);
    return {
      title: row.title,
      status: this.checkedRow(CaseSummary.shape.status, row.status, row.id),
      customer: fields.customer,
      assetId: fields.assetId,
      serialNumber: row.device_serial,
      symptom: fields.symptom,
      severity: fields.severity,
      tags: fields.tags,
      resolution: fields.resolution,
      rootCause: fields.rootCause,
    };
  }

  private fieldsOf(row: CaseRow) {
    return {
      customer: row.customer,
      assetId: row.asset_id,
      symptom: row.symptom,
      severity: row.severity,
      tags: this.statements.tagsOf.all(row.seq).map((tag) => tag.tag),
      resolution: row.resolution,
      rootCause: row.root_cause,
      revision: row.fields_revision,
    };
  }

  private detail(caseId: string): CaseDetail {
    const row = this.statements.getCase.get(caseId);
    if (row === undefined) throw caseNotFound(caseId);
    const snapshotRow = this.statements.latestSnapshot.get(caseId);
    const detail = {
      ...summaryFields(row),
      fields: this.fieldsOf(row),
      device: row.device_json === null ? null : parseStoredJson(this.file, row.device_json, caseId, 'device'),
      snapshot: snapshotRow === undefined ? null : parseStoredJson(this.file, snapshotRow.report_json, caseId, 'snapshot'),
      notes: this.statements.notesOf.all(caseId).map((note) => this.noteFields(note)),
      attachments: this.attachments.listOf(caseId),
      timeline: this.statements.eventsOf.all(caseId).map((event) => this.eventFields(event)),
    };
    return this.checkedRow(CaseDetail, detail, caseId);
  }

  private summaryOf(row: CaseRow): CaseSummary {
    return this.checkedRow(CaseSummary, summaryFields(row), row.id);
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

  private checkedRow<S extends z.ZodType>(schema: S, value: unknown, caseId: string): z.output<S> {
    return checkedRow(this.file, schema, value, caseId);
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

  private timestamp(): string {
    return timestampOf(this.now);
  }

  private guard<T>(step: string, caseId: string | undefined, work: () => T): T {
    return guarded(this.file, step, caseId, work);
  }
}

/** A case row as the contract's CaseSummary fields (unchecked). */
export function summaryFields(row: CaseRow) {
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

/** The columns the cases statements bind for the support fields. */
function columnsOf(values: CaseFieldValues) {
  return {
    deviceSerial: values.serialNumber,
    customer: values.customer,
    assetId: values.assetId,
    symptom: values.symptom,
    severity: values.severity,
    resolution: values.resolution,
    rootCause: values.rootCause,
  };
}

function serialIsTheDevices(serial: string | null): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    message: `this case's serial number is its device's own (${serial ?? 'none reported'}) and cannot be typed over`,
    step: 'update case',
    hint: 'Set a serial number by hand only on a case opened without a device.',
  });
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
    tagsOf: db.prepare<[number], { tag: string }>('SELECT tag FROM case_tags WHERE case_seq = ? ORDER BY tag'),
    insertTag: db.prepare('INSERT INTO case_tags (case_seq, tag) VALUES (@caseSeq, @tag)'),
    deleteTag: db.prepare('DELETE FROM case_tags WHERE case_seq = @caseSeq AND tag = @tag'),
    latestSnapshot: db.prepare<[string], { report_json: string }>(
      'SELECT report_json FROM case_snapshots WHERE case_id = ? ORDER BY taken_at DESC, seq DESC LIMIT 1',
    ),
    snapshotsOf: db.prepare<[string], { report_json: string; taken_at: string }>(
      'SELECT report_json, taken_at FROM case_snapshots WHERE case_id = ? ORDER BY taken_at, seq',
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
      `INSERT INTO cases (id, title, status, device_json, device_model, device_serial, customer, asset_id, symptom,
                          severity, resolution, root_cause, created_at, updated_at)
       VALUES (@id, @title, 'open', @deviceJson, @deviceModel, @deviceSerial, @customer, @assetId, @symptom,
               @severity, @resolution, @rootCause, @at, @at)`,
    ),
    updateCase: db.prepare(
      `UPDATE cases SET title = @title, status = @status, device_serial = @deviceSerial, customer = @customer,
         asset_id = @assetId, symptom = @symptom, severity = @severity, resolution = @resolution,
         root_cause = @rootCause, fields_revision = fields_revision + 1, updated_at = max(updated_at, @at)
       WHERE id = @caseId`,
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
    bumpNote: db.prepare(
      'UPDATE notes SET revision = revision + 1, updated_at = max(updated_at, @at) WHERE id = @noteId',
    ),
    touchCase: db.prepare('UPDATE cases SET updated_at = max(updated_at, @at) WHERE id = @caseId'),
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

function snapshotSummary(report: DiagnosticsReport): string {
  const count = (status: string) => report.readings.filter((r) => r.status === status).length;
  const problems = [['fail', count('fail')], ['warn', count('warn')], ['error', count('error')]]
    .filter(([, n]) => Number(n) > 0)
    .map(([status, n]) => `${n} ${status}`);
  return `Diagnostics snapshot: ${report.readings.length} readings${problems.length ? ` (${problems.join(', ')})` : ', all ok'}`;
}
