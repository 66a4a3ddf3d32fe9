// What a running firmware job shows: cancellable while it says so, and not finished before it
// has let go of its device, however early its outcome is journaled.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FirmwareJob } from '../../src-main/api/schemas';
import { RunningJobs } from '../../src-main/core/firmware/running-jobs';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
beforeEach(() => {
  dir = makeTempDir('running-jobs');
  store = openCaseStore({ dataDir: dir.path });
});
afterEach(() => {
  store.close();
  dir.remove();
});

function journaled(): FirmwareJob {
  return store.firmware.start({
    device: { deviceId: 'ble:C0:DE:02:EA:A5:8B', transport: 'ble', path: 'ble C0:DE:02:EA:A5:8B', profileId: 'fieldbench-sensor-node', identity: null },
    caseId: null,
    image: { fileName: 'app.bin', sha256: 'ab'.repeat(32), version: '1.5.0+0', size: 1000 },
    options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' },
    versionBefore: '1.4.2',
  });
}

describe('running firmware jobs', () => {
  it('a job whose outcome is journaled shows as running until it has released its device', async () => {
    const jobs = new RunningJobs(store.firmware);
    const job = journaled();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const running = jobs.start(job, 'ble:C0:DE:02:EA:A5:8B', true, async (self) => {
      self.cancellable = false;
      const finished = store.firmware.finish(job.id, 'confirmed', null);
      await released; // the device is still held here
      jobs.ended(job.id);
      return finished;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.firmware.get(job.id)).toMatchObject({ state: 'finished', outcome: 'confirmed' });
    expect(jobs.get(job.id)).toMatchObject({ state: 'running', outcome: null, reason: null, finishedAt: null, cancellable: false });
    expect(() => jobs.checkDeviceFree('ble:C0:DE:02:EA:A5:8B', 'ble C0:DE:02:EA:A5:8B')).toThrow(/already running/);
    release();
    await running.done;
    expect(jobs.get(job.id)).toMatchObject({ state: 'finished', outcome: 'confirmed' });
    expect(await jobs.wait(job.id)).toMatchObject({ state: 'finished', outcome: 'confirmed' });
  });

  it('a running job shows whether cancel is honoured now', () => {
    const jobs = new RunningJobs(store.firmware);
    const job = journaled();
    const running = jobs.start(job, 'serial:/dev/ttyACM0', true, () => new Promise<FirmwareJob>(() => undefined));
    expect(jobs.get(job.id)).toMatchObject({ state: 'running', cancellable: true });
    running.cancellable = false;
    expect(jobs.get(job.id).cancellable).toBe(false);
  });
});
