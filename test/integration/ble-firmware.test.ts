// Firmware updates over Bluetooth LE through the core's contract: the virtual sensor node on
// a private dbus-daemon with the simulated BlueZ, reached through the real node-ble, SMP on
// MCUmgr's GATT service. The same job as over serial: upload sized by the MTU, test mark,
// reset, reconnect, verify, health check over GATT, confirm. The fault matrix drops the
// connection at 0, 25, 50, 75 and 100% of the upload; each run must end with the new image
// verified and confirmed or the old image running, the job saying which, and the slots read
// back over BLE agreeing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device, FirmwareJob, FirmwareJobStep, FirmwareProgress, ImageSlot } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { smpBleFraming } from '../../src-main/protocols/smp/smp-ble';
import { OsCommand, SmpGroup } from '../../src-main/protocols/smp/smp-groups';
import { encodeSmpPacket, SmpOp } from '../../src-main/protocols/smp/smp-packet';
import { largestUploadChunk, uploadRequestBody, type UploadRequestFields } from '../../src-main/protocols/smp/smp-upload-chunk';
import { NodeBleCentral } from '../../src-main/transports/ble/node-ble-central';
import { DEFAULT_LINK_PARAMETERS } from '../../src-main/virtual/ble/ble-link-model';
import { type PrivateDbus, startPrivateDbus } from '../../src-main/virtual/ble/private-dbus';
import { SMP_BUF_SIZE } from '../../src-main/virtual/sensor-node/sensor-node-smp';
import { fails, ok, PROFILES_DIR } from '../helpers/core-fixture';
import { type Arm, flashWithFaults } from '../helpers/flash-with-faults';
import { makeTempDir } from '../helpers/temp-dir';

const IMAGE_PAYLOAD = 24_000;
const OLD_VERSION = '1.4.2';

let dir: ReturnType<typeof makeTempDir>;
/** The machine's "system bus" for this core: a private one with no BlueZ, so only the virtual node is on the air. */
let machineBus: PrivateDbus;
let core: Core;

beforeAll(async () => {
  dir = makeTempDir('ble-firmware');
  machineBus = await startPrivateDbus();
  core = await createCore({
    dataDir: dir.path,
    profilesDir: PROFILES_DIR,
    checkResponses: true,
    discoveryIntervalMs: 0,
    virtualTimeScale: 0,
    bleCentral: new NodeBleCentral({ busAddress: machineBus.address, platform: 'linux', callTimeoutMs: 3_000 }),
  });
});
afterAll(async () => {
  await core?.close();
  await machineBus?.stop();
  dir?.remove();
});

/** A fresh virtual node on the air for one test (one at a time per core), taken off afterwards. */
async function withNode(test: (device: Device) => Promise<void>): Promise<void> {
  const device = await ok(core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' });
  try {
    await test(device);
  } finally {
    await ok(core, 'devices.detach', { deviceId: device.id });
  }
}

function makeImage(version: string): Uint8Array {
  const payload = Uint8Array.from({ length: IMAGE_PAYLOAD }, (_, i) => (i * 31 + (i >> 5)) & 0xff);
  return createMcubootImage({ version, payload });
}

/**
 * The bytes written to the SMP characteristic from the start of the upload step: the
 * MCUmgr parameters read, then every upload request as the client sizes it for this MTU.
 */
function bytesOnTheAir(image: Uint8Array): { params: number; upload: number } {
  const framing = smpBleFraming({ mtu: DEFAULT_LINK_PARAMETERS.mtu });
  const header = { version: 2 as const, op: SmpOp.READ, flags: 0, sequence: 0 };
  const params = encodeSmpPacket({ ...header, group: SmpGroup.OS, command: OsCommand.MCUMGR_PARAMS }, {}).length;
  let upload = 0;
  for (let offset = 0; offset < image.length; ) {
    const fields: UploadRequestFields = offset === 0 ? { off: 0, len: image.length, sha: new Uint8Array(32) } : { off: offset };
    const size = largestUploadChunk(fields, image.length - offset, SMP_BUF_SIZE, framing);
    upload += encodeSmpPacket({ ...header, op: SmpOp.WRITE, group: SmpGroup.IMAGE, command: 1 }, uploadRequestBody(fields, image.subarray(offset, offset + size))).length;
    offset += size;
  }
  return { params, upload };
}

function flash(deviceId: string, version: string, arm: Arm | null, deadlineMs = 60_000): Promise<FirmwareJob> {
  return flashWithFaults(core, deviceId, { bytes: makeImage(version), fileName: `app-${version}.bin` }, arm, deadlineMs);
}

const lastStep = (job: FirmwareJob): FirmwareJobStep | undefined => job.steps.at(-1);
const active = (slots: ImageSlot[]) => slots.find((s) => s.active);
const details = (job: FirmwareJob, step: FirmwareJobStep['step'], status: FirmwareJobStep['status']) =>
  job.steps.filter((s) => s.step === step && s.status === status).map((s) => s.detail ?? '');
const at = (step: FirmwareJobStep['step'], status: FirmwareJobStep['status']) => (job: FirmwareJob) =>
  lastStep(job)?.step === step && lastStep(job)?.status === status;

async function expectConfirmed(deviceId: string, job: FirmwareJob, version: string): Promise<void> {
  expect(job, job.reason ?? '').toMatchObject({ outcome: 'confirmed', versionBefore: OLD_VERSION, versionAfter: version });
  expect(details(job, 'verify', 'done')).toEqual([`runs ${version}, not yet confirmed`]);
  const slots = await ok(core, 'firmware.slots', { deviceId });
  expect(active(slots)).toMatchObject({ version, hash: job.image.sha256, confirmed: true });
}

async function expectOldImage(deviceId: string, job: FirmwareJob): Promise<void> {
  expect(['failed', 'reverted']).toContain(job.outcome);
  expect(job.versionAfter).toBe(OLD_VERSION);
  expect(job.reason).toContain(OLD_VERSION);
  const slots = await ok(core, 'firmware.slots', { deviceId });
  expect(active(slots)).toMatchObject({ version: OLD_VERSION, confirmed: true });
}

describe('firmware over BLE', () => {
  it('flashes the node over SMP on GATT: the same steps as serial, the health check read over GATT, confirmed', () =>
    withNode(async (device) => {
      expect(device.firmware).toMatchObject({ method: 'mcumgr-ble' });
      expect((await ok(core, 'smp.echo', { deviceId: device.id, text: 'over the air' })).text).toBe('over the air');
      const before = await ok(core, 'firmware.slots', { deviceId: device.id });
      expect(active(before)).toMatchObject({ version: OLD_VERSION, confirmed: true });

      const progress: FirmwareProgress[] = [];
      const off = core.events.on('firmware.progress', (p) => progress.push(p));
      const job = await flash(device.id, '1.5.0+0', null).finally(off);
      await expectConfirmed(device.id, job, '1.5.0');
      expect(job.steps.map((s) => `${s.step}:${s.status}`)).toEqual(
        expect.arrayContaining(['preflight:done', 'upload:done', 'test:done', 'reset:done', 'reconnect:done', 'verify:done', 'health-check:done', 'confirm:done']),
      );
      // Judged what BLE can read of the profile's health check, and says what it could not.
      expect(details(job, 'health-check', 'done')[0]).toMatch(/none failing \(battery-voltage, selftest cannot be read over this link\)/);
      expect(progress.at(-1)).toMatchObject({ sent: job.image.size, total: job.image.size });
      expect(job.device).toMatchObject({ transport: 'ble', deviceId: device.id });
      // The list learns the new firmware version from Device Information, as it does over serial.
      await until(async () => (await ok(core, 'devices.list', {})).find((d) => d.id === device.id)?.identity?.firmwareVersion?.startsWith('1.5.0'));
    }), 60_000);

  it('a diagnostics read while the update runs is refused at once, saying what runs', () =>
    withNode(async (device) => {
      const started = await ok(core, 'firmware.flash', {
        deviceId: device.id,
        fileName: 'app-1.5.1.bin',
        contentBase64: Buffer.from(makeImage('1.5.1+0')).toString('base64'),
        options: { uploadOnly: true },
      });
      const refused = await fails(core, 'diagnostics.read', { deviceId: device.id });
      expect(refused).toMatchObject({ code: 'device-busy', message: expect.stringContaining('firmware update') });
      const done = await waitForJob(started.id);
      expect(done.outcome).toBe('uploaded');
    }), 60_000);

  it('the bootloader refuses the new image: MCUboot keeps the old one and the job says so', () =>
    withNode(async (device) => {
      const job = await flash(device.id, '1.5.2+0', { when: at('upload', 'done'), faults: { refuseImage: true } });
      expect(job.outcome).toBe('reverted');
      expect(job.reason).toMatch(/bootloader (refused|did not boot) the image/);
      await expectOldImage(device.id, job);
    }), 60_000);

  it('out of range as the reset is sent and back two seconds later: the job finds the reset lost, resets again and confirms', () =>
    withNode(async (device) => {
      // Out of range as the reset is sent: the reset never reaches the node. When it is back, it
      // still runs 1.4.2 with 1.5.3 marked for test; the job sees that and resets it again.
      const job = await flash(device.id, '1.5.3+0', { when: at('reset', 'started'), faults: { outOfRange: true }, clearAfterMs: 2_000 });
      await expectConfirmed(device.id, job, '1.5.3');
      expect(details(job, 'reset', 'failed')).toEqual([expect.stringMatching(/^the device did not reset: runs 1\.4\.2 .*1\.5\.3 in slot 1 \(pending test\); resetting again$/)]);
    }), 60_000);

  it('serial-line fault knobs are refused by name for a node on the air', () =>
    withNode(async (device) => {
      const refused = await fails(core, 'devices.setFaults', { deviceId: device.id, faults: { garbage: 0.5, outOfRange: false } });
      expect(refused).toMatchObject({ code: 'invalid-request', message: expect.stringContaining('garbage'), hint: expect.stringContaining('dropAtReceivedBytes') });
    }), 30_000);
});

describe('the link dropped during a BLE upload', () => {
  const uploadStarted = (job: FirmwareJob) => lastStep(job)?.step === 'upload' && lastStep(job)?.status === 'started';

  for (const percent of [0, 25, 50, 75, 100]) {
    it(`at ${percent}%: the job reconnects and resumes to a verified, confirmed image, or the old image runs`, () =>
      withNode(async (device) => {
        const version = `1.6.${percent}`;
        const air = bytesOnTheAir(makeImage(`${version}+0`));
        const dropAt = air.params + Math.round((percent / 100) * air.upload);
        const job = await flash(device.id, `${version}+0`, { when: uploadStarted, faults: { dropAtReceivedBytes: dropAt } });

        const interrupted = details(job, 'reconnect', 'started').filter((d) => d.startsWith('upload interrupted'));
        expect(interrupted, JSON.stringify(job.steps)).toHaveLength(1);
        const before = Number(/after byte (\d+) of/.exec(interrupted[0] ?? '')?.[1]);
        expect(before).toBeLessThanOrEqual(Math.ceil((percent / 100) * job.image.size));

        if (job.outcome === 'confirmed') {
          await expectConfirmed(device.id, job, version);
          const resumed = details(job, 'upload', 'started').filter((d) => d.startsWith('after the reconnect'));
          expect(resumed).toHaveLength(1);
          expect(Number(/reported byte (\d+) of/.exec(resumed[0] ?? '')?.[1])).toBeGreaterThanOrEqual(before);
        } else {
          await expectOldImage(device.id, job);
        }
      }), 90_000);
  }
});

async function waitForJob(jobId: string, ms = 60_000): Promise<FirmwareJob> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = await ok(core, 'firmware.job', { jobId });
    if (job.state === 'finished') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function until(check: () => Promise<boolean | undefined>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
