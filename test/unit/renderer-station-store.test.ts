// The station store against the fake renderer API: 'station.unit' events replace their tile
// in place and keep the order; a slow fetched state never rolls a tile back; a verdict fetches
// the counts again; requests keep their refusal for the view; the record shows the newest search.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StationState } from '../../src-main/api/station-schemas';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { createStationStore, type StationStore } from '../../src-renderer/stores/station-store';
import { deferred, FakeRendererApi } from '../helpers/fake-renderer-api';
import { until } from '../helpers/until';
import { stationState, stationUnit } from '../helpers/renderer-station-fixtures';

let api: FakeRendererApi;
let store: StationStore;

beforeEach(() => {
  api = new FakeRendererApi();
  store = createStationStore(api);
});
afterEach(() => store.stop());

const serials = () => store.getState().station?.units.map((u) => `${u.deviceId}:${u.state}`) ?? [];

describe('station store: tiles from events', () => {
  it('replaces a tile in place on its unit event and appends a new unit, keeping the core order', async () => {
    api.handle('station.state', () => stationState({ units: [stationUnit('a'), stationUnit('b'), stationUnit('c')] }));
    await store.getState().refresh();
    api.emit('station.unit', stationUnit('b', { state: 'flashing', progress: 0.3 }));
    api.emit('station.unit', stationUnit('d', { state: 'waiting' }));
    api.emit('station.unit', stationUnit('a', { state: 'queued' }));
    expect(serials()).toEqual(['a:queued', 'b:flashing', 'c:waiting', 'd:waiting']);
    expect(store.getState().station?.units[1]?.progress).toBe(0.3);
  });

  it('takes a pushed station.state whole (a tile that left is gone)', async () => {
    api.handle('station.state', () => stationState({ units: [stationUnit('a'), stationUnit('b')] }));
    await store.getState().refresh();
    api.emit('station.state', stationState({ units: [stationUnit('b', { state: 'testing' })], operator: 'Ana' }));
    expect(serials()).toEqual(['b:testing']);
    expect(store.getState().station?.operator).toBe('Ana');
  });

  it('never lets a fetch sent before a pushed station.state undo it (a recipe unloaded meanwhile stays unloaded)', async () => {
    api.handle('station.state', () => stationState({ units: [stationUnit('a', { state: 'passed' })] }));
    await store.getState().refresh();
    const answer = deferred<StationState>();
    api.handle('station.state', () => answer.promise);
    const refreshing = store.getState().refresh();
    api.emit('station.state', stationState({ recipe: null, units: [] }));
    answer.resolve(stationState({ units: [stationUnit('a', { state: 'passed' })] }));
    await refreshing;
    expect(store.getState().station?.recipe).toBeNull();
    expect(serials()).toEqual([]);
    expect(store.getState().stateError).toBeNull();
  });

  it('keeps a tile an event changed while a fetch was out, and tiles the fetch does not know yet', async () => {
    const answer = deferred<StationState>();
    api.handle('station.state', () => answer.promise);
    const refreshing = store.getState().refresh();
    // Events that arrive before the first state has nothing to land in; the fetch must not lose them.
    api.emit('station.unit', stationUnit('b', { state: 'flashing', progress: 0.5 }));
    api.emit('station.unit', stationUnit('c', { state: 'waiting' }));
    answer.resolve(stationState({ units: [stationUnit('a', { state: 'passed' }), stationUnit('b', { state: 'queued' })] }));
    await refreshing;
    expect(serials()).toEqual(['a:passed', 'b:flashing', 'c:waiting']);

    // A later fetch, sent after those events, is the newer word for every tile.
    api.handle('station.state', () => stationState({ units: [stationUnit('b', { state: 'testing' }), stationUnit('a', { state: 'passed' })] }));
    await store.getState().refresh();
    expect(serials()).toEqual(['b:testing', 'a:passed']);
  });

  it('fetches the station again when a unit reaches a verdict, once per burst of verdicts', async () => {
    const held = deferred<StationState>();
    let fetches = 0;
    let core = stationState({ units: [stationUnit('a'), stationUnit('b'), stationUnit('c')] });
    api.handle('station.state', () => {
      fetches += 1;
      return fetches === 2 ? held.promise : core;
    });
    await store.getState().refresh();
    api.emit('station.unit', stationUnit('a', { state: 'flashing' }));
    expect(fetches).toBe(1);
    api.emit('station.unit', stationUnit('a', { state: 'passed' }));
    expect(fetches).toBe(2);
    // Two more verdicts while that fetch is out: one fetch after it, not two.
    api.emit('station.unit', stationUnit('b', { state: 'failed' }));
    api.emit('station.unit', stationUnit('c', { state: 'unplugged' }));
    // The same verdict again (a note on a finished tile) is not a new verdict.
    api.emit('station.unit', stationUnit('a', { state: 'passed', note: 'passed at 10:00' }));
    expect(fetches).toBe(2);
    // The held answer was sent before those events: it must not roll the tiles back.
    held.resolve(stationState({ units: [stationUnit('a', { state: 'passed' }), stationUnit('b', { state: 'testing' }), stationUnit('c', { state: 'testing' })] }));
    core = stationState({
      units: [stationUnit('a', { state: 'passed' }), stationUnit('b', { state: 'failed' }), stationUnit('c', { state: 'unplugged' })],
      counts: { waiting: 0, running: 0, passed: 1, failed: 1, unplugged: 1, aborted: 0 },
    });
    await until('the follow-up fetch', () => store.getState().station?.counts.unplugged === 1);
    expect(fetches).toBe(3);
    expect(serials()).toEqual(['a:passed', 'b:failed', 'c:unplugged']);
  });

  it('after a reconnect judges a verdict against the fetched tile, not the last event heard before the drop', async () => {
    let fetches = 0;
    let core = stationState({ units: [stationUnit('a')] });
    api.handle('station.state', () => {
      fetches += 1;
      return core;
    });
    await store.getState().refresh();
    core = stationState({ units: [stationUnit('a', { state: 'passed' })], counts: { waiting: 0, running: 0, passed: 1, failed: 0, unplugged: 0, aborted: 0 } });
    api.emit('station.unit', stationUnit('a', { state: 'passed' }));
    await until('the counts after the first verdict', () => store.getState().station?.counts.passed === 1);
    expect(fetches).toBe(2);

    // The connection drops; meanwhile the unit is started again. The reconnect's fetch shows it flashing.
    core = stationState({ units: [stationUnit('a', { state: 'flashing' })], counts: { waiting: 0, running: 1, passed: 1, failed: 0, unplugged: 0, aborted: 0 } });
    await store.getState().refresh();
    expect(serials()).toEqual(['a:flashing']);

    // Its second verdict is a new one: the counts are fetched again.
    core = stationState({ units: [stationUnit('a', { state: 'passed' })], counts: { waiting: 0, running: 0, passed: 2, failed: 0, unplugged: 0, aborted: 0 } });
    api.emit('station.unit', stationUnit('a', { state: 'passed' }));
    await until('the counts after the second verdict', () => store.getState().station?.counts.passed === 2);
    expect(fetches).toBe(4);
  });
});

describe('station store: requests', () => {
  it('loads a recipe and keeps a refusal with its issues for the form', async () => {
    const refusal = new ApiRequestError({
      code: 'invalid-request',
      message: 'recipe /tmp/r.yaml: parallelism.serial (line 12, column 11): must be at most 16',
      hint: 'Fix the recipe and load it again.',
      issues: [{ path: 'parallelism.serial', message: 'line 12, column 11: must be at most 16' }],
    });
    api.handle('station.load', () => {
      throw refusal;
    });
    expect(await store.getState().load('  /tmp/r.yaml ')).toBe(false);
    expect(api.callsTo('station.load')).toEqual([{ file: '/tmp/r.yaml' }]);
    expect(store.getState().errors.load).toMatchObject({ code: 'invalid-request', issues: [{ path: 'parallelism.serial', message: 'line 12, column 11: must be at most 16' }] });
    expect(store.getState().pending.load).toBe(false);

    api.handle('station.load', () => stationState());
    expect(await store.getState().load('/tmp/r.yaml')).toBe(true);
    expect(store.getState().errors.load).toBeUndefined();
    expect(store.getState().station?.recipe?.revision).toBe('2.0.0-q1');
  });

  it('sends one request per tile at a time and keeps its refusal on that tile', async () => {
    api.handle('station.state', () => stationState({ units: [stationUnit('a', { state: 'flashing' })] }));
    await store.getState().refresh();
    const answer = deferred<StationState>();
    api.handle('station.abort', () => answer.promise);
    const aborting = store.getState().abort('a', ' operator pulled it ');
    await store.getState().abort('a');
    expect(api.callsTo('station.abort')).toEqual([{ deviceId: 'a', reason: 'operator pulled it' }]);
    expect(store.getState().pending['unit:a']).toBe(true);
    answer.reject(new ApiRequestError({ code: 'conflict', message: 'unit a is finishing', device: 'a' }));
    await aborting;
    expect(store.getState().errors['unit:a']).toMatchObject({ code: 'conflict', device: 'a' });

    api.handle('station.start', (payload) => stationState({ units: [stationUnit('a', { state: 'queued' })], operator: payload.deviceId ? null : 'x' }));
    await store.getState().start('a');
    expect(api.callsTo('station.start')).toEqual([{ deviceId: 'a' }]);
    expect(serials()).toEqual(['a:queued']);
    await store.getState().startAll();
    expect(api.callsTo('station.start')[1]).toEqual({});
  });

  it('attaches a tray of virtual units in one request', async () => {
    api.handle('devices.attachVirtualMany', () => []);
    expect(await store.getState().attachVirtual('sensor-node', [{}, { faults: { failingSelftestPart: 'sensor' } }])).toBe(true);
    expect(api.callsTo('devices.attachVirtualMany')).toEqual([{ model: 'sensor-node', units: [{}, { faults: { failingSelftestPart: 'sensor' } }] }]);
    api.handle('devices.attachVirtualMany', () => {
      throw new ApiRequestError({ code: 'device-error', message: 'unit 2 could not be attached', hint: 'Check socat.' });
    });
    expect(await store.getState().attachVirtual('sensor-node', [{}])).toBe(false);
    expect(store.getState().errors.attach?.message).toBe('unit 2 could not be attached');
  });

  it('shows the newest record search only, and its refusal', async () => {
    const slow = deferred<never[]>();
    api.handle('station.runs', (payload) => (payload.serialNumber === 'SN-old' ? slow.promise : []));
    const old = store.getState().searchRuns('SN-old');
    await store.getState().searchRuns(' SN-new ');
    slow.resolve([]);
    await old;
    expect(store.getState().record).toEqual({ serialNumber: 'SN-new', runs: [], searching: false, error: null });
    expect(api.callsTo('station.runs')).toContainEqual({ serialNumber: 'SN-new', limit: 200 });

    api.handle('station.runs', () => {
      throw new ApiRequestError({ code: 'store-error', message: 'database is locked' });
    });
    await store.getState().searchRuns('SN-new');
    expect(store.getState().record).toMatchObject({ serialNumber: 'SN-new', runs: null, error: { code: 'store-error' } });
  });

  it('exports with the format and range, and keeps a station that cannot be read as an error', async () => {
    api.handle('station.export', () => ({ fileName: 'log.csv', mediaType: 'text/csv', runs: 3, contentBase64: 'YQ==' }));
    expect(await store.getState().exportLog('csv', { from: '2026-03-01T00:00:00.000Z' })).toMatchObject({ runs: 3 });
    expect(api.callsTo('station.export')).toEqual([{ format: 'csv', from: '2026-03-01T00:00:00.000Z' }]);

    api.handle('station.state', () => {
      throw new ApiRequestError({ code: 'unavailable', message: 'the bench station is not available in this build' });
    });
    await store.getState().refresh();
    expect(store.getState().stateError?.code).toBe('unavailable');
    expect(store.getState().station).toBeNull();
  });
});
