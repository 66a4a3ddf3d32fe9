// Files stored with a case: log captures, configuration dumps, photos. The bytes go into the
// case store in the same transaction as their row, the search index entry (a trigger) and
// the timeline event, so an attachment the user was told is stored survives a crash whole,
// and one cut off by a crash leaves no trace.
import { createHash, randomUUID } from 'node:crypto';
import { FieldbenchError } from '../api/errors';
import { CaseAttachment, CaseAttachmentContent, MAX_ATTACHMENT_BYTES } from '../api/schemas';
import { mediaTypeOf, searchableText } from './attachment-text';
import { caseNotFound, checkedRow, guarded, timestampOf } from './case-rows';
import type { Database } from './database';

export interface AttachInput {
  caseId: string;
  fileName: string;
  mediaType?: string | undefined;
  bytes: Uint8Array;
}

interface AttachmentRow {
  id: string;
  case_id: string;
  file_name: string;
  media_type: string;
  size: number;
  sha256: string;
  created_at: string;
  searchable: number;
}

const META_COLUMNS = 'id, case_id, file_name, media_type, size, sha256, created_at, text IS NOT NULL AS searchable';

export class CaseAttachments {
  private readonly file: string;
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = db.name;
    this.statements = prepareStatements(db);
  }

  /** Stores the file with the case and puts it on the timeline; committed when this returns. */
  attach(input: AttachInput): CaseAttachment {
    const fileName = input.fileName.trim();
    if (fileName.length === 0 || /[\\/\u0000]/u.test(fileName)) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `"${fileName}" is not a file name (a name only, without a folder)`,
        step: 'attach file',
        hint: 'Give the file\'s own name, such as "uart-capture.log".',
      });
    }
    if (input.bytes.length > MAX_ATTACHMENT_BYTES) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `${fileName} is ${mib(input.bytes.length)}; an attachment can be at most ${mib(MAX_ATTACHMENT_BYTES)}`,
        step: 'attach file',
        hint: 'Attach a shorter capture, or compress the file (a zip of a log is usually a tenth of its size).',
      });
    }
    const mediaType = mediaTypeOf(fileName, input.mediaType);
    const text = searchableText(input.bytes, fileName, mediaType);
    const sha256 = createHash('sha256').update(input.bytes).digest('hex');
    const id = randomUUID();
    const at = timestampOf(this.now);
    const { caseId } = input;

    return guarded(this.file, 'attach file', caseId, () =>
      this.db
        .transaction(() => {
          if (!this.statements.caseExists.get(caseId)) throw caseNotFound(caseId);
          this.statements.insert.run({
            id,
            caseId,
            fileName,
            mediaType,
            size: input.bytes.length,
            sha256,
            at,
            text,
            content: Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.length),
          });
          const searchable = text === null ? '' : ', searchable';
          this.statements.insertEvent.run({
            id: randomUUID(),
            caseId,
            at,
            summary: `Attached ${fileName} (${humanSize(input.bytes.length)}${searchable})`,
            dataJson: JSON.stringify({ attachmentId: id, fileName, mediaType, size: input.bytes.length, sha256 }),
          });
          this.statements.touchCase.run({ caseId, at });
          const row = this.statements.meta.get(id);
          if (row === undefined) throw new Error(`attachment ${id} vanished inside its own transaction`);
          return this.metaOf(row);
        })
        .immediate(),
    );
  }

  /** The attachment with its bytes, checked against the hash stored with it. */
  get(caseId: string, attachmentId: string): CaseAttachmentContent {
    return guarded(this.file, 'read attachment', caseId, () => {
      const row = this.statements.withContent.get(attachmentId);
      if (row === undefined || row.case_id !== caseId) {
        throw new FieldbenchError({
          code: 'not-found',
          message: `case ${caseId} has no attachment ${attachmentId}`,
          step: 'read attachment',
          hint: 'Reload the case; the attachment list may be from another case.',
        });
      }
      const sha256 = createHash('sha256').update(row.content).digest('hex');
      if (sha256 !== row.sha256) {
        throw new FieldbenchError({
          code: 'store-error',
          message: `case store ${this.file}: attachment ${row.file_name} of case ${caseId} no longer matches its SHA-256 (stored ${row.sha256}, now ${sha256})`,
          step: 'read attachment',
          hint: 'The file holding the case store is damaged; keep it for recovery and report this with the log file.',
        });
      }
      return checkedRow(this.file, CaseAttachmentContent, { ...this.fields(row), contentBase64: row.content.toString('base64') }, caseId);
    });
  }

  /** A case's attachments without their bytes, oldest first. */
  listOf(caseId: string): CaseAttachment[] {
    return this.statements.ofCase.all(caseId).map((row) => this.metaOf(row));
  }

  private metaOf(row: AttachmentRow): CaseAttachment {
    return checkedRow(this.file, CaseAttachment, this.fields(row), row.case_id);
  }

  private fields(row: AttachmentRow) {
    return {
      id: row.id,
      caseId: row.case_id,
      fileName: row.file_name,
      mediaType: row.media_type,
      size: row.size,
      sha256: row.sha256,
      searchable: row.searchable === 1,
      createdAt: row.created_at,
    };
  }
}

function prepareStatements(db: Database) {
  return {
    caseExists: db.prepare<[string], { id: string }>('SELECT id FROM cases WHERE id = ?'),
    insert: db.prepare(
      `INSERT INTO case_attachments (id, case_id, file_name, media_type, size, sha256, created_at, text, content)
       VALUES (@id, @caseId, @fileName, @mediaType, @size, @sha256, @at, @text, @content)`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO case_events (id, case_id, kind, at, summary, data_json)
       VALUES (@id, @caseId, 'attachment-added', @at, @summary, @dataJson)`,
    ),
    touchCase: db.prepare('UPDATE cases SET updated_at = max(updated_at, @at) WHERE id = @caseId'),
    meta: db.prepare<[string], AttachmentRow>(`SELECT ${META_COLUMNS} FROM case_attachments WHERE id = ?`),
    withContent: db.prepare<[string], AttachmentRow & { content: Buffer }>(
      `SELECT ${META_COLUMNS}, content FROM case_attachments WHERE id = ?`,
    ),
    ofCase: db.prepare<[string], AttachmentRow>(`SELECT ${META_COLUMNS} FROM case_attachments WHERE case_id = ? ORDER BY seq`),
  };
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return mib(bytes);
}
