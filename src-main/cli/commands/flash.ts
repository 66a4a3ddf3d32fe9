// `fieldbench flash --port PATH|--ble ADDRESS --image FILE [--key PUB.pem] [--upload-only] [--allow-downgrade] [--no-confirm]`:
// update an MCUboot device over SMP, on its serial port or its SMP GATT service; `fieldbench flash --usb VID:PID[:SERIAL] --image FILE
// [--alt N] [--address 0x…] [--mass-erase] [--read-unprotect] [--no-leave] [--ignore-id-mismatch]`:
// flash a USB DFU or DfuSe device. Either way: progress and steps as JSON lines, then one
// last line { result, sha256, bytes, seconds, ... }. A failure exits 1 with the step and the
// state the device was left in.
import { basename } from 'node:path';
import type { Device, FirmwareJob, FirmwareJobOptions } from '../../api/schemas';
import type { Core } from '../../core/core';
import { FieldbenchError } from '../../api/errors';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_FAILED, EXIT_OK, printJson } from '../output';
import { readInputFile, readKeyFiles } from '../read-files';
import { attachVirtualUsb, findUsbDevice, loadUsbProfiles, type UsbSelector, type VirtualUsbRequest } from '../usb-target';
import { identifiedDevice } from './diag';
import { attachVirtualBle, heardDevice } from './ble';

/**
 * A serial port with an MCUboot device, a BLE device by its address (after putting a virtual
 * node on the air, if asked), or a USB device named by its ids (after attaching a virtual board, if asked).
 */
export type FlashTarget = { port: string } | { ble: string; virtualBle: boolean } | { usb: UsbSelector; virtualUsb: VirtualUsbRequest | null };

export interface FlashOptions {
  target: FlashTarget;
  image: string;
  keys: string[];
  options: FirmwareJobOptions;
}

/** Outcomes where the image is on the device as asked ('written': there, but the device cannot be read back to prove it). */
const SUCCESS: ReadonlySet<FirmwareJob['outcome']> = new Set(['uploaded', 'booted', 'confirmed', 'reverted', 'verified', 'written']);

async function targetDevice(core: Core, target: FlashTarget): Promise<Device> {
  if ('port' in target) return identifiedDevice(core, target.port);
  if ('ble' in target) {
    await attachVirtualBle(core, target.virtualBle);
    return heardDevice(core, target.ble);
  }
  const [profiles] = await Promise.all([loadUsbProfiles(), attachVirtualUsb(core, target.virtualUsb)]);
  return findUsbDevice(core, target.usb, profiles);
}

export async function flashCommand(session: CoreSessionOptions, flash: FlashOptions, json: boolean, signal: AbortSignal): Promise<number> {
  const image = await readInputFile(flash.image, 'read image');
  const keys = await readKeyFiles(flash.keys);
  return withCore(session, async (core) => {
    const device = await targetDevice(core, flash.target);
    const started = Date.now();
    const seenSteps = new Set<string>();
    let finished!: (job: FirmwareJob) => void;
    const done = new Promise<FirmwareJob>((resolve) => (finished = resolve));
    let jobId: string | null = null;
    let lastShown = '';

    const offJob = core.events.on('firmware.job', (job) => {
      if (job.id !== jobId) return;
      for (const step of job.steps) {
        const key = `${step.step}:${step.status}:${step.at}`;
        if (seenSteps.has(key)) continue;
        seenSteps.add(key);
        if (json) printJson(session.io, { event: 'step', ...step });
        else session.io.err(`${step.step}: ${step.status}${step.detail ? ` — ${step.detail}` : ''}`);
      }
      if (job.state === 'finished') finished(job);
    });
    const offProgress = core.events.on('firmware.progress', (progress) => {
      if (progress.jobId !== jobId) return;
      if (json) {
        printJson(session.io, { event: 'progress', ...progress });
        return;
      }
      const percent = Math.floor((100 * progress.sent) / Math.max(1, progress.total));
      // One line per whole percent of each phase (upload; or erase, write, verify).
      const shown = `${progress.step}:${percent}`;
      if (shown === lastShown) return;
      lastShown = shown;
      const left = progress.secondsLeft === null ? '' : `, ${Math.ceil(progress.secondsLeft)} s left`;
      session.io.err(`${progress.step}: ${percent}% (${progress.sent}/${progress.total} bytes, ${(progress.bytesPerSecond / 1024).toFixed(1)} KiB/s${left})`);
    });
    const cancel = () => {
      if (jobId) void core.dispatch('firmware.cancel', { jobId });
    };
    signal.addEventListener('abort', cancel, { once: true });

    try {
      const job = await call(core, 'firmware.flash', {
        deviceId: device.id,
        fileName: basename(flash.image),
        contentBase64: Buffer.from(image).toString('base64'),
        options: flash.options,
        keys,
      });
      jobId = job.id;
      // Events before jobId was known were not matched: look once, then wait for the last one.
      const now = job.state === 'finished' ? job : await call(core, 'firmware.job', { jobId: job.id });
      const end = now.state === 'finished' ? now : await done;
      return report(session, end, device, (Date.now() - started) / 1000, json);
    } finally {
      offJob();
      offProgress();
      signal.removeEventListener('abort', cancel);
    }
  });
}

function report(session: CoreSessionOptions, job: FirmwareJob, device: Device, seconds: number, json: boolean): number {
  const summary = {
    result: job.outcome,
    reason: job.reason,
    sha256: job.image.sha256,
    version: job.image.version,
    bytes: job.image.size,
    seconds: Math.round(seconds * 100) / 100,
    versionBefore: job.versionBefore,
    versionAfter: job.versionAfter,
    jobId: job.id,
  };
  const usb = device.transport === 'usb';
  if (SUCCESS.has(job.outcome)) {
    if (json) printJson(session.io, usb ? { ...summary, written: job.uploaded, device: device.id } : summary);
    else session.io.out(`${job.outcome}: ${job.reason ?? successText(job)}`);
    return EXIT_OK;
  }
  const failedStep = [...job.steps].reverse().find((s) => s.status === 'failed')?.step ?? 'firmware update';
  const error = new FieldbenchError({
    code: job.outcome === 'cancelled' ? 'device-busy' : 'device-error',
    message: job.reason ?? `the update ended ${job.outcome}`,
    step: failedStep,
    device: device.usb ? `${device.usb.vendorId}:${device.usb.productId}${device.usb.serialNumber ? ` serial ${device.usb.serialNumber}` : ''}` : device.path,
    hint: usb
      ? 'See where the device is now with fieldbench dfu list, and flash again.'
      : job.versionAfter
        ? `The device runs ${job.versionAfter}.`
        : 'Read the device state with fieldbench smp images.',
  });
  if (json) session.io.err(JSON.stringify({ error: error.toShape(), ...summary }));
  else session.io.err(`fieldbench: ${failedStep}: ${error.message}. ${error.hint}`);
  return EXIT_FAILED;
}

function successText(job: FirmwareJob): string {
  switch (job.outcome) {
    case 'verified':
      return `${job.uploaded} bytes written and read back identical`;
    case 'written':
      return `${job.uploaded} bytes written, but the device allows no read-back, so it was not verified`;
    default:
      return `the device runs ${job.versionAfter ?? '?'}`;
  }
}
