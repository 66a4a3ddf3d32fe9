// The firmware update journal: each step committed as it happens, readable after a restart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StartJobInput } from '../../src-main/store/firmware-journal';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { makeTempDir } from '../helpers/temp-dir';

const input: StartJobInput = {
  device: {
    deviceId: 'serial:/dev/ttyACM0',
    transport: 'serial',
    path: '/dev/ttyACM0',
    profileId: 'fieldbench-sensor-node',
    identity: { model: 'sensor-node', serialNumber: 'SN-1', firmwareVersion: '1.4.2' },
  },
  caseId: null,
  image: { fileName: 'app.bin', sha256: 'ab'.repeat(32), version: '1.5.0+0', size: 70_000 },
  options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' },
  versionBefore: '1.4.2+0',
};

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
beforeEach(() => {
  dir = makeTempDir('journal');
  store = openCaseStore({ dataDir: dir.path });
});
afterEach(() => {
  store.close();
  dir.remove();
});

describe('firmware journal', () => {
  it('journals steps and progress, and survives a reopen as an unfinished job', () => {
    const job = store.firmware.start(input);
    expect(job).toMatchObject({ state: 'running', outcome: null, uploaded: 0, versionBefore: '1.4.2+0', deviceId: input.device.deviceId });
    store.firmware.step(job.id, 'preflight', 'started');
    store.firmware.step(job.id, 'preflight', 'done', 'image 1.5.0+0 fits the slot');
    store.firmware.step(job.id, 'upload', 'started');
    store.firmware.uploaded(job.id, 32_768);

    store.close();
    store = openCaseStore({ dataDir: dir.path });
    const [unfinished] = store.firmware.unfinished();
    expect(unfinished?.id).toBe(job.id);
    expect(unfinished?.uploaded).toBe(32_768);
    expect(unfinished?.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['preflight:started', 'preflight:done', 'upload:started']);
    expect(unfinished?.steps[1]?.detail).toBe('image 1.5.0+0 fits the slot');
  });

  it('finishes once, with the outcome, the reason and the version after', () => {
    const job = store.firmware.start(input);
    store.firmware.versionAfter(job.id, '1.4.2+0');
    const finished = store.firmware.finish(job.id, 'reverted', 'health check failed: battery');
    expect(finished).toMatchObject({ state: 'finished', outcome: 'reverted', reason: 'health check failed: battery', versionAfter: '1.4.2+0' });
    // A second finish (a late error after the outcome was written) does not rewrite history.
    expect(store.firmware.finish(job.id, 'failed', 'late').outcome).toBe('reverted');
    expect(store.firmware.unfinished()).toEqual([]);
  });

  it('refuses unknown jobs with not-found', () => {
    expect(() => store.firmware.step('00000000-0000-4000-8000-000000000000', 'upload', 'started')).toThrow(
      expect.objectContaining({ code: 'not-found' }),
    );
  });
});
