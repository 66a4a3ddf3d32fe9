// Writing a case that arrives whole from elsewhere (an escalation bundle from another
// machine): its row, tags, snapshots, notes, timeline, attachments and firmware jobs, with
// their own times, in the caller's transaction, so the store has all of it or none. The
// search index follows through the tables' triggers, as it does for any other write.
// Ids are kept when none is in use here, so both machines speak of the same case; when one
// is (the same bundle imported twice, or a case sent back and forth), every id is renewed
// and the references between them follow, so nothing here is ever overwritten.
import { randomUUID } from 'node:crypto';
import type {
  CaseDevice,
  CaseEventKind,
  CaseFields,
  CaseStatus,
  DiagnosticsReport,
  FirmwareJob,
} from '../api/schemas';
import { mediaTypeOf, searchableText } from './attachment-text';
import { normalizeTags } from './case-fields';
import type { Database } from './database';

export interface ImportedCase {
  case: {
    id: string;
    title: string;
    status: CaseStatus;
    deviceModel: string | null;
    serialNumber: string | null;
    fields: CaseFields;
    createdAt: string;
  };
  device: CaseDevice | null;
  snapshots: { takenAt: string; report: DiagnosticsReport }[];
  notes: { id: string; text: string; revision: number; createdAt: string; updatedAt: string }[];
  timeline: { id: string; kind: CaseEventKind; at: string; summary: string; data: Record<string, unknown> | null }[];
  attachments: { id: string; fileName: string; mediaType: string; sha256: string; createdAt: string; bytes: Uint8Array }[];
  firmwareJobs: FirmwareJob[];
  /** The timeline entry that records the import itself, added last. */
  importEvent: { summary: string; data: Record<string, unknown> };
}

export interface ImportedCaseIds {
  caseId: string;
  /** Whether the case's ids were in use here, so it was stored under new ones. */
  renumbered: boolean;
}

/** References from timeline details to other rows of the same case, renewed with them. */
const REFERENCE_KEYS = ['jobId', 'attachmentId', 'noteId'] as const;

export class CaseImportWriter {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(db: Database) {
    this.statements = prepare(db);
  }

  /** Must run inside a write transaction; `at` is when the import happened. */
  write(input: ImportedCase, at: string): ImportedCaseIds {
    const s = this.statements;
    const inUse =
      s.caseExists.get(input.case.id) !== undefined ||
      input.notes.some((note) => s.noteExists.get(note.id) !== undefined) ||
      input.timeline.some((event) => s.eventExists.get(event.id) !== undefined) ||
      input.attachments.some((attachment) => s.attachmentExists.get(attachment.id) !== undefined) ||
      input.firmwareJobs.some((job) => s.jobExists.get(job.id) !== undefined);
    const ids = new Map<string, string>();
    const idOf = (original: string): string => {
      if (!inUse) return original;
      let renewed = ids.get(original);
      if (renewed === undefined) {
        renewed = randomUUID();
        ids.set(original, renewed);
      }
      return renewed;
    };
    const caseId = idOf(input.case.id);
    const { fields } = input.case;

    const { lastInsertRowid: caseSeq } = s.insertCase.run({
      id: caseId,
      title: input.case.title,
      status: input.case.status,
      deviceJson: input.device === null ? null : JSON.stringify(input.device),
      deviceModel: input.case.deviceModel,
      deviceSerial: input.case.serialNumber,
      customer: fields.customer,
      assetId: fields.assetId,
      symptom: fields.symptom,
      severity: fields.severity,
      resolution: fields.resolution,
      rootCause: fields.rootCause,
      revision: fields.revision,
      createdAt: input.case.createdAt,
      updatedAt: at > input.case.createdAt ? at : input.case.createdAt,
    });
    for (const tag of normalizeTags(fields.tags)) s.insertTag.run({ caseSeq, tag });
    for (const snapshot of input.snapshots) {
      s.insertSnapshot.run({ caseId, reportJson: JSON.stringify(snapshot.report), takenAt: snapshot.takenAt });
    }
    for (const note of input.notes) {
      s.insertNote.run({ id: idOf(note.id), caseId, text: note.text, revision: note.revision, createdAt: note.createdAt, updatedAt: note.updatedAt });
    }
    for (const attachment of input.attachments) {
      const mediaType = mediaTypeOf(attachment.fileName, attachment.mediaType);
      s.insertAttachment.run({
        id: idOf(attachment.id),
        caseId,
        fileName: attachment.fileName,
        mediaType,
        size: attachment.bytes.length,
        sha256: attachment.sha256,
        createdAt: attachment.createdAt,
        text: searchableText(attachment.bytes, attachment.fileName, mediaType),
        content: Buffer.from(attachment.bytes.buffer, attachment.bytes.byteOffset, attachment.bytes.length),
      });
    }
    for (const job of input.firmwareJobs) this.insertJob(job, idOf(job.id), caseId, at);
    for (const event of input.timeline) {
      s.insertEvent.run({ id: idOf(event.id), caseId, kind: event.kind, at: event.at, summary: event.summary, dataJson: dataJson(event.data, inUse ? ids : null) });
    }
    s.insertEvent.run({ id: randomUUID(), caseId, kind: 'imported', at, summary: input.importEvent.summary, dataJson: JSON.stringify(input.importEvent.data) });
    return { caseId, renumbered: inUse };
  }

  /**
   * A job still running where the case was exported is not running here: it is stored as
   * finished, with no outcome and a reason saying so, or the next start would close it as
   * interrupted by this machine.
   */
  private insertJob(job: FirmwareJob, id: string, caseId: string, at: string): void {
    const finishedAt = job.finishedAt ?? at;
    const reason = job.finishedAt === null ? (job.reason ?? 'still running on the machine the case was exported from') : job.reason;
    this.statements.insertJob.run({
      id,
      caseId,
      deviceJson: JSON.stringify(job.device),
      imageJson: JSON.stringify(job.image),
      optionsJson: JSON.stringify(job.options),
      outcome: job.outcome,
      reason,
      beforeJson: JSON.stringify(job.versionBefore),
      afterJson: JSON.stringify(job.versionAfter),
      uploaded: job.uploaded,
      startedAt: job.startedAt,
      updatedAt: job.updatedAt,
      finishedAt,
    });
    for (const step of job.steps) this.statements.insertStep.run({ jobId: id, step: step.step, status: step.status, at: step.at, detail: step.detail });
  }
}

function dataJson(data: Record<string, unknown> | null, ids: ReadonlyMap<string, string> | null): string | null {
  if (data === null) return null;
  if (ids === null) return JSON.stringify(data);
  const renewed: Record<string, unknown> = { ...data };
  for (const key of REFERENCE_KEYS) {
    const value = renewed[key];
    if (typeof value === 'string' && ids.has(value)) renewed[key] = ids.get(value);
  }
  return JSON.stringify(renewed);
}

function prepare(db: Database) {
  return {
    caseExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM cases WHERE id = ?'),
    noteExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM notes WHERE id = ?'),
    eventExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM case_events WHERE id = ?'),
    attachmentExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM case_attachments WHERE id = ?'),
    jobExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM firmware_jobs WHERE id = ?'),
    insertCase: db.prepare(
      `INSERT INTO cases (id, title, status, device_json, device_model, device_serial, customer, asset_id, symptom,
                          severity, resolution, root_cause, fields_revision, created_at, updated_at)
       VALUES (@id, @title, @status, @deviceJson, @deviceModel, @deviceSerial, @customer, @assetId, @symptom,
               @severity, @resolution, @rootCause, @revision, @createdAt, @updatedAt)`,
    ),
    insertTag: db.prepare('INSERT INTO case_tags (case_seq, tag) VALUES (@caseSeq, @tag)'),
    insertSnapshot: db.prepare('INSERT INTO case_snapshots (case_id, report_json, taken_at) VALUES (@caseId, @reportJson, @takenAt)'),
    insertNote: db.prepare(
      `INSERT INTO notes (id, case_id, text, revision, created_at, updated_at)
       VALUES (@id, @caseId, @text, @revision, @createdAt, @updatedAt)`,
    ),
    insertAttachment: db.prepare(
      `INSERT INTO case_attachments (id, case_id, file_name, media_type, size, sha256, created_at, text, content)
       VALUES (@id, @caseId, @fileName, @mediaType, @size, @sha256, @createdAt, @text, @content)`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO case_events (id, case_id, kind, at, summary, data_json)
       VALUES (@id, @caseId, @kind, @at, @summary, @dataJson)`,
    ),
    insertJob: db.prepare(
      `INSERT INTO firmware_jobs (id, case_id, device_json, image_json, options_json, state, outcome, reason, before_json,
                                  after_json, uploaded, started_at, updated_at, finished_at)
       VALUES (@id, @caseId, @deviceJson, @imageJson, @optionsJson, 'finished', @outcome, @reason, @beforeJson,
               @afterJson, @uploaded, @startedAt, @updatedAt, @finishedAt)`,
    ),
    insertStep: db.prepare(
      'INSERT INTO firmware_job_steps (job_id, step, status, at, detail) VALUES (@jobId, @step, @status, @at, @detail)',
    ),
  };
}
