// Case search over procedure results through the core: bench bring-up run on the virtual
// sensor node (a real pseudo-terminal, the real serialport and shell, a real case store) with
// a case, found while it waits for the operator and by what the operator said once it ends.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { attachSensorNodeOnPty, type SensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import { ok, startCore } from '../helpers/core-fixture';
import { ended, waitingAt, watchRuns, type RunWatcher } from '../helpers/procedure-run-events';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;
let runs: RunWatcher;
let node: SensorNodeOnPty;

beforeEach(async () => {
  dir = makeTempDir('case-search-procedures');
  core = await startCore(dir.path);
  runs = watchRuns(core);
  node = await attachSensorNodeOnPty({ seed: 11, batteryVolts: 3.2, errorLogEntries: 0, timeScale: 0, stablePath: `${dir.path}/node-port` });
});

afterEach(async () => {
  runs.stop();
  await core.close();
  await node.detach();
  dir.remove();
});

describe('case search over procedure results', () => {
  it('finds a case by its run while the run waits, and by the operator’s reason and the failed reading once it ends', async () => {
    const device = await ok(core, 'devices.addPort', { path: node.hostPath });
    const opened = await ok(core, 'cases.open', { title: 'Board back from repair', deviceId: device.id });
    const started = await ok(core, 'procedures.start', { deviceId: device.id, procedureId: 'bench-bring-up', caseId: opened.id, operator: 'Ana', onFail: 'continue' });

    await runs.until(started.id, waitingAt('status-led'), 'waiting at the LED check');
    // Found while it runs: the reading that failed, its limit in words, the run's state.
    const waiting = await ok(core, 'cases.search', { query: '"bench bring-up" waiting', status: 'open' });
    expect(waiting.hits.map((hit) => hit.caseId)).toEqual([opened.id]);
    const low = await ok(core, 'cases.search', { query: '"below the minimum 3.3 V"' });
    expect(low.hits.map((hit) => hit.caseId)).toEqual([opened.id]);
    const match = low.hits[0]?.matches.find((m) => m.field === 'procedure');
    expect(match?.sourceId).toBe(started.id);
    expect(match?.snippet.filter((segment) => segment.hit).map((segment) => segment.text)).toEqual(['below the minimum 3.3 V']);

    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'status-led', answer: 'fail', reason: 'LED blinks amber' });
    await runs.until(started.id, waitingAt('idle-current'), 'waiting for the current');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'idle-current', answer: 'pass', value: 40 });
    const done = await runs.until(started.id, ended, 'ended');
    expect(done.state).toBe('failed');

    const byReason = await ok(core, 'cases.search', { query: 'amber', serial: done.device.serialNumber ?? undefined });
    expect(byReason.hits.map((hit) => hit.caseId)).toEqual([opened.id]);
    expect(byReason.hits[0]?.matches.map((m) => m.field)).toEqual(['procedure']);
    const byReading = await ok(core, 'cases.search', { query: '"40 mA" "0.5 to 15 mA" "bench bring-up" failed' });
    expect(byReading.hits.map((hit) => hit.caseId)).toEqual([opened.id]);
    // The filters hold for a match in a run as for any other: the case is open, not resolved.
    expect((await ok(core, 'cases.search', { query: 'amber', status: 'resolved' })).total).toBe(0);
  }, 60_000);
});
