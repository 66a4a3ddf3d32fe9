// The bench station over serial, as every door drives it: a real core on a temp data folder,
// trays of virtual sensor nodes on real pseudo-terminals (devices.attachVirtualMany, some with
// fault knobs), the shipped quick recipe, SMP flashing with confirm 'later', the automatic
// production check, and the production record in a real SQLite file. Every verdict is read
// back from the units' own bootloaders, and every wait has a deadline.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Device, ImageSlot, VirtualFaults } from '../../src-main/api/schemas';
import { StationRun, type StationUnit } from '../../src-main/api/station-schemas';
import type { Core } from '../../src-main/core/core';
import { fails, ok, startCore } from '../helpers/core-fixture';
import { readExpectations, type McubootExpectation } from '../helpers/firmware-fixtures';
import { ended, watchRuns } from '../helpers/procedure-run-events';
import { readCsv } from '../helpers/station-csv';
import { allFinished, watchStation, type StationWatcher } from '../helpers/station-units';
import { makeTempDir } from '../helpers/temp-dir';
import { until } from '../helpers/until';

const QUICK = fileURLToPath(new URL('../../recipes/sensor-node-2.0.0-quick.yaml', import.meta.url));
const WITH_OPERATOR = fileURLToPath(new URL('../../recipes/sensor-node-2.0.0.yaml', import.meta.url));
const RELEASE = readExpectations<McubootExpectation>('mcuboot').find((e) => e.file === 'app-2.0.0-ecdsa-p256.bin')!;
const RELEASE_FILE_SHA256 = 'd0ffce7440e2274646447318297f71ecfd4822ac566151ce758391a15ab2bd87';
/** A tray flashes, tests and confirms or reverts every unit at once: well within this, or something hangs. */
const TRAY_DEADLINE_MS = 90_000;

let dir: ReturnType<typeof makeTempDir>;
let core: Core;
let station: StationWatcher;
let attached: string[];

beforeEach(async () => {
  dir = makeTempDir('station-serial');
  core = await startCore(dir.path);
  station = watchStation(core);
  attached = [];
});
afterEach(async () => {
  station.stop();
  // A unit a test already unplugged answers not-found here, which is what it should.
  for (const deviceId of attached) await core.dispatch('devices.detach', { deviceId });
  await core.close();
  dir.remove();
});

async function tray(units: { faults?: VirtualFaults }[]): Promise<Device[]> {
  const devices = await ok(core, 'devices.attachVirtualMany', { units });
  attached.push(...devices.map((d) => d.id));
  return devices;
}

/** The unit's slots once it answers again (it may be rebooting after its verdict's action). */
function slotsOf(deviceId: string): Promise<ImageSlot[]> {
  return until(`${deviceId} answering with its slots`, async () => {
    const envelope = await core.dispatch('firmware.slots', { deviceId });
    return envelope.ok ? (envelope.value as ImageSlot[]) : null;
  }, 20_000, 50);
}

/** A copy of the quick recipe in the temp folder, its paths made absolute, with some lines changed. */
function quickRecipeCopy(change: (text: string) => string): string {
  const folder = fileURLToPath(new URL('../../recipes/', import.meta.url));
  const text = readFileSync(QUICK, 'utf8')
    .replace(/^( {2}file: )(.*)$/mu, (_, key: string, path: string) => `${key}${join(folder, path)}`)
    .replace(/^( {4}- )(.*\.pem)$/mu, (_, key: string, path: string) => `${key}${join(folder, path)}`);
  const file = join(dir.path, 'recipe.yaml');
  writeFileSync(file, change(text));
  return file;
}

describe('a tray of virtual sensor nodes through the core', () => {
  it('attaches each unit on its own pseudo-terminal with its own faults, and the faults act', async () => {
    const [good, badPart, flatCell] = await tray([{}, { faults: { failingSelftestPart: 'sensor' } }, { faults: { batteryVolts: 3.1 } }]);
    for (const device of [good, badPart, flatCell]) expect(device).toMatchObject({ transport: 'serial', virtual: true, state: 'ready', profileId: 'fieldbench-sensor-node' });
    const paths = [good, badPart, flatCell].map((d) => d!.path);
    expect(new Set(paths).size).toBe(3);
    const serials = [good, badPart, flatCell].map((d) => d!.identity?.serialNumber);
    expect(new Set(serials).size).toBe(3);
    expect((await ok(core, 'devices.list', {})).filter((d) => d.virtual).map((d) => d.id).sort()).toEqual(attached.slice().sort());

    const selftest = (await ok(core, 'diagnostics.read', { deviceId: badPart!.id })).readings.find((r) => r.id === 'selftest');
    expect(selftest).toMatchObject({ value: 'FAIL', status: 'fail' });
    const battery = (await ok(core, 'diagnostics.read', { deviceId: flatCell!.id })).readings.find((r) => r.id === 'battery-voltage');
    expect(battery?.status).toBe('fail');
    expect(battery?.value).toBeCloseTo(3.1, 1);

    // The production check tells each board by what is wrong with it, and passes the good one.
    const runs = watchRuns(core);
    try {
      const verdicts = await Promise.all(
        [good, badPart, flatCell].map(async (device) => {
          const started = await ok(core, 'procedures.start', { deviceId: device!.id, procedureId: 'production-check', onFail: 'continue' });
          expect(started.steps.every((s) => s.awaiting === null)).toBe(true);
          const done = await runs.until(started.id, ended, 'ended');
          return { state: done.state, failed: done.steps.filter((s) => s.status !== 'passed').map((s) => s.id) };
        }),
      );
      expect(verdicts).toEqual([
        { state: 'passed', failed: [] },
        { state: 'failed', failed: ['selftest'] },
        { state: 'failed', failed: ['battery-voltage'] },
      ]);
    } finally {
      runs.stop();
    }
  });
});

describe('the station over serial', () => {
  it('runs the quick recipe on a tray of eight, two faulty: six pass and are confirmed, two fail with their reasons and go back; the record holds all eight', async () => {
    const loaded = await ok(core, 'station.load', { file: QUICK });
    expect(loaded).toMatchObject({ operator: null, autoStart: true, recipe: { id: 'sensor-node-production-quick', operatorRequired: false, procedure: { id: 'production-check', operatorSteps: 0 } } });
    expect(loaded.recipe?.image).toMatchObject({ sha256: RELEASE_FILE_SHA256, bootloaderHash: RELEASE.sha256_tlv });

    const REFUSING = 2;
    const BAD_PART = 5;
    const units = Array.from({ length: 8 }, (_, i): { faults?: VirtualFaults } =>
      i === REFUSING ? { faults: { refuseImage: true } } : i === BAD_PART ? { faults: { failingSelftestPart: 'flash' } } : {},
    );
    const devices = await tray(units);
    const ids = devices.map((d) => d.id);
    const tiles = await station.until('all eight tiles finished', allFinished(ids), TRAY_DEADLINE_MS);

    const tileOf = (i: number): StationUnit => tiles.get(ids[i]!)!;
    // Versions as the unit reports them (2.0.0), before and after alike; the image header says 2.0.0+0.
    const passed = ids.filter((_, i) => i !== REFUSING && i !== BAD_PART);
    for (const id of passed) expect(tiles.get(id)).toMatchObject({ state: 'passed', versionBefore: '1.4.2', versionAfter: '2.0.0', reason: null, present: true });
    expect(tileOf(REFUSING)).toMatchObject({ state: 'failed', versionBefore: '1.4.2', versionAfter: '1.4.2' });
    expect(tileOf(REFUSING).reason).toMatch(/refused/i);
    expect(tileOf(BAD_PART)).toMatchObject({ state: 'failed', versionBefore: '1.4.2', versionAfter: '1.4.2' });
    // What failed is in the step (the procedure's step by its title), why in the reason.
    expect(tileOf(BAD_PART).failureStep).toMatch(/self-test/i);
    expect(tileOf(BAD_PART).reason).toMatch(/FAIL/);
    // Each tile names its unit by the serial number the unit told.
    for (const device of devices) expect(tiles.get(device.id)?.serialNumber).toBe(device.identity?.serialNumber);
    expect(station.peakRunning('serial')).toBeLessThanOrEqual(8);
    expect(station.peakRunning('serial')).toBeGreaterThan(1);

    // Read back from each bootloader: passed units run 2.0.0 for good, failed ones their old image.
    for (const id of passed) {
      expect((await slotsOf(id)).find((s) => s.active)).toMatchObject({ version: '2.0.0', hash: RELEASE.sha256_tlv, confirmed: true });
    }
    for (const i of [REFUSING, BAD_PART]) {
      expect((await slotsOf(ids[i]!)).find((s) => s.active)).toMatchObject({ version: '1.4.2', confirmed: true });
    }

    const state = await ok(core, 'station.state', {});
    expect(state.counts).toMatchObject({ passed: 6, failed: 2, running: 0, unplugged: 0, aborted: 0 });
    expect(state.units.map((u) => u.deviceId)).toEqual(ids);

    const runs = await ok(core, 'station.runs', {});
    expect(runs).toHaveLength(8);
    for (const run of runs) {
      const device = devices.find((d) => d.identity?.serialNumber === run.serialNumber);
      expect(device, `a run for ${String(run.serialNumber)}`).toBeDefined();
      expect(run).toMatchObject({
        recipeId: 'sensor-node-production-quick',
        recipeRevision: '2.0.0-q1',
        profileId: 'fieldbench-sensor-node',
        operator: null,
        transport: 'serial',
        imageSha256: RELEASE_FILE_SHA256,
        versionBefore: '1.4.2',
        procedureId: 'production-check',
      });
      expect(run.imageVersion).toMatch(/^2\.0\.0/);
      expect(run.station).toBe(state.station);
      expect(Date.parse(run.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
    }
    const runOf = (i: number) => runs.find((r) => r.serialNumber === devices[i]!.identity?.serialNumber)!;
    for (const i of [0, 1, 3, 4, 6, 7]) {
      expect(runOf(i)).toMatchObject({ outcome: 'passed', versionAfter: '2.0.0', failureReason: null });
      expect(runOf(i).procedure?.steps.map((s) => [s.id, s.status])).toEqual([['model', 'passed'], ['battery-voltage', 'passed'], ['temperature', 'passed'], ['selftest', 'passed']]);
    }
    expect(runOf(REFUSING)).toMatchObject({ outcome: 'failed', versionAfter: '1.4.2' });
    expect(runOf(REFUSING).failureReason).toMatch(/refused/i);
    // Refused at the reset inside the flash job: its test never ran on an image that never booted.
    expect(runOf(REFUSING).failureStep).toMatch(/^flash/);
    expect(runOf(REFUSING).procedure).toBeNull();
    expect(runOf(BAD_PART)).toMatchObject({ outcome: 'failed', versionAfter: '1.4.2' });
    expect(runOf(BAD_PART).failureStep).toBe(tileOf(BAD_PART).failureStep);
    expect(runOf(BAD_PART).failureReason).toMatch(/FAIL/);
    expect(runOf(BAD_PART).procedure?.steps.find((s) => s.id === 'selftest')).toMatchObject({ status: 'failed', reading: { value: 'FAIL' } });
    // onFail continue: the steps after nothing failed all ran, so the record holds every reading.
    expect(runOf(BAD_PART).procedure?.steps.filter((s) => s.status === 'passed').map((s) => s.id)).toEqual(['model', 'battery-voltage', 'temperature']);

    // A unit's history by its serial number.
    const serial = devices[BAD_PART]!.identity!.serialNumber!;
    expect((await ok(core, 'station.runs', { serialNumber: serial })).map((r) => r.id)).toEqual([runOf(BAD_PART).id]);

    // The production log, as files: CSV with a header and a line per run, JSON lines of the record's shape.
    const csv = await ok(core, 'station.export', { format: 'csv' });
    expect(csv.runs).toBe(8);
    const [header, ...records] = readCsv(Buffer.from(csv.contentBase64, 'base64').toString('utf8'));
    expect(header).toEqual(expect.arrayContaining(['run_id', 'serial_number', 'outcome', 'image_sha256', 'version_before', 'version_after']));
    expect(records).toHaveLength(8);
    const column = (name: string) => records.map((r) => r[header!.indexOf(name)]);
    expect(column('serial_number').sort()).toEqual(devices.map((d) => d.identity?.serialNumber).sort());
    expect(column('outcome').filter((o) => o === 'passed')).toHaveLength(6);
    expect(new Set(column('image_sha256'))).toEqual(new Set([RELEASE_FILE_SHA256]));

    const jsonl = await ok(core, 'station.export', { format: 'jsonl' });
    const lines = Buffer.from(jsonl.contentBase64, 'base64').toString('utf8').split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(8);
    const exported = lines.map((line) => StationRun.parse(JSON.parse(line)));
    expect(exported.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
  }, 120_000);

  it('never runs more units at once on the serial bus than the recipe allows', async () => {
    const file = quickRecipeCopy((text) => text.replace(/^ {2}serial: 8$/mu, '  serial: 3'));
    const loaded = await ok(core, 'station.load', { file });
    expect(loaded.recipe?.parallelism.serial).toBe(3);
    const devices = await tray(Array.from({ length: 5 }, () => ({})));
    const ids = devices.map((d) => d.id);
    const tiles = await station.until('all five tiles finished', allFinished(ids), TRAY_DEADLINE_MS);
    expect([...tiles.values()].map((t) => t.state)).toEqual(Array(5).fill('passed'));
    expect(station.peakRunning('serial')).toBeLessThanOrEqual(3);
    // With five units and three places, some waited their turn in the queue.
    expect(station.seen.some((u) => u.state === 'queued')).toBe(true);
    expect(station.peakRunning('serial')).toBeGreaterThan(1);
  }, 120_000);

  it('a unit unplugged mid-flash is marked unplugged at its step, in its tile and its record; the others pass', async () => {
    await ok(core, 'station.load', { file: QUICK });
    const devices = await tray([{}, {}, {}]);
    const ids = devices.map((d) => d.id);
    const victim = ids[1]!;
    await station.until('the second unit flashing, part of its image sent', (tiles) => {
      const tile = tiles.get(victim);
      return tile?.state === 'flashing' && (tile.progress ?? 0) > 0;
    }, TRAY_DEADLINE_MS);
    await ok(core, 'devices.detach', { deviceId: victim });

    const tiles = await station.until('all three tiles finished', allFinished(ids), TRAY_DEADLINE_MS);
    const tile = tiles.get(victim)!;
    expect(tile).toMatchObject({ state: 'unplugged', present: false });
    expect(tile.failureStep).toMatch(/^flash/);
    expect(tile.reason).toMatch(/unplugged/);
    for (const id of [ids[0]!, ids[2]!]) expect(tiles.get(id)?.state).toBe('passed');

    const runs = await ok(core, 'station.runs', {});
    expect(runs).toHaveLength(3);
    const record = runs.find((r) => r.serialNumber === devices[1]!.identity?.serialNumber)!;
    expect(record).toMatchObject({ outcome: 'unplugged', failureStep: tile.failureStep });
    expect(record.endedAt).not.toBeNull();
    expect(runs.filter((r) => r.outcome === 'passed')).toHaveLength(2);
  }, 120_000);

  it('refuses a broken recipe naming its file and line, a start with no recipe, an unknown device, and a start with no operator where one is required', async () => {
    const broken = join(dir.path, 'broken.yaml');
    copyFileSync(QUICK, broken);
    writeFileSync(broken, readFileSync(broken, 'utf8').replace(/^onPass: confirm$/mu, 'onPass: celebrate'));
    const brokenError = await fails(core, 'station.load', { file: broken });
    expect(brokenError.code).toBe('invalid-request');
    expect(brokenError.message).toContain('broken.yaml');
    expect(brokenError.issues).toEqual([{ path: 'onPass', message: expect.stringMatching(/^line \d+, column 1: /) }]);
    expect((await ok(core, 'station.state', {})).recipe).toBeNull();
    expect((await fails(core, 'station.start', {})).message).toMatch(/no recipe/);

    await ok(core, 'station.load', { file: QUICK });
    const unknown = await fails(core, 'station.start', { deviceId: 'serial:/dev/no-such-unit' });
    expect(unknown.code).toBe('not-found');
    expect(unknown.message).toContain('serial:/dev/no-such-unit');
    await ok(core, 'station.unload', {});

    const loaded = await ok(core, 'station.load', { file: WITH_OPERATOR });
    expect(loaded).toMatchObject({ operator: null, recipe: { operatorRequired: true } });
    const [device] = await tray([{}]);
    const waiting = await station.until('the unit waiting for an operator', (tiles) => tiles.get(device!.id)?.state === 'waiting', 10_000);
    expect(waiting.get(device!.id)?.note).toBeTruthy();
    const noOperator = await fails(core, 'station.start', { deviceId: device!.id });
    expect(noOperator.message).toMatch(/operator/i);
    expect(noOperator.hint).toBeTruthy();
    expect((await ok(core, 'station.state', {})).units.find((u) => u.deviceId === device!.id)?.state).toBe('waiting');
    expect(await ok(core, 'station.runs', {})).toEqual([]);
  });
});
