// The run state machine against a scripted device: a hung read gives way to pause and abort
// at once, automatic retries, and what Fieldbench closing mid-step leaves for the next start.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { Device, ProcedureRun, Reading } from '../../src-main/api/schemas';
import type { ProcedureDevice } from '../../src-main/core/procedures/procedure-device';
import { ProcedureRunner } from '../../src-main/core/procedures/procedure-runner';
import type { DeviceProfile, ProcedureSpec } from '../../src-main/core/profiles/profile-types';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

const procedure: ProcedureSpec = {
  id: 'p',
  name: 'Scripted',
  steps: [
    { kind: 'check', id: 'volts', title: 'Volts', diagnostic: 'battery-voltage', limits: { min: 3.3 }, retries: 2 },
    { kind: 'instruction', id: 'look', title: 'Look', instructions: 'Look at it.' },
  ],
};

const profile = { id: 'node', name: 'Node', vendor: 'V', match: {}, diagnostics: [], procedures: [procedure] } as unknown as DeviceProfile;

const device: Device = {
  id: 'serial:/dev/ttyX',
  path: '/dev/ttyX',
  transport: 'serial',
  profileId: 'node',
  identity: { model: 'node', serialNumber: 'SN-1', firmwareVersion: '1.0.0' },
} as unknown as Device;

/** A device whose voltage reads come from a script: a number, an error, or 'hang' (never answers). */
function scriptedDevice(script: (number | 'hang' | Error)[]): ProcedureDevice & { reads: number } {
  const fake = {
    reads: 0,
    get: (deviceId: string) => {
      if (deviceId !== device.id) throw new FieldbenchError({ code: 'not-found', message: `no device ${deviceId}` });
      return device;
    },
    readDiagnostic: (): Promise<Reading> => {
      const next = script[Math.min(fake.reads, script.length - 1)];
      fake.reads += 1;
      if (next === 'hang') return new Promise<Reading>(() => undefined);
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve({ id: 'battery-voltage', label: 'V', value: next ?? null, unit: 'V', status: 'ok', limits: null, message: null, readAt: new Date().toISOString() });
    },
    runCommand: () => Promise.reject(new Error('not scripted')),
    uptime: () => Promise.resolve(null),
    resetOverSmp: () => Promise.resolve(),
    watchLog: () => Promise.resolve(null),
    firmwareVersion: () => Promise.resolve('1.0.0'),
    updateFirmware: () => Promise.reject(new Error('not scripted')),
    readProfileFile: () => Promise.reject(new Error('not scripted')),
  };
  return fake;
}

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
let runners: ProcedureRunner[];
let events: ProcedureRun[];

beforeEach(() => {
  dir = makeTempDir('procedure-runner');
  store = openCaseStore({ dataDir: dir.path });
  runners = [];
  events = [];
});
afterEach(async () => {
  for (const runner of runners) await runner.close();
  store.close();
  dir.remove();
});

function runner(fake: ProcedureDevice): ProcedureRunner {
  const made = new ProcedureRunner({
    runs: store.procedures,
    profile: (id) => (id === 'node' ? profile : undefined),
    device: fake,
    recordOnCase: () => undefined,
    emit: (run) => events.push(run),
    now: () => new Date(),
    defaultOperator: () => 'tester',
    log: () => undefined,
    timing: { rebootPollMs: 5, comeBackMs: 20 },
  });
  runners.push(made);
  return made;
}

async function until(test: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`not ${what}: ${JSON.stringify(events.at(-1)?.steps.map((s) => [s.id, s.status, s.reason]))}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const last = (runId: string) => events.filter((run) => run.id === runId).at(-1);

describe('the procedure runner', () => {
  it('retries a failed check as often as the profile says, then goes on', async () => {
    const fake = scriptedDevice([3.0, new FieldbenchError({ code: 'device-error', message: 'garbled' }), 3.9]);
    const runs = runner(fake);
    const run = runs.start({ deviceId: device.id, procedureId: 'p', onFail: 'continue' });
    await until(() => last(run.id)?.steps[1]?.awaiting === 'confirm', 'at the instruction');
    expect(last(run.id)?.steps[0]).toMatchObject({ status: 'passed', attempts: 3, reading: { value: 3.9 } });
    expect(fake.reads).toBe(3);
  });

  it('a hung read gives way to pause at once; resume runs the step again', async () => {
    const fake = scriptedDevice(['hang', 3.9]);
    const runs = runner(fake);
    const run = runs.start({ deviceId: device.id, procedureId: 'p' });
    await until(() => fake.reads === 1, 'reading');
    await runs.control(run.id, 'pause', 'coffee');
    await until(() => last(run.id)?.state === 'paused', 'paused');
    expect(last(run.id)?.steps[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(last(run.id)?.stateReason).toBe('paused by tester at step 1 (Volts): coffee');
    await runs.control(run.id, 'resume');
    await until(() => last(run.id)?.state === 'waiting', 'waiting at the instruction');
    expect(last(run.id)?.steps[0]).toMatchObject({ status: 'passed', attempts: 2 });
    await runs.answer({ runId: run.id, stepId: 'look', answer: 'pass' });
    await until(() => last(run.id)?.state === 'passed', 'passed');
  });

  it('asks what to do after a failed check, and retry, skip and resume each do what they say', async () => {
    const fake = scriptedDevice([3.0, 3.0, 3.0, 3.0, 3.9]);
    const runs = runner(fake);
    const run = runs.start({ deviceId: device.id, procedureId: 'p' });
    await until(() => last(run.id)?.steps[0]?.awaiting === 'decision', 'asking');
    expect(last(run.id)?.steps[0]).toMatchObject({ status: 'failed', attempts: 3, reason: '3 V is below the minimum 3.3 V' });
    expect((await fieldbenchErrorOf(runs.answer({ runId: run.id, stepId: 'volts', answer: 'pass' }))).code).toBe('invalid-request');
    // One more attempt per retry: the automatic retries were spent on the first failure.
    await runs.control(run.id, 'retry');
    await until(() => last(run.id)?.steps[0]?.attempts === 4 && last(run.id)?.steps[0]?.awaiting === 'decision', 'asking again');
    await runs.control(run.id, 'resume');
    await until(() => last(run.id)?.steps[1]?.awaiting === 'confirm', 'at the instruction');
    await runs.control(run.id, 'skip', 'no window in the enclosure');
    await until(() => last(run.id)?.finishedAt !== null, 'ended');
    expect(last(run.id)).toMatchObject({ state: 'failed', currentStep: null });
    expect(last(run.id)?.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
  });

  it('closing mid-step writes nothing more; the next runner finds the run paused at that step', async () => {
    const fake = scriptedDevice(['hang']);
    const first = runner(fake);
    const run = first.start({ deviceId: device.id, procedureId: 'p' });
    await until(() => fake.reads === 1, 'reading');
    const started = Date.now();
    await first.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(store.procedures.get(run.id)).toMatchObject({ state: 'running', currentStep: 0 });
    expect((await fieldbenchErrorOf(Promise.resolve().then(() => first.start({ deviceId: device.id, procedureId: 'p' })))).code).toBe('unavailable');

    const second = runner(scriptedDevice([3.9]));
    expect(second.get(run.id)).toMatchObject({ state: 'paused', stateReason: 'Fieldbench stopped during step 1 (Volts)', currentStep: 0 });
    expect(second.get(run.id).steps[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await fieldbenchErrorOf(second.control(run.id, 'resume', undefined, 'serial:/dev/elsewhere'))).code).toBe('not-found');
    await second.control(run.id, 'resume');
    await until(() => last(run.id)?.steps[1]?.awaiting === 'confirm', 'at the instruction after resuming');
  });
});
