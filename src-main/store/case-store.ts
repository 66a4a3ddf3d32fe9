// The case store as the core sees it: one SQLite file in the data folder, opened with safe
// settings, brought up to the current schema, and wrapped in the case repository.
import { join } from 'node:path';
import { CaseAttachments } from './case-attachments';
import { CaseRepository } from './case-repository';
import { CaseSearch } from './case-search';
import { FirmwareJournal } from './firmware-journal';
import { openDatabase, type Database } from './database';
import { migrate } from './migrations';
import { ProcedureRuns } from './procedure-runs';
import { StationRuns, type StationRun } from './station-runs';

export const CASE_STORE_FILE = 'fieldbench.db';

export interface CaseStoreOptions {
  dataDir: string;
  /** better-sqlite3 binary built for this runtime (Electron), when not the one in node_modules. */
  nativeBinding?: string;
  now?: () => Date;
}

export interface CaseStore {
  cases: CaseRepository;
  attachments: CaseAttachments;
  search: CaseSearch;
  firmware: FirmwareJournal;
  procedures: ProcedureRuns;
  /** The bench station's production record; runs a stopped station left open are closed as aborted on open. */
  stationRuns: StationRuns;
  /** The runs that open closed as aborted (their station stopped during the run), for the log. */
  interruptedStationRuns: StationRun[];
  /** Problems SQLite finds in the file, its references and its search index; empty when the store is sound. */
  integrityCheck(): string[];
  /** Closes the file; later calls do nothing. */
  close(): void;
  file: string;
}

export function openCaseStore(options: CaseStoreOptions): CaseStore {
  const file = join(options.dataDir, CASE_STORE_FILE);
  const db = openDatabase(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  let cases: CaseRepository;
  let attachments: CaseAttachments;
  let search: CaseSearch;
  let firmware: FirmwareJournal;
  let procedures: ProcedureRuns;
  let stationRuns: StationRuns;
  let interruptedStationRuns: StationRun[];
  try {
    migrate(db);
    const clock = options.now ? { now: options.now } : {};
    attachments = new CaseAttachments(db, options.now);
    cases = new CaseRepository(db, { ...clock, attachments });
    search = new CaseSearch(db);
    firmware = new FirmwareJournal(db, clock);
    procedures = new ProcedureRuns(db);
    stationRuns = new StationRuns(db, clock);
    interruptedStationRuns = stationRuns.closeInterrupted();
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    cases,
    attachments,
    search,
    firmware,
    procedures,
    stationRuns,
    interruptedStationRuns,
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
  // FTS5 checks its own structure; a contentless index cannot compare itself with the
  // tables, so the check below makes sure every case, and every case with attachments or
  // procedure runs, has its row.
  try {
    db.prepare("INSERT INTO case_fts (case_fts) VALUES ('integrity-check')").run();
  } catch (error) {
    problems.push(`search index: ${error instanceof Error ? error.message : String(error)}`);
  }
  const unindexed = db
    .prepare<[], { id: string; part: string }>(
      `SELECT c.id, 'case text' AS part FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_fts f WHERE f.rowid = c.seq * 4)
       UNION ALL
       SELECT c.id, 'attachments' FROM cases c
         WHERE EXISTS (SELECT 1 FROM case_attachments a WHERE a.case_id = c.id)
           AND NOT EXISTS (SELECT 1 FROM case_fts f WHERE f.rowid = c.seq * 4 + 1)
       UNION ALL
       SELECT c.id, 'procedure results' FROM cases c
         WHERE EXISTS (SELECT 1 FROM procedure_runs r WHERE r.case_id = c.id)
           AND NOT EXISTS (SELECT 1 FROM case_fts f WHERE f.rowid = c.seq * 4 + 2)`,
    )
    .all();
  for (const missing of unindexed) problems.push(`search index: case ${missing.id} has no row for its ${missing.part}`);
  return problems;
}
