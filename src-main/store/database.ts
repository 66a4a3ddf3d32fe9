// Opens the SQLite file behind the case store with the settings that keep notes safe, and
// turns every way that can fail into a store-error a person can act on. Opening never
// writes to a file it has not first recognised as a database: Fieldbench never deletes or
// overwrites user data, even data it cannot read.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { FieldbenchError } from '../api/errors';

export type Database = BetterSqlite3.Database;

export interface OpenDatabaseOptions {
  /** A better-sqlite3 binary built for this runtime (Electron's ABI), when not the one in node_modules. */
  nativeBinding?: string;
  /** Open for reading only: no folder is created, the file must exist, nothing is written. */
  readonly?: boolean;
}

/** How long a write waits for another connection (a second window, the CLI) to let go. */
export const BUSY_TIMEOUT_MS = 5000;

const IN_MEMORY = ':memory:';

const MOVE_ASIDE_HINT =
  'Quit Fieldbench, move the file aside (Fieldbench never deletes user data) and start again for a fresh case store; keep the old file for recovery.';

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const readonly = options.readonly ?? false;
  if (file !== IN_MEMORY && !readonly) {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (error) {
      throw storeError(file, 'create the data folder', error, `Check that ${dirname(file)} can be created and written.`);
    }
  }

  let db: Database;
  try {
    db = new BetterSqlite3(file, {
      readonly,
      fileMustExist: readonly,
      timeout: BUSY_TIMEOUT_MS,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });
  } catch (error) {
    throw storeError(file, 'open', error, openHint(file, error));
  }

  try {
    // A read of the schema before any PRAGMA that writes: SQLite checks the file header
    // here, so a file that is not a database (or is badly damaged) is refused untouched.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();

    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!readonly) {
      // WAL: a save is one append to the log, readers never block the writer, and a
      // crash mid-write leaves the last committed state intact.
      db.pragma('journal_mode = WAL');
      // FULL, not WAL's usual NORMAL: NORMAL may lose the last commits on power loss, and a
      // note's answer ("revision 12") promises the text is on disk. Notes are a few KB, so
      // the extra fsync per save costs little.
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw storeError(file, 'open', error, isUnreadable(error) ? MOVE_ASIDE_HINT : openHint(file, error));
  }
  return db;
}

/** The SQLite result code of an error thrown by better-sqlite3 ("SQLITE_BUSY"), if it is one. */
export function sqliteCode(error: unknown): string | null {
  if (error instanceof BetterSqlite3.SqliteError) return error.code;
  return null;
}

/** The file holds something SQLite cannot read as a database. */
export function isUnreadable(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT'));
}

/** What to do about a failed read or write of the case store, by SQLite's reason. */
export function hintFor(file: string, error: unknown): string {
  const code = sqliteCode(error) ?? '';
  if (isUnreadable(error)) return MOVE_ASIDE_HINT;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return 'Another Fieldbench window or command is holding the case store; close it and try again.';
  }
  if (code.startsWith('SQLITE_FULL')) return 'The disk is full; free some space and save again.';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return `Check that ${file} and its folder can be written by you.`;
  }
  if (code.startsWith('SQLITE_IOERR')) return `The disk holding ${file} reported an error; check it and try again.`;
  return `Check that ${file} is on a local disk with free space, and try again.`;
}

export function storeError(file: string, step: string, error: unknown, hint: string): FieldbenchError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FieldbenchError(
    { code: 'store-error', message: `case store ${file}: ${step}: ${reason}`, step, hint },
    { cause: error },
  );
}

function openHint(file: string, error: unknown): string {
  if (sqliteCode(error)?.startsWith('SQLITE_CANTOPEN')) {
    return `Check that ${file} is a file (not a folder) and that you can read and write it.`;
  }
  return hintFor(file, error);
}
