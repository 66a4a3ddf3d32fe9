// Flash through the core and wait for the job's end, arming a virtual device's fault knobs
// at a chosen moment of the job (a step reached, a point of the upload), so that they count
// from then: the fault matrices of every transport drive their jobs with this.
import { expect } from 'vitest';
import type { FirmwareJob, FirmwareJobOptions, FirmwareProgress, VirtualFaults } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { ok } from './core-fixture';

export interface Arm {
  when?: (job: FirmwareJob) => boolean;
  whenProgress?: (progress: FirmwareProgress) => boolean;
  faults: VirtualFaults;
  /** Clear the knobs this long after arming them (a device that comes back into range). */
  clearAfterMs?: number;
}

export async function flashWithFaults(
  core: Core,
  deviceId: string,
  image: { bytes: Uint8Array; fileName: string },
  arm: Arm | null,
  deadlineMs: number,
  options?: FirmwareJobOptions,
): Promise<FirmwareJob> {
  let armed = arm === null;
  let finish!: (job: FirmwareJob) => void;
  const finished = new Promise<FirmwareJob>((resolve) => (finish = resolve));
  let failArming: (error: unknown) => void = () => undefined;
  const armingFailed = new Promise<never>((_, reject) => (failArming = reject));
  const timers: ReturnType<typeof setTimeout>[] = [];
  const armNow = (faults: VirtualFaults) => {
    armed = true;
    // Events go out synchronously and this request settles before any byte reaches the device.
    ok(core, 'devices.setFaults', { deviceId, faults }).catch(failArming);
    if (arm?.clearAfterMs !== undefined) timers.push(setTimeout(() => ok(core, 'devices.setFaults', { deviceId, faults: {} }).catch(failArming), arm.clearAfterMs));
  };
  let jobId: string | null = null;
  const offJob = core.events.on('firmware.job', (job) => {
    if (job.deviceId !== deviceId) return;
    jobId = job.id;
    if (!armed && arm?.when?.(job)) armNow(arm.faults);
    if (job.state === 'finished') finish(job);
  });
  const offProgress = core.events.on('firmware.progress', (progress) => {
    if (progress.jobId === jobId && !armed && arm?.whenProgress?.(progress)) armNow(arm.faults);
  });
  try {
    const started = await ok(core, 'firmware.flash', { deviceId, fileName: image.fileName, contentBase64: Buffer.from(image.bytes).toString('base64'), ...(options ? { options } : {}) });
    const deadline = new Promise<never>((_, reject) => {
      timers.push(setTimeout(() => reject(new Error(`no outcome within ${deadlineMs} ms`)), deadlineMs));
    });
    const now = await ok(core, 'firmware.job', { jobId: started.id });
    const job = now.state === 'finished' ? now : await Promise.race([finished, deadline, armingFailed]);
    expect(armed).toBe(true);
    return job;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    offJob();
    offProgress();
  }
}
