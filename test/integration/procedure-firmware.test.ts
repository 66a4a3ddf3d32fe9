// A firmware step that has work to do: the node runs 1.4.2, the step ensures 1.5.0, so the
// operator supplies the image and the step runs the firmware update job to its outcome, then
// reads the version the node reports. The profile is the shipped sensor node with such a
// procedure added, in a profiles folder of the test's own.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { attachSensorNodeOnPty, type SensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import { fails, ok, PROFILES_DIR } from '../helpers/core-fixture';
import { ended, waitingAt, watchRuns, type RunWatcher } from '../helpers/procedure-run-events';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;
let runs: RunWatcher;
let node: SensorNodeOnPty;

beforeEach(async () => {
  dir = makeTempDir('procedure-firmware');
  const profiles = join(dir.path, 'profiles');
  const profile = JSON.parse(readFileSync(join(PROFILES_DIR, 'sensor-node.json'), 'utf8')) as { procedures: unknown[] };
  profile.procedures = [
    {
      id: 'release-1-5',
      name: 'Release 1.5',
      steps: [
        { kind: 'firmware', id: 'firmware', title: 'Runs 1.5.0', version: '1.5.0', timeoutMs: 120_000 },
        { kind: 'check', id: 'selftest', title: 'Self-test', diagnostic: 'selftest', limits: { equals: 'PASS' } },
      ],
    },
  ];
  mkdirSync(profiles);
  writeFileSync(join(profiles, 'sensor-node.json'), JSON.stringify(profile));
  copyFileSync(join(PROFILES_DIR, 'profile.schema.json'), join(profiles, 'profile.schema.json'));
  core = await createCore({ dataDir: dir.path, profilesDir: profiles, checkResponses: true, discoveryIntervalMs: 0 });
  runs = watchRuns(core);
  node = await attachSensorNodeOnPty({ seed: 11, timeScale: 0, stablePath: join(dir.path, 'node-port') });
});

afterEach(async () => {
  runs.stop();
  await core.close();
  await node.detach();
  dir.remove();
});

function image(version: string): string {
  const payload = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 13) & 0xff);
  return Buffer.from(createMcubootImage({ version, payload })).toString('base64');
}

describe('a firmware step', () => {
  it('asks for an image when the device runs another version, updates it through the job, and passes on the new version', async () => {
    const device = await ok(core, 'devices.addPort', { path: node.hostPath });
    const opened = await ok(core, 'cases.open', { title: 'Bring to 1.5', deviceId: device.id });
    const started = await ok(core, 'procedures.start', { deviceId: device.id, procedureId: 'release-1-5', caseId: opened.id });
    const asking = await runs.until(started.id, waitingAt('firmware'), 'asking for an image');
    expect(asking.steps[0]?.awaiting).toBe('image');
    expect((await fails(core, 'procedures.answer', { runId: started.id, stepId: 'firmware', answer: 'pass' })).message).toMatch(/firmware image/);
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'firmware', answer: 'pass', image: { fileName: 'app-1.5.0.bin', contentBase64: image('1.5.0') } });

    const done = await runs.until(started.id, ended, 'ended', 120_000);
    expect(done.state).toBe('passed');
    expect(done.steps[0]).toMatchObject({
      status: 'passed',
      reading: { value: '1.5.0' },
      reason: 'updated from 1.4.2 to 1.5.0 with app-1.5.0.bin',
      answer: { answer: 'pass', imageFileName: 'app-1.5.0.bin' },
    });
    // The update job went on the case's timeline as well as the procedure's result.
    const kinds = (await ok(core, 'cases.get', { caseId: opened.id })).timeline.map((event) => event.kind);
    expect(kinds).toContain('firmware');
    expect(kinds.at(-1)).toBe('procedure');
  }, 150_000);

  it('fails, with the reason, when the operator has no image to give', async () => {
    const device = await ok(core, 'devices.addPort', { path: node.hostPath });
    const started = await ok(core, 'procedures.start', { deviceId: device.id, procedureId: 'release-1-5', onFail: 'continue' });
    await runs.until(started.id, waitingAt('firmware'), 'asking for an image');
    await ok(core, 'procedures.answer', { runId: started.id, stepId: 'firmware', answer: 'fail', reason: 'no 1.5.0 build signed yet' });
    const done = await runs.until(started.id, ended, 'ended');
    expect(done.steps[0]).toMatchObject({ status: 'failed', reason: 'no 1.5.0 build signed yet', reading: { value: '1.4.2' } });
    expect(done.steps[1]?.status).toBe('passed');
  });
});
