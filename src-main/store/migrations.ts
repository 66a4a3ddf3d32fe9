// The case store's schema, as an ordered list of migrations. PRAGMA user_version records
// the last one applied; each runs in its own transaction together with the version bump,
// so a crash mid-upgrade leaves the file at the previous version, never half-way.
// Migrations are append-only: once released, a migration is never edited.
import { FieldbenchError } from '../api/errors';
import type { Database } from './database';

export interface Migration {
  version: number;
  name: string;
  /**
   * The migration rebuilds a table that others reference (SQLite cannot alter a CHECK in
   * place): it runs with foreign keys off, as SQLite's table-rebuild procedure requires, and
   * the references are checked before its transaction commits.
   */
  rebuildsTables?: boolean;
  up(db: Database): void;
}

/** "FiBe": marks the file as a Fieldbench case store for `file(1)` and for the check below. */
export const APPLICATION_ID = 0x46694265;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'cases, snapshots and notes',
    up(db) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      // Every table has an INTEGER PRIMARY KEY (`seq`) besides its public uuid: it is the
      // rowid, and an alias keeps it stable across VACUUM, which is what a later FTS5
      // external-content index (keyed by rowid) needs. The uuid stays the id the contract
      // speaks, UNIQUE and NOT NULL.
      // Timestamps are ISO 8601 in UTC ("...Z") of fixed width, so text order is time order.
      // Cases are never deleted, so foreign keys have no ON DELETE: removing a case that
      // still has notes fails instead of taking the notes with it.
      db.exec(`
        CREATE TABLE cases (
          seq           INTEGER PRIMARY KEY,
          id            TEXT NOT NULL UNIQUE,
          title         TEXT NOT NULL,
          status        TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
          device_json   TEXT CHECK (device_json IS NULL OR json_valid(device_json)),
          device_model  TEXT,
          device_serial TEXT,
          created_at    TEXT NOT NULL,
          updated_at    TEXT NOT NULL
        ) STRICT;

        CREATE INDEX cases_by_updated ON cases (updated_at DESC, seq DESC);
        CREATE INDEX cases_by_status ON cases (status, updated_at DESC, seq DESC);
        CREATE INDEX cases_by_device_serial ON cases (device_serial, updated_at DESC, seq DESC)
          WHERE device_serial IS NOT NULL;

        -- Several per case, so a later timeline can show the readings before and after a fix;
        -- the case shows the latest.
        CREATE TABLE case_snapshots (
          seq         INTEGER PRIMARY KEY,
          case_id     TEXT NOT NULL REFERENCES cases (id),
          report_json TEXT NOT NULL CHECK (json_valid(report_json)),
          taken_at    TEXT NOT NULL
        ) STRICT;

        CREATE INDEX case_snapshots_by_case ON case_snapshots (case_id, taken_at, seq);

        CREATE TABLE notes (
          seq        INTEGER PRIMARY KEY,
          id         TEXT NOT NULL UNIQUE,
          case_id    TEXT NOT NULL REFERENCES cases (id),
          text       TEXT NOT NULL,
          revision   INTEGER NOT NULL CHECK (revision >= 1),
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;

        CREATE INDEX notes_by_case ON notes (case_id, created_at, seq);
      `);
    },
  },
  {
    version: 2,
    name: 'case timeline and firmware update journal',
    up(db) {
      // The timeline holds what happened to a case in order: the case opened, snapshots,
      // status changes, every step of a firmware update. Notes stay in their own table and
      // are merged in when a timeline is shown, since they change as they are typed.
      // A firmware job is journaled step by step as it happens, with or without a case, so
      // an unplug or a crash mid-update leaves a true record of where the device was left,
      // and the upload offset to resume from.
      db.exec(`
        CREATE TABLE case_events (
          seq       INTEGER PRIMARY KEY,
          id        TEXT NOT NULL UNIQUE,
          case_id   TEXT NOT NULL REFERENCES cases (id),
          kind      TEXT NOT NULL,
          at        TEXT NOT NULL,
          summary   TEXT NOT NULL,
          data_json TEXT CHECK (data_json IS NULL OR json_valid(data_json))
        ) STRICT;

        CREATE INDEX case_events_by_case ON case_events (case_id, at, seq);

        CREATE TABLE firmware_jobs (
          seq          INTEGER PRIMARY KEY,
          id           TEXT NOT NULL UNIQUE,
          case_id      TEXT REFERENCES cases (id),
          device_json  TEXT NOT NULL CHECK (json_valid(device_json)),
          image_json   TEXT NOT NULL CHECK (json_valid(image_json)),
          options_json TEXT NOT NULL CHECK (json_valid(options_json)),
          state        TEXT NOT NULL,
          outcome      TEXT,
          reason       TEXT,
          before_json  TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
          after_json   TEXT CHECK (after_json IS NULL OR json_valid(after_json)),
          uploaded     INTEGER NOT NULL DEFAULT 0 CHECK (uploaded >= 0),
          started_at   TEXT NOT NULL,
          updated_at   TEXT NOT NULL,
          finished_at  TEXT
        ) STRICT;

        CREATE INDEX firmware_jobs_unfinished ON firmware_jobs (started_at) WHERE finished_at IS NULL;

        CREATE TABLE firmware_job_steps (
          seq         INTEGER PRIMARY KEY,
          job_id      TEXT NOT NULL REFERENCES firmware_jobs (id),
          step        TEXT NOT NULL,
          status      TEXT NOT NULL CHECK (status IN ('started', 'done', 'failed', 'skipped')),
          at          TEXT NOT NULL,
          detail      TEXT
        ) STRICT;

        CREATE INDEX firmware_job_steps_by_job ON firmware_job_steps (job_id, seq);
      `);
    },
  },
  {
    version: 3,
    name: 'case fields, tags, attachments and full-text search',
    rebuildsTables: true,
    up(db) {
      // cases is rebuilt (create, copy, drop, rename: SQLite's procedure) because its status
      // CHECK gains 'waiting'; seq is copied, so rowids and references stay as they were.
      // Cases from before keep every value; the new fields start empty (null, no tags) at
      // fields revision 1, and the backfill below makes them searchable at once.
      db.exec(`
        CREATE TABLE cases_rebuilt (
          seq             INTEGER PRIMARY KEY,
          id              TEXT NOT NULL UNIQUE,
          title           TEXT NOT NULL,
          status          TEXT NOT NULL CHECK (status IN ('open', 'waiting', 'resolved')),
          device_json     TEXT CHECK (device_json IS NULL OR json_valid(device_json)),
          device_model    TEXT,
          device_serial   TEXT,
          customer        TEXT,
          asset_id        TEXT,
          symptom         TEXT,
          severity        TEXT CHECK (severity IS NULL OR severity IN ('low', 'medium', 'high', 'critical')),
          resolution      TEXT,
          root_cause      TEXT,
          fields_revision INTEGER NOT NULL DEFAULT 1 CHECK (fields_revision >= 1),
          created_at      TEXT NOT NULL,
          updated_at      TEXT NOT NULL
        ) STRICT;

        INSERT INTO cases_rebuilt (seq, id, title, status, device_json, device_model, device_serial, created_at, updated_at)
          SELECT seq, id, title, status, device_json, device_model, device_serial, created_at, updated_at FROM cases;
        DROP TABLE cases;
        ALTER TABLE cases_rebuilt RENAME TO cases;

        CREATE INDEX cases_by_updated ON cases (updated_at DESC, seq DESC);
        CREATE INDEX cases_by_status ON cases (status, updated_at DESC, seq DESC);
        CREATE INDEX cases_by_device_serial ON cases (device_serial, updated_at DESC, seq DESC)
          WHERE device_serial IS NOT NULL;
        -- Search lists cases newest first by seq; these let a status filter walk in that order,
        -- and give a date window its seq bounds from the index alone.
        CREATE INDEX cases_by_status_seq ON cases (status, seq DESC);
        CREATE INDEX cases_by_created ON cases (created_at, seq);

        -- Normalised by the repository (lower-case, spaces collapsed), so equality is the match.
        CREATE TABLE case_tags (
          case_seq INTEGER NOT NULL REFERENCES cases (seq),
          tag      TEXT NOT NULL,
          PRIMARY KEY (case_seq, tag)
        ) STRICT, WITHOUT ROWID;

        CREATE INDEX case_tags_by_tag ON case_tags (tag, case_seq DESC);

        -- The bytes live in the row, written in the same transaction as the row and its
        -- timeline entry: an attachment the user was told is stored is in the WAL, fsynced,
        -- with no second file that a crash could leave behind or lose. content is the last
        -- column, so reading the other columns never walks its overflow pages.
        -- text: the searchable text of a text file (its first part), null for other files.
        CREATE TABLE case_attachments (
          seq        INTEGER PRIMARY KEY,
          id         TEXT NOT NULL UNIQUE,
          case_id    TEXT NOT NULL REFERENCES cases (id),
          file_name  TEXT NOT NULL,
          media_type TEXT NOT NULL,
          size       INTEGER NOT NULL CHECK (size >= 0),
          sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
          created_at TEXT NOT NULL,
          text       TEXT,
          content    BLOB NOT NULL CHECK (length(content) = size)
        ) STRICT;

        CREATE INDEX case_attachments_by_case ON case_attachments (case_id, seq);

        -- The search index: contentless (the text is in the tables above, not twice on disk),
        -- with contentless_delete so a row can be replaced when its case changes. Rows are
        -- keyed by case: rowid = case seq * 4 + part, where part 0 is the case's own text
        -- (title, fields, tags, notes), 1 is its attachments' names and text, and 2 is kept
        -- for procedure results (the procedures column), so one MATCH ordered by rowid walks
        -- cases newest first and a note save re-indexes only part 0. The prefix indexes answer
        -- batt* or "SN-00"* from one list instead of merging the lists of every word they begin.
        CREATE VIRTUAL TABLE case_fts USING fts5 (
          title, details, notes, attachments, procedures,
          content = '', contentless_delete = 1,
          tokenize = 'unicode61 remove_diacritics 2',
          prefix = '2 3 4'
        );

        CREATE VIEW case_fts_text AS
          SELECT c.seq AS seq, c.title AS title,
            concat_ws(' ', c.device_model, c.device_serial, c.customer, c.asset_id, c.symptom, c.resolution, c.root_cause,
              (SELECT group_concat(t.tag, ' ') FROM case_tags t WHERE t.case_seq = c.seq)) AS details,
            (SELECT group_concat(n.text, char(10)) FROM notes n WHERE n.case_id = c.id) AS notes
          FROM cases c;

        CREATE VIEW case_fts_attachments AS
          SELECT c.seq AS seq,
            (SELECT group_concat(a.file_name || char(10) || coalesce(a.text, ''), char(10))
               FROM case_attachments a WHERE a.case_id = c.id) AS attachments
          FROM cases c;

        -- Triggers keep the index in step inside the writing transaction, whoever writes.
        CREATE TRIGGER case_fts_case_insert AFTER INSERT ON cases BEGIN
          REPLACE INTO case_fts (rowid, title, details, notes)
            SELECT seq * 4, title, details, notes FROM case_fts_text WHERE seq = NEW.seq;
        END;
        CREATE TRIGGER case_fts_case_update
          AFTER UPDATE OF title, device_model, device_serial, customer, asset_id, symptom, resolution, root_cause ON cases
        BEGIN
          REPLACE INTO case_fts (rowid, title, details, notes)
            SELECT seq * 4, title, details, notes FROM case_fts_text WHERE seq = NEW.seq;
        END;
        CREATE TRIGGER case_fts_note_insert AFTER INSERT ON notes BEGIN
          REPLACE INTO case_fts (rowid, title, details, notes)
            SELECT seq * 4, title, details, notes FROM case_fts_text WHERE seq = (SELECT seq FROM cases WHERE id = NEW.case_id);
        END;
        CREATE TRIGGER case_fts_note_update AFTER UPDATE OF text ON notes BEGIN
          REPLACE INTO case_fts (rowid, title, details, notes)
            SELECT seq * 4, title, details, notes FROM case_fts_text WHERE seq = (SELECT seq FROM cases WHERE id = NEW.case_id);
        END;
        CREATE TRIGGER case_fts_tag_insert AFTER INSERT ON case_tags BEGIN
          REPLACE INTO case_fts (rowid, title, details, notes)
            SELECT seq * 4, title, details, notes FROM case_fts_text WHERE seq = NEW.case_seq;
        END;
        CREATE TRIGGER case_fts_tag_delete AFTER DELETE ON case_tags BEGIN
          REPLACE INTO case_fts (rowid, title, details, notes)
            SELECT seq * 4, title, details, notes FROM case_fts_text WHERE seq = OLD.case_seq;
        END;
        CREATE TRIGGER case_fts_attachment_insert AFTER INSERT ON case_attachments BEGIN
          REPLACE INTO case_fts (rowid, attachments)
            SELECT seq * 4 + 1, attachments FROM case_fts_attachments WHERE seq = (SELECT seq FROM cases WHERE id = NEW.case_id);
        END;

        INSERT INTO case_fts (rowid, title, details, notes) SELECT seq * 4, title, details, notes FROM case_fts_text;
      `);
    },
  },
  {
    version: 4,
    name: 'procedure runs and their step results',
    up(db) {
      // A run is written step by step as it happens, so a run interrupted by a crash or a quit
      // can be resumed from the step it was on, with the answers already given kept. The
      // procedure is stored as it was when the run started: a profile edited later must not
      // change what a half-done run asks for, nor what a finished one says it checked.
      // A run with no case still records; one with a case ends in that case's timeline.
      db.exec(`
        CREATE TABLE procedure_runs (
          seq            INTEGER PRIMARY KEY,
          id             TEXT NOT NULL UNIQUE,
          device_id      TEXT NOT NULL,
          device_json    TEXT NOT NULL CHECK (json_valid(device_json)),
          profile_id     TEXT NOT NULL,
          procedure_id   TEXT NOT NULL,
          procedure_json TEXT NOT NULL CHECK (json_valid(procedure_json)),
          case_id        TEXT REFERENCES cases (id),
          operator       TEXT NOT NULL,
          on_fail        TEXT NOT NULL CHECK (on_fail IN ('ask', 'continue')),
          state          TEXT NOT NULL CHECK (state IN ('running', 'waiting', 'paused', 'passed', 'failed', 'aborted')),
          state_reason   TEXT,
          current_step   INTEGER CHECK (current_step IS NULL OR current_step >= 0),
          started_at     TEXT NOT NULL,
          updated_at     TEXT NOT NULL,
          finished_at    TEXT
        ) STRICT;

        CREATE INDEX procedure_runs_by_device ON procedure_runs (device_id, seq DESC);
        CREATE INDEX procedure_runs_by_case ON procedure_runs (case_id, seq DESC) WHERE case_id IS NOT NULL;
        CREATE INDEX procedure_runs_unfinished ON procedure_runs (seq) WHERE state IN ('running', 'waiting');

        CREATE TABLE procedure_steps (
          seq          INTEGER PRIMARY KEY,
          run_id       TEXT NOT NULL REFERENCES procedure_runs (id),
          step_index   INTEGER NOT NULL CHECK (step_index >= 0),
          step_id      TEXT NOT NULL,
          status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'passed', 'failed', 'skipped')),
          attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
          reading_json TEXT CHECK (reading_json IS NULL OR json_valid(reading_json)),
          reason       TEXT,
          answer_json  TEXT CHECK (answer_json IS NULL OR json_valid(answer_json)),
          awaiting     TEXT,
          started_at   TEXT,
          finished_at  TEXT,
          deadline_at  TEXT,
          UNIQUE (run_id, step_index)
        ) STRICT;
      `);
    },
  },
  {
    version: 5,
    name: 'procedure results in the search index',
    up(db) {
      // A case's procedure runs fill part 2 of its index rows (case seq * 4 + 2, the procedures
      // column), from these views, which the snippets are cut from too, so what is found and
      // what is marked come from one text. A run is indexed while it runs, not only once it
      // ends: a paused or interrupted run is found by what it has read so far.
      //
      // A step's limit is said in the words the runner shows (run-view limitOf and step-limits
      // describeLimits), built here so that triggers, which cannot call into the application,
      // index it in the writing transaction; a unit test holds the two to the same words.
      // Numbers are taken as their JSON text (->), which is how JavaScript wrote them.
      db.exec(`
        CREATE VIEW procedure_step_text AS
          SELECT run_id, step_index,
            concat_ws(', ',
              title || ': ' || status,
              CASE WHEN reading_value IS NOT NULL OR reading_line IS NOT NULL
                THEN concat_ws(' ', 'read', reading_value, reading_unit, '(' || reading_line || ')') END,
              'limit ' || CASE kind
                WHEN 'instruction' THEN NULL
                WHEN 'firmware' THEN 'runs firmware ' || (spec ->> '$.version')
                WHEN 'wait' THEN CASE spec ->> '$.for'
                  WHEN 'log-line' THEN 'a log line matching /' || coalesce(spec ->> '$.pattern', '') || '/ within ' || seconds
                  WHEN 'reboot' THEN 'reboots within ' || seconds
                  ELSE 'the button is pressed within ' || seconds
                END
                ELSE CASE
                  WHEN json_type(spec, '$.limits') IS NULL THEN 'the diagnostic''s own limits'
                  WHEN json_type(spec, '$.limits.equals') IN ('integer', 'real') THEN 'equals ' || (spec -> '$.limits.equals') || unit_suffix
                  WHEN json_type(spec, '$.limits.equals') IS NOT NULL THEN 'equals ''' || (spec ->> '$.limits.equals') || ''''
                  WHEN json_type(spec, '$.limits.regex') IS NOT NULL THEN 'matches /' || (spec ->> '$.limits.regex') || '/'
                  WHEN json_type(spec, '$.limits.oneOf') IS NOT NULL THEN 'one of ' || coalesce((
                    SELECT group_concat(CASE WHEN o.type = 'text' THEN o.value ELSE spec -> o.fullkey END, ', ' ORDER BY o.id)
                    FROM json_each(spec, '$.limits.oneOf') o), '')
                  WHEN json_type(spec, '$.limits.min') IS NOT NULL AND json_type(spec, '$.limits.max') IS NOT NULL
                    THEN (spec -> '$.limits.min') || ' to ' || (spec -> '$.limits.max') || unit_suffix
                  WHEN json_type(spec, '$.limits.min') IS NOT NULL THEN 'at least ' || (spec -> '$.limits.min') || unit_suffix
                  ELSE 'at most ' || (spec -> '$.limits.max') || unit_suffix
                END
              END,
              reason,
              CASE WHEN answer_json IS NOT NULL THEN
                concat_ws(' ', 'answered', answer_json ->> '$.answer', 'by ' || (answer_json ->> '$.by'))
                  || coalesce(': ' || (answer_json ->> '$.reason'), '')
                  || coalesce(', image ' || (answer_json ->> '$.imageFileName'), '')
              END
            ) AS text
          FROM (
            SELECT run_id, step_index, status, reason, answer_json, spec,
              spec ->> '$.title' AS title,
              spec ->> '$.kind' AS kind,
              coalesce(' ' || nullif(spec ->> '$.unit', ''), '') AS unit_suffix,
              printf('%g', round((spec ->> '$.timeoutMs') / 100.0) / 10.0) || ' s' AS seconds,
              CASE WHEN json_type(reading_json, '$.value') = 'text' THEN reading_json ->> '$.value'
                WHEN json_type(reading_json, '$.value') <> 'null' THEN reading_json -> '$.value' END AS reading_value,
              reading_json ->> '$.unit' AS reading_unit,
              reading_json ->> '$.text' AS reading_line
            FROM (
              SELECT s.run_id, s.step_index, s.status, s.reason, s.reading_json, s.answer_json,
                r.procedure_json -> ('$.steps[' || s.step_index || ']') AS spec
              FROM procedure_steps s JOIN procedure_runs r ON r.id = s.run_id
            )
          );

        -- One run as a paragraph: its procedure, outcome, operator and why it ended so, then a
        -- line per step in order. The semicolons keep the lines apart in a snippet, which
        -- shows line breaks as spaces.
        CREATE VIEW procedure_run_text AS
          SELECT r.seq AS seq, r.id AS id, r.case_id AS case_id,
            concat_ws(';' || char(10),
              concat_ws(', ', (r.procedure_json ->> '$.name') || ': ' || r.state, 'by ' || r.operator, r.state_reason),
              (SELECT group_concat(t.text, ';' || char(10) ORDER BY t.step_index) FROM procedure_step_text t WHERE t.run_id = r.id)
            ) AS text
          FROM procedure_runs r;

        CREATE VIEW case_fts_procedures AS
          SELECT c.seq AS seq,
            (SELECT group_concat(p.text, char(10) ORDER BY p.seq) FROM procedure_run_text p WHERE p.case_id = c.id) AS procedures
          FROM cases c;

        -- A case with no runs has no part 2 row, rather than an empty one.
        ${refreshProcedures('NEW.case_id', 'procedure_fts_run_insert', 'AFTER INSERT ON procedure_runs WHEN NEW.case_id IS NOT NULL')}
        -- Only a change to what is indexed re-indexes: a run is saved at every step, mostly to
        -- move its clock and current step. A run moved to another case leaves the old one.
        CREATE TRIGGER procedure_fts_run_update
          AFTER UPDATE OF case_id, state, state_reason, operator, procedure_json ON procedure_runs
          WHEN NEW.case_id IS NOT OLD.case_id OR NEW.state IS NOT OLD.state OR NEW.state_reason IS NOT OLD.state_reason
            OR NEW.operator IS NOT OLD.operator OR NEW.procedure_json IS NOT OLD.procedure_json
        BEGIN
          ${refreshStatements('OLD.case_id')}
          ${refreshStatements('NEW.case_id')}
        END;
        ${refreshProcedures('OLD.case_id', 'procedure_fts_run_delete', 'AFTER DELETE ON procedure_runs WHEN OLD.case_id IS NOT NULL')}
        ${refreshProcedures(runCaseOf('NEW'), 'procedure_fts_step_insert', 'AFTER INSERT ON procedure_steps')}
        CREATE TRIGGER procedure_fts_step_update
          AFTER UPDATE OF status, reading_json, reason, answer_json ON procedure_steps
          WHEN NEW.status IS NOT OLD.status OR NEW.reading_json IS NOT OLD.reading_json OR NEW.reason IS NOT OLD.reason
            OR NEW.answer_json IS NOT OLD.answer_json
        BEGIN
          ${refreshStatements(runCaseOf('NEW'))}
        END;
        ${refreshProcedures(runCaseOf('OLD'), 'procedure_fts_step_delete', 'AFTER DELETE ON procedure_steps')}

        INSERT INTO case_fts (rowid, procedures)
          SELECT f.seq * 4 + 2, f.procedures FROM case_fts_procedures f
          WHERE f.seq IN (SELECT c.seq FROM cases c WHERE c.id IN (SELECT case_id FROM procedure_runs));
      `);
    },
  },
  {
    version: 6,
    name: 'bench station production record',
    up(db) {
      // One row per unit a bench station ran a recipe on. The row is written when the run
      // starts, so a crash leaves a run with no end that the next open closes as aborted:
      // the record never silently lacks a unit that was touched. The owner (host and process)
      // lets that clean-up tell a run whose station stopped from one another process is still on.
      // The procedure result is kept as JSON with its steps: it is read back whole, never
      // queried inside. Outcome and end are written together, in one UPDATE.
      db.exec(`
        CREATE TABLE station_runs (
          seq                   INTEGER PRIMARY KEY,
          id                    TEXT NOT NULL UNIQUE,
          recipe_id             TEXT NOT NULL,
          recipe_revision       TEXT NOT NULL,
          recipe_sha256         TEXT NOT NULL,
          profile_id            TEXT NOT NULL,
          station               TEXT NOT NULL,
          owner_host            TEXT NOT NULL,
          owner_pid             INTEGER NOT NULL,
          operator              TEXT,
          device_label          TEXT NOT NULL,
          transport             TEXT NOT NULL CHECK (transport IN ('serial', 'usb', 'ble')),
          serial_number         TEXT,
          image_sha256          TEXT NOT NULL,
          image_version         TEXT,
          version_before        TEXT,
          version_after         TEXT,
          procedure_id          TEXT,
          procedure_result_json TEXT CHECK (procedure_result_json IS NULL OR json_valid(procedure_result_json)),
          outcome               TEXT CHECK (outcome IS NULL OR outcome IN ('passed', 'failed', 'unplugged', 'aborted')),
          failure_step          TEXT,
          failure_reason        TEXT,
          started_at            TEXT NOT NULL,
          ended_at              TEXT,
          CHECK ((outcome IS NULL) = (ended_at IS NULL))
        ) STRICT;

        CREATE INDEX station_runs_by_serial ON station_runs (serial_number, started_at DESC, seq DESC)
          WHERE serial_number IS NOT NULL;
        CREATE INDEX station_runs_by_time ON station_runs (started_at, seq);
        CREATE INDEX station_runs_by_recipe ON station_runs (recipe_id, started_at, seq);
        CREATE INDEX station_runs_unfinished ON station_runs (seq) WHERE ended_at IS NULL;
      `);
    },
  },
];

/** The case a procedure step's run belongs to, from a trigger's NEW or OLD step row. */
function runCaseOf(row: 'NEW' | 'OLD'): string {
  return `(SELECT case_id FROM procedure_runs WHERE id = ${row}.run_id)`;
}

/**
 * Rewrites a case's procedures row (part 2) from its runs: deleted, then written only when the
 * case has runs (tested with EXISTS: a filter on the text would build it twice). A null case
 * id changes nothing. Frozen into migration 5's triggers: a later change here needs a new
 * migration that drops and recreates them.
 */
function refreshStatements(caseId: string): string {
  return `
          DELETE FROM case_fts WHERE rowid = (SELECT seq * 4 + 2 FROM cases WHERE id = ${caseId});
          INSERT INTO case_fts (rowid, procedures)
            SELECT seq * 4 + 2, procedures FROM case_fts_procedures
            WHERE seq = (SELECT seq FROM cases WHERE id = ${caseId})
              AND EXISTS (SELECT 1 FROM procedure_runs WHERE case_id = ${caseId});`;
}

function refreshProcedures(caseId: string, name: string, on: string): string {
  return `CREATE TRIGGER ${name} ${on} BEGIN${refreshStatements(caseId)}
        END;`;
}

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;

export interface MigrationResult {
  from: number;
  to: number;
}

/** Bring the database up to the newest schema this build knows, or refuse it with a reason. */
export function migrate(db: Database, list: readonly Migration[] = migrations): MigrationResult {
  checkOrder(list);
  const latest = list.at(-1)?.version ?? 0;
  const from = userVersion(db);
  refuseForeign(db, from, latest);

  for (const migration of list) {
    if (migration.version <= from) continue;
    // The pragma is a no-op inside a transaction, so it is set around it.
    if (migration.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      apply(db, migration);
    } finally {
      if (migration.rebuildsTables) db.pragma('foreign_keys = ON');
    }
  }
  return { from, to: userVersion(db) };
}

function apply(db: Database, migration: Migration): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening
  // the same old file at once cannot both apply a migration: the second one waits, then
  // sees the version already bumped and skips it.
  db.transaction(() => {
    if (userVersion(db) >= migration.version) return;
    try {
      migration.up(db);
    } catch (error) {
      throw new FieldbenchError(
        {
          code: 'store-error',
          message: `case store ${db.name}: upgrade to schema ${migration.version} (${migration.name}) failed: ${
            error instanceof Error ? error.message : String(error)
          }`,
          step: `migration ${migration.version}`,
          hint: 'The file was left as it was. Please report this with the log file; keep the file for recovery.',
        },
        { cause: error },
      );
    }
    const violations = db.pragma('foreign_key_check') as unknown[];
    if (violations.length > 0) {
      throw new FieldbenchError({
        code: 'store-error',
        message: `case store ${db.name}: migration ${migration.version} (${migration.name}) left ${violations.length} broken reference(s)`,
        step: `migration ${migration.version}`,
        hint: 'The file was left as it was. Please report this with the log file.',
      });
    }
    db.pragma(`user_version = ${migration.version}`);
  }).immediate();
}

export function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function refuseForeign(db: Database, version: number, latest: number): void {
  if (version > latest) {
    throw new FieldbenchError({
      code: 'store-error',
      message: `case store ${db.name}: it was written by a newer Fieldbench (schema version ${version}; this one knows up to ${latest})`,
      step: 'open',
      hint: 'Update Fieldbench to the newest version to open your cases. The file was not changed.',
    });
  }
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get() as {
    n: number;
  }).n;
  const foreign =
    (applicationId !== 0 && applicationId !== APPLICATION_ID) || (version === 0 && tables > 0);
  if (foreign) {
    throw new FieldbenchError({
      code: 'store-error',
      message: `case store ${db.name}: this SQLite file is not a Fieldbench case store`,
      step: 'open',
      hint: 'Move the file aside (Fieldbench never deletes user data) so Fieldbench can start a new case store.',
    });
  }
}

function checkOrder(list: readonly Migration[]): void {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`);
    }
  });
}
