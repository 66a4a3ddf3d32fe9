// One unit's run of a recipe: record it, flash the image, run the test procedure on the image
// it booted, do the pass or fail action, and record how it ended. Every step has its own
// deadline; an operator's abort, an unplug or a step that fails ends the run at a safe point
// with the record saying where and why. It never throws: whatever happens to this unit stays
// with this unit.
import { isFieldbenchError } from '../../api/errors';
import type { Device, FirmwareJob, ProcedureRun, ProcedureStep } from '../../api/schemas';
import type { StationOutcome, StationProcedureResult, StationPrompt, StationUnit } from '../../api/station-schemas';
import type { StationRuns } from '../../store/station-runs';
import { compareMcubootVersions, parseMcubootVersion } from '../../firmware-images/mcuboot-version';
import type { LoadedRecipe } from './load-recipe';
import type { StationOperations } from './station-operations';
import { serialNumberOf, type UnitPresence } from './station-units';

export interface StationTiming {
  /** How long a unit may be gone during its test or action before it counts as unplugged. */
  unplugGraceMs: number;
  /** After a failed flash: how long the device list is watched for the unit to be gone (an unplug) or back (a re-enumeration). */
  flashUnplugGraceMs: number;
  /** Longest a firmware job may run, beyond its own deadlines, before the station gives up on it. */
  flashDeadlineMs: number;
  /** Longest a test procedure may run, operator steps included. */
  testDeadlineMs: number;
  /** During a flash: how long past the profile's reboot timeout a unit may be gone before the station stops waiting for its job. */
  flashGoneExtraMs: number;
  /** After an abort cancelled the firmware job: how long it may take to stop. */
  cancelWaitMs: number;
  /** Between attempts to reach a unit that is restarting. */
  identifyRetryMs: number;
  /** When the profile does not say how long the device takes to restart. */
  defaultRebootTimeoutMs: number;
}

export const DEFAULT_STATION_TIMING: StationTiming = {
  unplugGraceMs: 3000,
  flashUnplugGraceMs: 2000,
  flashDeadlineMs: 30 * 60_000,
  testDeadlineMs: 60 * 60_000,
  cancelWaitMs: 15_000,
  flashGoneExtraMs: 10_000,
  identifyRetryMs: 500,
  defaultRebootTimeoutMs: 20_000,
};

/** What a unit that is still restarting answers with; anything else will not change by asking again. */
const RETRIED_CODES = new Set(['timeout', 'device-busy', 'device-gone', 'device-error', 'unavailable']);

/** How long an aborted procedure run may take to stop. */
const PROCEDURE_ABORT_MS = 10_000;

/** Why a running unit is stopped from outside: the operator's abort or the station closing. */
export interface UnitStop {
  reason: string;
  /** The station is closing: the record says only that, as a stopped station's runs do. */
  closing: boolean;
}

export interface UnitRunInput {
  /** The tile, updated in place as the run goes; `changed` says when. */
  unit: StationUnit;
  loaded: LoadedRecipe;
  operations: StationOperations;
  runs: StationRuns;
  station: string;
  operator: string | null;
  rebootTimeoutMs: number;
  presence: UnitPresence;
  /** Aborted with a UnitStop as its reason. */
  signal: AbortSignal;
  timing: StationTiming;
  /** The tile changed; `progressOnly` changes may be thinned out. */
  changed(progressOnly: boolean): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** How a run ended, as the tile and the record say it. */
export interface UnitVerdict {
  outcome: StationOutcome;
  failureStep: string | null;
  reason: string | null;
}

/** Ends the run early: thrown inside the run, caught once at its top. */
class RunEnded extends Error {
  constructor(
    readonly verdict: UnitVerdict,
    /** For a flash that failed: what it left, so the fail action can still be judged. */
    readonly flash: FlashResult | null = null,
  ) {
    super(verdict.reason ?? verdict.outcome);
  }
}

/** What the flash left on the unit, which decides what the fail action can mean. */
interface FlashResult {
  job: FirmwareJob | null;
  /** The new image runs (SMP: booted on trial; DFU: written and the device left its bootloader). */
  newImageRuns: boolean;
  /** Anything was written to the unit's flash. */
  touched: boolean;
  /** The unit may run the new image on trial though the job failed (it got as far as the swap): a reset still means something. */
  mayRunNewImage: boolean;
  /** The unit already ran exactly this image: nothing was flashed. */
  alreadyRan: boolean;
}

export async function runStationUnit(input: UnitRunInput): Promise<UnitVerdict> {
  const run = new UnitRun(input);
  return run.run();
}

class UnitRun {
  private runId: string | null = null;
  private versionBefore: string | null = null;
  private versionAfter: string | null = null;
  private procedure: StationProcedureResult | null = null;
  private serialNumber: string | null;
  private readonly stopped: Promise<UnitStop>;

  constructor(private readonly input: UnitRunInput) {
    this.serialNumber = input.unit.serialNumber;
    this.stopped = new Promise<UnitStop>((resolve) => {
      if (input.signal.aborted) resolve(input.signal.reason as UnitStop);
      else input.signal.addEventListener('abort', () => resolve(input.signal.reason as UnitStop), { once: true });
    });
  }

  private get unit(): StationUnit {
    return this.input.unit;
  }

  private get deviceId(): string {
    return this.input.unit.deviceId;
  }

  async run(): Promise<UnitVerdict> {
    let verdict: UnitVerdict;
    try {
      this.checkStopped();
      await this.recordStart();
      let flash: FlashResult;
      let tested: UnitVerdict;
      try {
        flash = await this.flash();
      } catch (error) {
        if (!(error instanceof RunEnded) || error.verdict.outcome !== 'failed' || error.flash === null) throw error;
        return this.ended(await this.finish(error.verdict, error.flash));
      }
      try {
        tested = await this.test();
      } catch (error) {
        if (!(error instanceof RunEnded) || error.verdict.outcome !== 'failed') throw error;
        tested = error.verdict;
      }
      verdict = await this.finish(tested, flash);
    } catch (error) {
      verdict = error instanceof RunEnded ? error.verdict : this.unexpected(error);
    }
    return this.ended(verdict);
  }

  private ended(verdict: UnitVerdict): UnitVerdict {
    this.recordEnd(verdict);
    return verdict;
  }

  // ---------------------------------------------------------------- 1. record

  private async recordStart(): Promise<void> {
    const { input } = this;
    let device = this.device();
    if (device && (serialNumberOf(device) === null || device.identity?.firmwareVersion === undefined) && device.transport !== 'usb') {
      try {
        device = (await this.unlessStopped(input.operations.identify(this.deviceId), input.rebootTimeoutMs, 'identify')) ?? device;
      } catch (error) {
        input.log('info', `station: ${this.unit.label}: could not identify before the run: ${messageOf(error)}`);
      }
    }
    // Stopped before its record began: nothing was done to the unit, so nothing is recorded.
    this.checkStopped();
    if (device) this.serialNumber = serialNumberOf(device) ?? this.serialNumber;
    this.versionBefore = device ? runningVersionOf(device) : null;
    const { loaded } = input;
    const started = input.runs.start({
      recipe: { id: loaded.recipe.id, revision: loaded.recipe.revision, sha256: loaded.recipeSha256 },
      profileId: loaded.recipe.profile,
      station: input.station,
      operator: input.operator,
      device: { label: this.unit.label, transport: this.unit.transport, serialNumber: this.serialNumber },
      image: { sha256: loaded.image.sha256, version: loaded.image.version },
      versionBefore: this.versionBefore,
      procedureId: loaded.recipe.procedure?.id ?? null,
    });
    this.runId = started.id;
    Object.assign(this.unit, { runId: started.id, serialNumber: this.serialNumber, versionBefore: this.versionBefore });
    this.input.changed(false);
  }

  private recordProgress(): void {
    if (this.runId === null) return;
    try {
      this.input.runs.progress(this.runId, { serialNumber: this.serialNumber, versionBefore: this.versionBefore, versionAfter: this.versionAfter, procedure: this.procedure });
    } catch (error) {
      // The run goes on; the end writes everything again.
      this.input.log('warn', `station: ${this.unit.label}: could not record progress: ${messageOf(error)}`);
    }
  }

  private recordEnd(verdict: UnitVerdict): void {
    const { unit } = this;
    Object.assign(unit, {
      state: verdict.outcome,
      failureStep: verdict.failureStep,
      reason: verdict.reason,
      step: null,
      progress: null,
      prompt: null,
      versionBefore: this.versionBefore,
      versionAfter: this.versionAfter,
      serialNumber: this.serialNumber ?? unit.serialNumber,
    });
    if (this.runId !== null) {
      try {
        const ended = this.input.runs.finish(this.runId, {
          outcome: verdict.outcome,
          failureStep: verdict.failureStep,
          failureReason: verdict.reason,
          serialNumber: this.serialNumber,
          versionBefore: this.versionBefore,
          versionAfter: this.versionAfter,
          procedure: this.procedure,
        });
        unit.endedAt = ended.endedAt;
      } catch (error) {
        const stop = this.input.signal.aborted ? (this.input.signal.reason as UnitStop) : null;
        if (stop?.closing && isFieldbenchError(error) && error.code === 'conflict') {
          // The station's close stopped waiting for this run and recorded it as stopped itself.
          this.input.log('info', `station: ${unit.label}: run ${this.runId} reached ${verdict.outcome} after the station recorded it stopped`);
        } else {
          this.input.log('error', `station: ${unit.label}: could not record the end of run ${this.runId}: ${messageOf(error)}`);
          unit.reason = `${verdict.reason ?? verdict.outcome}; the record could not be written: ${messageOf(error)}`;
        }
      }
    }
    unit.endedAt ??= new Date().toISOString();
    this.input.changed(false);
  }

  // ---------------------------------------------------------------- 2. flash

  private async flash(): Promise<FlashResult> {
    const { input } = this;
    const { loaded, operations } = input;
    const usb = this.unit.transport === 'usb';
    this.checkStopped();
    this.setStage('flashing', 'preflight', 0);
    let job: FirmwareJob;
    try {
      job = operations.flash({
        deviceId: this.deviceId,
        fileName: loaded.image.fileName,
        bytes: loaded.imageBytes,
        options: usb
          ? { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu: { leave: loaded.recipe.onPass === 'reset' } }
          : { uploadOnly: false, allowDowngrade: false, confirm: 'later' },
      });
    } catch (error) {
      // A unit that left while it waited in the queue is refused as not listed: that is an unplug.
      if (!input.presence.present && (await input.presence.isGoneWithin(input.timing.flashUnplugGraceMs))) {
        throw new RunEnded({ outcome: 'unplugged', failureStep: 'flash: preflight', reason: 'unplugged before its flash started: plug it back in and run it again' });
      }
      throw this.failedAt('flash: preflight', messageOf(error));
    }
    this.unit.firmwareJobId = job.id;
    input.changed(false);

    const unsubscribe = [
      operations.onFirmwareProgress((progress) => {
        if (progress.jobId !== job.id) return;
        this.unit.step = progress.step;
        this.unit.progress = progress.total > 0 ? Math.min(1, progress.sent / progress.total) : null;
        input.changed(true);
      }),
      operations.onFirmwareJob((changed) => {
        if (changed.id !== job.id || changed.state !== 'running') return;
        const step = changed.steps.at(-1)?.step ?? null;
        if (step !== null && step !== this.unit.step) {
          this.unit.step = step;
          input.changed(false);
        }
      }),
    ];
    let ended: FirmwareJob;
    try {
      ended = await this.waitForJob(job);
    } finally {
      for (const off of unsubscribe) off();
    }
    return this.judgeFlash(ended);
  }

  /** The job's end; an abort cancels it if it still can be, else waits for it to reach a safe point. */
  private async waitForJob(job: FirmwareJob): Promise<FirmwareJob> {
    const { operations, timing } = this.input;
    const done = operations.waitFirmware(job.id);
    const deadline = timeout(timing.flashDeadlineMs);
    // The job follows a unit through its own resets within the reboot timeout; gone for longer
    // than that and an SMP request's deadline, it is not coming back through this job.
    const watching = new AbortController();
    const gone = this.input.presence.goneFor(this.input.rebootTimeoutMs + timing.flashGoneExtraMs, watching.signal);
    try {
      const first = await Promise.race([
        done.then((j) => ({ kind: 'ended' as const, job: j })),
        this.stopped.then((stop) => ({ kind: 'stop' as const, stop })),
        deadline.promise.then(() => ({ kind: 'deadline' as const })),
        gone.then(() => ({ kind: 'gone' as const })),
      ]);
      if (first.kind === 'ended') return first.job;
      const cancelled = safely(() => operations.cancelFirmware(job.id), false);
      if (first.kind === 'gone') {
        const step = this.unit.step ?? 'the flash';
        this.input.log('warn', `station: ${this.unit.label}: gone during ${step} and its firmware job ${job.id} has not ended; recorded as unplugged`);
        throw new RunEnded({ outcome: 'unplugged', failureStep: `flash: ${step}`, reason: `unplugged during ${step}; the unit may hold a partial image: plug it back in and run it again` });
      }
      // Not cancellable: the device is switching images. Stopping now could leave it between
      // two, so the job is let run to its end: a swap, a restart and a check of what runs.
      const grace = timeout(cancelled ? timing.cancelWaitMs : this.input.rebootTimeoutMs * 3);
      const last = await Promise.race([done, grace.promise.then(() => null)]);
      grace.clear();
      const step = last ? this.flashStepOf(last) : `flash: ${this.unit.step ?? 'preflight'}`;
      if (first.kind === 'stop') {
        const what = cancelled ? 'the firmware job was cancelled' : 'the firmware job was let finish, as the unit was switching images';
        const ended = last ? `${what}: ${last.outcome ?? 'ended'}` : `${what}, but it had not ended when the run was recorded`;
        throw new RunEnded({ outcome: 'aborted', failureStep: step, reason: first.stop.closing ? first.stop.reason : `${first.stop.reason} (${ended})` });
      }
      throw this.failedAt(step, `the firmware job did not end within ${Math.round(timing.flashDeadlineMs / 1000)} s${cancelled ? '; it was cancelled' : ''}`);
    } finally {
      deadline.clear();
      watching.abort();
    }
  }

  private async judgeFlash(job: FirmwareJob): Promise<FlashResult> {
    const { input } = this;
    const { loaded } = input;
    const usb = this.unit.transport === 'usb';
    if (job.versionBefore !== null) this.versionBefore = job.versionBefore;
    const touched = job.steps.some((s) => (s.step === 'upload' || s.step === 'erase' || s.step === 'write') && s.status !== 'skipped');
    if (job.outcome === 'booted' || job.outcome === 'verified' || job.outcome === 'written') {
      this.versionAfter = job.versionAfter ?? (usb && loaded.recipe.onPass !== 'reset' ? null : loaded.image.version);
      this.unit.versionBefore = this.versionBefore;
      this.unit.versionAfter = this.versionAfter;
      this.recordProgress();
      return { job, newImageRuns: !usb || loaded.recipe.onPass === 'reset', touched: true, mayRunNewImage: true, alreadyRan: false };
    }
    const step = this.flashStepOf(job);
    const running = !usb && step === 'flash: preflight' && job.outcome === 'failed' ? await this.runsThisImage() : null;
    if (running !== null) {
      // The preflight refuses to flash the image a unit already runs, confirmed: for a station
      // that is not a failure, the unit has the firmware; its test still decides.
      this.versionBefore = running;
      this.versionAfter = running;
      this.unit.step = 'already runs this image';
      this.recordProgress();
      return { job, newImageRuns: true, touched: false, mayRunNewImage: false, alreadyRan: true };
    }
    if (job.outcome === 'cancelled' && input.signal.aborted) {
      const stop = input.signal.reason as UnitStop;
      throw new RunEnded({ outcome: 'aborted', failureStep: step, reason: stop.closing ? stop.reason : `${stop.reason} (${job.reason ?? 'cancelled'})` });
    }
    if (await input.presence.isGoneWithin(input.timing.flashUnplugGraceMs)) {
      throw new RunEnded({ outcome: 'unplugged', failureStep: step, reason: `unplugged during ${job.steps.at(-1)?.step ?? 'the flash'}; the unit may hold a partial image: plug it back in and run it again` });
    }
    // Either way the unit is not known to run the new image: no revert is needed, and the
    // action decides below whether a reset means anything.
    this.versionAfter = job.versionAfter ?? this.versionBefore;
    // MCUboot: once the image was marked for test the unit may boot it on trial, which a reset
    // undoes. USB DFU: only a complete write leaves an application a reset could start.
    const done = (name: string) => job.steps.some((s) => s.step === name && s.status === 'done');
    const swapped = usb ? done('write') : done('test') && job.outcome !== 'reverted';
    throw new RunEnded(
      { outcome: 'failed', failureStep: step, reason: job.reason ?? `the firmware job ended ${job.outcome ?? 'without an outcome'}` },
      { job, newImageRuns: false, touched, mayRunNewImage: swapped, alreadyRan: false },
    );
  }

  /** After a preflight refusal: whether the unit runs exactly the recipe's image (same version, reported after the job). */
  /** The version the unit reports, when it is the image's: the image says "2.0.0+0", a unit "2.0.0". */
  private async runsThisImage(): Promise<string | null> {
    const wanted = this.input.loaded.image.version;
    const running = this.device()?.identity?.firmwareVersion ?? null;
    if (wanted === null || running === null) return null;
    try {
      return compareMcubootVersions(parseMcubootVersion(wanted), parseMcubootVersion(running)) === 0 ? running : null;
    } catch {
      return wanted === running ? running : null;
    }
  }

  private flashStepOf(job: FirmwareJob): string {
    const failed = [...job.steps].reverse().find((s) => s.status === 'failed') ?? job.steps.at(-1);
    return `flash: ${failed?.step ?? 'preflight'}`;
  }

  // ---------------------------------------------------------------- 3. test

  private async test(): Promise<UnitVerdict> {
    const { input } = this;
    const wanted = input.loaded.recipe.procedure;
    if (!wanted) return passed();
    this.setStage('testing', 'waiting for the unit to answer', null);
    const run = await this.startWhenAnswering(wanted);
    this.unit.procedureRunId = run.id;
    this.showProcedure(run);
    const ended = await this.followProcedure(run);
    this.showProcedure(ended);
    if (ended.state === 'passed') return passed();
    const step = failingStep(ended);
    return { outcome: 'failed', failureStep: `test: ${step?.title ?? 'procedure'}`, reason: step?.reason ?? ended.stateReason ?? `the procedure ${ended.state}` };
  }

  /**
   * Starts the procedure once the unit answers on its new image. The directory identifies it
   * again after the firmware job, which holds it a moment: a busy or silent unit is asked
   * again until the profile's reboot timeout.
   */
  private async startWhenAnswering(wanted: { id: string; onFail: 'stop' | 'continue' }): Promise<ProcedureRun> {
    const { input } = this;
    const deadline = Date.now() + input.rebootTimeoutMs;
    let last: unknown = null;
    for (;;) {
      this.checkStopped();
      await this.checkPresentDuring('test');
      try {
        const device = await this.unlessStopped(input.operations.identify(this.deviceId), Math.max(1, deadline - Date.now()), 'identify');
        if (device === null) continue;
        this.serialNumber = serialNumberOf(device) ?? this.serialNumber;
        return input.operations.startProcedure({
          deviceId: this.deviceId,
          procedureId: wanted.id,
          operator: input.operator,
          onFail: wanted.onFail === 'continue' ? 'continue' : 'ask',
        });
      } catch (error) {
        // Refusals that waiting cannot change (no such procedure, a broken profile) end the test now.
        if (isFieldbenchError(error) && !RETRIED_CODES.has(error.code)) throw this.failedAt('test: start', messageOf(error));
        last = error;
      }
      if (Date.now() >= deadline) throw this.failedAt('test: reach the unit', `the unit did not answer within ${input.rebootTimeoutMs} ms after the flash: ${messageOf(last)}`);
      await pause(input.timing.identifyRetryMs);
    }
  }

  private async followProcedure(started: ProcedureRun): Promise<ProcedureRun> {
    const { operations, timing } = this.input;
    let latest = started;
    let wake: (() => void) | null = null;
    const off = operations.onProcedureRun((changed) => {
      if (changed.id !== started.id) return;
      latest = changed;
      this.showProcedure(changed);
      wake?.();
    });
    const controller = new AbortController();
    const gone = this.input.presence.goneFor(timing.unplugGraceMs, controller.signal).then(() => 'gone' as const);
    const deadline = timeout(timing.testDeadlineMs);
    try {
      latest = safely(() => operations.procedureRun(started.id), latest);
      for (;;) {
        if (isFinished(latest)) return latest;
        const deciding = decisionStep(latest);
        if (deciding) {
          const why = `stopped at the failed step '${deciding.title}' (the recipe stops at the first failure)`;
          const ended = await this.abortProcedure(started.id, why);
          this.showProcedure(ended ?? latest);
          throw this.failedAt(`test: ${deciding.title}`, deciding.reason ?? why);
        }
        const changed = new Promise<'changed'>((resolve) => (wake = () => resolve('changed')));
        const next = await Promise.race([changed, gone, this.stopped, deadline.promise.then(() => 'deadline' as const)]);
        wake = null;
        if (next === 'changed') continue;
        const step = currentStep(latest);
        const at = `test: ${step?.title ?? 'procedure'}`;
        if (next === 'gone') {
          await this.abortProcedure(started.id, 'the unit was unplugged');
          throw new RunEnded({ outcome: 'unplugged', failureStep: at, reason: `unplugged during the test${step ? ` (step '${step.title}')` : ''}: plug it back in and run it again` });
        }
        if (next === 'deadline') {
          await this.abortProcedure(started.id, `the test did not end within ${Math.round(timing.testDeadlineMs / 60_000)} min`);
          throw this.failedAt(at, `the test did not end within ${Math.round(timing.testDeadlineMs / 60_000)} min`);
        }
        await this.abortProcedure(started.id, next.reason);
        throw new RunEnded({ outcome: 'aborted', failureStep: at, reason: next.reason });
      }
    } finally {
      off();
      controller.abort();
      deadline.clear();
    }
  }

  private async abortProcedure(runId: string, reason: string): Promise<ProcedureRun | null> {
    try {
      let ended = await this.bounded(this.input.operations.abortProcedure(runId, reason), PROCEDURE_ABORT_MS, 'abort procedure');
      // The runner answers once the abort is asked; the run writes its end in the next turns.
      const deadline = Date.now() + PROCEDURE_ABORT_MS;
      while (!isFinished(ended) && Date.now() < deadline) {
        await pause(20);
        ended = this.input.operations.procedureRun(runId);
      }
      this.recordProcedure(ended);
      return ended;
    } catch (error) {
      this.input.log('warn', `station: ${this.unit.label}: could not abort procedure run ${runId}: ${messageOf(error)}`);
      return null;
    }
  }

  private showProcedure(run: ProcedureRun): void {
    const index = run.currentStep;
    const step = index === null ? null : run.steps[index];
    this.unit.step = step ? `step ${index! + 1} of ${run.steps.length}: ${step.title}` : `test ${run.state}`;
    this.unit.prompt = step && step.status === 'waiting' && step.awaiting !== null && step.awaiting !== 'decision' ? promptOf(run, step) : null;
    this.recordProcedure(run);
    this.input.changed(false);
  }

  private recordProcedure(run: ProcedureRun): void {
    const result: StationProcedureResult = {
      procedureId: run.procedureId,
      runId: run.id,
      state: run.state,
      steps: run.steps.map((s) => ({ id: s.id, title: s.title, status: s.status, reading: s.reading, reason: s.reason })),
    };
    const before = JSON.stringify(this.procedure);
    this.procedure = result;
    if (JSON.stringify(result) !== before) this.recordProgress();
  }

  // ---------------------------------------------------------------- 4. action

  private async finish(tested: UnitVerdict, flash: FlashResult): Promise<UnitVerdict> {
    const { input } = this;
    const { recipe } = input.loaded;
    const action = tested.outcome === 'passed' ? recipe.onPass : recipe.onFail;
    const usb = this.unit.transport === 'usb';
    const skip = this.actionNotNeeded(action, flash, tested);
    if (skip !== null) return tested.outcome === 'passed' ? tested : appendReason(tested, skip);
    this.setStage('finishing', action, null);
    const bound = input.rebootTimeoutMs + 10_000;
    try {
      const done = (async () => {
        if (action === 'confirm') {
          await input.operations.confirmImage(this.deviceId, input.loaded.image.bootloaderHash ?? '');
          // As the unit reported it after booting the image, the form versionBefore has too.
          this.versionAfter ??= input.loaded.image.version;
        } else if (action === 'reset') {
          this.versionAfter = (await input.operations.resetDevice(this.deviceId)) ?? (usb ? this.versionAfter : null);
        }
      })();
      const gone = new AbortController();
      const deadline = timeout(bound);
      try {
        const outcome = await Promise.race([done.then(() => 'done' as const), input.presence.goneFor(input.timing.unplugGraceMs, gone.signal).then(() => 'gone' as const), deadline.promise.then(() => 'deadline' as const)]);
        if (outcome === 'gone') {
          throw new RunEnded({ outcome: 'unplugged', failureStep: `finish: ${action}`, reason: `unplugged during ${action}: plug it back in and run it again` });
        }
        if (outcome === 'deadline') throw new Error(`it did not end within ${Math.round(bound / 1000)} s`);
      } finally {
        gone.abort();
        deadline.clear();
      }
    } catch (error) {
      if (error instanceof RunEnded) throw error;
      const message = messageOf(error);
      if (tested.outcome === 'passed') {
        return { outcome: 'failed', failureStep: `finish: ${action}`, reason: `passed the test, but ${action} failed: ${message}` };
      }
      return appendReason(tested, `then ${action} failed: ${message}`);
    }
    this.unit.versionAfter = this.versionAfter;
    this.recordProgress();
    if (tested.outcome !== 'passed') {
      const done = action === 'reset' ? `reset; it runs ${this.versionAfter ?? 'an image that does not say its version'}` : 'left in its bootloader';
      return appendReason(tested, done);
    }
    return tested;
  }

  /** Why the action means nothing for what the flash left, in words for the record; null when it is to be done. */
  private actionNotNeeded(action: 'confirm' | 'reset' | 'leave-in-bootloader', flash: FlashResult, tested: UnitVerdict): string | null {
    const usb = this.unit.transport === 'usb';
    if (action === 'leave-in-bootloader') return tested.outcome === 'passed' ? null : 'left in its bootloader';
    if (usb) {
      if (!flash.touched) return 'nothing was written, so there is nothing to reset';
      if (!flash.newImageRuns && !flash.mayRunNewImage) return 'not reset: the flash is erased or partly written, so no application would start: flash the unit again';
      // The job already left DFU mode and followed the new firmware back.
      if (action === 'reset' && flash.newImageRuns && tested.outcome === 'passed') return 'the flash already left DFU mode';
      return null;
    }
    if (action === 'confirm' && flash.alreadyRan) return null;
    if (!flash.newImageRuns && !flash.mayRunNewImage) return `no reset needed: the new image never booted, the unit still runs ${this.versionBefore ?? 'its previous image'}`;
    if (action === 'reset' && flash.alreadyRan) return 'not reset: the unit ran this image, confirmed, before the run';
    return null;
  }

  // ---------------------------------------------------------------- helpers

  private setStage(state: 'flashing' | 'testing' | 'finishing', step: string | null, progress: number | null): void {
    Object.assign(this.unit, { state, step, progress, prompt: null });
    this.input.changed(false);
  }

  private device(): Device | null {
    return safely(() => this.input.operations.devices().find((d) => d.id === this.deviceId) ?? null, null);
  }

  private checkStopped(): void {
    if (this.input.signal.aborted) {
      const stage = this.unit.state === 'queued' || this.unit.state === 'waiting' ? 'start' : this.unit.state;
      throw new RunEnded({ outcome: 'aborted', failureStep: stage, reason: (this.input.signal.reason as UnitStop).reason });
    }
  }

  private async checkPresentDuring(stage: string): Promise<void> {
    if (this.input.presence.present) return;
    if (await this.input.presence.isGoneWithin(this.input.timing.unplugGraceMs)) {
      throw new RunEnded({ outcome: 'unplugged', failureStep: stage, reason: `unplugged during the ${stage}: plug it back in and run it again` });
    }
  }

  private failedAt(failureStep: string, reason: string): RunEnded {
    return new RunEnded({ outcome: 'failed', failureStep, reason });
  }

  /** Anything but a RunEnded is a fault of the station's own: the unit fails, saying so, and the log has the details. */
  private unexpected(error: unknown): UnitVerdict {
    this.input.log('error', `station: ${this.unit.label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const step = this.unit.state === 'queued' || this.unit.state === 'waiting' ? 'start' : this.unit.state;
    return { outcome: 'failed', failureStep: step, reason: messageOf(error) };
  }

  /** Bounds a promise that has no deadline of its own, and gives up on it (null) once the run is stopped: an abort or close does not wait for a silent unit. */
  private async unlessStopped<T>(work: Promise<T>, ms: number, what: string): Promise<T | null> {
    const limit = timeout(ms);
    try {
      return await Promise.race([work, limit.promise.then(() => Promise.reject(new Error(`${what} did not answer within ${ms} ms`))), this.stopped.then(() => null)]);
    } finally {
      limit.clear();
    }
  }

  /** Bounds a promise that has no deadline of its own. */
  private async bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    const limit = timeout(ms);
    try {
      return await Promise.race([work, limit.promise.then(() => Promise.reject(new Error(`${what} did not answer within ${ms} ms`)))]);
    } finally {
      limit.clear();
    }
  }
}

// ---------------------------------------------------------------- procedure runs

function isFinished(run: ProcedureRun): boolean {
  return run.state === 'passed' || run.state === 'failed' || run.state === 'aborted';
}

function currentStep(run: ProcedureRun): ProcedureStep | null {
  return run.currentStep === null ? null : (run.steps[run.currentStep] ?? null);
}

function decisionStep(run: ProcedureRun): ProcedureStep | null {
  const step = currentStep(run);
  return run.state === 'waiting' && step?.awaiting === 'decision' ? step : null;
}

function failingStep(run: ProcedureRun): ProcedureStep | null {
  return run.steps.find((s) => s.status === 'failed') ?? currentStep(run);
}

function promptOf(run: ProcedureRun, step: ProcedureStep): StationPrompt {
  return { procedureRunId: run.id, stepId: step.id, title: step.title, instructions: step.instructions, awaiting: step.awaiting!, unit: step.unit, limit: step.limit };
}

// ---------------------------------------------------------------- small things

function passed(): UnitVerdict {
  return { outcome: 'passed', failureStep: null, reason: null };
}

function appendReason(verdict: UnitVerdict, more: string): UnitVerdict {
  return { ...verdict, reason: verdict.reason ? `${verdict.reason}; ${more}` : more };
}

/** The version the unit's application runs; a USB device in its bootloader reports the bootloader's, which is not that. */
function runningVersionOf(device: Device): string | null {
  if (device.transport === 'usb' && device.usb?.dfu?.mode === 'dfu') return null;
  if (device.state === 'recovery') return null;
  return device.identity?.firmwareVersion ?? null;
}

function messageOf(error: unknown): string {
  if (isFieldbenchError(error)) return error.hint ? `${error.message} (${error.hint})` : error.message;
  return error instanceof Error ? error.message : String(error);
}

function safely<T>(work: () => T, fallback: T): T {
  try {
    return work();
  } catch {
    return fallback;
  }
}

function timeout(ms: number): { promise: Promise<void>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, clear: () => clearTimeout(timer) };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
