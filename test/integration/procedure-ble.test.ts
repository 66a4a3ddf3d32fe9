// A test procedure over Bluetooth LE through the core: the virtual sensor node on a simulated
// BlueZ (a private D-Bus of the core's own), a reading over GATT, a line of its UART log
// through the follow, and a reset over MCUmgr's GATT service seen as the uptime starting again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { ok, startCore } from '../helpers/core-fixture';
import { ended, waitingAt, watchRuns, type RunWatcher } from '../helpers/procedure-run-events';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;
let runs: RunWatcher;

beforeEach(async () => {
  dir = makeTempDir('procedures-ble');
  core = await startCore(dir.path);
  runs = watchRuns(core);
});

afterEach(async () => {
  runs.stop();
  await core.close();
  dir.remove();
});

describe('procedures over Bluetooth LE', () => {
  it('runs the Bluetooth link check on the virtual node to a pass', async () => {
    const device = await ok(core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' });
    expect(device.transport).toBe('ble');
    const started = await ok(core, 'procedures.start', { deviceId: device.id, procedureId: 'bluetooth-link-check', onFail: 'continue' });
    const done = await runs.until(started.id, ended, 'ended', 60_000);
    expect(done.steps.map((s) => [s.id, s.status])).toEqual([
      ['temperature', 'passed'],
      ['uart-log', 'passed'],
      ['reset', 'passed'],
      ['uptime', 'passed'],
    ]);
    expect(done.state).toBe('passed');
    expect(done.steps[0]?.reading).toMatchObject({ unit: '°C' });
    expect(done.steps[1]?.reading?.value).toMatch(/<inf> /);
  }, 90_000);

  it('fails a step that needs the serial shell, saying so, and goes on', async () => {
    const device = await ok(core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' });
    const started = await ok(core, 'procedures.start', { deviceId: device.id, procedureId: 'bench-bring-up', onFail: 'continue' });
    const atLed = await runs.until(started.id, waitingAt('status-led'), 'at the LED check', 60_000);
    expect(atLed.steps[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/needs the serial shell/) });
    expect(atLed.steps[1]).toMatchObject({ status: 'failed', reason: "the profile has no Bluetooth LE diagnostic 'battery-voltage'" });
    expect(atLed.steps[2]?.status).toBe('passed');
    await ok(core, 'procedures.control', { runId: started.id, action: 'abort', reason: 'bench bring-up is for the serial port' });
  }, 90_000);
});
