// The bench station over scriptable operations and a real production record: tiles follow
// the device list, units start by themselves or by the operator, run bounded per bus, flash,
// test and confirm or reset, and every way a run can end is recorded with its step and reason.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StationUnit } from '../../src-main/api/station-schemas';
import { INTERRUPTED_REASON } from '../../src-main/store/station-runs';
import { fieldbenchErrorFrom, fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { until } from '../helpers/until';
import { sensorNode, stm32Bootloader } from '../helpers/station-fake-operations';
import { startHarness, type Harness } from '../helpers/station-harness';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** The most units under way at once, as the doors saw it: from the tiles' events alone. */
function mostRunningAtOnce(events: StationUnit[]): number {
  const state = new Map<string, StationUnit['state']>();
  let most = 0;
  for (const event of events) {
    state.set(event.deviceId, event.state);
    const running = [...state.values()].filter((s) => s === 'flashing' || s === 'testing' || s === 'finishing').length;
    most = Math.max(most, running);
  }
  return most;
}

describe('a unit that passes', () => {
  it('is flashed with confirm later, tested on the image it booted, confirmed, and recorded whole', async () => {
    const node = h.operations.plug(sensorNode('SN-0100'));
    // Quarters slower than the tile's progress pace (250 ms), so each shows.
    h.operations.flashScripts.set(node.id, { uploadMs: 1200 });
    await h.station.load(h.recipe({ operatorRequired: 'true', autoStart: 'true' }));
    h.station.setOperator('Dana');
    const done = await h.untilState(node.id, ['passed', 'failed']);
    expect(done).toMatchObject({ state: 'passed', serialNumber: 'SN-0100', versionBefore: '1.4.2', versionAfter: '2.0.0+0', failureStep: null, reason: null });

    const flash = h.operations.flashed[0]!;
    expect(flash.options).toEqual({ uploadOnly: false, allowDowngrade: false, confirm: 'later' });
    const loaded = h.station.state().recipe!;
    expect(h.operations.procedureStarts).toEqual([{ deviceId: node.id, procedureId: 'bench-bring-up', operator: 'Dana', onFail: 'continue' }]);
    expect(h.operations.confirms).toEqual([{ deviceId: node.id, hash: loaded.image.bootloaderHash }]);
    expect(h.operations.resets).toEqual([]);

    const [run] = h.store.stationRuns.history('SN-0100');
    expect(run).toMatchObject({
      id: done.runId,
      recipeId: 'tray-flash',
      recipeRevision: '3',
      recipeSha256: loaded.recipeSha256,
      profileId: 'fieldbench-sensor-node',
      station: 'bench-7',
      operator: 'Dana',
      deviceLabel: node.path,
      transport: 'serial',
      serialNumber: 'SN-0100',
      imageSha256: loaded.image.sha256,
      imageVersion: loaded.image.version,
      versionBefore: '1.4.2',
      versionAfter: '2.0.0+0',
      procedureId: 'bench-bring-up',
      outcome: 'passed',
      failureStep: null,
      failureReason: null,
    });
    expect(run!.procedure).toMatchObject({ procedureId: 'bench-bring-up', state: 'passed', steps: [{ status: 'passed' }, { status: 'passed' }, { status: 'passed' }] });
    expect(Date.parse(run!.endedAt!)).toBeGreaterThanOrEqual(Date.parse(run!.startedAt));
    expect(h.station.state().counts).toMatchObject({ passed: 1, failed: 0, running: 0, waiting: 0 });
    // The tile went through every stage, with upload progress, in order.
    const states = h.unitEvents.filter((u) => u.deviceId === node.id).map((u) => u.state);
    expect([...new Set(states)]).toEqual(['waiting', 'queued', 'flashing', 'testing', 'finishing', 'passed']);
    expect(h.unitEvents.some((u) => u.state === 'flashing' && u.progress !== null && u.progress > 0 && u.progress < 1)).toBe(true);
    expect(h.unitEvents.some((u) => u.state === 'testing' && /^step \d of 3: /.test(u.step ?? ''))).toBe(true);
  });

  it('that already runs the image, confirmed, is not a failure: the test still decides', async () => {
    const node = h.operations.plug(sensorNode('SN-0101', '2.0.0+0'));
    h.operations.flashScripts.set(node.id, { failAt: 'preflight', reason: 'preflight failed: the device already runs this image (2.0.0+0)' });
    await h.station.load(h.recipe({}));
    const done = await h.untilState(node.id, ['passed', 'failed']);
    expect(done).toMatchObject({ state: 'passed', versionBefore: '2.0.0+0', versionAfter: '2.0.0+0' });
    expect(h.operations.procedureStarts).toHaveLength(1);
  });
});

describe('a unit that fails', () => {
  it('its test fails: reset to the old image, failed at the step with its reason', async () => {
    const node = h.operations.plug(sensorNode('SN-0200'));
    h.operations.procedureScripts.set(node.id, { failStep: 2 });
    await h.station.load(h.recipe({}));
    const done = await h.untilState(node.id, ['passed', 'failed']);
    expect(done).toMatchObject({ state: 'failed', failureStep: 'test: Self-test', versionAfter: '1.4.2' });
    expect(done.reason).toBe("'FAIL' is not 'PASS'; reset; it runs 1.4.2");
    expect(h.operations.resets).toEqual([node.id]);
    expect(h.operations.confirms).toEqual([]);
    const [run] = h.store.stationRuns.history('SN-0200');
    expect(run).toMatchObject({ outcome: 'failed', failureStep: 'test: Self-test', versionBefore: '1.4.2', versionAfter: '1.4.2' });
    expect(run!.procedure!.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
  });

  it('with onFail stop, the run is stopped at the failed step that waits for a decision', async () => {
    const node = h.operations.plug(sensorNode('SN-0201'));
    h.operations.procedureScripts.set(node.id, { failStep: 1 });
    await h.station.load(h.recipe({ 'onFail-procedure': 'stop' }));
    const done = await h.untilState(node.id, ['passed', 'failed']);
    expect(h.operations.procedureStarts[0]!.onFail).toBe('ask');
    expect(done).toMatchObject({ state: 'failed', failureStep: 'test: Battery voltage' });
    const procedure = h.operations.procedureRun(done.procedureRunId!);
    expect(procedure).toMatchObject({ state: 'aborted', stateReason: "stopped at the failed step 'Battery voltage' (the recipe stops at the first failure)" });
    expect(h.store.stationRuns.get(done.runId!).procedure).toMatchObject({ state: 'aborted' });
    expect(h.operations.resets).toEqual([node.id]);
  });

  it('a flash that fails before the image booted needs no reset, and says so', async () => {
    const node = h.operations.plug(sensorNode('SN-0202'));
    h.operations.flashScripts.set(node.id, { outcome: 'failed', failAt: 'upload', reason: 'upload failed: the device refused the image' });
    await h.station.load(h.recipe({}));
    const done = await h.untilState(node.id, ['passed', 'failed', 'unplugged']);
    expect(done).toMatchObject({ state: 'failed', failureStep: 'flash: upload' });
    expect(done.reason).toMatch(/^upload failed: the device refused the image; no reset needed: the new image never booted, the unit still runs 1\.4\.2$/);
    expect(h.operations.resets).toEqual([]);
    expect(h.operations.procedureStarts).toEqual([]);
  });

  it('leaves no deadline of its confirm or reset pending once the run has ended', async () => {
    await h.close();
    h = await startHarness({ rebootTimeoutMs: 1000 });
    // The action's deadline is the reboot timeout and 10 s: each such timer must be cleared.
    const bound = 11_000;
    const pending = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const set = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      const handle = realSet(callback, ms);
      if (ms === bound) pending.add(handle);
      return handle;
    }) as typeof setTimeout);
    const clear = vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
      pending.delete(handle);
      realClear(handle);
    });
    try {
      const passing = h.operations.plug(sensorNode('SN-0204'));
      const failing = h.operations.plug(sensorNode('SN-0205'));
      h.operations.procedureScripts.set(failing.id, { failStep: 2 });
      await h.station.load(h.recipe({}));
      await h.untilState(passing.id, ['passed']);
      await h.untilState(failing.id, ['failed']);
      expect(h.operations.confirms).toHaveLength(1);
      expect(h.operations.resets).toEqual([failing.id]);
      expect(pending.size).toBe(0);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('a confirm that fails turns a pass into a fail', async () => {
    const node = h.operations.plug(sensorNode('SN-0203'));
    h.operations.confirmFails = 'the device did not confirm the image';
    await h.station.load(h.recipe({}));
    const done = await h.untilState(node.id, ['passed', 'failed']);
    expect(done).toMatchObject({ state: 'failed', failureStep: 'finish: confirm' });
    expect(done.reason).toMatch(/^passed the test, but confirm failed: the device did not confirm the image/);
  });
});

describe('operator steps', () => {
  it('show the prompt on the tile until the operator answers it with procedures.answer', async () => {
    const node = h.operations.plug(sensorNode('SN-0150'));
    h.operations.procedureScripts.set(node.id, { promptStep: 1 });
    await h.station.load(h.recipe({}));
    const asking = await until('the prompt', () => h.station.state().units.find((u) => u.prompt !== null));
    expect(asking.prompt).toEqual({ procedureRunId: asking.procedureRunId, stepId: 'step-1', title: 'Battery voltage', instructions: 'Is the LED green?', awaiting: 'confirm', unit: null, limit: null });
    expect(asking.step).toBe('step 2 of 3: Battery voltage');
    h.operations.answerPrompt(asking.procedureRunId!);
    const done = await h.untilState(node.id, ['passed', 'failed']);
    expect(done).toMatchObject({ state: 'passed', prompt: null });
  });
});

describe('starting', () => {
  it('waits for the operator when the recipe requires one, and refuses a start without', async () => {
    const node = h.operations.plug(sensorNode('SN-0300'));
    await h.station.load(h.recipe({ operatorRequired: 'true' }));
    expect(h.tile(node.id)).toMatchObject({ state: 'waiting', note: 'Enter who runs the station to start' });
    const refused = fieldbenchErrorFrom(() => h.station.start(node.id));
    expect(refused).toMatchObject({ code: 'invalid-request', step: 'start unit', hint: 'Enter who runs the station, then start.' });
    expect(h.operations.flashed).toEqual([]);
    h.station.setOperator('Sam');
    await h.untilState(node.id, ['passed']);
    expect(h.store.stationRuns.history('SN-0300')[0]!.operator).toBe('Sam');
  });

  it('without auto-start, waits for Start; start {} starts every waiting unit', async () => {
    const a = h.operations.plug(sensorNode('SN-0301'));
    const b = h.operations.plug(sensorNode('SN-0302'));
    await h.station.load(h.recipe({ autoStart: 'false' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.station.state().units.map((u) => u.state)).toEqual(['waiting', 'waiting']);
    h.station.start();
    await h.untilState(a.id, ['passed']);
    await h.untilState(b.id, ['passed']);
    expect(h.store.stationRuns.history('SN-0301')[0]!.operator).toBeNull();
  });

  it('a unit that already ran this session is not started again by itself, but Start runs it', async () => {
    const node = h.operations.plug(sensorNode('SN-0303'));
    await h.station.load(h.recipe({}));
    await h.untilState(node.id, ['passed']);
    h.operations.unplug(node.id);
    await until('the tile to go', () => !h.station.state().units.some((u) => u.deviceId === node.id));
    h.operations.plug(sensorNode('SN-0303', '2.0.0+0'));
    const waiting = h.tile(node.id);
    expect(waiting.state).toBe('waiting');
    expect(waiting.note).toMatch(/^passed at \d\d:\d\d:\d\d; press Start to run it again$/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.operations.flashed).toHaveLength(1);
    // start {} leaves units that ran alone; naming it runs it again.
    h.station.start();
    expect(h.tile(node.id).state).toBe('waiting');
    h.station.start(node.id);
    await until('a second run', () => h.store.stationRuns.history('SN-0303').length === 2 && h.tile(node.id).state === 'passed');
  });

  it('an abort while the unit is still being identified ends it at once, with nothing recorded', async () => {
    const node = h.operations.plug({ ...sensorNode('SN-0305'), identity: null });
    let asked = false;
    // A unit that never answers: without the abort the run would wait the profile's reboot timeout.
    h.operations.identify = () => {
      asked = true;
      return new Promise(() => undefined);
    };
    await h.station.load(h.recipe({}));
    await until('the unit to be identified', () => asked);
    h.station.abort(node.id, 'wrong tray');
    const aborted = await h.untilState(node.id, ['aborted', 'failed'], 1000);
    expect(aborted).toMatchObject({ state: 'aborted', failureStep: 'start', runId: null });
    expect(aborted.reason).toMatch(/wrong tray/);
    expect(h.store.stationRuns.list()).toEqual([]);
    expect(h.operations.flashed).toEqual([]);
  });

  it('an abort while the flashed unit does not answer yet ends it at once, recorded as aborted at its test', async () => {
    const node = h.operations.plug(sensorNode('SN-0306'));
    const identify = h.operations.identify.bind(h.operations);
    let silent = false;
    // Silent once flashed: without the abort the run would ask until the profile's reboot timeout.
    h.operations.identify = (deviceId) => {
      if (h.operations.flashed.length === 0) return identify(deviceId);
      silent = true;
      return new Promise(() => undefined);
    };
    await h.station.load(h.recipe({}));
    await until('the flashed unit to be asked', () => silent);
    h.station.abort(node.id, 'wrong tray');
    const aborted = await h.untilState(node.id, ['aborted', 'failed'], 1000);
    expect(aborted).toMatchObject({ state: 'aborted', failureStep: 'testing' });
    expect(h.store.stationRuns.history('SN-0306')[0]).toMatchObject({ outcome: 'aborted', failureStep: 'testing', failureReason: expect.stringMatching(/wrong tray/) });
    expect(h.operations.procedureStarts).toEqual([]);
  });

  it('refuses what cannot start, with the device and what to do', async () => {
    const other = h.operations.plug({ ...sensorNode('X-1'), id: 'usb:other', profileId: 'fieldbench-dfu-gadget' });
    expect(fieldbenchErrorFrom(() => h.station.start())).toMatchObject({ code: 'invalid-request', message: 'no recipe is loaded' });
    const node = h.operations.plug(sensorNode('SN-0304'));
    h.operations.flashScripts.set(node.id, { outcome: 'hang' });
    await h.station.load(h.recipe({}));
    expect(fieldbenchErrorFrom(() => h.station.start('serial:nowhere'))).toMatchObject({ code: 'not-found', step: 'start unit' });
    expect(fieldbenchErrorFrom(() => h.station.start(other.id))).toMatchObject({ code: 'invalid-request', device: other.path, message: expect.stringMatching(/is for fieldbench-sensor-node devices/) });
    await h.untilState(node.id, ['flashing']);
    expect(fieldbenchErrorFrom(() => h.station.start(node.id))).toMatchObject({ code: 'device-busy', device: node.path, hint: 'Wait for its run to end, or abort it first.' });
    expect(await fieldbenchErrorOf(h.station.load(h.recipe({})))).toMatchObject({ code: 'device-busy', step: 'load recipe' });
    expect(fieldbenchErrorFrom(() => h.station.unload())).toMatchObject({ code: 'device-busy', step: 'unload recipe' });
    expect(fieldbenchErrorFrom(() => h.station.abort('serial:nowhere'))).toMatchObject({ code: 'not-found', step: 'abort unit' });
    h.station.abort(node.id, 'test over');
    await h.untilState(node.id, ['aborted']);
    expect(fieldbenchErrorFrom(() => h.station.abort(node.id))).toMatchObject({ code: 'invalid-request', message: 'the unit is not running (it is aborted)' });
  });
});

describe('parallel units', () => {
  it('never runs more than the recipe allows on a bus, and runs that many', async () => {
    const nodes = Array.from({ length: 5 }, (_, i) => h.operations.plug(sensorNode(`SN-04${i}0`)));
    for (const node of nodes) h.operations.flashScripts.set(node.id, { uploadMs: 60 });
    await h.station.load(h.recipe({ parallelism: '2' }));
    for (const node of nodes) await h.untilState(node.id, ['passed']);
    expect(mostRunningAtOnce(h.unitEvents)).toBe(2);
    expect(h.unitEvents.some((u) => u.state === 'queued')).toBe(true);
    expect(h.stateEvents.every((s) => s.buses.serial.running <= 2 && s.buses.serial.limit === 2)).toBe(true);
    expect(h.station.state().counts).toMatchObject({ passed: 5, running: 0 });
  });

  it('a hung unit keeps its place but not the others; its abort ends it', async () => {
    const hung = h.operations.plug(sensorNode('SN-0500'));
    const others = [h.operations.plug(sensorNode('SN-0501')), h.operations.plug(sensorNode('SN-0502'))];
    h.operations.flashScripts.set(hung.id, { outcome: 'hang' });
    await h.station.load(h.recipe({}));
    for (const node of others) await h.untilState(node.id, ['passed']);
    expect(h.tile(hung.id).state).toBe('flashing');
    h.station.setOperator('Lee');
    h.station.abort(hung.id, 'stuck');
    const aborted = await h.untilState(hung.id, ['aborted']);
    expect(aborted.failureStep).toBe('flash: upload');
    expect(aborted.reason).toMatch(/^aborted by Lee: stuck \(the firmware job was cancelled: cancelled\)$/);
    expect(h.store.stationRuns.history('SN-0500')[0]).toMatchObject({ outcome: 'aborted', failureStep: 'flash: upload' });
  });

  it('an abort while queued puts the unit back to waiting, with nothing recorded, and it does not start by itself', async () => {
    const first = h.operations.plug(sensorNode('SN-0600'));
    const second = h.operations.plug(sensorNode('SN-0601'));
    h.operations.flashScripts.set(first.id, { outcome: 'hang' });
    await h.station.load(h.recipe({ parallelism: '1' }));
    await h.untilState(second.id, ['queued']);
    h.station.abort(second.id);
    const back = await h.untilState(second.id, ['waiting']);
    expect(back.note).toBe('taken out of the queue; press Start to run it');
    expect(h.store.stationRuns.history('SN-0601')).toEqual([]);
    h.station.abort(first.id);
    await h.untilState(first.id, ['aborted']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.tile(second.id).state).toBe('waiting');
    h.station.start(second.id);
    await h.untilState(second.id, ['passed']);
  });
});

describe('unplugged units', () => {
  it('mid-flash: unplugged with where and what to do, while the others finish', async () => {
    const leaving = h.operations.plug(sensorNode('SN-0700'));
    const staying = h.operations.plug(sensorNode('SN-0701'));
    h.operations.flashScripts.set(leaving.id, {
      uploadMs: 40,
      // The port goes half-way; the job then fails, as an SMP upload over a lost port does.
      midway: () => h.operations.unplug(leaving.id),
      outcome: 'failed',
      failAt: 'upload',
      reason: 'upload failed: the device is gone',
    });
    await h.station.load(h.recipe({}));
    const gone = await h.untilState(leaving.id, ['unplugged', 'failed']);
    expect(gone).toMatchObject({ state: 'unplugged', present: false, failureStep: 'flash: upload' });
    expect(gone.reason).toBe('unplugged during upload; the unit may hold a partial image: plug it back in and run it again');
    await h.untilState(staying.id, ['passed']);
    expect(h.store.stationRuns.history('SN-0700')[0]).toMatchObject({ outcome: 'unplugged', failureStep: 'flash: upload' });
    expect(h.station.state().counts).toMatchObject({ unplugged: 1, passed: 1 });
  });

  it('mid-test: the procedure is aborted and the unit is unplugged; back, it waits for Start', async () => {
    const leaving = h.operations.plug(sensorNode('SN-0800'));
    const staying = h.operations.plug(sensorNode('SN-0801'));
    h.operations.procedureScripts.set(leaving.id, { hang: true, started: () => h.operations.unplug(leaving.id) });
    await h.station.load(h.recipe({}));
    const gone = await h.untilState(leaving.id, ['unplugged', 'failed']);
    expect(gone).toMatchObject({ state: 'unplugged', failureStep: 'test: Answers as a sensor node' });
    expect(h.operations.procedureRun(gone.procedureRunId!).state).toBe('aborted');
    await h.untilState(staying.id, ['passed']);
    h.operations.plug(sensorNode('SN-0800'));
    const back = await h.untilState(leaving.id, ['waiting']);
    expect(back.note).toMatch(/^unplugged at .*; press Start to run it again$/);
  });

  it('mid-flash with a job that does not end: unplugged once gone past the reboot timeout, the others unaffected', async () => {
    await h.close();
    h = await startHarness({ rebootTimeoutMs: 1000 });
    const leaving = h.operations.plug(sensorNode('SN-0702'));
    const staying = h.operations.plug(sensorNode('SN-0703'));
    h.operations.flashScripts.set(leaving.id, { outcome: 'hang', cancellable: false, midway: () => h.operations.unplug(leaving.id) });
    await h.station.load(h.recipe({}));
    const gone = await h.untilState(leaving.id, ['unplugged', 'failed', 'aborted']);
    expect(gone).toMatchObject({ state: 'unplugged', failureStep: 'flash: upload' });
    expect(gone.reason).toBe('unplugged during upload; the unit may hold a partial image: plug it back in and run it again');
    await h.untilState(staying.id, ['passed']);
    expect(h.store.stationRuns.history('SN-0702')[0]).toMatchObject({ outcome: 'unplugged' });
  });

  it('while queued: unplugged before its turn, recorded so rather than as a failed preflight', async () => {
    const first = h.operations.plug(sensorNode('SN-0710'));
    const queued = h.operations.plug(sensorNode('SN-0711'));
    h.operations.flashScripts.set(first.id, { outcome: 'hang' });
    await h.station.load(h.recipe({ parallelism: '1' }));
    await h.untilState(queued.id, ['queued']);
    h.operations.unplug(queued.id);
    h.station.abort(first.id);
    const gone = await h.untilState(queued.id, ['unplugged', 'failed', 'aborted']);
    expect(gone).toMatchObject({ state: 'unplugged', present: false, failureStep: 'flash: preflight' });
    expect(gone.reason).toBe('unplugged before its flash started: plug it back in and run it again');
    expect(h.operations.flashed).toHaveLength(1);
    expect(h.store.stationRuns.history('SN-0711')[0]).toMatchObject({ outcome: 'unplugged', failureStep: 'flash: preflight' });
  });

  it('a blink shorter than the grace is not an unplug', async () => {
    const node = h.operations.plug(sensorNode('SN-0802'));
    h.operations.procedureScripts.set(node.id, {
      started: () => {
        const device = h.operations.devices().find((d) => d.id === node.id)!;
        h.operations.unplug(node.id);
        setTimeout(() => h.operations.plug(device), 20);
      },
    });
    await h.station.load(h.recipe({}));
    expect((await h.untilState(node.id, ['passed', 'unplugged', 'failed'])).state).toBe('passed');
  });
});

describe('USB DFU units', () => {
  it('leave DFU mode when the pass action is reset, and stay in the bootloader for leave-in-bootloader', async () => {
    const board = h.operations.plug(stm32Bootloader('3276384B3339'));
    await h.station.load(h.recipe({ profile: 'stm32-system-bootloader', onPass: 'reset', onFail: 'leave-in-bootloader' }));
    const done = await h.untilState(board.id, ['passed', 'failed']);
    expect(done.state).toBe('passed');
    expect(h.operations.flashed[0]!.options.dfu).toEqual({ leave: true });
    // The flash left DFU mode already: no second reset.
    expect(h.operations.resets).toEqual([]);

    h.operations.unplug(board.id);
    await until('the tile to go', () => h.station.state().units.length === 0);
    await h.station.load(h.recipe({ profile: 'stm32-system-bootloader', onPass: 'leave-in-bootloader', onFail: 'leave-in-bootloader' }, 'stay.yaml'));
    h.operations.plug(stm32Bootloader('3276384B3340'));
    await h.untilState('usb:3276384B3340', ['passed']);
    expect(h.operations.flashed[1]!.options.dfu).toEqual({ leave: false });
  });

  it('a write that fails leaves nothing a reset could start: no reset, and the record says why', async () => {
    const board = h.operations.plug(stm32Bootloader('3276384B3342'));
    h.operations.flashScripts.set(board.id, { outcome: 'failed', failAt: 'write', reason: 'write failed: errVERIFY' });
    await h.station.load(h.recipe({ profile: 'stm32-system-bootloader', onPass: 'leave-in-bootloader', onFail: 'reset' }));
    const done = await h.untilState(board.id, ['failed', 'unplugged']);
    expect(done).toMatchObject({ state: 'failed', failureStep: 'flash: write' });
    expect(done.reason).toBe('write failed: errVERIFY; not reset: the flash is erased or partly written, so no application would start: flash the unit again');
    expect(h.operations.resets).toEqual([]);
  });

  it('a unit back under a new id during its run keeps its tile, matched by serial number', async () => {
    const board = h.operations.plug(stm32Bootloader('3276384B3341', 'usb:1-2'));
    h.operations.flashScripts.set(board.id, {
      uploadMs: 80,
      midway: () => {
        h.operations.unplug(board.id);
        h.operations.plug(stm32Bootloader('3276384B3341', 'usb:1-3'));
      },
    });
    await h.station.load(h.recipe({ profile: 'stm32-system-bootloader' }));
    const done = await h.untilState('usb:1-3', ['passed', 'failed', 'unplugged']);
    expect(done.state).toBe('passed');
    expect(h.station.state().units.map((u) => u.deviceId)).toEqual(['usb:1-3']);
    expect(h.store.stationRuns.history('3276384B3341')).toHaveLength(1);
  });
});

describe('closing', () => {
  it('records the units under way as aborted: Fieldbench stopped', async () => {
    const node = h.operations.plug(sensorNode('SN-0900'));
    h.operations.flashScripts.set(node.id, { outcome: 'hang' });
    await h.station.load(h.recipe({}));
    await h.untilState(node.id, ['flashing']);
    await h.station.close();
    expect(h.store.stationRuns.history('SN-0900')[0]).toMatchObject({ outcome: 'aborted', failureReason: INTERRUPTED_REASON });
  });

  it('a unit that reaches its safe point only after close() gave up on it: recorded once, by the close, and not shown again', async () => {
    await h.close();
    h = await startHarness({ rebootTimeoutMs: 1000, closeDeadlineMs: 100 });
    const node = h.operations.plug(sensorNode('SN-0901'));
    // Switching images: not cancellable, so the run waits three reboot timeouts (3 s) for it.
    h.operations.flashScripts.set(node.id, { outcome: 'hang', cancellable: false });
    await h.station.load(h.recipe({}));
    await h.untilState(node.id, ['flashing']);
    await until('the upload to be under way', () => h.tile(node.id).progress !== null);
    await h.station.close();
    const recorded = h.store.stationRuns.history('SN-0901')[0]!;
    expect(recorded).toMatchObject({ outcome: 'aborted', failureReason: INTERRUPTED_REASON });
    const shown = h.unitEvents.length;
    await until('the run to reach its end', () => h.logs.some((line) => line.includes('after the station recorded it stopped')), 5000);
    expect(h.logs.filter((line) => line.startsWith('error '))).toEqual([]);
    expect(h.store.stationRuns.history('SN-0901')).toEqual([recorded]);
    expect(h.unitEvents).toHaveLength(shown);
  });
});
