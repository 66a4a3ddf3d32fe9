// Test procedures through the core, as every door runs them: the shipped sensor-node
// procedures against the virtual sensor node on a real pseudo-terminal, the real serialport,
// shell and SMP on one port, and a real case store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { attachSensorNodeOnPty, type SensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import type { SensorNodeOptions } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { fails, ok, startCore } from '../helpers/core-fixture';
import { ended, runningAt, waitingAt, watchRuns, type RunWatcher } from '../helpers/procedure-run-events';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;
let runs: RunWatcher;
let node: SensorNodeOnPty | null;

beforeEach(async () => {
  dir = makeTempDir('procedures');
  core = await startCore(dir.path);
  runs = watchRuns(core);
  node = null;
});

afterEach(async () => {
  runs.stop();
  await core.close();
  await node?.detach();
  dir.remove();
});

/** A node the test holds (to reboot it at the moment it chooses), on a port the core is told about. */
async function plugNode(options: SensorNodeOptions = {}): Promise<string> {
  node = await attachSensorNodeOnPty({ seed: 7, batteryVolts: 3.95, errorLogEntries: 0, timeScale: 0, stablePath: `${dir.path}/node-port`, ...options });
  const device = await ok(core, 'devices.addPort', { path: node.hostPath });
  expect(device.profileId).toBe('fieldbench-sensor-node');
  return device.id;
}

describe('procedures on the virtual sensor node', () => {
  it('lists what the profile declares, and refuses an unknown procedure or device', async () => {
    const deviceId = await plugNode();
    const listed = await ok(core, 'procedures.list', { deviceId });
    expect(listed.map((p) => p.id)).toEqual(['bench-bring-up', 'production-check', 'battery-brownout', 'firmware-self-test', 'bluetooth-link-check']);
    expect(listed[0]?.steps.map((s) => s.kind)).toEqual(['check', 'check', 'check', 'check', 'instruction', 'measurement', 'check']);
    expect(await fails(core, 'procedures.start', { deviceId, procedureId: 'no-such' })).toMatchObject({ code: 'not-found', hint: expect.stringMatching(/bench-bring-up/) });
    expect((await fails(core, 'procedures.list', { deviceId: 'serial:/dev/nothing' })).code).toBe('not-found');
  });

  it('runs bench bring-up to a pass: automated checks, an instruction and a measurement; the case keeps every step', async () => {
    const deviceId = await plugNode();
    const opened = await ok(core, 'cases.open', { title: 'Bring-up of a repaired board', deviceId });
    const started = await ok(core, 'procedures.start', { deviceId, procedureId: 'bench-bring-up', caseId: opened.id, operator: 'Ana' });
    expect(started).toMatchObject({ state: 'running', operator: 'Ana', caseId: opened.id, device: { serialNumber: expect.stringMatching(/^SN-/) } });

    await runs.until(started.id, waitingAt('status-led'), 'waiting at the LED check');
    const atLed = await ok(core, 'procedures.get', { runId: started.id });
    expect(atLed.steps.slice(0, 4).map((s) => s.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(atLed.steps[1]).toMatchObject({ limit: '3.3 to 4.25 V', reading: { unit: 'V' }, reason: expect.stringMatching(/is within 3\.3 to 4\.25 V/) });
    expect(atLed.steps[0]).toMatchObject({ reading: { value: 'sensor-node', text: 'model: sensor-node' } });

    // An answer to a step the run is not on, or a fail without a reason, is refused and changes nothing.
    expect((await fails(core, 'procedures.answer', { runId: started.id, stepId: 'idle-current', answer: 'pass', value: 3 })).code).toBe('invalid-request');
    expect((await fails(core, 'procedures.answer', { runId: started.id, stepId: 'status-led', answer: 'fail' })).message).toMatch(/reason/);
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'status-led', answer: 'pass' });
    await runs.until(started.id, waitingAt('idle-current'), 'waiting for the current');
    expect((await fails(core, 'procedures.answer', { runId: started.id, stepId: 'idle-current', answer: 'pass' })).message).toMatch(/measured value/);
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'idle-current', answer: 'pass', value: 3.2 });

    const done = await runs.until(started.id, ended, 'ended');
    expect(done.state).toBe('passed');
    expect(done.steps.map((s) => s.status)).toEqual(Array(7).fill('passed'));
    expect(done.steps[5]).toMatchObject({ reading: { value: 3.2, unit: 'mA' }, answer: { answer: 'pass', value: 3.2, by: 'Ana' } });

    const detail = await ok(core, 'cases.get', { caseId: opened.id });
    const event = detail.timeline.find((e) => e.kind === 'procedure');
    expect(event?.summary).toBe('Procedure Bench bring-up passed: 7 passed (by Ana)');
    const record = event?.data as { steps: { id: string; status: string; limit: string | null; reading: unknown }[]; operator: string; result: string };
    expect(record).toMatchObject({ result: 'passed', operator: 'Ana' });
    expect(record.steps.map((s) => s.id)).toEqual(done.steps.map((s) => s.id));
    expect(record.steps[5]).toMatchObject({ limit: '0.5 to 15 mA', reading: { value: 3.2 } });

    const listed = await ok(core, 'procedures.runs', { caseId: opened.id });
    expect(listed.map((r) => r.id)).toEqual([started.id]);
  });

  it('fails on readings outside their limits and on the operator, with every reason kept; a self-test failure is retried once', async () => {
    const deviceId = await plugNode({ batteryVolts: 3.2, failingSelftestPart: 'sensor' });
    const started = await ok(core, 'procedures.start', { deviceId, procedureId: 'bench-bring-up', onFail: 'continue' });
    await runs.until(started.id, waitingAt('status-led'), 'waiting at the LED check');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'status-led', answer: 'fail', reason: 'LED steady red' });
    await runs.until(started.id, waitingAt('idle-current'), 'waiting for the current');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'idle-current', answer: 'pass', value: 40 });
    const done = await runs.until(started.id, ended, 'ended');
    expect(done.state).toBe('failed');
    const byId = Object.fromEntries(done.steps.map((s) => [s.id, s]));
    expect(byId['battery-voltage']).toMatchObject({ status: 'failed', reason: expect.stringMatching(/below the minimum 3\.3 V/) });
    expect(byId['status-led']).toMatchObject({ status: 'failed', reason: 'LED steady red', answer: { answer: 'fail', reason: 'LED steady red' } });
    expect(byId['idle-current']).toMatchObject({ status: 'failed', reason: '40 mA is above the maximum 15 mA' });
    expect(byId.selftest).toMatchObject({ status: 'failed', attempts: 2, reading: { value: 'FAIL' }, reason: "'FAIL' is not 'PASS'" });
    expect(byId.model?.status).toBe('passed');
  });

  it('skips a step whose dependency did not happen, and runs it when it did', async () => {
    const deviceId = await plugNode({ batteryVolts: 3.4 });
    const started = await ok(core, 'procedures.start', { deviceId, procedureId: 'battery-brownout', onFail: 'continue' });
    await runs.until(started.id, waitingAt('replace-battery'), 'asking for a new battery');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'replace-battery', answer: 'pass' });
    await runs.until(started.id, waitingAt('supply-dip'), 'asking for the dip');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'supply-dip', answer: 'pass' });
    const failedBattery = await runs.until(started.id, ended, 'ended');
    expect(failedBattery.steps.find((s) => s.id === 'replace-battery')).toMatchObject({ status: 'passed', when: "only when 'battery-voltage' failed" });

    await node?.simulator.setBatteryVolts(3.95);
    const again = await ok(core, 'procedures.start', { deviceId, procedureId: 'battery-brownout', onFail: 'continue' });
    await runs.until(again.id, waitingAt('supply-dip'), 'asking for the dip');
    await ok(core, 'procedures.answer', { runId: again.id, stepId: 'supply-dip', answer: 'pass' });
    const done = await runs.until(again.id, ended, 'ended');
    expect(done.state).toBe('passed');
    expect(done.steps.find((s) => s.id === 'replace-battery')).toMatchObject({
      status: 'skipped',
      reason: "runs only when 'battery-voltage' failed, and it passed",
    });
  });

  it('ensures the firmware, waits for a reset over SMP and for the boot banner after the reset button', async () => {
    const deviceId = await plugNode();
    const started = await ok(core, 'procedures.start', { deviceId, procedureId: 'firmware-self-test', operator: 'bench 3' });
    const atButton = await runs.until(started.id, runningAt('reset-button'), 'waiting for the banner', 25_000);
    expect(atButton.steps[0]).toMatchObject({ status: 'passed', reason: 'it already runs 1.4.2' });
    expect(atButton.steps[1]).toMatchObject({ status: 'passed', reason: expect.stringMatching(/^it rebooted: uptime/) });
    expect(atButton.steps[4]?.deadlineAt).not.toBeNull();
    node?.simulator.reboot('pin');
    const done = await runs.until(started.id, ended, 'ended');
    expect(done.state).toBe('passed');
    expect(done.steps[4]).toMatchObject({ status: 'passed', reading: { value: '*** Booting Zephyr OS build v3.7.0 ***' } });
  });

  it('fails a check the device reboots during, saying it dropped off, and waits for the operator to decide', async () => {
    const deviceId = await plugNode();
    const started = await ok(core, 'procedures.start', { deviceId, procedureId: 'firmware-self-test' });
    // Slow answers (1 s each) make the window of the self-test command wide: the uptime read
    // before it ends about 1 s into the step, and the self-test's answer 1.3 s after that.
    await runs.until(started.id, runningAt('firmware-version'), 'checking the version', 40_000);
    node?.simulator.setFaults({ answerDelayMs: 1000 });
    await runs.until(started.id, runningAt('selftest'), 'running the self-test');
    await new Promise((resolve) => setTimeout(resolve, 1700));
    node?.simulator.reboot('watchdog');
    const deciding = await runs.until(started.id, (run) => run.steps[3]?.awaiting === 'decision', 'asking what to do about the failure');
    expect(deciding.state).toBe('waiting');
    expect(deciding.steps[3]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^the device dropped off during the step: it rebooted/) });
    node?.simulator.setFaults({});

    // Retry runs the check again on the rebooted device; it passes.
    await ok(core, 'procedures.control', { runId: started.id, action: 'retry' });
    const atButton = await runs.until(started.id, runningAt('reset-button'), 'at the reset button');
    expect(atButton.steps[3]).toMatchObject({ status: 'passed', attempts: 2 });
    await ok(core, 'procedures.control', { runId: started.id, action: 'skip', reason: 'no reset button on this enclosure' });
    const done = await runs.until(started.id, ended, 'ended');
    expect(done.state).toBe('passed');
    expect(done.steps[4]).toMatchObject({ status: 'skipped', reason: 'no reset button on this enclosure' });
  });

  it('pauses when Fieldbench stops mid-run and resumes from that step in a new core, keeping the answers given', async () => {
    const deviceId = await plugNode();
    const started = await ok(core, 'procedures.start', { deviceId, procedureId: 'bench-bring-up', operator: 'Ana' });
    await runs.until(started.id, waitingAt('status-led'), 'waiting at the LED check');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'status-led', answer: 'pass', reason: 'blinks at 1 Hz' });
    await runs.until(started.id, waitingAt('idle-current'), 'waiting for the current');

    runs.stop();
    await core.close();
    core = await startCore(dir.path);
    runs = watchRuns(core);

    const paused = await ok(core, 'procedures.get', { runId: started.id });
    expect(paused).toMatchObject({ state: 'paused', stateReason: 'Fieldbench stopped during step 6 (Idle current)', currentStep: 5 });
    expect(paused.steps[4]).toMatchObject({ status: 'passed', answer: { answer: 'pass', reason: 'blinks at 1 Hz', by: 'Ana' } });
    expect(paused.steps[5]).toMatchObject({ status: 'pending', awaiting: null });
    const serial = paused.device.serialNumber ?? '';
    expect((await ok(core, 'procedures.runs', { serial })).map((r) => r.id)).toEqual([started.id]);
    expect((await fails(core, 'procedures.answer', { runId: started.id, stepId: 'idle-current', answer: 'pass', value: 2 })).code).toBe('invalid-request');

    await ok(core, 'devices.addPort', { path: node?.hostPath ?? '' });
    await ok(core, 'procedures.control', { runId: started.id, action: 'resume', deviceId });
    await runs.until(started.id, waitingAt('idle-current'), 'asking for the current again');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'idle-current', answer: 'pass', value: 2.5 });
    const done = await runs.until(started.id, ended, 'ended');
    expect(done.state).toBe('passed');
    expect(done.steps[4]?.answer?.reason).toBe('blinks at 1 Hz');
  });

  it('pauses and aborts on request, refusing what a run in that state cannot do', async () => {
    const deviceId = await plugNode();
    const started = await ok(core, 'procedures.start', { deviceId, procedureId: 'bench-bring-up', onFail: 'continue' });
    await runs.until(started.id, waitingAt('status-led'), 'waiting at the LED check');
    expect((await fails(core, 'procedures.start', { deviceId, procedureId: 'battery-brownout' })).code).toBe('device-busy');
    await ok(core, 'procedures.control', { runId: started.id, action: 'pause', reason: 'lunch' });
    const paused = await runs.until(started.id, (run) => run.state === 'paused', 'paused');
    expect(paused.stateReason).toMatch(/^paused by .+ at step 5 \(Status LED\): lunch$/);
    expect((await fails(core, 'procedures.control', { runId: started.id, action: 'pause' })).code).toBe('invalid-request');
    expect((await fails(core, 'procedures.control', { runId: started.id, action: 'skip' })).message).toMatch(/reason/);

    await ok(core, 'procedures.control', { runId: started.id, action: 'abort', reason: 'wrong board' });
    const aborted = await ok(core, 'procedures.get', { runId: started.id });
    expect(aborted).toMatchObject({ state: 'aborted', stateReason: expect.stringMatching(/wrong board$/), currentStep: null });
    expect(aborted.steps[4]).toMatchObject({ status: 'skipped', reason: 'the run was aborted: wrong board' });
    expect(aborted.steps[5]?.status).toBe('pending');
    expect((await fails(core, 'procedures.control', { runId: started.id, action: 'resume' })).message).toMatch(/has ended/);
  });
});
