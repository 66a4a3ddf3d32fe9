// The fault matrix for firmware updates: the update job through the core, against the
// virtual sensor node on a real pseudo-terminal and the real serialport, with the link
// pulled at every tenth of the upload, the power cut between the test mark and the confirm,
// a corrupted answer, a stalled device and an error code on the test mark. After each, the
// device must run either the new image, verified and confirmed, or its old one, and the job
// (outcome, reason and journaled steps) must say which; the slots are read back to check.
//
// A virtual device in the core sits at a stable path and is plugged back in 500 ms after it
// drops off its link, as a board on a USB cable does at /dev/serial/by-id/...
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import type { FirmwareJob, FirmwareJobStep, ImageSlot } from '../../src-main/api/schemas';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { OsCommand, SmpGroup } from '../../src-main/protocols/smp/smp-groups';
import { SmpOp, encodeSmpPacket } from '../../src-main/protocols/smp/smp-packet';
import { smpSerialFraming } from '../../src-main/protocols/smp/smp-serial';
import { largestUploadChunk, uploadRequestBody, type UploadRequestFields } from '../../src-main/protocols/smp/smp-upload-chunk';
import { SMP_BUF_SIZE } from '../../src-main/virtual/sensor-node/sensor-node-smp';
import { ok, startCore } from '../helpers/core-fixture';
import { type Arm, flashWithFaults } from '../helpers/flash-with-faults';
import { makeTempDir } from '../helpers/temp-dir';

const IMAGE_PAYLOAD = 16_000;
const OLD_VERSION = '1.4.2';
/** The sensor node profile's line length; the framing the job uses on its serial port. */
const framing = smpSerialFraming({ lineLength: 127 });

let dir: ReturnType<typeof makeTempDir>;
let core: Core;

// One core for the file; every test has a device of its own, so the tests run side by side
// (most of their time is the device resetting and the replug delay, not work).
beforeAll(async () => {
  dir = makeTempDir('fault-matrix');
  core = await startCore(dir.path);
});
afterAll(async () => {
  await core.close();
  dir.remove();
});

/** A fresh virtual node for one test, detached afterwards. */
async function withDevice(test: (deviceId: string) => Promise<void>): Promise<void> {
  const device = await ok(core, 'devices.attachVirtual', {});
  try {
    await test(device.id);
  } finally {
    await ok(core, 'devices.detach', { deviceId: device.id });
  }
}

function makeImage(version: string): Uint8Array {
  const payload = Uint8Array.from({ length: IMAGE_PAYLOAD }, (_, i) => (i * 29 + (i >> 6)) & 0xff);
  return createMcubootImage({ version, payload });
}

/**
 * What the device receives from the moment the upload step starts, worked out as the client
 * sends it: the MCUmgr parameters read that sizes the chunks, then every upload request,
 * framed for the serial line. A device that takes every chunk whole gets exactly these.
 */
function bytesOnTheWire(image: Uint8Array): { params: number; upload: number } {
  const header = { version: 2 as const, op: SmpOp.READ, flags: 0, sequence: 0 };
  const params = framing.encode(encodeSmpPacket({ ...header, group: SmpGroup.OS, command: OsCommand.MCUMGR_PARAMS }, {})).length;
  let upload = 0;
  for (let offset = 0; offset < image.length; ) {
    const fields: UploadRequestFields = offset === 0 ? { off: 0, len: image.length, sha: new Uint8Array(32) } : { off: offset };
    const size = largestUploadChunk(fields, image.length - offset, SMP_BUF_SIZE, framing);
    const body = uploadRequestBody(fields, image.subarray(offset, offset + size));
    upload += framing.encode(encodeSmpPacket({ ...header, op: SmpOp.WRITE, group: SmpGroup.IMAGE, command: 1 }, body)).length;
    offset += size;
  }
  return { params, upload };
}

/** Flash and wait for the job's end (with a deadline), arming faults as the job goes. */
function flash(deviceId: string, version: string, arm: Arm | null, deadlineMs = 45_000): Promise<FirmwareJob> {
  return flashWithFaults(core, deviceId, { bytes: makeImage(version), fileName: `app-${version}.bin` }, arm, deadlineMs);
}

const lastStep = (job: FirmwareJob): FirmwareJobStep | undefined => job.steps.at(-1);
const active = (slots: ImageSlot[]) => slots.find((s) => s.active);
const details = (job: FirmwareJob, step: FirmwareJobStep['step'], status: FirmwareJobStep['status']) =>
  job.steps.filter((s) => s.step === step && s.status === status).map((s) => s.detail ?? '');

/** The job ended with the new image verified, running and confirmed, and the device agrees. */
async function expectConfirmed(deviceId: string, job: FirmwareJob, version: string): Promise<void> {
  expect(job, job.reason ?? '').toMatchObject({ outcome: 'confirmed', versionBefore: OLD_VERSION, versionAfter: version });
  expect(details(job, 'verify', 'done')).toEqual([`runs ${version}, not yet confirmed`]);
  expect(details(job, 'confirm', 'done')).toHaveLength(1);
  const slots = await ok(core, 'firmware.slots', { deviceId });
  expect(active(slots)).toMatchObject({ version, hash: job.image.sha256, confirmed: true });
}

/** The device still (or again) runs its old image, and the job says so. */
async function expectOldImage(deviceId: string, job: FirmwareJob): Promise<void> {
  expect(['failed', 'reverted']).toContain(job.outcome);
  expect(job.versionAfter).toBe(OLD_VERSION);
  expect(job.reason).toMatch(new RegExp(`${OLD_VERSION.replace(/\./g, '\\.')}`));
  const slots = await ok(core, 'firmware.slots', { deviceId });
  expect(active(slots)).toMatchObject({ version: OLD_VERSION, confirmed: true });
}

describe.concurrent('the link dropped at every tenth of an upload', () => {
  const uploadStarted = (job: FirmwareJob) => {
    const step = lastStep(job);
    return step?.step === 'upload' && step.status === 'started';
  };

  for (const percent of [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) {
    it(`at ${percent}%: the upload resumes after the replug to a verified, confirmed image, or the old image runs`, () =>
      withDevice(async (deviceId) => {
        const version = `1.5.${percent}`;
        const wire = bytesOnTheWire(makeImage(`${version}+0`));
        const dropAt = wire.params + Math.round((percent / 100) * wire.upload);
        const job = await flash(deviceId, `${version}+0`, { when: uploadStarted, faults: { dropAtReceivedBytes: dropAt } });

        // The link did drop during the upload, and the journal says where the upload stood.
        const interrupted = details(job, 'reconnect', 'started').filter((d) => d.startsWith('upload interrupted'));
        expect(interrupted, JSON.stringify(job.steps)).toHaveLength(1);
        const before = Number(/after byte (\d+) of/.exec(interrupted[0] ?? '')?.[1]);
        expect(before).toBeLessThanOrEqual(Math.ceil((percent / 100) * job.image.size));

        if (job.outcome === 'confirmed') {
          await expectConfirmed(deviceId, job, version);
          // Resumed from the offset the device reported after the replug, not started over.
          const resumed = details(job, 'upload', 'started').filter((d) => d.startsWith('after the reconnect'));
          expect(resumed).toHaveLength(1);
          expect(Number(/reported byte (\d+) of/.exec(resumed[0] ?? '')?.[1])).toBeGreaterThanOrEqual(before);
        } else {
          await expectOldImage(deviceId, job);
        }
      }),
    );
  }
});

describe.concurrent('faults around the upload and the switch of images', () => {
  const at = (step: FirmwareJobStep['step'], status: FirmwareJobStep['status']) => (job: FirmwareJob) =>
    lastStep(job)?.step === step && lastStep(job)?.status === status;

  it('power lost between the test mark and the confirm: MCUboot reverts, and the job says the device runs its old image', () =>
    withDevice(async (deviceId) => {
      // The new image runs, not yet confirmed; the power goes as the health check starts.
      const job = await flash(deviceId, '1.6.0+0', { when: at('verify', 'done'), faults: { powerLossAtReceivedBytes: 0 } });
      expect(job.outcome).toBe('reverted');
      expect(job.reason).toMatch(/^health-check failed: .*restarted before the new image was confirmed.*went back to 1\.4\.2/);
      expect(details(job, 'health-check', 'failed')).toHaveLength(1);
      expect(details(job, 'revert', 'done')[0]).toMatch(/went back to 1\.4\.2/);
      expect(details(job, 'confirm', 'started')).toEqual([]);
      await expectOldImage(deviceId, job);
    }));

  it('the link lost after the new image boots, without a reset: the job says it is unconfirmed, and flashing it again only confirms it', () =>
    withDevice(async (deviceId) => {
      const first = await flash(deviceId, '1.6.1+0', { when: at('verify', 'done'), faults: { dropAtReceivedBytes: 0 } });
      expect(first.outcome).toBe('failed');
      expect(first.reason).toMatch(/running 1\.6\.1, not confirmed.*Flash the same image again to finish/);
      expect(active(await ok(core, 'firmware.slots', { deviceId }))).toMatchObject({ version: '1.6.1', confirmed: false });

      const again = await flash(deviceId, '1.6.1+0', null);
      expect(again, again.reason ?? '').toMatchObject({ outcome: 'confirmed', versionBefore: OLD_VERSION, versionAfter: '1.6.1' });
      expect(details(again, 'upload', 'skipped')).toEqual(['the device already runs this image, not yet confirmed']);
      expect(details(again, 'health-check', 'done')).toHaveLength(1);
      expect(active(await ok(core, 'firmware.slots', { deviceId }))).toMatchObject({ version: '1.6.1', confirmed: true });
    }));

  it('a corrupted answer mid-upload: the client asks again at once and the image still verifies', () =>
    withDevice(async (deviceId) => {
      const job = await flash(deviceId, '1.6.1+0', { whenProgress: (p) => p.sent > 0, faults: { corruptNextFrame: true } });
      await expectConfirmed(deviceId, job, '1.6.1');
      expect(details(job, 'reconnect', 'started')).toHaveLength(1); // only the one after the reset
    }));

  it('a stall beyond the client deadline mid-upload: it times out, asks again and the upload goes on', () =>
    withDevice(async (deviceId) => {
      // The client waits 5 s per attempt: the request the stall swallows and the first retry go unanswered.
      const job = await flash(deviceId, '1.6.2+0', { whenProgress: (p) => p.sent > 0, faults: { stallMs: 5_500 } });
      await expectConfirmed(deviceId, job, '1.6.2');
    }));

  it('an SMP error on the test mark: a clear failure naming the step, the old image still runs', () =>
    withDevice(async (deviceId) => {
      const job = await flash(deviceId, '1.6.3+0', { when: at('upload', 'done'), faults: { smpErrorRc: 6 } });
      expect(job.outcome).toBe('failed');
      expect(job.reason).toMatch(/^test failed: .*; last seen, the device runs 1\.4\.2/);
      expect(details(job, 'test', 'failed')).toHaveLength(1);
      await expectOldImage(deviceId, job);
    }));
});
