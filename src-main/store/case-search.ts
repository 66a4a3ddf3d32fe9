// Finding cases: full-text search over everything written about a case, with filters, and a
// device's history by serial number. The index (case_fts, kept in step by triggers) holds one
// row per part of a case keyed by case seq * 4 + part, so a MATCH read in rowid order walks
// cases newest first and can stop once a page and a capped count are found, however common
// the word. Snippets for the page are cut here from the stored text (search-highlight).
import { z } from 'zod';
import { CaseSummary, type CaseSearchResult, type CaseSearchHit, type CaseStatus, type SearchField, type SearchMatch } from '../api/schemas';
import { CASE_COLUMNS, summaryFields, type CaseRow } from './case-repository';
import { checkedRow, guarded } from './case-rows';
import type { Database } from './database';
import { normalizeTag } from './case-fields';
import { snippetOf } from './search-highlight';
import { ftsQueryOf, parseSearchQuery, type SearchTerm } from './search-query';

export interface CaseSearchInput {
  query: string;
  status?: CaseStatus | undefined;
  deviceModel?: string | undefined;
  serial?: string | undefined;
  tag?: string | undefined;
  /** Cases opened in [from, to]; either end may be left open. */
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  offset?: number | undefined;
}

/**
 * The count of matching cases stops here: past it, "more than 200" is all a person needs to
 * narrow the search, and counting further is what a common word with a filter pays for
 * (every match checked against the filter). Pages past it are still served.
 */
export const TOTAL_COUNT_CAP = 200;
/**
 * A serial number or tag with at most this many cases is walked case by case, each checked
 * against the index (some 50 µs a case at 100,000 cases); past it, walking the index in order
 * and checking each case against the filter (about 1 µs a row) is faster.
 */
export const SELECTIVE_FILTER_CASES = 200;

export interface CaseSearchOptions {
  totalCountCap?: number;
  /** Walk a serial's or tag's cases instead of the index when they are at most this many. */
  selectiveFilterCases?: number;
}
/** Matches listed per case: enough to see why it was found, few enough for a results page. */
const MAX_MATCHES_PER_CASE = 8;

/** The parts of a case in the index: rowid = case seq * PARTS + part. */
const PARTS = 4;

interface HitRow {
  seq: number;
  id: string;
  title: string;
  status: string;
  device_model: string | null;
  device_serial: string | null;
  created_at: string;
  updated_at: string;
}

interface TextRow {
  title: string;
  device_model: string | null;
  device_serial: string | null;
  customer: string | null;
  asset_id: string | null;
  symptom: string | null;
  resolution: string | null;
  root_cause: string | null;
}

type Params = Record<string, string | number>;

/** The stored values a hit shows, checked as every read of a case row is. */
const HitColumns = z.object({
  seq: z.number().int(),
  id: CaseSummary.shape.id,
  title: z.string(),
  status: CaseSummary.shape.status,
  device_model: z.string().nullable(),
  device_serial: z.string().nullable(),
  created_at: CaseSummary.shape.createdAt,
  updated_at: CaseSummary.shape.updatedAt,
});

const HIT_COLUMNS = 'c.seq, c.id, c.title, c.status, c.device_model, c.device_serial, c.created_at, c.updated_at';

export class CaseSearch {
  private readonly file: string;
  private readonly cache = new Map<string, ReturnType<Database['prepare']>>();
  private readonly statements: ReturnType<typeof prepareStatements>;

  private readonly totalCap: number;
  private readonly selective: number;

  constructor(
    private readonly db: Database,
    options: CaseSearchOptions = {},
  ) {
    this.file = db.name;
    this.statements = prepareStatements(db);
    this.totalCap = options.totalCountCap ?? TOTAL_COUNT_CAP;
    this.selective = options.selectiveFilterCases ?? SELECTIVE_FILTER_CASES;
  }

  search(input: CaseSearchInput): CaseSearchResult {
    const terms = parseSearchQuery(input.query);
    const match = ftsQueryOf(terms);
    const offset = input.offset ?? 0;
    return guarded(this.file, 'search cases', undefined, () =>
      // One read transaction: the page, the count and the snippets see the same moment.
      this.db.transaction(() => {
        const filters = this.filtersOf(input);
        if (filters.empty) return { hits: [], total: 0, totalIsExact: true };
        const found = match === null ? this.listFiltered(filters, input.limit, offset) : this.matchFiltered(match, filters, input.limit, offset);
        // Only the stored values are checked (a page of full results through zod costs more
        // than the search); snippets are cut from them here and are text by construction.
        const hits = found.rows.map((row) => this.hitOf(checkedRow(this.file, HitColumns, row, row.id), terms));
        return { hits, total: found.total, totalIsExact: found.exact };
      })(),
    );
  }

  /** Every case for a serial number, the newest first: what happened to one device across time. */
  deviceHistory(serial: string): CaseSummary[] {
    const wanted = serial.trim();
    return guarded(this.file, 'read device history', undefined, () =>
      this.statements.bySerial.all(wanted).map((row) => checkedRow(this.file, CaseSummary, summaryFields(row), row.id)),
    );
  }

  private filtersOf(input: CaseSearchInput): Filters {
    const tag = input.tag === undefined ? null : normalizeTag(input.tag);
    const serial = input.serial?.trim() || null;
    const filters: Filters = { clauses: [], params: {}, tag, serial, walk: null, lowestSeq: null, highestSeq: null, empty: false };
    if (input.status !== undefined) {
      filters.clauses.push('c.status = @status');
      filters.params.status = input.status;
    }
    if (input.deviceModel !== undefined && input.deviceModel.trim() !== '') {
      filters.clauses.push('c.device_model = @deviceModel');
      filters.params.deviceModel = input.deviceModel.trim();
    }
    // A date window also bounds the cases' seq: one scan of the window in cases_by_created
    // (covering, so index pages only) gives the lowest and highest seq opened in it, and a
    // search then reads only that stretch of the index instead of every newer case.
    if (input.from !== undefined || input.to !== undefined) {
      const from = input.from === undefined ? '' : new Date(input.from).toISOString();
      const to = input.to === undefined ? '\uffff' : new Date(input.to).toISOString();
      filters.clauses.push('c.created_at BETWEEN @from AND @to');
      filters.params.from = from;
      filters.params.to = to;
      const window = this.statements.seqOpenedBetween.get(from, to);
      if (!window || window.lowest === null || window.highest === null) filters.empty = true;
      else {
        filters.lowestSeq = window.lowest;
        filters.highestSeq = window.highest;
      }
    }
    // The bounds go on whichever side is walked (listFiltered, matchFiltered): on the cases
    // when they are walked, on the index rowids when it is, never both, or SQLite may walk
    // the cases in the window and probe the index for each.
    if (filters.lowestSeq !== null) filters.params.lowestSeq = filters.lowestSeq;
    if (filters.highestSeq !== null) filters.params.highestSeq = filters.highestSeq;
    if (serial !== null) {
      filters.clauses.push('c.device_serial = @serial');
      filters.params.serial = serial;
    }
    if (tag !== null) {
      filters.clauses.push('EXISTS (SELECT 1 FROM case_tags t WHERE t.case_seq = c.seq AND t.tag = @tag)');
      filters.params.tag = tag;
    }
    // Walk the cases a serial or tag selects, when they are few, and check each against the
    // index; otherwise walk the index and check each case against the filters.
    if (serial !== null && this.statements.serialCount.get(serial, this.selective + 1)!.n <= this.selective) {
      filters.walk = 'serial';
    } else if (tag !== null && this.statements.tagCount.get(tag, this.selective + 1)!.n <= this.selective) {
      filters.walk = 'tag';
    }
    return filters;
  }

  private listFiltered(filters: Filters, limit: number, offset: number): Found {
    const clauses = [...filters.clauses, ...seqBounds(filters, 'c.seq', 1)];
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    const page = this.prepared(`SELECT ${HIT_COLUMNS} FROM cases c ${where} ORDER BY c.seq DESC LIMIT @limit OFFSET @offset`);
    const count = this.prepared(`SELECT count(*) AS n FROM (SELECT 1 FROM cases c ${where} LIMIT @cap)`);
    const rows = page.all({ ...filters.params, limit, offset }) as HitRow[];
    const n = (count.get({ ...filters.params, cap: this.totalCap + 1 }) as { n: number }).n;
    return { rows, total: Math.min(n, this.totalCap), exact: n <= this.totalCap };
  }

  private matchFiltered(match: string, filters: Filters, limit: number, offset: number): Found {
    const params = { ...filters.params, match };
    let page;
    let count;
    if (filters.walk !== null) {
      const inIndex = `EXISTS (SELECT 1 FROM case_fts f WHERE case_fts MATCH @match
        AND f.rowid BETWEEN c.seq * ${PARTS} AND c.seq * ${PARTS} + ${PARTS - 1})`;
      const source = filters.walk === 'tag' ? 'case_tags t JOIN cases c ON c.seq = t.case_seq' : 'cases c';
      const clauses = [...(filters.walk === 'tag' ? ['t.tag = @tag'] : []), ...filters.clauses, ...seqBounds(filters, 'c.seq', 1)];
      const where = [...clauses, inIndex].join(' AND ');
      page = this.prepared(`SELECT ${HIT_COLUMNS} FROM ${source} WHERE ${where} ORDER BY c.seq DESC LIMIT @limit OFFSET @offset`);
      count = this.prepared(`SELECT count(*) AS n FROM (SELECT 1 FROM ${source} WHERE ${where} LIMIT @cap)`);
      const rows = page.all({ ...params, limit, offset }) as HitRow[];
      return this.counted(rows, count, params);
    }
    // Index rows come newest case first, a case's parts next to each other: the page is read
    // row by row (skipping a case's further parts), and stops as soon as it is full.
    const where = ['case_fts MATCH @match', ...seqBounds(filters, 'f.rowid', PARTS), ...filters.clauses].join(' AND ');
    const join = `case_fts f JOIN cases c ON c.seq = f.rowid / ${PARTS}`;
    page = this.prepared(`SELECT ${HIT_COLUMNS} FROM ${join} WHERE ${where} ORDER BY f.rowid DESC`);
    // The count stays inside SQLite: no row crosses into JavaScript to be counted.
    count =
      filters.clauses.length === 0
        ? this.prepared(`SELECT count(*) AS n FROM (SELECT DISTINCT f.rowid / ${PARTS} FROM case_fts f WHERE ${where} LIMIT @cap)`)
        : this.prepared(`SELECT count(*) AS n FROM (SELECT DISTINCT c.seq FROM ${join} WHERE ${where} LIMIT @cap)`);
    const rows: HitRow[] = [];
    let distinct = 0;
    let previous = -1;
    for (const row of page.iterate(params) as IterableIterator<HitRow>) {
      if (row.seq === previous) continue;
      previous = row.seq;
      distinct += 1;
      if (distinct > offset) rows.push(row);
      if (rows.length >= limit) break;
    }
    return this.counted(rows, count, params);
  }

  private counted(rows: HitRow[], count: ReturnType<Database['prepare']>, params: Params): Found {
    const n = (count.get({ ...params, cap: this.totalCap + 1 }) as { n: number }).n;
    return { rows, total: Math.min(n, this.totalCap), exact: n <= this.totalCap };
  }

  private hitOf(row: HitRow & { status: CaseStatus }, terms: readonly SearchTerm[]): CaseSearchHit {
    return {
      caseId: row.id,
      title: row.title,
      status: row.status,
      deviceModel: row.device_model,
      deviceSerial: row.device_serial,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      matches: terms.length === 0 ? [] : this.matchesIn(row, terms),
    };
  }

  /** Where in the case the terms occur, field by field, with a snippet each. */
  private matchesIn(row: HitRow, terms: readonly SearchTerm[]): SearchMatch[] {
    const matches: SearchMatch[] = [];
    const add = (field: SearchField, sourceId: string | null, text: string | null) => {
      if (text === null || matches.length >= MAX_MATCHES_PER_CASE) return;
      const snippet = snippetOf(text, terms);
      if (snippet !== null) matches.push({ field, sourceId, snippet });
    };
    const text = this.statements.caseText.get(row.seq);
    if (text !== undefined) {
      add('title', null, text.title);
      add('symptom', null, text.symptom);
      add('customer', null, text.customer);
      add('asset', null, text.asset_id);
      add('serial', null, text.device_serial);
      add('model', null, text.device_model);
      add('resolution', null, text.resolution);
      add('root-cause', null, text.root_cause);
    }
    for (const { tag } of this.statements.tagsOf.all(row.seq)) add('tag', null, tag);
    for (const note of this.statements.notesOf.all(row.id)) add('note', note.id, note.text);
    for (const attachment of this.statements.attachmentsOf.all(row.id)) {
      if (matches.length >= MAX_MATCHES_PER_CASE) break;
      const before = matches.length;
      add('attachment', attachment.id, attachment.file_name);
      if (matches.length === before) add('attachment', attachment.id, attachment.text);
    }
    for (const run of this.statements.proceduresOf.all(row.id)) add('procedure', run.id, run.text);
    return matches;
  }

  private prepared(sql: string) {
    let statement = this.cache.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}

/** The date window's seq bounds on a column holding seq * scale + part. */
function seqBounds(filters: Filters, column: string, scale: number): string[] {
  const bounds: string[] = [];
  if (filters.lowestSeq !== null) bounds.push(`${column} >= @lowestSeq * ${scale}`);
  if (filters.highestSeq !== null) bounds.push(`${column} <= @highestSeq * ${scale} + ${scale - 1}`);
  return bounds;
}

interface Filters {
  clauses: string[];
  params: Params;
  tag: string | null;
  serial: string | null;
  /** Which filter's cases to walk instead of the index, when it selects few. */
  walk: 'serial' | 'tag' | null;
  /** Bounds on case seq implied by the date window; empty when no case can be in it. */
  lowestSeq: number | null;
  highestSeq: number | null;
  empty: boolean;
}

interface Found {
  rows: HitRow[];
  total: number;
  exact: boolean;
}

function prepareStatements(db: Database) {
  return {
    bySerial: db.prepare<[string], CaseRow>(
      `SELECT ${CASE_COLUMNS} FROM cases c WHERE c.device_serial = ? ORDER BY c.created_at DESC, c.seq DESC`,
    ),
    serialCount: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM (SELECT 1 FROM cases WHERE device_serial = ? LIMIT ?)',
    ),
    tagCount: db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM (SELECT 1 FROM case_tags WHERE tag = ? LIMIT ?)'),
    caseText: db.prepare<[number], TextRow>(
      `SELECT title, device_model, device_serial, customer, asset_id, symptom, resolution, root_cause FROM cases WHERE seq = ?`,
    ),
    tagsOf: db.prepare<[number], { tag: string }>('SELECT tag FROM case_tags WHERE case_seq = ? ORDER BY tag'),
    seqOpenedBetween: db.prepare<[string, string], { lowest: number | null; highest: number | null }>(
      'SELECT min(seq) AS lowest, max(seq) AS highest FROM cases INDEXED BY cases_by_created WHERE created_at BETWEEN ? AND ?',
    ),
    notesOf: db.prepare<[string], { id: string; text: string }>(
      'SELECT id, text FROM notes WHERE case_id = ? ORDER BY updated_at DESC, seq DESC',
    ),
    attachmentsOf: db.prepare<[string], { id: string; file_name: string; text: string | null }>(
      'SELECT id, file_name, text FROM case_attachments WHERE case_id = ? ORDER BY seq DESC',
    ),
    // The text the index holds for each run (migration 5's view), so every run found has its snippet.
    proceduresOf: db.prepare<[string], { id: string; text: string | null }>(
      'SELECT id, text FROM procedure_run_text WHERE case_id = ? ORDER BY seq DESC',
    ),
  };
}
