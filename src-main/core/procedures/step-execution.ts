// One attempt at one step, by kind: read and judge a check, ask the operator, wait for a
// reboot, a log line or a button, or ensure a firmware version through the update job.
// Every wait has a deadline, and every device call gives way at once when the run is paused
// or aborted (the signal), so a stuck device never holds the operator up.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { StepAwaiting, StepReading } from '../../api/schemas';
import { captureFirst, captureGroupCount, compilePattern } from '../profiles/profile-patterns';
import type { CheckStepSpec, FirmwareStepSpec, MeasurementStepSpec, ProcedureStepSpec, WaitStepSpec } from '../profiles/profile-types';
import type { ProcedureDevice } from './procedure-device';
import { judgeLimits } from './step-limits';
import { describeRestart, restartedBetween, type UptimeSample } from './uptime-restart';

export interface OperatorInput {
  answer: 'pass' | 'fail';
  reason?: string | undefined;
  value?: number | undefined;
  image?: { fileName: string; bytes: Uint8Array } | undefined;
}

export interface StepContext {
  deviceId: string;
  profileId: string;
  caseId: string | null;
  device: ProcedureDevice;
  /** Aborted when the operator pauses, aborts, retries or skips, or Fieldbench closes. */
  signal: AbortSignal;
  /** Waits for the operator's answer; with a deadline (epoch ms), resolves with null when it passes first. */
  ask(awaiting: StepAwaiting, deadline?: number): Promise<OperatorInput | null>;
  timing: StepTiming;
}

export interface StepTiming {
  /** How often a reboot wait looks at the uptime. */
  rebootPollMs: number;
  /** How long a check waits for a device that dropped off to answer again, to tell a reboot from a hang. */
  comeBackMs: number;
  /** A firmware step's deadline when the profile gives none. */
  firmwareTimeoutMs: number;
}

export const DEFAULT_STEP_TIMING: StepTiming = { rebootPollMs: 500, comeBackMs: 10_000, firmwareTimeoutMs: 10 * 60_000 };

export interface StepOutcome {
  status: 'passed' | 'failed';
  reading: StepReading | null;
  reason: string;
  /** The operator's input that decided the step, if one did. */
  input?: OperatorInput;
}

/** The kinds that wait on the operator from the start; the others run on their own. */
export function isOperatorStep(step: ProcedureStepSpec): boolean {
  return step.kind === 'instruction' || step.kind === 'measurement' || (step.kind === 'wait' && step.for === 'button');
}

export function executeStep(step: ProcedureStepSpec, context: StepContext): Promise<StepOutcome> {
  switch (step.kind) {
    case 'check':
      return runCheck(step, context);
    case 'instruction':
      return confirm(context, 'confirm', undefined, 'confirmed by the operator');
    case 'measurement':
      return measure(step, context);
    case 'wait':
      return runWait(step, context);
    case 'firmware':
      return ensureFirmware(step, context);
  }
}

// ---------------------------------------------------------------- check

async function runCheck(step: CheckStepSpec, context: StepContext): Promise<StepOutcome> {
  const label = `procedure step '${step.id}'`;
  const uptimeBefore = await readUptime(context, label);
  let reading: StepReading;
  let ownVerdict: { pass: boolean; reason: string } | null = null;
  try {
    if (step.diagnostic !== undefined) {
      const read = await untilAborted(context.signal, context.device.readDiagnostic(context.deviceId, step.diagnostic, label, step.timeoutMs));
      reading = { value: read.value, unit: step.unit ?? read.unit, text: null };
      if (read.status === 'error') return await unreadable(context, uptimeBefore, reading, read.message ?? 'the reading could not be read', label);
      ownVerdict = { pass: read.status !== 'fail', reason: read.message ?? `judged ${read.status} by the profile's limits (${read.limits ?? 'none'})` };
    } else {
      const lines = await untilAborted(context.signal, context.device.runCommand(context.deviceId, step.command ?? '', label, step.timeoutMs));
      const captured = captureReading(step.pattern ?? '', lines);
      reading = { value: captured.value, unit: step.unit ?? null, text: captured.line };
      if (captured.value === null) {
        const answer = lines.length > 0 ? `: it answered ${JSON.stringify(lines.slice(0, 3).join(' | '))}` : ': it answered nothing';
        return await unreadable(context, uptimeBefore, reading, `no answer line matched /${step.pattern ?? ''}/${answer}`, label);
      }
    }
  } catch (error) {
    if (context.signal.aborted) throw error;
    if (isFieldbenchError(error) && (error.code === 'device-gone' || error.code === 'timeout')) {
      return await unreadable(context, uptimeBefore, null, error.message, label);
    }
    return { status: 'failed', reading: null, reason: describeError(error) };
  }
  const verdict = step.limits ? judgeLimits(reading.value, step.limits, reading.unit) : ownVerdict;
  if (!verdict) return { status: 'failed', reading, reason: 'the check has no limits to judge by' };
  return { status: verdict.pass ? 'passed' : 'failed', reading, reason: verdict.reason };
}

/** A regex with one capture group gives the capture; one without gives the whole matching line. */
function captureReading(pattern: string, lines: string[]): { value: string | null; line: string | null } {
  const regex = compilePattern(pattern);
  if (captureGroupCount(regex) > 0) {
    const captured = captureFirst(regex, lines);
    return captured.found ? { value: captured.value, line: captured.line } : { value: null, line: captured.line };
  }
  const line = lines.find((candidate) => regex.test(candidate)) ?? null;
  return { value: line, line };
}

/**
 * The device answered nothing usable. If it went away and came back with its uptime started
 * again, it rebooted during the step: that is what the record must say, not the parse error.
 */
async function unreadable(context: StepContext, uptimeBefore: UptimeSample | null, reading: StepReading | null, why: string, label: string): Promise<StepOutcome> {
  const deadline = Date.now() + context.timing.comeBackMs;
  let uptimeAfter: UptimeSample | null = null;
  let answered = false;
  while (!answered && Date.now() < deadline) {
    try {
      uptimeAfter = sample(await untilAborted(context.signal, context.device.uptime(context.deviceId, label)));
      answered = true;
    } catch (error) {
      if (context.signal.aborted) throw error;
      await sleep(context.timing.rebootPollMs, context.signal);
    }
  }
  if (!answered) return { status: 'failed', reading, reason: `the device dropped off during the step and did not answer again within ${Math.round(context.timing.comeBackMs / 1000)} s (${why})` };
  if (uptimeBefore !== null && uptimeAfter !== null && restartedBetween(uptimeBefore, uptimeAfter)) {
    return { status: 'failed', reading, reason: `the device dropped off during the step: it rebooted (${describeRestart(uptimeBefore, uptimeAfter)}); ${why}` };
  }
  return { status: 'failed', reading, reason: why };
}

async function readUptime(context: StepContext, label: string): Promise<UptimeSample | null> {
  try {
    return sample(await untilAborted(context.signal, context.device.uptime(context.deviceId, label)));
  } catch (error) {
    if (context.signal.aborted) throw error;
    return null; // the check itself will say what is wrong with the device
  }
}

function sample(seconds: number | null): UptimeSample | null {
  return seconds === null ? null : { seconds, at: Date.now() };
}

// ---------------------------------------------------------------- operator steps

async function confirm(context: StepContext, awaiting: StepAwaiting, deadline: number | undefined, passReason: string): Promise<StepOutcome> {
  const input = await context.ask(awaiting, deadline);
  if (input === null) {
    return { status: 'failed', reading: null, reason: 'no one confirmed it before the deadline' };
  }
  if (input.answer === 'fail') return { status: 'failed', reading: null, reason: input.reason ?? 'failed by the operator', input };
  return { status: 'passed', reading: null, reason: input.reason ?? passReason, input };
}

async function measure(step: MeasurementStepSpec, context: StepContext): Promise<StepOutcome> {
  const input = await context.ask('value');
  if (input === null || input.answer === 'fail') {
    return { status: 'failed', reading: null, reason: input?.reason ?? 'failed by the operator', ...(input ? { input } : {}) };
  }
  const reading: StepReading = { value: input.value ?? null, unit: step.unit, text: null };
  const verdict = judgeLimits(reading.value, step.limits, step.unit);
  return { status: verdict.pass ? 'passed' : 'failed', reading, reason: verdict.reason, input };
}

// ---------------------------------------------------------------- waits

async function runWait(step: WaitStepSpec, context: StepContext): Promise<StepOutcome> {
  const deadline = Date.now() + step.timeoutMs;
  const seconds = Math.round(step.timeoutMs / 1000);
  const label = `procedure step '${step.id}'`;
  switch (step.for) {
    case 'button':
      return confirm(context, 'button', deadline, 'the operator pressed the button').then((outcome) =>
        outcome.input === undefined && outcome.status === 'failed' ? { ...outcome, reason: `no one confirmed the button press within ${seconds} s` } : outcome,
      );
    case 'log-line': {
      const regex = compilePattern(step.pattern ?? '');
      const line = await untilAborted(context.signal, context.device.watchLog(context.deviceId, regex, deadline, context.signal, label));
      if (line === null) return { status: 'failed', reading: null, reason: `no log line matched /${regex.source}/ within ${seconds} s` };
      return { status: 'passed', reading: { value: line, unit: null, text: line }, reason: `the device logged "${line}"` };
    }
    case 'reboot':
      return waitForReboot(step, context, deadline, label);
  }
}

/** A reboot shows as the uptime starting again, or as the device going away and answering again. */
async function waitForReboot(step: WaitStepSpec, context: StepContext, deadline: number, label: string): Promise<StepOutcome> {
  const before = await readUptime(context, label);
  if (step.reset === 'smp') {
    try {
      await untilAborted(context.signal, context.device.resetOverSmp(context.deviceId, label));
    } catch (error) {
      if (context.signal.aborted) throw error;
      // A device may reset before its answer gets out; the uptime below tells the truth.
      const unanswered = isFieldbenchError(error) && (error.code === 'timeout' || error.code === 'device-gone');
      if (!unanswered) return { status: 'failed', reading: null, reason: `the reset over SMP failed: ${describeError(error)}` };
    }
  }
  let last = before;
  let droppedOff = false;
  while (Date.now() < deadline) {
    await sleep(context.timing.rebootPollMs, context.signal);
    let uptime: UptimeSample | null;
    try {
      uptime = sample(await untilAborted(context.signal, context.device.uptime(context.deviceId, label)));
    } catch (error) {
      if (context.signal.aborted) throw error;
      droppedOff = true;
      continue;
    }
    if (uptime !== null && last !== null && restartedBetween(last, uptime)) {
      // The uptimes are in the reason; a reading would show one of them as if it were measured.
      return { status: 'passed', reading: null, reason: `it rebooted: ${describeRestart(last, uptime)}` };
    }
    if (droppedOff) return { status: 'passed', reading: null, reason: 'it dropped off and came back' };
    last = uptime ?? last;
  }
  return { status: 'failed', reading: null, reason: `the device did not reboot within ${Math.round(step.timeoutMs / 1000)} s` };
}

// ---------------------------------------------------------------- firmware

async function ensureFirmware(step: FirmwareStepSpec, context: StepContext): Promise<StepOutcome> {
  const running = await untilAborted(context.signal, context.device.firmwareVersion(context.deviceId));
  if (running === step.version) {
    return { status: 'passed', reading: { value: running, unit: null, text: null }, reason: `it already runs ${step.version}` };
  }
  let image: { fileName: string; bytes: Uint8Array };
  let input: OperatorInput | undefined;
  if (step.image !== undefined) {
    image = await context.device.readProfileFile(context.profileId, step.image);
  } else {
    const answer = await context.ask('image');
    if (answer === null || answer.answer === 'fail' || !answer.image) {
      return { status: 'failed', reading: { value: running, unit: null, text: null }, reason: answer?.reason ?? `it runs ${running ?? 'an unknown version'}, and no image was supplied`, ...(answer ? { input: answer } : {}) };
    }
    input = answer;
    image = answer.image;
  }
  const withInput = input ? { input } : {};
  const deadline = Date.now() + (step.timeoutMs ?? context.timing.firmwareTimeoutMs);
  let job;
  try {
    job = await context.device.updateFirmware({ deviceId: context.deviceId, fileName: image.fileName, bytes: image.bytes, caseId: context.caseId }, deadline, context.signal);
  } catch (error) {
    if (context.signal.aborted) throw error;
    return { status: 'failed', reading: { value: running, unit: null, text: null }, reason: `the update from ${running ?? '?'} could not run: ${describeError(error)}`, ...withInput };
  }
  if (job.outcome !== 'confirmed') {
    return { status: 'failed', reading: { value: job.versionAfter ?? running, unit: null, text: null }, reason: `the update of ${image.fileName} ended ${job.outcome ?? 'unfinished'}${job.reason ? `: ${job.reason}` : ''}`, ...withInput };
  }
  const after = await untilAborted(context.signal, context.device.firmwareVersion(context.deviceId));
  const reading = { value: after, unit: null, text: null };
  if (after !== step.version) {
    return { status: 'failed', reading, reason: `after the update of ${image.fileName} it runs ${after ?? 'an unknown version'}, not ${step.version}`, ...withInput };
  }
  return { status: 'passed', reading, reason: `updated from ${running ?? 'an unknown version'} to ${after} with ${image.fileName}`, ...withInput };
}

// ---------------------------------------------------------------- helpers

/** The promise's result, unless the signal aborts first: then its reason. */
export function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return untilAborted(signal, new Promise<void>((resolve) => setTimeout(resolve, ms)));
}

export function describeError(error: unknown): string {
  if (error instanceof FieldbenchError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
