// The case store's schema, as an ordered list of migrations. PRAGMA user_version records
// the last one applied; each runs in its own transaction together with the version bump,
// so a crash mid-upgrade leaves the file at the previous version, never half-way.
// Migrations are append-only: once released, a migration is never edited.
import { FieldbenchError } from '../api/errors';
import type { Database } from './database';

export interface Migration {
  version: number;
  name: string;
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
];

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
  return { from, to: userVersion(db) };
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
