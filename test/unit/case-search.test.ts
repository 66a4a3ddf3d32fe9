// Full-text search over cases: what it finds, in which order, under which filters, with
// which snippets; the same answers whichever side (index or filter) the search walks; and a
// device's history by serial number.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseDevice, CaseSearchResult } from '../../src-main/api/schemas';
import { CaseSearch, type CaseSearchInput } from '../../src-main/store/case-search';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { openDatabase, type Database } from '../../src-main/store/database';
import { makeTempDir } from '../helpers/temp-dir';

function deviceWith(model: string, serialNumber: string): CaseDevice {
  return {
    deviceId: `serial:/dev/tty-${serialNumber}`,
    transport: 'serial',
    path: `/dev/tty-${serialNumber}`,
    profileId: null,
    identity: { model, serialNumber, firmwareVersion: '1.0.0' },
  };
}

const ids = (result: CaseSearchResult) => result.hits.map((hit) => hit.caseId);

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
let reader: Database;
let t: number;
const clock = () => new Date(t);

/** Four cases, opened in this order one day apart. */
let radio: string;
let battery: string;
let waiting: string;
let handTyped: string;
let radioNote: string;

beforeEach(() => {
  dir = makeTempDir('case-search');
  t = Date.parse('2026-01-01T09:00:00.000Z');
  store = openCaseStore({ dataDir: dir.path, now: clock });
  reader = openDatabase(store.file);

  radio = store.cases.open({
    title: 'Radio drops at night',
    device: deviceWith('sensor-node', 'SN-1'),
    snapshot: null,
    fields: { customer: 'Acme Water', tags: ['radio', 'Field Return'], symptom: 'Link lost every night around 2 am' },
  }).id;
  radioNote = randomUUID();
  store.cases.saveNote({ caseId: radio, noteId: radioNote, text: 'Antenna cable looked cracked; the watchdog fired twice.' });
  t += 86_400_000;
  battery = store.cases.open({ title: 'Battery drains in a week', device: deviceWith('sensor-node', 'SN-2'), snapshot: null, fields: { tags: ['battery'] } }).id;
  store.cases.saveNote({ caseId: battery, noteId: randomUUID(), text: 'Radio duty cycle stuck at 100 %, battery at 3.1 V.' });
  t += 86_400_000;
  waiting = store.cases.open({ title: 'Gateway reboots', device: deviceWith('gateway', 'GW-9'), snapshot: null }).id;
  store.cases.setStatus(waiting, 'waiting');
  t += 86_400_000;
  handTyped = store.cases.open({ title: 'Returned unit, no power', device: null, snapshot: null, fields: { serialNumber: 'SN-1' } }).id;
  store.cases.update({ caseId: handTyped, patch: { status: 'resolved', resolution: 'Replaced the battery holder', rootCause: 'Corroded contacts' } });
});

afterEach(() => {
  reader.close();
  store.close();
  dir.remove();
});

function search(input: Partial<CaseSearchInput>): CaseSearchResult {
  return store.search.search({ query: '', limit: 20, ...input });
}

describe('case search', () => {
  it('finds cases by words anywhere in them, newest case first', () => {
    expect(ids(search({ query: 'battery' }))).toEqual([handTyped, battery]);
    expect(ids(search({ query: 'radio' }))).toEqual([battery, radio]);
    // Words in different parts of one case (a tag and a note) match together.
    expect(ids(search({ query: 'antenna "field return"' }))).toEqual([radio]);
    expect(ids(search({ query: 'acme watchdog' }))).toEqual([radio]);
    expect(ids(search({ query: 'corroded' }))).toEqual([handTyped]);
    expect(ids(search({ query: 'reboot*' }))).toEqual([waiting]);
    expect(search({ query: 'nothing-like-this' })).toEqual({ hits: [], total: 0, totalIsExact: true });
  });

  it('says where each case matched, with highlighted snippets', () => {
    const [hit] = search({ query: 'radio night' }).hits.filter((h) => h.caseId === radio);
    expect(hit?.matches).toEqual([
      { field: 'title', sourceId: null, snippet: [{ text: 'Radio', hit: true }, { text: ' drops at ', hit: false }, { text: 'night', hit: true }] },
      { field: 'symptom', sourceId: null, snippet: [{ text: 'Link lost every ', hit: false }, { text: 'night', hit: true }, { text: ' around 2 am', hit: false }] },
      { field: 'tag', sourceId: null, snippet: [{ text: 'radio', hit: true }] },
    ]);
    const noteHit = search({ query: 'watchdog' }).hits[0];
    expect(noteHit?.matches).toEqual([
      {
        field: 'note',
        sourceId: radioNote,
        snippet: [
          { text: 'Antenna cable looked cracked; the ', hit: false },
          { text: 'watchdog', hit: true },
          { text: ' fired twice.', hit: false },
        ],
      },
    ]);
    expect(search({ query: 'SN-1' }).hits.flatMap((h) => h.matches.map((m) => m.field))).toEqual(['serial', 'serial']);
  });

  it('filters by status, device model, serial, tag and dates, with or without words', () => {
    expect(ids(search({ status: 'waiting' }))).toEqual([waiting]);
    expect(ids(search({ query: 'battery', status: 'resolved' }))).toEqual([handTyped]);
    expect(ids(search({ deviceModel: 'sensor-node' }))).toEqual([battery, radio]);
    expect(ids(search({ query: 'radio', deviceModel: 'gateway' }))).toEqual([]);
    expect(ids(search({ serial: 'SN-1' }))).toEqual([handTyped, radio]);
    expect(ids(search({ query: 'battery', serial: 'SN-1' }))).toEqual([handTyped]);
    expect(ids(search({ tag: ' FIELD   return ' }))).toEqual([radio]);
    expect(ids(search({ query: 'radio', tag: 'battery' }))).toEqual([battery]);
    // Opened in a window; either end may be open.
    expect(ids(search({ from: '2026-01-02T00:00:00.000Z', to: '2026-01-03T23:59:59.000Z' }))).toEqual([waiting, battery]);
    expect(ids(search({ to: '2026-01-01T23:00:00+02:00' }))).toEqual([radio]);
    expect(ids(search({ from: '2026-01-03T00:00:00.000Z' }))).toEqual([handTyped, waiting]);
    expect(search({ from: '2027-01-01T00:00:00.000Z', query: 'radio' })).toEqual({ hits: [], total: 0, totalIsExact: true });
    expect(search({})).toMatchObject({ total: 4, totalIsExact: true });
  });

  it('finds a case opened while the clock was set back by its own date, whatever its place in the store', () => {
    t = Date.parse('2025-12-15T10:00:00.000Z');
    const backdated = store.cases.open({ title: 'Radio case from a machine with a wrong clock', device: null, snapshot: null }).id;
    expect(ids(search({ query: 'radio', from: '2025-12-01T00:00:00Z', to: '2025-12-31T00:00:00Z' }))).toEqual([backdated]);
    expect(ids(search({ query: 'radio', from: '2026-01-01T00:00:00Z', to: '2026-01-01T23:00:00Z' }))).toEqual([radio]);
    expect(ids(search({ query: 'radio', to: '2026-01-01T23:00:00Z' }))).toEqual([backdated, radio]);
  });

  it('gives the same answers whether it walks the index or a selective filter', () => {
    const walkFilters = new CaseSearch(reader, { selectiveFilterCases: 1_000_000 });
    const walkIndex = new CaseSearch(reader, { selectiveFilterCases: 0 });
    const inputs: CaseSearchInput[] = [
      { query: 'battery', serial: 'SN-1', limit: 20 },
      { query: 'radio', tag: 'battery', limit: 20 },
      { query: 'radio OR', tag: 'radio', limit: 20 },
      { query: 'batt*', serial: 'SN-2', status: 'open', limit: 20 },
      { query: 'night', serial: 'SN-1', tag: 'radio', limit: 20 },
    ];
    for (const input of inputs) expect(walkFilters.search(input), JSON.stringify(input)).toEqual(walkIndex.search(input));
  });

  it('pages through hits and caps the count it reports', () => {
    for (let i = 0; i < 7; i += 1) store.cases.open({ title: `Sensor fault ${i}`, device: null, snapshot: null });
    const all = ids(search({ query: 'sensor fault' }));
    expect(all).toHaveLength(7);
    expect(ids(search({ query: 'sensor fault', limit: 3, offset: 3 }))).toEqual(all.slice(3, 6));
    expect(ids(search({ query: 'sensor fault', limit: 3, offset: 6 }))).toEqual(all.slice(6));
    const capped = new CaseSearch(reader, { totalCountCap: 5 });
    expect(capped.search({ query: 'fault', limit: 2 })).toMatchObject({ total: 5, totalIsExact: false });
    expect(capped.search({ query: '', limit: 2 })).toMatchObject({ total: 5, totalIsExact: false });
    expect(capped.search({ query: 'fault', status: 'waiting', limit: 2 })).toMatchObject({ total: 0, totalIsExact: true });
  });

  it('finds a note by its newest text only, and a case by a changed title', () => {
    store.cases.saveNote({ caseId: radio, noteId: radioNote, text: 'Rewritten: the connector was loose.' });
    expect(ids(search({ query: 'watchdog' }))).toEqual([]);
    expect(ids(search({ query: 'connector' }))).toEqual([radio]);
    store.cases.update({ caseId: waiting, patch: { title: 'Gateway brown-out' } });
    expect(ids(search({ query: 'reboots' }))).toEqual([]);
    expect(ids(search({ query: 'brown out' }))).toEqual([waiting]);
    store.cases.update({ caseId: radio, patch: { tags: [] } });
    expect(ids(search({ query: '"field return"' }))).toEqual([]);
    expect(ids(search({ tag: 'radio' }))).toEqual([]);
  });
});

describe('device history', () => {
  it('lists every case for a serial number, newest first, whether the serial came from a device or by hand', () => {
    expect(store.search.deviceHistory('SN-1').map((c) => c.id)).toEqual([handTyped, radio]);
    expect(store.search.deviceHistory(' SN-2 ').map((c) => c.id)).toEqual([battery]);
    expect(store.search.deviceHistory('SN-404')).toEqual([]);
  });
});
