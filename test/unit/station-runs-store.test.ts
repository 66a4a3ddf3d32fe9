// The bench station's production record in a real SQLite file: runs written at start and
// completed as they go, a unit's history by serial number, runs a stopped station left open
// closed on the next open, and the production log exported as CSV and JSON lines.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CASE_STORE_FILE, openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { openDatabase } from '../../src-main/store/database';
import { csvLine, INTERRUPTED_REASON, StationRun, StationRuns, type StartStationRunInput, type StationProcedureResult } from '../../src-main/store/station-runs';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';
import { readCsvRecord } from '../helpers/station-csv';

const RECIPE_SHA = 'a'.repeat(64);
const IMAGE_SHA = 'b'.repeat(64);

let dir: ReturnType<typeof makeTempDir>;
let clock: Date;
let store: CaseStore;

function open(): CaseStore {
  return openCaseStore({ dataDir: dir.path, now: () => clock });
}

beforeEach(() => {
  dir = makeTempDir('station-runs');
  clock = new Date('2026-11-27T09:00:00.000Z');
  store = open();
});
afterEach(() => {
  store.close();
  dir.remove();
});

function unit(serialNumber: string | null, overrides: Partial<StartStationRunInput> = {}): StartStationRunInput {
  return {
    recipe: { id: 'sensor-node-production', revision: '2.0.0-r1', sha256: RECIPE_SHA },
    profileId: 'fieldbench-sensor-node',
    station: 'bench-3',
    operator: 'Ana',
    device: { label: '/dev/ttyACM0', transport: 'serial', serialNumber },
    image: { sha256: IMAGE_SHA, version: '2.0.0' },
    versionBefore: '1.4.2',
    procedureId: 'bench-bring-up',
    ...overrides,
  };
}

function tick(seconds: number): void {
  clock = new Date(clock.getTime() + seconds * 1000);
}

const procedureResult: StationProcedureResult = {
  procedureId: 'bench-bring-up',
  runId: null,
  state: 'failed',
  steps: [
    { id: 'volts', title: 'Battery voltage', status: 'passed', reading: { value: 3.71, unit: 'V', text: 'battery: 3.71 V' }, reason: null },
    { id: 'temp', title: 'Temperature', status: 'failed', reading: { value: 91, unit: 'degC', text: 'temp: 91' }, reason: '91 degC is above the maximum 70 degC' },
  ],
};

/** A process id that no process has any more: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).toBe(0);
  return child.pid!;
}

describe('station runs', () => {
  it('writes the run at start and completes it: progress, procedure steps, outcome', () => {
    const started = store.stationRuns.start(unit(null));
    expect(started).toMatchObject({ outcome: null, endedAt: null, serialNumber: null, startedAt: '2026-11-27T09:00:00.000Z' });
    expect(StationRun.parse(started)).toEqual(started);

    tick(5);
    store.stationRuns.progress(started.id, { serialNumber: 'SN-0001' });
    tick(40);
    const ended = store.stationRuns.finish(started.id, {
      outcome: 'failed',
      versionAfter: '2.0.0',
      procedure: procedureResult,
      failureStep: 'procedure: temp',
      failureReason: '91 degC is above the maximum 70 degC',
    });
    expect(ended).toMatchObject({
      serialNumber: 'SN-0001',
      versionBefore: '1.4.2',
      versionAfter: '2.0.0',
      outcome: 'failed',
      failureStep: 'procedure: temp',
      procedure: procedureResult,
      endedAt: '2026-11-27T09:00:45.000Z',
    });

    // Read back from the file by a fresh connection.
    store.close();
    store = open();
    expect(store.stationRuns.get(started.id)).toEqual(ended);
  });

  it('never overwrites a run that ended, and asks for a reason when a unit did not pass', () => {
    const run = store.stationRuns.start(unit('SN-0002'));
    expect(fieldbenchErrorFrom(() => store.stationRuns.finish(run.id, { outcome: 'failed' })).code).toBe('invalid-request');
    expect(fieldbenchErrorFrom(() => store.stationRuns.finish(run.id, { outcome: 'passed', failureReason: 'x' })).code).toBe('invalid-request');
    store.stationRuns.finish(run.id, { outcome: 'passed', versionAfter: '2.0.0' });
    const again = fieldbenchErrorFrom(() => store.stationRuns.finish(run.id, { outcome: 'unplugged', failureReason: 'unplugged' }));
    expect(again.code).toBe('conflict');
    expect(again.device).toBe('/dev/ttyACM0');
    expect(fieldbenchErrorFrom(() => store.stationRuns.progress(run.id, { versionAfter: '9.9.9' })).code).toBe('conflict');
    expect(store.stationRuns.get(run.id)).toMatchObject({ outcome: 'passed', versionAfter: '2.0.0', failureReason: null });
    expect(fieldbenchErrorFrom(() => store.stationRuns.get('no-such-run')).code).toBe('not-found');
  });

  it("finds a unit's history by serial number, newest first, and lists by time range and recipe", () => {
    const first = store.stationRuns.start(unit('SN-0007'));
    store.stationRuns.finish(first.id, { outcome: 'failed', failureStep: 'flash', failureReason: 'the device stopped answering' });
    tick(60);
    const other = store.stationRuns.start(unit('SN-0008', { recipe: { id: 'gateway-production', revision: '1', sha256: RECIPE_SHA } }));
    tick(60);
    const second = store.stationRuns.start(unit('SN-0007'));
    store.stationRuns.finish(second.id, { outcome: 'passed' });

    expect(store.stationRuns.history('SN-0007').map((r) => [r.id, r.outcome])).toEqual([
      [second.id, 'passed'],
      [first.id, 'failed'],
    ]);
    expect(store.stationRuns.history('SN-0007', 1).map((r) => r.id)).toEqual([second.id]);
    expect(store.stationRuns.history('sn-0007')).toEqual([]);

    expect(store.stationRuns.list().map((r) => r.id)).toEqual([first.id, other.id, second.id]);
    expect(store.stationRuns.list({ from: '2026-11-27T09:01:00Z' }).map((r) => r.id)).toEqual([other.id, second.id]);
    expect(store.stationRuns.list({ to: '2026-11-27T09:01:00Z' }).map((r) => r.id)).toEqual([first.id]);
    expect(store.stationRuns.list({ recipeId: 'sensor-node-production' }).map((r) => r.id)).toEqual([first.id, second.id]);
    expect(store.stationRuns.newest().map((r) => r.id)).toEqual([second.id, other.id, first.id]);
    expect(store.stationRuns.newest({}, 2).map((r) => r.id)).toEqual([second.id, other.id]);
    expect(store.stationRuns.newest({ recipeId: 'sensor-node-production' }, 1).map((r) => r.id)).toEqual([second.id]);
    expect(store.stationRuns.newest({ to: '2026-11-27T09:01:00Z' }).map((r) => r.id)).toEqual([first.id]);
    const badDate = fieldbenchErrorFrom(() => store.stationRuns.list({ from: 'yesterday' }));
    expect(badDate).toMatchObject({ code: 'invalid-request', step: 'list station runs: from' });
    expect(fieldbenchErrorFrom(() => store.stationRuns.exportCsv({ to: '2026-13-45' })).step).toBe('list station runs: to');
  });

  it('closes the runs of a station that stopped as aborted on the next open, and leaves a live station its runs', () => {
    store.close();
    const writeAs = (owner: { host: string; pid: number }, serial: string) => {
      const db = openDatabase(join(dir.path, CASE_STORE_FILE));
      try {
        return new StationRuns(db, { now: () => clock, owner }).start(unit(serial)).id;
      } finally {
        db.close();
      }
    };
    const crashed = writeAs({ host: hostname(), pid: deadPid() }, 'SN-0010');
    const elsewhere = writeAs({ host: `not-${hostname()}`, pid: process.pid }, 'SN-0011');
    // Another station process on this host, still running (this test's parent).
    const running = writeAs({ host: hostname(), pid: process.ppid }, 'SN-0012');

    tick(30);
    store = open();
    for (const id of [crashed, elsewhere]) {
      expect(store.stationRuns.get(id)).toMatchObject({ outcome: 'aborted', failureReason: INTERRUPTED_REASON, endedAt: '2026-11-27T09:00:30.000Z' });
    }
    expect(store.stationRuns.get(running)).toMatchObject({ outcome: null, endedAt: null });
    // The live station still ends its own run.
    expect(store.stationRuns.finish(running, { outcome: 'passed' }).outcome).toBe('passed');
  });
});

describe('production log export', () => {
  it('writes CSV by RFC 4180 with a header, quoting where needed, and keeps formulas from running', () => {
    const formula = '=HYPERLINK("http://x","y")';
    const run = store.stationRuns.start(
      unit(formula, { operator: `O'Brien, "Pat"`, device: { label: '@bench', transport: 'usb', serialNumber: formula } }),
    );
    tick(12);
    store.stationRuns.finish(run.id, { outcome: 'failed', procedure: procedureResult, failureStep: '-procedure', failureReason: 'line one\nline two +5' });
    const passed = store.stationRuns.start(unit('SN-0100', { operator: null, procedureId: null, versionBefore: null }));
    tick(3);
    store.stationRuns.finish(passed.id, { outcome: 'passed', versionAfter: '2.0.0' });

    const csv = [...store.stationRuns.exportCsv()].join('');
    expect(csv).toBe(
      [
        'run_id,started_at,ended_at,outcome,serial_number,recipe_id,recipe_revision,recipe_sha256,profile_id,image_sha256,image_version,' +
          'version_before,version_after,procedure_id,procedure_steps,failure_step,failure_reason,station,operator,device_label,transport',
        `${run.id},2026-11-27T09:00:00.000Z,2026-11-27T09:00:12.000Z,failed,"'=HYPERLINK(""http://x"",""y"")",sensor-node-production,2.0.0-r1,` +
          `${RECIPE_SHA},fieldbench-sensor-node,${IMAGE_SHA},2.0.0,1.4.2,,bench-bring-up,volts: passed; temp: failed,'-procedure,` +
          `"line one\nline two +5",bench-3,"O'Brien, ""Pat""",'@bench,usb`,
        `${passed.id},2026-11-27T09:00:12.000Z,2026-11-27T09:00:15.000Z,passed,SN-0100,sensor-node-production,2.0.0-r1,` +
          `${RECIPE_SHA},fieldbench-sensor-node,${IMAGE_SHA},2.0.0,,2.0.0,,,,,bench-3,,/dev/ttyACM0,serial`,
        '',
      ].join('\r\n'),
    );
  });

  it('writes JSON lines: one whole run per line, procedure steps included, read back to the same runs', () => {
    const a = store.stationRuns.start(unit('SN-0200'));
    store.stationRuns.finish(a.id, { outcome: 'failed', procedure: procedureResult, failureStep: 'procedure: temp', failureReason: 'too hot' });
    const b = store.stationRuns.start(unit('SN-0201'));
    const lines = [...store.stationRuns.exportJsonLines()];
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const runs = lines.map((line) => StationRun.parse(JSON.parse(line)));
    expect(runs).toEqual([store.stationRuns.get(a.id), store.stationRuns.get(b.id)]);
    expect(runs[0]?.procedure?.steps[1]?.reason).toBe('91 degC is above the maximum 70 degC');
  });

  it('exports a log longer than one page, each run once, in order, within the filter', () => {
    // One transaction for the lot: a thousand fsyncs would measure the disk, not the export.
    const db = openDatabase(join(dir.path, CASE_STORE_FILE));
    const runs = new StationRuns(db, { now: () => clock });
    const ids: string[] = [];
    try {
      db.transaction(() => {
        for (let i = 0; i < 1001; i++) {
          ids.push(runs.start(unit(`SN-${i}`)).id);
          tick(1);
        }
      })();
    } finally {
      db.close();
    }
    const lines = [...store.stationRuns.exportJsonLines()];
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(ids);
    const csv = [...store.stationRuns.exportCsv({ from: '2026-11-27T09:05:00Z', to: '2026-11-27T09:15:00Z' })];
    expect(csv).toHaveLength(1 + 600);
    expect(csv[1]?.startsWith(`${ids[300]},`)).toBe(true);
    expect(csv.at(-1)?.startsWith(`${ids[899]},`)).toBe(true);
  });
});

describe('CSV cells', () => {
  it('read back as written, one record per line, with a leading formula character kept as text behind a quote', () => {
    const cell = fc.oneof(fc.string(), fc.constantFrom('=1+1', '+A1', '-2', '@SUM(A1)', '\tx', '\r=x', 'a,b', '"q"', 'x\r\ny', ''));
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (cells) => {
        const line = csvLine(cells);
        expect(line.endsWith('\r\n')).toBe(true);
        expect(readCsvRecord(line)).toEqual(cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
      }),
    );
  });
});
