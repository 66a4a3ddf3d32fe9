// The station.* requests through the contract's dispatcher: payloads checked, a relative
// recipe path taken from the working directory, a unit's history and a range of runs newest
// first, and the production log exported as CSV and JSON lines, refused when too large.
import { relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src-main/api/contract';
import { createDispatcher, type Handlers } from '../../src-main/api/dispatch';
import { StationRun } from '../../src-main/api/station-schemas';
import { stationRequests } from '../../src-main/core/station/station-requests';
import { sensorNode } from '../helpers/station-fake-operations';
import { startHarness, type Harness } from '../helpers/station-harness';

let h: Harness;
let dispatch: (channel: string, payload: unknown) => Promise<Envelope>;

beforeEach(async () => {
  h = await startHarness();
  const handlers = stationRequests({
    station: h.station,
    runs: h.store.stationRuns,
    recipeFolders: { shipped: h.folder, local: `${h.folder}/none` },
    now: () => new Date('2026-03-04T05:06:07Z'),
    maxExportBytes: 4096,
  });
  dispatch = createDispatcher(handlers as Handlers, { checkResponses: true });
});
afterEach(async () => {
  await h.close();
});

async function value<T>(channel: string, payload: unknown): Promise<T> {
  const answer = await dispatch(channel, payload);
  if (!answer.ok) throw new Error(`${channel}: ${JSON.stringify(answer.error)}`);
  return answer.value as T;
}

async function error(channel: string, payload: unknown) {
  const answer = await dispatch(channel, payload);
  if (answer.ok) throw new Error(`${channel} answered ${JSON.stringify(answer.value)}`);
  return answer.error;
}

/** Three runs on two units: SN-1 passes, SN-2 fails, SN-1 passes again. */
async function threeRuns(): Promise<void> {
  const one = h.operations.plug(sensorNode('SN-1'));
  const two = h.operations.plug(sensorNode('SN-2'));
  h.operations.procedureScripts.set(two.id, { failStep: 2 });
  await value('station.load', { file: relative(process.cwd(), h.recipe({})) });
  await h.untilState(one.id, ['passed']);
  await h.untilState(two.id, ['failed']);
  await value('station.start', { deviceId: one.id });
  await h.untilState(one.id, ['queued', 'flashing', 'testing', 'finishing']);
  await h.untilState(one.id, ['passed']);
}

describe('station requests', () => {
  it('lists the recipes of the folders, and loads one by a path relative to the working directory', async () => {
    h.recipe({}, 'tray.yaml');
    const recipes = await value<{ id: string }[]>('station.recipes', {});
    expect(recipes.map((r) => r.id)).toEqual(['tray-flash']);
    const state = await value<{ recipe: { file: string } }>('station.load', { file: relative(process.cwd(), `${h.folder}/tray.yaml`) });
    expect(state.recipe.file).toBe(`${h.folder}/tray.yaml`);
  });

  it('answers a history by serial number and a range of runs, newest first', async () => {
    await threeRuns();
    const history = await value<StationRun[]>('station.runs', { serialNumber: 'SN-1' });
    expect(history.map((r) => r.outcome)).toEqual(['passed', 'passed']);
    const latest = await value<StationRun[]>('station.runs', { recipeId: 'tray-flash', limit: 2 });
    expect(latest.map((r) => r.serialNumber)).toEqual(['SN-1', 'SN-2']);
    expect(Date.parse(latest[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(latest[1]!.startedAt));
    expect(await value<StationRun[]>('station.runs', { recipeId: 'another' })).toEqual([]);
  });

  it('exports the production log as CSV and JSON lines', async () => {
    await threeRuns();
    const csv = await value<{ fileName: string; mediaType: string; runs: number; contentBase64: string }>('station.export', { format: 'csv', recipeId: 'tray-flash' });
    expect(csv).toMatchObject({ fileName: 'production-tray-flash-20260304-050607.csv', mediaType: 'text/csv', runs: 3 });
    const lines = Buffer.from(csv.contentBase64, 'base64').toString('utf8').split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^run_id,started_at,ended_at,outcome,serial_number,/);
    expect(lines.slice(1).map((line) => line.split(',')[3])).toEqual(['passed', 'failed', 'passed']);

    const jsonl = await value<{ fileName: string; mediaType: string; runs: number; contentBase64: string }>('station.export', { format: 'jsonl' });
    expect(jsonl).toMatchObject({ fileName: 'production-all-20260304-050607.jsonl', mediaType: 'application/x-ndjson', runs: 3 });
    const runs = Buffer.from(jsonl.contentBase64, 'base64').toString('utf8').trim().split('\n').map((line) => StationRun.parse(JSON.parse(line)));
    expect(runs.map((r) => [r.serialNumber, r.outcome, r.station])).toEqual([
      ['SN-1', 'passed', 'bench-7'],
      ['SN-2', 'failed', 'bench-7'],
      ['SN-1', 'passed', 'bench-7'],
    ]);
    expect(runs[1]!.procedure!.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
  });

  it('refuses an export larger than it answers in one piece, saying how to narrow it', async () => {
    for (let i = 0; i < 12; i += 1) {
      const run = h.store.stationRuns.start({
        recipe: { id: 'tray-flash', revision: '3', sha256: 'b'.repeat(64) },
        profileId: 'fieldbench-sensor-node',
        station: 'bench-7',
        operator: 'Dana',
        device: { label: `/dev/ttyACM${i}`, transport: 'serial', serialNumber: `SN-${i}` },
        image: { sha256: 'c'.repeat(64), version: '2.0.0+0' },
        versionBefore: '1.4.2',
        procedureId: null,
      });
      h.store.stationRuns.finish(run.id, { outcome: 'passed', versionAfter: '2.0.0+0' });
    }
    const refused = await error('station.export', { format: 'jsonl' });
    expect(refused).toMatchObject({ code: 'invalid-request', step: 'export production log', message: 'the production log for this range is larger than 4096 bytes' });
    expect(refused.hint).toMatch(/Narrow the range/);
  });

  it('refuses bad payloads and bad ranges with the field at fault', async () => {
    expect(await error('station.start', { deviceId: '' })).toMatchObject({ code: 'invalid-request', issues: [{ path: 'deviceId' }] });
    expect(await error('station.setOperator', { operator: '   ' })).toMatchObject({ code: 'invalid-request', issues: [{ path: 'operator' }] });
    expect(await error('station.export', { format: 'xlsx' })).toMatchObject({ code: 'invalid-request', issues: [{ path: 'format' }] });
    expect(await error('station.runs', { from: 'yesterday' })).toMatchObject({ code: 'invalid-request', issues: [{ path: 'from' }] });
    expect(await error('station.load', { file: 'no/such/recipe.yaml' })).toMatchObject({ code: 'invalid-request', step: 'read recipe' });
    expect((await value<{ recipe: null }>('station.state', {})).recipe).toBeNull();
  });
});
