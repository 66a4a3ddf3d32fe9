// The firmware update job for USB DFU 1.1 and ST DfuSe devices: preflight, DETACH a device
// that runs its application and follow it into its bootloader, erase, write, read back,
// manifest (leave DFU mode), and follow it back into its application. Like the MCUboot job it
// never guesses: every step is journaled (and put on the case timeline) as it happens, so a
// crash or an unplug leaves the truth, and the outcome says what state the flash is in and
// what to do. DFU carries no firmware version; the device's bcdDevice is the nearest thing it
// reports, so versionBefore and versionAfter are that, read while the application runs.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { CaseDevice, FirmwareJob, FirmwareJobOptions, FirmwareOutcome, FirmwareStep, UsbDfuInfo } from '../../api/schemas';
import type { DfuFlashRequest, DfuFlashResult, DfuPhase } from '../../protocols/dfu/dfu-flash-request';
import type { DfuUsbDevice } from '../../protocols/dfu/dfu-usb-device';
import type { DetachOutcome } from '../../protocols/dfu/dfu-info';
import { DEFAULT_REENUMERATE_TIMEOUT_MS, identityOf, type UsbRegistry, type UsbSession } from '../usb/usb-registry';
import { checkForDfuMode, checkForRuntime, usbDfuFirmwareOf, type DfuFlashInput, type DfuPreflight } from './dfu-preflight';
import { emitProgress, FirmwareJobRecord, writeStartedDetail, type JobRecordDeps } from './firmware-job-record';
import { RunningJobs, type RunningJob } from './running-jobs';

/** What the job needs of the USB registry; tests can stand in. */
export type DfuDevices = Pick<UsbRegistry, 'get' | 'profileOf' | 'withDevice' | 'waitForMode'>;

export interface DfuUpdateDeps extends JobRecordDeps {
  usb: DfuDevices;
  /** The DFU engine (flashDfu). */
  flash(request: DfuFlashRequest): Promise<DfuFlashResult>;
  /** DFU_DETACH a device in runtime mode (detachToBootloader). */
  detach(device: DfuUsbDevice, info: UsbDfuInfo, label: string, options: { deadlineMs?: number; signal?: AbortSignal }): Promise<DetachOutcome>;
}

export interface StartDfuUpdateInput {
  deviceId: string;
  fileName: string;
  bytes: Uint8Array;
  options: FirmwareJobOptions;
  caseId: string | null;
}

const PROGRESS_EVERY_MS = 250;
const JOURNAL_PROGRESS_EVERY_MS = 1000;
/** Between looks for a device that must first leave the bus before it comes back in the same mode. */
const REENUMERATION_POLL_MS = 50;

/** Where the flash had got to, for a truthful reason when it stops. */
interface FlashProgress {
  total: number;
  written: number;
  /** Bytes of pages erased so far (DfuSe). */
  erased: number;
  /** Erasing or writing began: the flash may no longer hold what it held. */
  touched: boolean;
  /** The application was detached: the device is (or was going) into its bootloader. */
  detached: boolean;
  dfuse: boolean;
  verified: boolean;
}

export class DfuUpdates {
  private readonly running: RunningJobs;

  constructor(private readonly deps: DfuUpdateDeps) {
    this.running = new RunningJobs(deps.journal);
  }

  /** A job this process runs now (the journal holds every job; only running ones are told apart). */
  owns(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /** Check the request (everything that needs no transfer), journal the job and run it; returns at once. */
  start(input: StartDfuUpdateInput): FirmwareJob {
    const device = this.deps.usb.get(input.deviceId);
    this.running.checkDeviceFree(input.deviceId, device.path);
    if (device.state === 'busy') {
      throw new FieldbenchError({ code: 'device-busy', message: `the device is busy: ${device.stateDetail ?? 'another operation holds it'}`, device: device.path, step: 'firmware update', hint: 'Wait for it to finish, then flash.' });
    }
    const info = device.usb?.dfu;
    if (!device.usb || !info) {
      throw new FieldbenchError({ code: 'invalid-request', message: 'the device offers no USB DFU interface', device: device.path, step: 'firmware update', hint: 'Nothing can be flashed over USB on this device; put it into its bootloader by hand if it has one.' });
    }
    const facts = {
      label: device.path,
      vendorId: Number.parseInt(device.usb.vendorId, 16),
      productId: Number.parseInt(device.usb.productId, 16),
      info,
      profile: this.deps.usb.profileOf(input.deviceId),
    };
    const flashInput: DfuFlashInput = { fileName: input.fileName, bytes: input.bytes, options: input.options };
    const checked = info.mode === 'dfu' ? checkForDfuMode(flashInput, facts) : checkForRuntime(flashInput, facts);
    if (input.caseId) this.deps.cases.get(input.caseId); // not-found before anything starts
    const caseDevice: CaseDevice = { deviceId: device.id, transport: device.transport, path: device.path, profileId: device.profileId, identity: device.identity };
    const job = this.deps.journal.start({ device: caseDevice, caseId: input.caseId, image: checked.image, options: input.options, versionBefore: null });
    // Not cancellable until erasing begins: before it the device is switching to its bootloader.
    this.running.start(job, input.deviceId, false, (running) => this.run(running, input, flashInput, checked.checked, checked.warnings));
    return this.get(job.id);
  }

  get(jobId: string): FirmwareJob {
    return this.running.get(jobId);
  }

  /** Resolves with the finished job; for callers that wait (the CLI, tests). */
  wait(jobId: string): Promise<FirmwareJob> {
    return this.running.wait(jobId);
  }

  cancel(jobId: string): FirmwareJob {
    return this.running.cancel(jobId, () => {
      const step = this.deps.journal.get(jobId).steps.at(-1)?.step ?? 'preflight';
      const late = step === 'verify' || step === 'manifest' || step === 'reconnect';
      return new FieldbenchError({
        code: 'device-busy',
        message: late
          ? `the flash can no longer be cancelled: everything is written and the job is in ${step}`
          : `the flash cannot be cancelled during ${step}: the device is switching to its bootloader`,
        step: 'cancel firmware update',
        hint: late ? 'Wait a few seconds for it to finish.' : 'Cancel once erasing or writing has begun, or wait for the job to finish.',
      });
    });
  }

  /** Cancel what can be, and wait (bounded) for the rest, before the app closes. */
  close(deadlineMs = 10_000): Promise<void> {
    return this.running.close(deadlineMs);
  }

  // ------------------------------------------------------------------ the job

  private async run(job: RunningJob, input: StartDfuUpdateInput, flashInput: DfuFlashInput, fileChecks: string[], fileWarnings: string[]): Promise<FirmwareJob> {
    const { deps } = this;
    const record = new FirmwareJobRecord(deps, job.id, input.caseId, `Firmware ${input.fileName}`, () => this.get(job.id));
    const progress: FlashProgress = { total: 0, written: 0, erased: 0, touched: false, detached: false, dfuse: false, verified: false };
    const signal = job.controller.signal;
    try {
      return await deps.usb.withDevice(
        input.deviceId,
        'firmware update',
        async (opened) => {
          let session = opened;
          record.step('preflight', 'started');
          // The bootloader's bcdDevice is its own release, not the application's: only an application's counts.
          const versionBefore = session.info.mode === 'runtime' ? identityOf(session.device, session.profile).firmwareVersion : null;
          deps.journal.versionBefore(job.id, versionBefore);
          let plan: DfuPreflight;
          if (session.info.mode === 'dfu') {
            plan = checkForDfuMode(flashInput, this.factsOf(session));
            record.step('preflight', 'done', sentences(plan.checked, plan.warnings));
          } else {
            record.step('preflight', 'done', sentences([...fileChecks, 'the rest is checked once the bootloader is up'], fileWarnings));

            // -------------------------------------------------- detach, reconnect
            const firmware = usbDfuFirmwareOf(session.profile);
            record.step('detach', 'started', 'DFU_DETACH to the application');
            const detached = await deps.detach(session.device, session.info, session.label, {
              ...(firmware?.detachTimeoutMs !== undefined ? { deadlineMs: firmware.detachTimeoutMs } : {}),
              signal,
            });
            progress.detached = true;
            record.step('detach', 'done', detached.resetSent ? 'DFU_DETACH, then a USB reset, as the device does not detach on its own' : 'DFU_DETACH; the device detaches on its own');
            session = await this.reconnect(record, input.deviceId, 'dfu', session, signal, 'after DETACH');
            record.step('preflight', 'started', 'in DFU mode: the image against the bootloader');
            plan = checkForDfuMode(flashInput, this.factsOf(session));
            record.step('preflight', 'done', sentences(plan.checked, plan.warnings));
          }
          progress.total = plan.total;
          progress.dfuse = plan.dfuse;

          // -------------------------------------------------- erase, write, verify, manifest
          let result = await this.flash(job, record, session, plan, flashInput.options, progress);
          if (result.readUnprotected) {
            // Removing read protection mass-erased the flash and resets the device: follow it and flash for real.
            session = await this.reconnect(record, input.deviceId, 'dfu', session, signal, 'after read-unprotect, which resets the device');
            const again = checkForDfuMode({ ...flashInput, options: withoutReadUnprotect(flashInput.options) }, this.factsOf(session));
            result = await this.flash(job, record, session, again, withoutReadUnprotect(flashInput.options), progress);
          }
          deps.journal.uploaded(job.id, result.written);

          // -------------------------------------------------- back in the application
          const notes: string[] = [];
          if (flashInput.options.dfu?.leave === false) {
            notes.push('left in its DFU bootloader as asked: reset or power-cycle it to start the new firmware');
          } else {
            const back = await this.followBack(record, input.deviceId, session);
            if (back) {
              deps.journal.versionAfter(job.id, identityOf(back.device, back.profile).firmwareVersion);
            } else {
              notes.push(`the device did not come back in its application within ${duration(reenumerateMs(session))}: check that the new firmware starts (it may not offer DFU runtime, in which case it is not listed)`);
            }
          }
          const outcome: FirmwareOutcome = result.verified ? 'verified' : 'written';
          const reason = [result.verified ? null : result.verifyDetail, ...notes].filter((s): s is string => s !== null).join('; ');
          return record.finish(outcome, reason || null);
        },
        { long: true },
      );
    } catch (error) {
      return this.failed(job, record, error, progress);
    } finally {
      this.running.ended(job.id);
      record.changed();
    }
  }

  private factsOf(session: UsbSession) {
    return { label: session.label, vendorId: session.device.vendorId, productId: session.device.productId, info: session.info, profile: session.profile };
  }

  /** One run of the DFU engine, with its phases journaled and its progress reported. */
  private async flash(job: RunningJob, record: FirmwareJobRecord, session: UsbSession, plan: DfuPreflight, options: FirmwareJobOptions, progress: FlashProgress): Promise<DfuFlashResult> {
    const { deps } = this;
    let phaseStarted = Date.now();
    let lastEmit = 0;
    let lastJournal = 0;
    const request: DfuFlashRequest = {
      device: session.device,
      target: { interfaceNumber: plan.alt.interfaceNumber, alternateSetting: plan.alt.alternateSetting },
      functional: plan.functional,
      dfuse: plan.dfuse,
      layout: plan.layout,
      elements: plan.elements,
      massErase: options.dfu?.massErase === true,
      readUnprotect: options.dfu?.readUnprotect === true,
      verify: true,
      leave: options.dfu?.leave !== false,
      label: session.label,
      signal: job.controller.signal,
      onPhase: (phase: DfuPhase, status, detail) => {
        if (status === 'started') {
          phaseStarted = Date.now();
          lastEmit = 0;
          if (phase === 'erase' || phase === 'write') progress.touched = true;
        }
        if (status === 'done' && phase === 'verify') progress.verified = true;
        job.cancellable = (phase === 'erase' || phase === 'write') && status === 'started';
        const text = phase === 'write' && status === 'started' ? `${writeStartedDetail(plan.total)}${detail ? `; ${detail}` : ''}` : detail;
        if (phase === 'write' && status === 'done') deps.journal.uploaded(job.id, progress.written);
        record.step(phase, status, text);
      },
      onProgress: (phase, done, total) => {
        const now = Date.now();
        if (phase === 'erase') progress.erased = done;
        if (phase === 'write') {
          progress.written = done;
          if (now - lastJournal >= JOURNAL_PROGRESS_EVERY_MS || done === total) {
            lastJournal = now;
            deps.journal.uploaded(job.id, done);
          }
        }
        if (now - lastEmit >= PROGRESS_EVERY_MS || done === total) {
          lastEmit = now;
          emitProgress(deps.events, job.id, phase, done, total, 0, phaseStarted);
        }
      },
    };
    try {
      return await deps.flash(request);
    } finally {
      job.cancellable = false;
    }
  }

  /** Wait for the device to come back in a mode, journaled as 'reconnect'. */
  private async reconnect(record: FirmwareJobRecord, deviceId: string, mode: 'runtime' | 'dfu', from: UsbSession, signal: AbortSignal, why: string): Promise<UsbSession> {
    const deadlineMs = reenumerateMs(from);
    record.step('reconnect', 'started', `${why}: waiting up to ${duration(deadlineMs)} for the device in ${mode === 'dfu' ? 'its DFU bootloader' : 'its application'}`);
    const session = await this.waitForNewSession(deviceId, mode, from, deadlineMs, signal);
    record.step('reconnect', 'done', `${session.label} ${mode === 'dfu' ? 'in DFU mode' : 'runs its application'}`);
    return session;
  }

  /**
   * The registry may not yet have seen the device leave the bus (a reset in the same mode,
   * as after read-unprotect): only a device that came back counts, never the one that left.
   */
  private async waitForNewSession(deviceId: string, mode: 'runtime' | 'dfu', from: UsbSession, deadlineMs: number, signal?: AbortSignal): Promise<UsbSession> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const session = await this.deps.usb.waitForMode(deviceId, mode, Math.max(1, deadline - Date.now()), signal);
      if (session.device !== from.device) return session;
      if (Date.now() >= deadline) {
        throw new FieldbenchError({
          code: 'timeout',
          message: `the device did not leave the bus and come back within ${deadlineMs} ms`,
          device: from.label,
          step: 'reconnect',
          hint: 'Unplug it and plug it in again, then look at the device list to see which mode it is in.',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, REENUMERATION_POLL_MS));
    }
  }

  /** After the device left DFU mode: wait (bounded) for its application, so the device list shows it. Null if it does not come. */
  private async followBack(record: FirmwareJobRecord, deviceId: string, from: UsbSession): Promise<UsbSession | null> {
    try {
      return await this.reconnect(record, deviceId, 'runtime', from, new AbortController().signal, 'the new firmware starts');
    } catch (error) {
      if (!isFieldbenchError(error)) throw error;
      record.step('reconnect', 'failed', error.message);
      return null;
    }
  }

  private failed(job: RunningJob, record: FirmwareJobRecord, error: unknown, progress: FlashProgress): FirmwareJob {
    const step = record.current;
    const message = error instanceof Error ? error.message : String(error);
    if (!isFieldbenchError(error)) this.deps.log('error', `firmware job ${job.id}: ${error instanceof Error ? (error.stack ?? message) : message}`);
    try {
      this.deps.journal.uploaded(job.id, progress.written);
      if (job.controller.signal.aborted) {
        record.step(step, 'failed', 'cancelled');
        return record.finish('cancelled', cancelledReason(step, progress));
      }
      record.step(step, 'failed', message);
      return record.finish('failed', failedReason(step, error, progress));
    } catch (journalError) {
      // The store itself failed: say so in the log; the caller still learns the outcome.
      this.deps.log('error', `firmware job ${job.id}: could not journal the failure: ${String(journalError)}`);
      throw error;
    }
  }
}

function reenumerateMs(session: UsbSession): number {
  return usbDfuFirmwareOf(session.profile)?.reenumerateTimeoutMs ?? DEFAULT_REENUMERATE_TIMEOUT_MS;
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function withoutReadUnprotect(options: FirmwareJobOptions): FirmwareJobOptions {
  return { ...options, dfu: { ...options.dfu, readUnprotect: false } };
}

function sentences(checked: string[], warnings: string[]): string {
  return [...checked, ...warnings.map((w) => `warning: ${w}`)].join('; ');
}

function cancelledReason(step: FirmwareStep, progress: FlashProgress): string {
  const where = step === 'write' ? ` after ${progress.written} of ${progress.total} bytes` : '';
  const flash = step === 'erase' ? 'the flash is partly erased' : 'the flash is partly written';
  return `cancelled during ${step}${where}: the device was told to ABORT and waits in its DFU bootloader (dfuIDLE); ${flash}, so the application will not start: flash again`;
}

/** Where the device and its flash were left, for a job that stopped at `step`; `changed`: the flash no longer holds what it held. */
function deviceState(step: FirmwareStep, error: unknown, progress: FlashProgress): { text: string; changed: boolean } {
  if (!progress.touched && step === 'reconnect') return { text: 'nothing was written; the device may be waiting in its DFU bootloader, or still run its application', changed: false };
  if (progress.detached && !progress.touched) {
    return { text: 'nothing was written; the device waits in its DFU bootloader: reset or power-cycle it to start its application again', changed: false };
  }
  if (step === 'preflight' || step === 'detach') return { text: 'nothing was written: the flash holds what it held before', changed: false };
  // A device that answered with an error status refused the erase; one that went away or silent may have been mid-page.
  const refused = isFieldbenchError(error) && error.code === 'device-error';
  if (step === 'erase' && progress.dfuse && progress.erased === 0 && refused) {
    return { text: 'the device refused to erase its first page: the flash holds what it held before', changed: false };
  }
  const text =
    step === 'erase'
      ? 'the flash is partly erased and the application will not start'
      : step === 'write'
        ? `the flash is partly written (${progress.written} of ${progress.total} bytes) and the application will not start`
        : step === 'verify'
          ? 'everything was written, but not read back as written'
          : step === 'manifest'
            ? `everything was written${progress.verified ? ' and read back' : ''}, but the device did not leave DFU mode cleanly`
            : 'the flash may be incomplete';
  return { text, changed: true };
}

function failedReason(step: FirmwareStep, error: unknown, progress: FlashProgress): string {
  const message = error instanceof Error ? error.message : String(error);
  // The engine's words for an unplug already say where the flash stopped, its state and what to do.
  if (isFieldbenchError(error) && error.code === 'device-gone' && (step === 'erase' || step === 'write')) {
    return `${message} (until then the application will not start)`;
  }
  const hint = isFieldbenchError(error) && error.hint ? ` ${error.hint}` : ' Flash again.';
  const state = deviceState(step, error, progress);
  const bootloader = progress.dfuse ? 'the ROM bootloader is intact' : 'the DFU bootloader is intact';
  return `${step} failed: ${message}; ${state.text}${state.changed ? `; ${bootloader}` : ''}.${hint}`;
}
