// Case search at the size the issue sets (100,000 cases, 1,000,000 notes): latency of the
// whole cases.search call (query, filters, a page of 20 hits with their snippets and a capped
// count) over a fixed set of queries, and the time to open the store and answer a first
// search. Written to BENCHMARKS.md as ratios to the targets (p95 20 ms, open 200 ms).
// FIELDBENCH_CASE_BENCH_SCALE=0.1 runs a tenth of the size for a quick look, without
// touching BENCHMARKS.md.
import { loadavg } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { TOTAL_COUNT_CAP, type CaseSearchInput } from '../src-main/store/case-search';
import { openCaseStore } from '../src-main/store/case-store';
import { caseCorpus, type Corpus } from './case-corpus';
import { table, writeSection } from './report';

const SEARCH_P95_TARGET_MS = 20;
const OPEN_TARGET_MS = 200;
const RUNS_PER_QUERY = 40;
const WARMUP_RUNS = 3;
const OPENS = 15;
/** Generating the full store takes minutes on a busy two-core machine; reusing it, a moment. */
const GENERATE_DEADLINE_MS = 1_200_000;

const scale = Number(process.env.FIELDBENCH_CASE_BENCH_SCALE ?? '1');
const shape = { cases: Math.round(100_000 * scale), notes: Math.round(1_000_000 * scale), seed: 20_260_601 };
const fullSize = scale === 1;

const queryRows: (string | number)[][] = [['query', 'filters', 'matching cases', 'p50', 'p95', 'p99']];
const summaryRows: (string | number)[][] = [['figure', 'measured', 'target', 'ratio measured / target']];
let corpus: Corpus | undefined;

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

afterAll(() => {
  if (!corpus || summaryRows.length === 1) return;
  const body =
    `## Case search\n\n` +
    `A case store of ${shape.cases.toLocaleString('en')} cases and ${shape.notes.toLocaleString('en')} notes ` +
    '(generated from a seeded PRNG: titles, symptoms, resolutions and notes in words drawn from a Zipf-shaped ' +
    'vocabulary of about 20,000 support-engineer and made-up part words, 0 to 2 tags, 6 device models, a serial ' +
    'number shared by about 3 cases, five years of cases). Every figure is the whole `cases.search` call as the ' +
    'core makes it: the FTS5 query with its filters, a page of 20 hits with their highlighted snippets, and the ' +
    `count of matching cases (exact up to ${TOTAL_COUNT_CAP}). Each query ran ${RUNS_PER_QUERY} times after ${WARMUP_RUNS} ` +
    `warm-up runs, with the file in the page cache (the machine's load average was ${loadavg()[0]?.toFixed(1)} when measured).\n\n` +
    `${table(summaryRows)}\n\n` +
    `${table(queryRows)}\n\n` +
    '**Open** is `openCaseStore` (open the file, check the schema version, prepare the statements) plus a first ' +
    `search for the common word, measured ${OPENS} times on the warm file. A ratio below 1 is inside the target. ` +
    'The index has one row per case part (its own text, its attachments, its procedure results; the generated store has no procedure runs), so a query reads cases newest first and ' +
    'stops once it has the page and the capped count, however many notes hold a common word; a serial or tag ' +
    'filter that selects few cases is walked case by case instead.';
  if (fullSize) writeSection('case-search', body);
  else console.log(body);
});

describe('case search benchmark', () => {
  it(`generates or reuses a store of ${shape.cases} cases and ${shape.notes} notes`, () => {
    corpus = caseCorpus(shape);
    if (corpus.generated) console.log(`generated the corpus in ${(corpus.generateMs / 1000).toFixed(1)} s at ${corpus.dataDir}`);
    const store = openCaseStore({ dataDir: corpus.dataDir });
    try {
      expect(store.cases.list({ limit: 1 })).toHaveLength(1);
    } finally {
      store.close();
    }
  }, GENERATE_DEADLINE_MS);

  it('search latency over common, rare, phrase and prefix queries, with and without filters', () => {
    if (!corpus) throw new Error('the corpus was not generated');
    const { common, rare, tag, serial, model } = corpus.probes;
    const queries: [string, Omit<CaseSearchInput, 'limit'>][] = [
      ['common word', { query: common }],
      ['rare word', { query: rare }],
      ['two words', { query: 'radio timeout' }],
      ['phrase', { query: '"battery voltage"' }],
      ['prefix', { query: 'batt*' }],
      ['prefix of many rare words', { query: 'kalo*' }],
      ['common word', { query: common, status: 'waiting' }],
      ['common word', { query: common, deviceModel: model, status: 'open' }],
      ['common word', { query: common, tag }],
      ['common word', { query: common, serial }],
      ['rare word', { query: rare, status: 'resolved' }],
      ['common word', { query: common, from: '2023-01-01T00:00:00Z', to: '2023-12-31T23:59:59Z' }],
      ['(no words)', { query: '', status: 'waiting', deviceModel: model }],
    ];
    const store = openCaseStore({ dataDir: corpus.dataDir });
    const all: number[] = [];
    try {
      for (const [label, input] of queries) {
        const request: CaseSearchInput = { ...input, limit: 20 };
        let result = store.search.search(request);
        for (let i = 1; i < WARMUP_RUNS; i += 1) result = store.search.search(request);
        const times: number[] = [];
        for (let i = 0; i < RUNS_PER_QUERY; i += 1) {
          const started = performance.now();
          store.search.search(request);
          times.push(performance.now() - started);
        }
        all.push(...times);
        times.sort((a, b) => a - b);
        // Every probe was chosen to match: an empty answer would be measuring nothing.
        expect(result.total, `${label} ${JSON.stringify(input)}`).toBeGreaterThan(0);
        const filters = Object.entries(input)
          .filter(([key]) => key !== 'query')
          .map(([key, value]) => `${key}=${String(value)}`)
          .join(', ');
        const shown = input.query === '' ? label : `\`${input.query}\``;
        queryRows.push([
          `${label === '(no words)' ? '' : `${label}: `}${shown}`,
          filters || '—',
          result.totalIsExact ? result.total : `> ${result.total}`,
          ms(percentile(times, 50)),
          ms(percentile(times, 95)),
          ms(percentile(times, 99)),
        ]);
      }
    } finally {
      store.close();
    }
    all.sort((a, b) => a - b);
    summaryRows.push(['search p50 (all queries)', ms(percentile(all, 50)), '—', '—']);
    summaryRows.push(['search p95 (all queries)', ms(percentile(all, 95)), ms(SEARCH_P95_TARGET_MS), (percentile(all, 95) / SEARCH_P95_TARGET_MS).toFixed(2)]);
    summaryRows.push(['search p99 (all queries)', ms(percentile(all, 99)), '—', '—']);
  });

  it('store open time: open, schema check and a first search', () => {
    if (!corpus) throw new Error('the corpus was not generated');
    const times: number[] = [];
    for (let i = 0; i < OPENS; i += 1) {
      const started = performance.now();
      const store = openCaseStore({ dataDir: corpus.dataDir });
      try {
        const result = store.search.search({ query: corpus.probes.common, limit: 20 });
        times.push(performance.now() - started);
        expect(result.hits.length).toBeGreaterThan(0);
      } finally {
        store.close();
      }
    }
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 50);
    const worst = times.at(-1) ?? Number.NaN;
    summaryRows.push(['open + first search, median', ms(p50), ms(OPEN_TARGET_MS), (p50 / OPEN_TARGET_MS).toFixed(2)]);
    summaryRows.push(['open + first search, slowest', ms(worst), ms(OPEN_TARGET_MS), (worst / OPEN_TARGET_MS).toFixed(2)]);
  });
});
