// The case store as the core sees it: one SQLite file in the data folder, opened with safe
// settings, brought up to the current schema, and wrapped in the case repository.
import { join } from 'node:path';
import { CaseRepository } from './case-repository';
import { FirmwareJournal } from './firmware-journal';
import { openDatabase, type Database } from './database';
import { migrate } from './migrations';

export const CASE_STORE_FILE = 'fieldbench.db';

export interface CaseStoreOptions {
  dataDir: string;
  /** better-sqlite3 binary built for this runtime (Electron), when not the one in node_modules. */
  nativeBinding?: string;
  now?: () => Date;
}

export interface CaseStore {
  cases: CaseRepository;
  firmware: FirmwareJournal;
  /** Problems SQLite finds in the file and its references; empty when the store is sound. */
  integrityCheck(): string[];
  /** Closes the file; later calls do nothing. */
  close(): void;
  file: string;
}

export function openCaseStore(options: CaseStoreOptions): CaseStore {
  const file = join(options.dataDir, CASE_STORE_FILE);
  const db = openDatabase(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  let cases: CaseRepository;
  let firmware: FirmwareJournal;
  try {
    migrate(db);
    const clock = options.now ? { now: options.now } : {};
    cases = new CaseRepository(db, clock);
    firmware = new FirmwareJournal(db, clock);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    cases,
    firmware,
    file,
    integrityCheck: () => integrityProblems(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}

function integrityProblems(db: Database): string[] {
  const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
  const problems = integrity.length === 1 && integrity[0] === 'ok' ? [] : integrity;
  const references = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
  for (const broken of references) {
    problems.push(`${broken.table} row ${broken.rowid} points to a missing ${broken.parent} row`);
  }
  return problems;
}
