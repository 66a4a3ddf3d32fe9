// The firmware update job through the core, as every door drives it: the virtual sensor
// node on a real pseudo-terminal, the real serialport, SMP and the shell on one port, a
// real case store. Each outcome is read back from the (virtual) bootloader.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import type { FirmwareJob, FirmwareProgress } from '../../src-main/api/schemas';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { fails, ok, startCore } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;

beforeEach(async () => {
  dir = makeTempDir('firmware');
  core = await startCore(dir.path);
});
afterEach(async () => {
  await core.close();
  dir.remove();
});

function imageBase64(version: string, size = 48_000): string {
  const payload = Uint8Array.from({ length: size }, (_, i) => (i * 31 + (i >> 7)) & 0xff);
  return Buffer.from(createMcubootImage({ version, payload })).toString('base64');
}

/** Start a flash and collect its events until it finishes (with a deadline). */
async function flash(request: Parameters<typeof ok<'firmware.flash'>>[2], deadlineMs = 60_000) {
  const progress: FirmwareProgress[] = [];
  const offProgress = core.events.on('firmware.progress', (p) => progress.push(p));
  let finish!: (job: FirmwareJob) => void;
  const finished = new Promise<FirmwareJob>((resolve) => (finish = resolve));
  let jobId = '';
  const offJob = core.events.on('firmware.job', (job) => {
    if (job.id === jobId && job.state === 'finished') finish(job);
  });
  try {
    const started = await ok(core, 'firmware.flash', request);
    jobId = started.id;
    expect(started.state).toBe('running');
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no outcome within ${deadlineMs} ms`)), deadlineMs));
    const job = await Promise.race([finished, timer, ok(core, 'firmware.job', { jobId }).then((j) => (j.state === 'finished' ? j : finished))]);
    return { job, progress };
  } finally {
    offProgress();
    offJob();
  }
}

describe('firmware update over SMP', () => {
  it('uploads, tests, resets, checks, confirms; the case timeline tells every step', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const opened = await ok(core, 'cases.open', { title: 'Update to 1.5.0', deviceId: device.id });
    const before = await ok(core, 'firmware.slots', { deviceId: device.id });
    expect(before.find((s) => s.active)?.version).toBe('1.4.2');

    const { job, progress } = await flash({ deviceId: device.id, fileName: 'app-1.5.0.bin', contentBase64: imageBase64('1.5.0+0'), caseId: opened.id });
    expect(job).toMatchObject({ outcome: 'confirmed', versionBefore: '1.4.2', versionAfter: '1.5.0', state: 'finished' });
    expect(job.steps.filter((s) => s.status === 'done').map((s) => s.step)).toEqual([
      'preflight',
      'upload',
      'test',
      'reset',
      'reconnect',
      'verify',
      'health-check',
      'confirm',
    ]);
    expect(progress.at(-1)).toMatchObject({ sent: job.image.size, total: job.image.size });

    const after = await ok(core, 'firmware.slots', { deviceId: device.id });
    expect(after.find((s) => s.active)).toMatchObject({ version: '1.5.0', confirmed: true, hash: job.image.sha256 });
    // Every door's device list comes to show the new version without being asked.
    const deadline = Date.now() + 5000;
    let listed = (await ok(core, 'devices.list', {})).find((d) => d.id === device.id);
    while (listed?.identity?.firmwareVersion !== '1.5.0' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      listed = (await ok(core, 'devices.list', {})).find((d) => d.id === device.id);
    }
    expect(listed?.identity?.firmwareVersion).toBe('1.5.0');
    expect(listed?.firmware).toEqual({ method: 'mcumgr-serial', slotSize: 393216, signatureRequired: false });
    const report = await ok(core, 'diagnostics.read', { deviceId: device.id });
    expect(report.identity?.firmwareVersion).toBe('1.5.0');

    const timeline = (await ok(core, 'cases.get', { caseId: opened.id })).timeline;
    const firmwareEvents = timeline.filter((e) => e.kind === 'firmware').map((e) => e.summary);
    expect(firmwareEvents[0]).toMatch(/preflight started/);
    expect(firmwareEvents.at(-1)).toBe('Firmware update confirmed');
  });

  it('asked not to confirm: the device reverts at the next reset, and the job says so', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const { job } = await flash({
      deviceId: device.id,
      fileName: 'app-1.6.0.bin',
      contentBase64: imageBase64('1.6.0+0'),
      options: { uploadOnly: false, allowDowngrade: false, confirm: 'never' },
    });
    expect(job).toMatchObject({ outcome: 'reverted', reason: 'asked not to confirm the new image', versionAfter: '1.4.2' });
    const slots = await ok(core, 'firmware.slots', { deviceId: device.id });
    expect(slots.find((s) => s.active)?.version).toBe('1.4.2');
  });

  it('a bootloader that refuses the image leaves the old one running, and the job says it was refused', async () => {
    const device = await ok(core, 'devices.attachVirtual', { faults: { refuseImage: true } });
    const { job } = await flash({ deviceId: device.id, fileName: 'app.bin', contentBase64: imageBase64('1.7.0+0') });
    expect(job.outcome).toBe('reverted');
    expect(job.reason).toMatch(/bootloader refused the image/);
    expect(job.versionAfter).toBe('1.4.2');
  });

  it('upload only: the image waits in the secondary slot, its hash checked on the device', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const { job } = await flash({
      deviceId: device.id,
      fileName: 'app.bin',
      contentBase64: imageBase64('1.5.1+0'),
      options: { uploadOnly: true, allowDowngrade: false, confirm: 'auto' },
    });
    expect(job.outcome).toBe('uploaded');
    const slots = await ok(core, 'firmware.slots', { deviceId: device.id });
    expect(slots.find((s) => s.slot === 1)).toMatchObject({ version: '1.5.1', hash: job.image.sha256, active: false });
  });

  it('refuses before anything is sent: not MCUboot, damaged, a downgrade without consent', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const raw = await fails(core, 'firmware.flash', { deviceId: device.id, fileName: 'app.bin', contentBase64: Buffer.from('hello').toString('base64') });
    expect(raw).toMatchObject({ code: 'invalid-request', step: 'firmware preflight' });
    expect(raw.message).toMatch(/not an MCUboot image/);

    const damaged = Buffer.from(imageBase64('1.5.0+0'), 'base64');
    damaged[0x300] = (damaged[0x300] ?? 0) ^ 0xff;
    const bad = await fails(core, 'firmware.flash', { deviceId: device.id, fileName: 'app.bin', contentBase64: damaged.toString('base64') });
    expect(bad.message).toMatch(/hash does not match/);

    const { job } = await flash({ deviceId: device.id, fileName: 'old.bin', contentBase64: imageBase64('1.3.0+0') });
    expect(job.outcome).toBe('failed');
    expect(job.reason).toMatch(/1\.3\.0\+0 is older than the running 1\.4\.2/);
  });

  it('other requests on the device fail at once with device-busy while the update runs', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const started = await ok(core, 'firmware.flash', { deviceId: device.id, fileName: 'app.bin', contentBase64: imageBase64('1.5.0+0', 200_000) });
    const busy = await fails(core, 'diagnostics.read', { deviceId: device.id });
    expect(busy).toMatchObject({ code: 'device-busy', message: 'firmware update is running on this device' });
    const cancelled = await ok(core, 'firmware.cancel', { jobId: started.id });
    expect(cancelled.id).toBe(started.id);
    const deadline = Date.now() + 30_000;
    let job = await ok(core, 'firmware.job', { jobId: started.id });
    while (job.state !== 'finished' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = await ok(core, 'firmware.job', { jobId: started.id });
    }
    expect(job.outcome).toBe('cancelled');
    expect(job.reason).toMatch(/still runs its previous image/);
  });

  it('a device in MCUboot serial recovery is recognised, flashed in place and reset into the new application', async () => {
    const device = await ok(core, 'devices.attachVirtual', { startIn: 'serial-recovery' });
    expect(device).toMatchObject({ state: 'recovery', profileId: 'fieldbench-sensor-node', identity: null });
    expect(device.stateDetail).toMatch(/MCUboot serial recovery: no application runs/);
    expect(await fails(core, 'diagnostics.read', { deviceId: device.id })).toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/serial recovery/),
      hint: expect.stringMatching(/Flash an image/),
    });

    const { job } = await flash({ deviceId: device.id, fileName: 'rescue.bin', contentBase64: imageBase64('1.5.2+0') });
    expect(job).toMatchObject({ outcome: 'confirmed', versionAfter: '1.5.2' });
    expect(job.steps.find((s) => s.step === 'test')?.status).toBe('skipped');
    const report = await ok(core, 'diagnostics.read', { deviceId: device.id });
    expect(report.identity?.firmwareVersion).toBe('1.5.2');
    const [listed] = (await ok(core, 'devices.list', {})).filter((d) => d.id === device.id);
    expect(listed?.state).toBe('ready');
  });

  it('answers SMP echo, info (parameters, OS, bootloader, tasks) and reset through the contract', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    expect(await ok(core, 'smp.echo', { deviceId: device.id, text: 'hello bench' })).toEqual({ text: 'hello bench' });
    const info = await ok(core, 'smp.info', { deviceId: device.id });
    expect(info.params?.bufSize).toBeGreaterThan(0);
    expect(info.bootloader).toBe('MCUboot');
    expect(info.bootloaderMode).not.toBeNull();
    expect(info.os).toBeTruthy();
    expect(info.tasks.length).toBeGreaterThan(0);
    expect(await ok(core, 'smp.reset', { deviceId: device.id })).toEqual({});
    // The node comes back on the same port; the shell answers again once it has booted.
    const deadline = Date.now() + 10_000;
    let report = await core.dispatch('diagnostics.read', { deviceId: device.id });
    while (!report.ok && Date.now() < deadline) report = await core.dispatch('diagnostics.read', { deviceId: device.id });
    expect(report.ok).toBe(true);
  });
});
