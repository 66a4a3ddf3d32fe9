// The firmware update job for MCUboot devices over SMP: preflight, upload (with progress,
// cancel and resume), mark for test, reset, wait for the device, check which image runs,
// health check, then confirm, or leave unconfirmed and reset so MCUboot reverts. It never
// guesses: every outcome is read back from the bootloader, and every step is journaled
// (and put on the case timeline) as it happens, so a crash or an unplug leaves the truth.
import { createHash } from 'node:crypto';
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type {
  CaseDevice,
  FirmwareImageInfo,
  FirmwareJob,
  FirmwareJobOptions,
  FirmwareOutcome,
  FirmwareStep,
  ImageInspection,
  ImageSlot,
  Reading,
} from '../../api/schemas';
import type { CaseRepository } from '../../store/case-repository';
import type { FirmwareJournal } from '../../store/firmware-journal';
import type { EventBus } from '../event-bus';
import type { SigningKey } from '../profiles/profile-registry';
import { checkAgainstDevice, checkImage } from './firmware-preflight';
import { closeInterruptedJobs, emitProgress, FirmwareJobRecord, type StepStatus } from './firmware-job-record';
import { RunningJobs, type RunningJob } from './running-jobs';
import { activeSlot, confirmRunningImage, describeSlots, slotWithHash } from './image-slots';
import { reconnectSession, rebootTimeoutOf, resetAndReconnect, type UpdateSession, type UpdateSessions } from './update-session';

/** What the job needs of an SMP client; the real SmpClient has it, and tests can stand in. */
export interface UpdateSmp {
  imageState(): Promise<ImageSlot[]>;
  imageUpload(
    image: Uint8Array,
    options: { sha256: Uint8Array; onProgress?: (sent: number, total: number) => void; signal?: AbortSignal },
  ): Promise<unknown>;
  imageTest(hash: string): Promise<unknown>;
  imageConfirm(hash: string): Promise<unknown>;
  reset(): Promise<void>;
}

export interface FirmwareUpdateDeps {
  /** The devices' sessions, whichever transport carries SMP to them (serial, BLE). */
  sessions: UpdateSessions;
  journal: FirmwareJournal;
  cases: CaseRepository;
  events: EventBus;
  inspect(bytes: Uint8Array, fileName: string, keys: SigningKey[]): ImageInspection;
  signingKeysOf(profileId: string): SigningKey[];
  now(): Date;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface StartUpdateInput {
  deviceId: string;
  fileName: string;
  bytes: Uint8Array;
  options: FirmwareJobOptions;
  /** Keys the image must be signed with besides the profile's (from --key, say). */
  keys: SigningKey[];
  caseId: string | null;
}

/** How often progress goes to clients, and how often the acknowledged offset is journaled. */
const PROGRESS_EVERY_MS = 250;
const JOURNAL_PROGRESS_EVERY_MS = 1000;
/** Link drops survived during one upload before giving up. */
const MAX_UPLOAD_ATTEMPTS = 5;

export class FirmwareUpdates {
  private readonly running: RunningJobs;

  constructor(private readonly deps: FirmwareUpdateDeps) {
    this.running = new RunningJobs(deps.journal);
    // A job the journal says was running belongs to a Fieldbench that stopped mid-update
    // (of any kind: the journal is shared with the USB DFU job).
    closeInterruptedJobs(deps.journal);
  }

  /** Check the request, journal the job, and run it; returns at once with the job as started. */
  start(input: StartUpdateInput): FirmwareJob {
    const device = this.deps.sessions.get(input.deviceId);
    const profile = this.deps.sessions.updatableProfile(input.deviceId, 'firmware update');
    this.running.checkDeviceFree(input.deviceId, device.path);
    const keys = [...this.deps.signingKeysOf(profile.id), ...input.keys];
    const inspection = this.deps.inspect(input.bytes, input.fileName, keys);
    const imageCheck = checkImage(inspection, profile.firmware, keys.map((k) => k.name), device.path);
    const image: FirmwareImageInfo = { fileName: input.fileName, sha256: imageCheck.hash, version: inspection.version, size: input.bytes.length };
    const caseDevice: CaseDevice = { deviceId: device.id, transport: device.transport, path: device.path, profileId: device.profileId, identity: device.identity };
    if (input.caseId) this.deps.cases.get(input.caseId); // not-found before anything starts
    const job = this.deps.journal.start({ device: caseDevice, caseId: input.caseId, image, options: input.options, versionBefore: null });
    this.running.start(job, input.deviceId, true, (running) => this.run(running, input, inspection, imageCheck));
    this.changed(job.id);
    return this.get(job.id);
  }

  get(jobId: string): FirmwareJob {
    return this.running.get(jobId);
  }

  /** Resolves with the finished job; for callers that wait (the CLI). */
  wait(jobId: string): Promise<FirmwareJob> {
    return this.running.wait(jobId);
  }

  cancel(jobId: string): FirmwareJob {
    return this.running.cancel(
      jobId,
      () =>
        new FieldbenchError({
          code: 'device-busy',
          message: 'the update can no longer be cancelled: the device is switching images',
          step: 'cancel firmware update',
          hint: 'Wait a few seconds for it to finish; stopping now could leave the device between images.',
        }),
    );
  }

  /** Cancel what can be, and wait (bounded) for the rest, before the app closes. */
  close(deadlineMs = 10_000): Promise<void> {
    return this.running.close(deadlineMs);
  }

  // ------------------------------------------------------------------ the job

  private async run(job: RunningJob, input: StartUpdateInput, inspection: ImageInspection, imageCheck: { hash: string; checked: string[] }): Promise<FirmwareJob> {
    const { deps } = this;
    const hash = imageCheck.hash;
    let versionBefore: string | null = null;
    let lastSlots: ImageSlot[] = [];
    const record = new FirmwareJobRecord(deps, job.id, input.caseId, `Firmware ${inspection.version ?? hash.slice(0, 8)}`, () => this.get(job.id));
    const journal = (step: FirmwareStep, status: StepStatus, detail: string | null = null) => record.step(step, status, detail);
    // The last 'firmware.job' event goes out once the device is released (below), so a
    // client that acts on it finds the device free.
    const finish = (outcome: FirmwareOutcome, reason: string | null) => record.finish(outcome, reason);

    try {
      return await deps.sessions.withSession(
        input.deviceId,
        'firmware update',
        async (opened) => {
          let session = opened;
          const profile = session.profile;
          const firmware = profile.firmware;
          const rebootTimeoutMs = rebootTimeoutOf(profile);
          const smp = (): UpdateSmp => session.smp();
          const readSlots = async () => (lastSlots = await smp().imageState());

          // -------------------------------------------------- preflight
          journal('preflight', 'started');
          const pre = checkAgainstDevice(inspection, hash, await readSlots(), input.options, session.label);
          versionBefore = pre.runningVersion;
          deps.journal.versionBefore(job.id, versionBefore);
          deps.journal.versionAfter(job.id, versionBefore); // until something else runs
          journal('preflight', 'done', [...imageCheck.checked, ...pre.checked].join('; '));

          // An earlier update was cut off after the device started this image but before the
          // confirm: nothing to upload, test or reset; go on from the check of what runs.
          const resumeAtVerify = pre.finishEarlierUpdate;
          const recovering = session.inRecovery;
          if (resumeAtVerify) {
            for (const step of ['upload', 'test', 'reset'] as const) journal(step, 'skipped', 'the device already runs this image, not yet confirmed');
            job.cancellable = false;
            this.changed(job.id);
          } else {
            // -------------------------------------------------- upload
            journal('upload', 'started', `${input.bytes.length} bytes`);
            const done = await this.upload(job, input, session, rebootTimeoutMs);
            session = done.session;
            lastSlots = done.slots;
            const uploaded = slotWithHash(lastSlots, hash);
            if (!uploaded) {
              throw new FieldbenchError({
                code: 'device-error',
                message: `after the upload the device does not list the image (${describeSlots(lastSlots)})`,
                device: session.label,
                step: 'verify upload',
                hint: 'The upload may have been refused; flash again.',
              });
            }
            journal('upload', 'done', `hash checked on the device; ${describeSlots(lastSlots)}`);
            // Serial recovery writes the only slot in place: nothing to test, nothing to revert to.
            if (input.options.uploadOnly) {
              return finish(
                'uploaded',
                recovering
                  ? "written to the only slot by the bootloader's serial recovery; it runs after a reset"
                  : 'the image is in the secondary slot; it runs after it is marked for test and the device is reset',
              );
            }

            // From here on the device changes images; a cancel would leave it half-way.
            job.cancellable = false;
            this.changed(job.id);
          }
          try {
            if (!resumeAtVerify) {
              // -------------------------------------------------- test, reset, reconnect
              if (recovering) {
                journal('test', 'skipped', 'serial recovery wrote the image in place; there is no test swap');
              } else {
                journal('test', 'started');
                await smp().imageTest(hash);
                journal('test', 'done', describeSlots(await readSlots()));
              }
              session = await this.journaledReset(job.id, session, rebootTimeoutMs, journal);
              // The old image still runs and the new one is still marked for test: the reset
              // never reached the device (the link went as it was sent). MCUboot clears the mark
              // of an image it refuses, so this is not a refusal: reset again, once.
              if (!session.inRecovery && resetNotReached(await readSlots(), hash)) {
                journal('reset', 'failed', `the device did not reset: ${describeSlots(lastSlots)}; resetting again`);
                session = await this.journaledReset(job.id, session, rebootTimeoutMs, journal);
              }
              if (session.inRecovery) {
                throw new FieldbenchError({
                  code: 'device-error',
                  message: `after the reset only the bootloader answers: it did not start the image (${describeSlots(await readSlots())})`,
                  device: session.label,
                  step: 'verify',
                  hint: 'The device stays in serial recovery. Flash an image that was built and signed for this board.',
                });
              }
            }

            // -------------------------------------------------- verify
            journal('verify', 'started');
            const running = activeSlot(await readSlots());
            deps.journal.versionAfter(job.id, running?.version ?? null);
            if (running?.hash !== hash) {
              const refused = slotWithHash(lastSlots, hash);
              const why = refused && !refused.bootable ? 'the bootloader refused the image' : 'the bootloader did not boot the image';
              journal('verify', 'failed', `${why}; ${describeSlots(lastSlots)}`);
              return finish('reverted', `${why}; the device runs ${running?.version ?? 'an unknown image'}`);
            }
            journal('verify', 'done', `runs ${running.version}, not yet confirmed`);

            // -------------------------------------------------- health check, then confirm or revert
            if (input.options.confirm === 'later') {
              // The caller's own test judges the image (the bench station's procedure), then it
              // confirms or resets; until then the device runs the new image on trial.
              return finish(
                'booted',
                recovering
                  ? 'written in place by serial recovery; it runs, and there is no other image to go back to'
                  : `runs on trial, not yet confirmed: confirm it to keep it, or reset to go back to ${versionBefore ?? 'the previous image'}`,
              );
            }
            if (input.options.confirm === 'never' && !recovering) {
              return this.revert(job.id, session, smp, rebootTimeoutMs, journal, finish, versionBefore, 'asked not to confirm the new image');
            }
            journal('health-check', 'started');
            const report = await session.readHealth(input.deviceId);
            const judged = healthReadings(report.readings, firmware.healthCheck ?? profile.diagnostics.map((d) => d.id));
            const failing = judged.readings.filter((r) => r.status === 'fail' || r.status === 'error');
            if (failing.length > 0) {
              const what = failing.map((r) => `${r.label}${r.value !== null ? ` ${String(r.value)}${r.unit ? ` ${r.unit}` : ''}` : ''} (${r.status})`).join(', ');
              journal('health-check', 'failed', what);
              if (recovering) {
                return finish('failed', `health check failed: ${what}; the image was written by serial recovery, so there is no previous image to go back to: flash a known good image`);
              }
              return this.revert(job.id, session, smp, rebootTimeoutMs, journal, finish, versionBefore, `health check failed: ${what}`);
            }
            journal('health-check', 'done', `${judged.readings.length} readings, none failing${judged.note}`);

            journal('confirm', 'started');
            lastSlots = await confirmRunningImage(smp(), hash, { label: session.label, step: 'confirm', hint: 'It will revert at the next reset. Try the update again.', lastRead: lastSlots });
            journal('confirm', 'done', describeSlots(lastSlots));
            return finish('confirmed', recovering ? 'written by serial recovery; the device runs the new image' : null);
          } catch (error) {
            // The link went (an unplug, a power loss) while the device was switching images: find
            // out which image it runs now rather than guess from what was last seen.
            if (recovering || !lostTheDevice(error)) throw error;
            return await this.afterLoss(job.id, session, record.current, error, hash, versionBefore, lastSlots, rebootTimeoutMs, journal, finish);
          }
        },
        { long: true },
      );
    } catch (error) {
      return this.failed(job, input, record.current, error, lastSlots, journal, finish);
    } finally {
      this.running.ended(job.id);
      this.changed(job.id);
      // The device may run another image now: read its identity again so every door shows it.
      void this.deps.sessions.identify(input.deviceId).catch((error: unknown) => {
        this.deps.log('info', `after firmware job ${job.id}: could not read the device's identity again: ${String(error)}`);
      });
    }
  }

  /**
   * Upload, following the device's offset, then read the slots to check it; after a link drop
   * (the last answer may have got out just before it), wait for the device and go on from
   * where it stopped.
   */
  private async upload(
    job: RunningJob,
    input: StartUpdateInput,
    opened: UpdateSession,
    rebootTimeoutMs: number,
  ): Promise<{ session: UpdateSession; slots: ImageSlot[] }> {
    let session = opened;
    const sha256 = createHash('sha256').update(input.bytes).digest();
    const started = Date.now();
    let lastEmit = 0;
    let lastJournal = 0;
    let firstSent: number | null = null;
    /** The last offset the device acknowledged. */
    let acknowledged = 0;
    /** Set after a reconnect: the first answer says where the device stands, and the journal keeps it. */
    let resuming = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await session.smp().imageUpload(input.bytes, {
          sha256,
          signal: job.controller.signal,
          onProgress: (sent, total) => {
            const now = Date.now();
            firstSent ??= sent;
            if (resuming) {
              resuming = false;
              lastEmit = 0;
              this.deps.journal.step(
                job.id,
                'upload',
                'started',
                `after the reconnect the device reported byte ${sent} of ${total} (the last acknowledged before the drop was ${acknowledged}); the upload goes on from there`,
              );
              this.changed(job.id);
            }
            acknowledged = sent;
            if (now - lastJournal >= JOURNAL_PROGRESS_EVERY_MS || sent === total) {
              lastJournal = now;
              this.deps.journal.uploaded(job.id, sent);
            }
            if (now - lastEmit >= PROGRESS_EVERY_MS || sent === total) {
              lastEmit = now;
              emitProgress(this.deps.events, job.id, 'upload', sent, total, firstSent, started);
            }
          },
        });
        this.deps.journal.uploaded(job.id, input.bytes.length);
        return { session, slots: await session.smp().imageState() };
      } catch (error) {
        if (job.controller.signal.aborted) throw error;
        const recoverable = isFieldbenchError(error) && (error.code === 'device-gone' || error.code === 'timeout');
        if (!recoverable || attempt >= MAX_UPLOAD_ATTEMPTS) throw error;
        this.deps.journal.uploaded(job.id, acknowledged);
        this.deps.journal.step(
          job.id,
          'reconnect',
          'started',
          `upload interrupted after byte ${acknowledged} of ${input.bytes.length} (${error.message}); attempt ${attempt + 1} of ${MAX_UPLOAD_ATTEMPTS}`,
        );
        this.changed(job.id);
        session = await reconnectSession(session, rebootTimeoutMs);
        this.deps.journal.step(job.id, 'reconnect', 'done', 'the upload resumes from the offset the device reports');
        resuming = true;
        this.changed(job.id);
      }
    }
  }

  /** The shared reset and reconnect, journaled as the job's two steps. */
  private async journaledReset(
    jobId: string,
    session: UpdateSession,
    rebootTimeoutMs: number,
    journal: (step: FirmwareStep, status: 'started' | 'done' | 'failed', detail?: string | null) => void,
  ): Promise<UpdateSession> {
    journal('reset', 'started');
    const back = await resetAndReconnect(session, rebootTimeoutMs, () => {
      journal('reset', 'done');
      journal('reconnect', 'started', `waiting up to ${Math.round(rebootTimeoutMs / 1000)} s for the device to come back`);
    });
    journal('reconnect', 'done');
    this.changed(jobId);
    return back;
  }

  /** Leave the new image unconfirmed and reset: MCUboot swaps the old one back. Then check that it did. */
  private async revert(
    jobId: string,
    session: UpdateSession,
    smp: () => UpdateSmp,
    rebootTimeoutMs: number,
    journal: (step: FirmwareStep, status: 'started' | 'done' | 'failed', detail?: string | null) => void,
    finish: (outcome: FirmwareOutcome, reason: string | null) => FirmwareJob,
    versionBefore: string | null,
    reason: string,
  ): Promise<FirmwareJob> {
    journal('revert', 'started', reason);
    const back = await this.journaledReset(jobId, session, rebootTimeoutMs, journal);
    const running = activeSlot(await back.smp().imageState());
    this.deps.journal.versionAfter(jobId, running?.version ?? null);
    if (running?.version !== versionBefore) {
      throw new FieldbenchError({
        code: 'device-error',
        message: `the device did not revert: it runs ${running?.version ?? 'an unknown image'}, not ${versionBefore ?? '?'}`,
        device: back.label,
        step: 'revert',
        hint: 'Check the device; flash a known good image to it.',
      });
    }
    journal('revert', 'done', `runs ${running.version} again`);
    return finish('reverted', reason);
  }

  /**
   * The device dropped off (or stopped answering) after the image was marked for test. It may
   * have lost power, run the new image or gone back to the old one: wait for it, read the
   * slots and say which, so the outcome is what the device runs, not what was last seen.
   */
  private async afterLoss(
    jobId: string,
    session: UpdateSession,
    step: FirmwareStep,
    error: FieldbenchError,
    hash: string,
    versionBefore: string | null,
    lastSlots: ImageSlot[],
    rebootTimeoutMs: number,
    journal: (step: FirmwareStep, status: 'started' | 'done' | 'failed', detail?: string | null) => void,
    finish: (outcome: FirmwareOutcome, reason: string | null) => FirmwareJob,
  ): Promise<FirmwareJob> {
    const lost = `${step} failed: ${error.message}`;
    journal(step, 'failed', error.message);
    journal('reconnect', 'started', `the device dropped off during ${step}; waiting up to ${Math.round(rebootTimeoutMs / 1000)} s to read which image it runs`);
    let slots: ImageSlot[];
    try {
      const back = await reconnectSession(session, rebootTimeoutMs);
      slots = await back.smp().imageState();
    } catch (again) {
      const why = again instanceof Error ? again.message : String(again);
      journal('reconnect', 'failed', why);
      if (leftTheDeviceList(again)) return finish('failed', describeUnplug(unpluggedDuring(step, session.label, lastSlots, versionBefore, again)));
      return finish(
        'failed',
        `${lost}; the device could not be reached afterwards (${why}). If it did not confirm the new image, MCUboot goes back to ${versionBefore ?? 'the previous image'} at its next reset`,
      );
    }
    const running = activeSlot(slots);
    this.deps.journal.versionAfter(jobId, running?.version ?? null);
    journal('reconnect', 'done', describeSlots(slots));
    if (running?.hash === hash && running.confirmed) {
      journal('confirm', 'done', `the device runs the new image, confirmed; ${describeSlots(slots)}`);
      return finish('confirmed', `the link dropped during ${step}, but the device came back running ${running.version}, confirmed`);
    }
    if (running?.hash === hash) {
      return finish(
        'failed',
        `${lost}; the device came back running ${running.version}, not confirmed: MCUboot goes back to ${versionBefore ?? 'the previous image'} at its next reset unless it is confirmed. Flash the same image again to finish`,
      );
    }
    if (running && running.version === versionBefore) {
      journal('revert', 'done', `the device restarted before the new image was confirmed and MCUboot went back to ${running.version}`);
      return finish('reverted', `${lost}; the device restarted before the new image was confirmed, and MCUboot went back to ${running.version}, which it runs now`);
    }
    return finish('failed', `${lost}; the device came back and ${describeSlots(slots)}`);
  }

  private failed(
    job: RunningJob,
    input: StartUpdateInput,
    step: FirmwareStep,
    error: unknown,
    slots: ImageSlot[],
    journal: (step: FirmwareStep, status: 'failed', detail?: string | null) => void,
    finish: (outcome: FirmwareOutcome, reason: string | null) => FirmwareJob,
  ): FirmwareJob {
    const message = error instanceof Error ? error.message : String(error);
    if (!isFieldbenchError(error)) this.deps.log('error', `firmware job ${job.id}: ${error instanceof Error ? (error.stack ?? message) : message}`);
    try {
      if (job.controller.signal.aborted) {
        const uploaded = this.deps.journal.get(job.id).uploaded;
        journal(step, 'failed', 'cancelled');
        return finish(
          'cancelled',
          `cancelled during ${step} after ${uploaded} of ${input.bytes.length} bytes; the device still runs its previous image, and flashing the same image again resumes the upload`,
        );
      }
      if (leftTheDeviceList(error)) {
        const unplugged = unpluggedDuring(step, error.device ?? input.deviceId, slots, this.deps.journal.get(job.id).versionBefore, error);
        journal(step, 'failed', unplugged.message);
        return finish('failed', describeUnplug(unplugged));
      }
      journal(step, 'failed', message);
      const left = slots.length ? `; last seen, the device ${describeSlots(slots)}` : '';
      return finish('failed', `${step} failed: ${message}${left}`);
    } catch (journalError) {
      // The store itself failed: say so in the log; the caller still learns the outcome.
      this.deps.log('error', `firmware job ${job.id}: could not journal the failure: ${String(journalError)}`);
      throw error;
    }
  }

  private changed(jobId: string): void {
    this.deps.events.emit('firmware.job', this.get(jobId));
  }
}

/** An error that means the device went away or went quiet (not one it answered with), outside a reconnect that already waited for it. */
function lostTheDevice(error: unknown): error is FieldbenchError {
  return isFieldbenchError(error) && (error.code === 'device-gone' || error.code === 'timeout') && error.step !== 'reconnect';
}

/**
 * The device left the device list (unplugged, detached, its port gone): its session says so
 * from a reconnect at once, and no later attempt can find it.
 */
function leftTheDeviceList(error: unknown): error is FieldbenchError {
  return isFieldbenchError(error) && error.code === 'device-gone' && error.step === 'reconnect';
}

/** What a person is told when the device left mid-job: where, what is known of its images, and what to do. */
function unpluggedDuring(step: FirmwareStep, device: string, lastSlots: ImageSlot[], versionBefore: string | null, cause: unknown): FieldbenchError {
  const seen = lastSlots.length > 0 ? `last seen, it ${describeSlots(lastSlots)}` : 'which images it holds was not read';
  return new FieldbenchError(
    {
      code: 'device-gone',
      message: `the device was unplugged; ${seen}`,
      device,
      step,
      hint: `Plug it back in and flash again; unless the new image was confirmed, MCUboot keeps (or goes back to) ${versionBefore ?? 'the previous image'}.`,
    },
    { cause },
  );
}

function describeUnplug(error: FieldbenchError): string {
  return `${error.step ?? 'the update'} failed: ${error.message}. ${error.hint ?? ''}`.trimEnd();
}

/**
 * The readings the health check judges: those the profile names that this transport could
 * read. A transport that reads none of them (BLE has no shell for a self-test, say) is
 * judged on every reading it has, and the journal says so.
 */
function healthReadings(readings: Reading[], named: string[]): { readings: Reading[]; note: string } {
  const wanted = new Set(named);
  const found = readings.filter((r) => wanted.has(r.id));
  const missing = named.filter((id) => !readings.some((r) => r.id === id));
  if (found.length === 0) return { readings, note: missing.length ? ` (none of ${missing.join(', ')} can be read over this link, so every reading was judged)` : '' };
  return { readings: found, note: missing.length ? ` (${missing.join(', ')} cannot be read over this link)` : '' };
}

/** The previous image runs and the new one still waits, marked for test: no reset happened. */
function resetNotReached(slots: ImageSlot[], hash: string): boolean {
  const waiting = slotWithHash(slots, hash);
  return activeSlot(slots)?.hash !== hash && waiting !== null && waiting.pending && !waiting.permanent;
}
