// A large case store for the search benchmark: cases and notes written in support-engineer
// words drawn from a Zipf-shaped vocabulary (a few words everywhere, a long tail of rare
// ones), from a seeded PRNG so every run searches the same store. Generating takes a while,
// so the finished file is cached under the system temp folder, keyed by everything that
// shapes it, and reused until the generator or the schema changes.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CASE_STORE_FILE } from '../src-main/store/case-store';
import { openDatabase } from '../src-main/store/database';
import { LATEST_VERSION, migrate } from '../src-main/store/migrations';
import { mulberry32 } from '../src-main/virtual/seeded-random';

/** Bump when the generated text or its distribution changes, so a stale cache is not reused. */
const GENERATOR_VERSION = 2;

export interface CorpusShape {
  cases: number;
  notes: number;
  seed: number;
}

export interface Corpus {
  /** The data folder holding the store (open it with openCaseStore). */
  dataDir: string;
  generated: boolean;
  generateMs: number;
  /** Words chosen to probe the index: one everywhere, one rare, a tag, a serial and a model that exist. */
  probes: { common: string; rare: string; tag: string; serial: string; model: string };
}

// The head of the vocabulary, most frequent first: what support notes are mostly made of.
const HEAD = `the device was and after to on in at reset battery firmware radio log board
  customer sensor voltage update power boot error signal link uart flash cable antenna
  watchdog node gateway reading replaced checked temperature low high restart timeout
  connector config version unit field bench test passed failed again still no with
  measured calibration drift supply brownout bootloader image slot confirm revert mesh
  packet loss rssi noise shield ground enclosure moisture corrosion fuse regulator charger
  cell pack solar panel modem sim apn lte gps fix clock rtc crystal oscillator interrupt
  stack overflow heap assert panic fault hardfault register dump trace capture pump valve
  relay motor current spike dropout intermittent overnight weekly site visit shipped rma`
  .split(/\s+/u)
  .filter((word) => word.length > 0);

const SYLLABLES = ['ka', 'lo', 'mi', 'ter', 'vox', 'ra', 'ne', 'stu', 'pi', 'dor', 'zel', 'qu', 'an', 'fi', 'mor', 'bel', 'cy', 'tor', 'ul', 'sen'];

/** The long tail: made-up part numbers and words that each appear in a handful of notes. */
function tail(count: number, random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < count) {
    const parts = 2 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < parts; i += 1) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(random() < 0.2 ? `${word}${Math.floor(random() * 900 + 100)}` : word);
  }
  return [...words];
}

/** A sampler of word ranks with P(rank r) proportional to 1 / (r + 1). */
function zipf(size: number, random: () => number): () => number {
  const cdf = new Float64Array(size);
  let sum = 0;
  for (let r = 0; r < size; r += 1) cdf[r] = sum += 1 / (r + 1);
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)] ?? '8';
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const MODELS = ['sensor-node', 'gateway', 'pump-controller', 'flow-meter', 'relay-board', 'tracker'];
const TAGS = Array.from({ length: 40 }, (_, i) => `${HEAD[(i * 7) % HEAD.length]}-${i}`);
const STATUSES = ['open', 'waiting', 'resolved', 'resolved', 'resolved', 'resolved', 'resolved', 'open', 'resolved', 'resolved'];
const SEVERITIES = ['low', 'medium', 'high', 'critical', null];

/** Far down the tail: a word in about 200 of the 1,000,000 notes. */
const RARE_RANK = 19_900;
const COMMON_RANK = 5; // "reset"

export function corpusPath(shape: CorpusShape): string {
  return join(tmpdir(), 'fieldbench-bench-cache', `case-search-g${GENERATOR_VERSION}-s${LATEST_VERSION}-${shape.cases}c-${shape.notes}n-${shape.seed}`);
}

/** The cached store for this shape, generated first if there is none. */
export function caseCorpus(shape: CorpusShape): Corpus {
  const random = mulberry32(shape.seed);
  const vocabulary = [...HEAD, ...tail(20_000, random)];
  const probes = {
    common: vocabulary[COMMON_RANK] ?? 'reset',
    rare: vocabulary[RARE_RANK] ?? '',
    tag: TAGS[3] ?? '',
    serial: '',
    model: MODELS[2] ?? '',
  };
  const dataDir = corpusPath(shape);
  if (existsSync(join(dataDir, CASE_STORE_FILE))) return { dataDir, generated: false, generateMs: 0, probes: withSerial(dataDir, probes) };

  const started = performance.now();
  const building = `${dataDir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const db = openDatabase(join(building, CASE_STORE_FILE));
  try {
    migrate(db);
    // A file that only appears once complete needs no journal and no syncs while it is built.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -524288');
    fill(db, shape, vocabulary, random);
  } finally {
    db.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
  // A folder appears under its final name only once complete, so an interrupted run is never reused.
  renameSync(building, dataDir);
  return { dataDir, generated: true, generateMs: performance.now() - started, probes: withSerial(dataDir, probes) };
}

/** A serial number the store really holds: the one of the case in the middle. */
function withSerial(dataDir: string, probes: Corpus['probes']): Corpus['probes'] {
  const db = openDatabase(join(dataDir, CASE_STORE_FILE), { readonly: true });
  try {
    const row = db.prepare<[], { serial: string }>(
      'SELECT device_serial AS serial FROM cases ORDER BY seq LIMIT 1 OFFSET (SELECT count(*) / 2 FROM cases)',
    ).get();
    if (row === undefined) throw new Error(`the benchmark store in ${dataDir} has no cases`);
    return { ...probes, serial: row.serial };
  } finally {
    db.close();
  }
}

function serialOf(n: number): string {
  return `SN-${String(n).padStart(6, '0')}`;
}

function fill(db: ReturnType<typeof openDatabase>, shape: CorpusShape, vocabulary: readonly string[], random: () => number): void {
  const word = zipf(vocabulary.length, random);
  const sentence = (min: number, spread: number): string => {
    const count = min + Math.floor(random() * spread);
    const words: string[] = [];
    for (let i = 0; i < count; i += 1) words.push(vocabulary[word()] ?? 'x');
    const text = words.join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  };
  // Notes are written before their case row and the index is fed once per case by the case's
  // insert trigger; the triggers of notes and tags find no case yet and do nothing. Building
  // the index note by note would re-index a case once per note and take hours at this size.
  db.pragma('foreign_keys = OFF');
  const insertNote = db.prepare(
    `INSERT INTO notes (id, case_id, text, revision, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)`,
  );
  const insertTag = db.prepare('INSERT INTO case_tags (case_seq, tag) VALUES (?, ?)');
  const insertCase = db.prepare(
    `INSERT INTO cases (seq, id, title, status, device_model, device_serial, customer, symptom, severity, resolution, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const start = Date.parse('2021-01-01T00:00:00.000Z');
  const span = 5 * 365 * 86_400_000;
  const serials = Math.max(1, Math.floor(shape.cases / 3));
  db.transaction(() => {
    for (let c = 0; c < shape.cases; c += 1) {
      const seq = c + 1;
      const caseId = uuidFrom(random);
      // Cases open in time order, like a real store; activity goes on for up to 60 days.
      const created = start + Math.floor((c / shape.cases) * span);
      const updated = created + Math.floor(random() * 60 * 86_400_000);
      const notes = Math.floor(shape.notes / shape.cases) + (random() < (shape.notes % shape.cases) / shape.cases ? 1 : 0);
      for (let n = 0; n < notes; n += 1) {
        const at = new Date(created + Math.floor(((n + 1) / (notes + 1)) * (updated - created))).toISOString();
        insertNote.run(uuidFrom(random), caseId, `${sentence(8, 30)} ${sentence(4, 20)}`, at, at);
      }
      const tagCount = Math.floor(random() * 3);
      const tags = new Set<string>();
      for (let i = 0; i < tagCount; i += 1) tags.add(TAGS[Math.floor(random() * TAGS.length)] ?? 'x');
      for (const tag of tags) insertTag.run(seq, tag);
      const status = STATUSES[Math.floor(random() * STATUSES.length)] ?? 'open';
      insertCase.run(
        seq,
        caseId,
        sentence(3, 6).slice(0, -1),
        status,
        MODELS[Math.floor(random() * MODELS.length)],
        serialOf(Math.floor(random() * serials)),
        `Customer ${Math.floor(random() * 500)}`,
        sentence(4, 8),
        SEVERITIES[Math.floor(random() * SEVERITIES.length)],
        status === 'resolved' ? sentence(5, 10) : null,
        new Date(created).toISOString(),
        new Date(updated).toISOString(),
      );
    }
  }).immediate();
  db.pragma('foreign_keys = ON');
}
