// A Fieldbench that stopped mid-update: the journal keeps the truth, and the next start
// closes the job saying where it stopped and how to go on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FirmwareUpdates } from '../../src-main/core/firmware/firmware-updates';
import { EventBus } from '../../src-main/core/event-bus';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
beforeEach(() => {
  dir = makeTempDir('restart');
  store = openCaseStore({ dataDir: dir.path });
});
afterEach(() => {
  store.close();
  dir.remove();
});

describe('firmware jobs after a restart', () => {
  it('closes a job that was uploading, with how far it got and what to do', () => {
    const job = store.firmware.start({
      device: { deviceId: 'serial:/dev/ttyACM0', transport: 'serial', path: '/dev/ttyACM0', profileId: 'fieldbench-sensor-node', identity: null },
      caseId: null,
      image: { fileName: 'app.bin', sha256: 'cd'.repeat(32), version: '1.5.0+0', size: 100_000 },
      options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' },
      versionBefore: '1.4.2',
    });
    store.firmware.step(job.id, 'upload', 'started');
    store.firmware.uploaded(job.id, 40_960);

    // What the core does at start: a new FirmwareUpdates over the same journal.
    new FirmwareUpdates({
      sessions: {} as never,
      journal: store.firmware,
      cases: store.cases,
      events: new EventBus(),
      inspect: () => {
        throw new Error('no image is inspected at start-up');
      },
      signingKeysOf: () => [],
      now: () => new Date(),
      log: () => undefined,
    });
    const closed = store.firmware.get(job.id);
    expect(closed).toMatchObject({ state: 'finished', outcome: 'failed' });
    expect(closed.reason).toBe(
      'Fieldbench stopped during upload after 40960 of 100000 bytes. Flash the same image again: the upload resumes where the device left off.',
    );
    expect(store.firmware.unfinished()).toEqual([]);
  });
});
