// Runs test procedures: one step at a time per run, each change written to the store before
// it is announced, so what the operator sees is what a restart finds. The operator answers
// the step the run waits on, and can pause, resume, abort, retry or skip; a run that was
// running when Fieldbench stopped is found paused at start and resumes from its step.
import { randomUUID } from 'node:crypto';
import { FieldbenchError } from '../../api/errors';
import type { ProcedureRun, ProcedureSummary, StepAwaiting } from '../../api/schemas';
import type { ProcedureRuns, RunFilter, StoredRun, StoredStep } from '../../store/procedure-runs';
import type { DeviceProfile, ProcedureStepSpec } from '../profiles/profile-types';
import type { ProcedureDevice } from './procedure-device';
import { caseRecord, runSummary, runView } from './run-view';
import { decide } from './step-conditions';
import {
  DEFAULT_STEP_TIMING,
  describeError,
  executeStep,
  isOperatorStep,
  type OperatorInput,
  type StepOutcome,
  type StepTiming,
} from './step-execution';

export interface ProcedureRunnerDeps {
  runs: ProcedureRuns;
  profile(profileId: string): DeviceProfile | undefined;
  device: ProcedureDevice;
  /** Adds the finished run to its case's timeline. */
  recordOnCase(caseId: string, summary: string, data: Record<string, unknown>): void;
  emit(run: ProcedureRun): void;
  now(): Date;
  /** Who runs a procedure when the request does not say: the OS user. */
  defaultOperator(): string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  timing?: Partial<StepTiming>;
}

export interface StartInput {
  deviceId: string;
  procedureId: string;
  caseId?: string | undefined;
  operator?: string | undefined;
  onFail?: 'ask' | 'continue' | undefined;
}

export interface AnswerInput extends OperatorInput {
  runId: string;
  stepId: string;
}

export type ControlAction = 'pause' | 'resume' | 'abort' | 'retry' | 'skip';

/** Why the step being run was stopped; 'accept' goes on after a failed step, 'close' leaves the store as it is. */
type Stop =
  | { kind: 'pause'; reason: string | null }
  | { kind: 'abort'; reason: string | null }
  | { kind: 'skip'; reason: string }
  | { kind: 'retry' }
  | { kind: 'accept' }
  | { kind: 'close' };

interface PendingQuestion {
  stepIndex: number;
  awaiting: StepAwaiting;
  resolve(input: OperatorInput | null): void;
}

interface ActiveRun {
  run: StoredRun;
  controller: AbortController;
  stop: Stop | null;
  question: PendingQuestion | null;
  driving: Promise<void>;
}

const CLOSE_DEADLINE_MS = 5000;

export class ProcedureRunner {
  private readonly active = new Map<string, ActiveRun>();
  private readonly timing: StepTiming;
  private closed = false;
  private recovered = false;

  constructor(private readonly deps: ProcedureRunnerDeps) {
    this.timing = { ...DEFAULT_STEP_TIMING, ...deps.timing };
  }

  /** The procedures the device's profile declares. */
  list(deviceId: string): ProcedureSummary[] {
    this.recover();
    const { profile } = this.profileOfDevice(deviceId, 'list procedures');
    return (profile.procedures ?? []).map((procedure) => ({
      id: procedure.id,
      name: procedure.name,
      description: procedure.description ?? null,
      steps: procedure.steps.map((step) => ({ id: step.id, kind: step.kind, title: step.title })),
    }));
  }

  start(input: StartInput): ProcedureRun {
    this.refuseWhenClosed('start procedure');
    this.recover();
    const { device, profile } = this.profileOfDevice(input.deviceId, 'start procedure');
    const procedure = profile.procedures?.find((candidate) => candidate.id === input.procedureId);
    if (!procedure) {
      const known = (profile.procedures ?? []).map((p) => p.id);
      throw new FieldbenchError({
        code: 'not-found',
        message: `the ${profile.name} profile has no procedure '${input.procedureId}'`,
        device: device.path,
        step: 'start procedure',
        hint: known.length > 0 ? `Choose one of: ${known.join(', ')}.` : 'The profile declares no procedures; check the profile problems.',
      });
    }
    this.refuseSecondRun(input.deviceId, device.path);
    const at = this.timestamp();
    const run = this.deps.runs.create({
      id: randomUUID(),
      deviceId: input.deviceId,
      device: {
        label: device.path,
        transport: device.transport,
        model: device.identity?.model ?? null,
        serialNumber: device.identity?.serialNumber ?? null,
        firmwareVersion: device.identity?.firmwareVersion ?? null,
      },
      profileId: profile.id,
      procedure,
      caseId: input.caseId ?? null,
      operator: input.operator ?? this.deps.defaultOperator(),
      onFail: input.onFail ?? 'ask',
      state: 'running',
      stateReason: null,
      currentStep: 0,
      steps: procedure.steps.map(() => pendingStep()),
      startedAt: at,
      updatedAt: at,
      finishedAt: null,
    });
    this.deps.log('info', `procedure ${procedure.id} started on ${device.path} (run ${run.id})`);
    this.launch(run);
    return runView(run);
  }

  async answer(input: AnswerInput): Promise<ProcedureRun> {
    this.recover();
    const active = this.active.get(input.runId);
    const run = active?.run ?? this.deps.runs.get(input.runId);
    const question = active?.question;
    const index = run.procedure.steps.findIndex((step) => step.id === input.stepId);
    const spec = run.procedure.steps[index];
    if (!active || !question || question.stepIndex !== index || !spec || question.awaiting === 'decision') {
      const current = run.currentStep === null ? undefined : run.procedure.steps[run.currentStep];
      throw invalid(
        `the run is not waiting for an answer to step '${input.stepId}'${current ? ` (it is ${run.state} at step '${current.id}')` : ` (it is ${run.state})`}`,
        'answer procedure step',
        'Answer the step the run shows as waiting; a paused run must be resumed first.',
      );
    }
    checkAnswer(input, question.awaiting, spec);
    const step = run.steps[index]!;
    step.answer = {
      answer: input.answer,
      reason: input.reason ?? null,
      value: input.value ?? null,
      imageFileName: input.image?.fileName ?? null,
      by: run.operator,
      at: this.timestamp(),
    };
    active.question = null;
    question.resolve(input);
    // The step's outcome is written by the run in the next turns of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    return runView(active.run);
  }

  async control(runId: string, action: ControlAction, reason?: string, deviceId?: string): Promise<ProcedureRun> {
    this.refuseWhenClosed(`${action} procedure`);
    this.recover();
    const active = this.active.get(runId);
    if (active) return this.controlActive(active, action, reason);
    const run = this.deps.runs.get(runId);
    if (run.finishedAt !== null) {
      throw invalid(`the run has ended (${run.state})`, `${action} procedure`, 'Start the procedure again for a new run.');
    }
    switch (action) {
      case 'resume':
      case 'retry':
        if (deviceId !== undefined && deviceId !== run.deviceId) this.rebind(run, deviceId);
        else this.profileOfDevice(run.deviceId, 'resume procedure');
        this.refuseSecondRun(run.deviceId, run.device.label);
        run.state = 'running';
        run.stateReason = null;
        this.save(run);
        this.launch(run);
        return runView(run);
      case 'skip': {
        const index = this.currentIndex(run, 'skip');
        this.finishStep(run, index, 'skipped', requireReason(reason, 'skip'));
        run.currentStep = index + 1 < run.steps.length ? index + 1 : null;
        if (run.currentStep === null) return this.finishRun(run, resultOf(run), null);
        this.save(run);
        return runView(run);
      }
      case 'abort':
        return this.abortRun(run, reason ?? null);
      case 'pause':
        throw invalid('the run is already paused', 'pause procedure', 'Resume it, or abort it.');
    }
  }

  get(runId: string): ProcedureRun {
    this.recover();
    return runView(this.active.get(runId)?.run ?? this.deps.runs.get(runId));
  }

  runs(filter: RunFilter): ProcedureRun[] {
    this.recover();
    return this.deps.runs.list(filter).map((stored) => runView(this.active.get(stored.id)?.run ?? stored));
  }

  /** Stops every run where it is, writing nothing more: the next start finds them paused. */
  async close(): Promise<void> {
    this.closed = true;
    const drivings = [...this.active.values()].map((active) => {
      active.stop = { kind: 'close' };
      active.controller.abort(closedError());
      return active.driving;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled(drivings), new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_DEADLINE_MS)))]);
    clearTimeout(timer);
  }

  // ---------------------------------------------------------------- the run

  private launch(run: StoredRun): void {
    const active: ActiveRun = { run, controller: new AbortController(), stop: null, question: null, driving: Promise.resolve() };
    this.active.set(run.id, active);
    active.driving = this.drive(active)
      .catch((error: unknown) => {
        // A store failure mid-run: the run stays as last written, and resumes from there.
        this.deps.log('error', `procedure run ${run.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      })
      .finally(() => this.release(active));
  }

  private async drive(active: ActiveRun): Promise<void> {
    const { run } = active;
    for (;;) {
      const index = run.currentStep;
      if (index === null || index >= run.steps.length) {
        this.finishRun(run, resultOf(run), null);
        return;
      }
      const spec = run.procedure.steps[index]!;
      const step = run.steps[index]!;
      if (step.status === 'passed' || step.status === 'failed' || step.status === 'skipped') {
        run.currentStep = index + 1;
        continue;
      }
      const decision = decide(spec.when, (id) => run.steps[run.procedure.steps.findIndex((s) => s.id === id)]?.status);
      if (!decision.run) {
        this.finishStep(run, index, 'skipped', decision.reason);
        run.currentStep = index + 1;
        this.save(run, [index]);
        continue;
      }
      const next = await this.runStep(active, index, spec);
      if (next === 'exit') return;
      run.currentStep = index + 1;
      this.save(run, [index]);
    }
  }

  /** Runs the step until it ends (retries included); 'exit' when the run stopped meanwhile. */
  private async runStep(active: ActiveRun, index: number, spec: ProcedureStepSpec): Promise<'next' | 'exit'> {
    const { run } = active;
    const step = run.steps[index]!;
    for (;;) {
      active.controller = new AbortController();
      const operatorFirst = isOperatorStep(spec);
      step.status = operatorFirst ? 'waiting' : 'running';
      step.attempts += 1;
      step.startedAt ??= this.timestamp();
      step.finishedAt = null;
      step.reading = null;
      step.reason = null;
      step.answer = null;
      step.awaiting = null;
      step.deadlineAt = spec.kind === 'wait' ? new Date(this.deps.now().getTime() + spec.timeoutMs).toISOString() : null;
      run.state = operatorFirst ? 'waiting' : 'running';
      run.stateReason = null;
      this.save(run, [index]);

      let outcome: StepOutcome | null = null;
      try {
        outcome = await executeStep(spec, this.contextFor(active, index));
      } catch (error) {
        if (!active.stop) outcome = { status: 'failed', reading: null, reason: describeError(error) };
      }
      const stop = active.stop;
      active.stop = null;
      active.question = null;
      if (stop) {
        const after = this.applyStop(active, index, stop);
        if (after === 'again') continue;
        return after;
      }
      if (!outcome) continue;
      const answer = step.answer;
      this.finishStep(run, index, outcome.status, outcome.reason);
      step.reading = outcome.reading;
      step.answer = outcome.input ? answer : null;
      const automated = !isOperatorStep(spec) && !outcome.input;
      if (outcome.status === 'failed' && automated && step.attempts <= (spec.kind === 'check' || spec.kind === 'wait' ? (spec.retries ?? 0) : 0)) {
        this.save(run, [index]);
        continue;
      }
      if (outcome.status === 'failed' && automated && run.onFail === 'ask') {
        const decided = await this.askAfterFailure(active, index);
        if (decided === 'again') continue;
        return decided;
      }
      return 'next';
    }
  }

  /** A failed automated step waits for the operator: retry, skip, go on (resume) or stop. */
  private async askAfterFailure(active: ActiveRun, index: number): Promise<'again' | 'next' | 'exit'> {
    const { run } = active;
    const step = run.steps[index]!;
    active.controller = new AbortController();
    step.awaiting = 'decision';
    run.state = 'waiting';
    this.save(run, [index]);
    await new Promise<void>((resolve) => active.controller.signal.addEventListener('abort', () => resolve(), { once: true }));
    const stop = active.stop ?? { kind: 'close' };
    active.stop = null;
    step.awaiting = null;
    if (stop.kind === 'accept') return 'next';
    return this.applyStop(active, index, stop);
  }

  private applyStop(active: ActiveRun, index: number, stop: Stop): 'again' | 'next' | 'exit' {
    const { run } = active;
    const step = run.steps[index]!;
    const title = run.procedure.steps[index]?.title ?? '';
    switch (stop.kind) {
      case 'retry':
        return 'again';
      case 'accept':
        return 'next';
      case 'skip':
        this.finishStep(run, index, 'skipped', stop.reason);
        step.reading = null;
        return 'next';
      case 'pause':
        Object.assign(step, pendingStep(step.attempts), { startedAt: null });
        // Released before the change is announced, so whoever sees 'paused' can resume it at once.
        this.release(active);
        run.state = 'paused';
        run.stateReason = `paused by ${run.operator} at step ${index + 1} (${title})${stop.reason ? `: ${stop.reason}` : ''}`;
        this.save(run, [index]);
        return 'exit';
      case 'abort':
        this.abortRun(run, stop.reason);
        return 'exit';
      case 'close':
        return 'exit';
    }
  }

  private contextFor(active: ActiveRun, index: number) {
    const { run } = active;
    const signal = active.controller.signal;
    return {
      deviceId: run.deviceId,
      profileId: run.profileId,
      caseId: run.caseId,
      device: this.deps.device,
      signal,
      timing: this.timing,
      ask: (awaiting: StepAwaiting, deadline?: number) =>
        new Promise<OperatorInput | null>((resolve, reject) => {
          if (signal.aborted) {
            reject(signal.reason as Error);
            return;
          }
          const step = run.steps[index]!;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const done = (input: OperatorInput | null) => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve(input);
          };
          const onAbort = () => {
            clearTimeout(timer);
            reject(signal.reason as Error);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          if (deadline !== undefined) timer = setTimeout(() => done(null), Math.max(0, deadline - Date.now()));
          active.question = { stepIndex: index, awaiting, resolve: done };
          step.status = 'waiting';
          step.awaiting = awaiting;
          run.state = 'waiting';
          this.save(run, [index]);
        }),
    };
  }

  private controlActive(active: ActiveRun, action: ControlAction, reason?: string): ProcedureRun {
    const { run } = active;
    const index = this.currentIndex(run, action);
    const deciding = run.steps[index]?.awaiting === 'decision';
    let stop: Stop;
    switch (action) {
      case 'pause':
        stop = { kind: 'pause', reason: reason ?? null };
        break;
      case 'abort':
        stop = { kind: 'abort', reason: reason ?? null };
        break;
      case 'retry':
        stop = { kind: 'retry' };
        break;
      case 'skip':
        stop = { kind: 'skip', reason: requireReason(reason, 'skip') };
        break;
      case 'resume':
        if (!deciding) throw invalid('the run is not paused', 'resume procedure', 'Pause it first, or answer the step it waits on.');
        stop = { kind: 'accept' };
        break;
    }
    active.stop = stop;
    active.controller.abort(new FieldbenchError({ code: 'invalid-request', message: `the step was stopped: ${action}`, step: `${action} procedure` }));
    return runView(run);
  }

  // ---------------------------------------------------------------- records

  private abortRun(run: StoredRun, reason: string | null): ProcedureRun {
    const index = run.currentStep;
    const why = `the run was aborted${reason ? `: ${reason}` : ''}`;
    if (index !== null && run.steps[index] && !['passed', 'failed', 'skipped'].includes(run.steps[index].status)) {
      this.finishStep(run, index, 'skipped', why);
    }
    return this.finishRun(run, 'aborted', `aborted by ${run.operator}${reason ? `: ${reason}` : ''}`);
  }

  private finishRun(run: StoredRun, state: 'passed' | 'failed' | 'aborted', reason: string | null): ProcedureRun {
    const at = this.timestamp();
    const active = this.active.get(run.id);
    if (active) this.release(active);
    run.state = state;
    run.stateReason = reason;
    run.currentStep = null;
    run.finishedAt = at;
    this.save(run);
    const view = runView(run);
    this.deps.log('info', `procedure ${run.procedure.id} on ${run.device.label} ${state} (run ${run.id})`);
    if (run.caseId !== null) {
      try {
        this.deps.recordOnCase(run.caseId, runSummary(view), caseRecord(view));
      } catch (error) {
        // The run itself is recorded; losing the timeline entry must not lose the run.
        this.deps.log('error', `procedure run ${run.id}: could not add its result to case ${run.caseId}: ${describeError(error)}`);
      }
    }
    return view;
  }

  private finishStep(run: StoredRun, index: number, status: 'passed' | 'failed' | 'skipped', reason: string): void {
    const step = run.steps[index]!;
    step.status = status;
    step.reason = reason;
    step.awaiting = null;
    step.deadlineAt = null;
    step.finishedAt = this.timestamp();
  }

  /**
   * Runs that were running or waiting when Fieldbench stopped are paused at their step, to be
   * resumed. Done on the first procedure request rather than at start, so a one-shot command
   * about something else (a CLI `cases list` beside an open window) leaves another process's
   * live run alone.
   */
  private recover(): void {
    if (this.recovered) return;
    this.recovered = true;
    this.pauseInterrupted();
  }

  private pauseInterrupted(): void {
    for (const run of this.deps.runs.interrupted()) {
      const index = run.currentStep ?? 0;
      const step = run.steps[index];
      // A failed step that waited for the operator's decision is run again on resume, as a half-done one is.
      if (step && (step.status === 'running' || step.status === 'waiting' || step.awaiting === 'decision')) {
        Object.assign(step, pendingStep(step.attempts), { startedAt: null });
      }
      const title = run.procedure.steps[index]?.title ?? '';
      run.state = 'paused';
      run.stateReason = `Fieldbench stopped during step ${index + 1} (${title})`;
      this.save(run);
      this.deps.log('warn', `procedure run ${run.id} on ${run.device.label} was interrupted at step ${index + 1}; it is paused until resumed`);
    }
  }

  private release(active: ActiveRun): void {
    if (this.active.get(active.run.id) === active) this.active.delete(active.run.id);
  }

  private save(run: StoredRun, stepIndexes?: number[]): void {
    run.updatedAt = this.timestamp();
    this.deps.runs.save(run, stepIndexes);
    this.deps.emit(runView(run));
  }

  // ---------------------------------------------------------------- checks

  private profileOfDevice(deviceId: string, step: string) {
    const device = this.deps.device.get(deviceId);
    const profile = device.profileId ? this.deps.profile(device.profileId) : undefined;
    if (!profile) {
      throw new FieldbenchError({
        code: 'profile-error',
        message: 'no device profile recognises this device, so it has no procedures',
        device: device.path,
        step,
        hint: 'Identify the device again, or add a profile for its family to device-profiles/.',
      });
    }
    return { device, profile };
  }

  /** A resumed run may go on with the device under another id (a new port after a restart), if it is the same device. */
  private rebind(run: StoredRun, deviceId: string): void {
    const { device } = this.profileOfDevice(deviceId, 'resume procedure');
    const serial = device.identity?.serialNumber ?? null;
    if (device.profileId !== run.profileId || (run.device.serialNumber !== null && serial !== run.device.serialNumber)) {
      throw invalid(
        `${device.path} is not the device the run started on (${run.device.model ?? run.profileId}, serial ${run.device.serialNumber ?? 'unknown'})`,
        'resume procedure',
        'Connect the same device, or start the procedure again on this one.',
      );
    }
    run.deviceId = deviceId;
  }

  private refuseSecondRun(deviceId: string, label: string): void {
    const other = [...this.active.values()].find((active) => active.run.deviceId === deviceId);
    if (!other) return;
    throw new FieldbenchError({
      code: 'device-busy',
      message: `the procedure '${other.run.procedure.name}' is already running on this device`,
      device: label,
      step: 'start procedure',
      hint: 'Finish, pause or abort that run first.',
    });
  }

  private currentIndex(run: StoredRun, action: string): number {
    if (run.currentStep === null || run.currentStep >= run.steps.length) {
      throw invalid('the run has no current step', `${action} procedure`, 'Start the procedure again for a new run.');
    }
    return run.currentStep;
  }

  private refuseWhenClosed(step: string): void {
    if (this.closed) throw closedError(step);
  }

  private timestamp(): string {
    return this.deps.now().toISOString();
  }
}

function pendingStep(attempts = 0): StoredStep {
  return { status: 'pending', attempts, reading: null, reason: null, answer: null, awaiting: null, startedAt: null, finishedAt: null, deadlineAt: null };
}

function resultOf(run: StoredRun): 'passed' | 'failed' {
  return run.steps.some((step) => step.status === 'failed') ? 'failed' : 'passed';
}

function checkAnswer(input: AnswerInput, awaiting: StepAwaiting, spec: ProcedureStepSpec): void {
  const step = `answer step '${spec.id}'`;
  if (input.answer === 'fail' && !input.reason) {
    throw invalid('a failed step needs a reason', step, 'Say what was wrong, so the next engineer can act on it.');
  }
  if (input.answer === 'pass' && awaiting === 'value' && input.value === undefined) {
    throw invalid(`the step needs the measured value in ${spec.kind === 'measurement' ? spec.unit : 'its unit'}`, step, 'Enter the value read from the instrument.');
  }
  if (input.answer === 'pass' && awaiting === 'image' && !input.image) {
    throw invalid('the step needs a firmware image to flash', step, 'Choose the image file, or fail the step with a reason.');
  }
}

function requireReason(reason: string | undefined, action: string): string {
  if (!reason) throw invalid(`${action} needs a reason`, `${action} procedure step`, 'Say why, for the record.');
  return reason;
}

function invalid(message: string, step: string, hint: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message, step, hint });
}

function closedError(step = 'run procedure'): FieldbenchError {
  return new FieldbenchError({ code: 'unavailable', message: 'Fieldbench is closing', step, hint: 'Resume the run after Fieldbench starts again.' });
}
