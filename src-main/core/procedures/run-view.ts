// A stored run as the contract shows it (each step with its instructions, the limit in
// words and its dependency), and the record of a finished run that goes to the case
// timeline: every step, reading, limit, reason, answer, who and when.
import type { ProcedureRun, ProcedureStep } from '../../api/schemas';
import type { ProcedureStepSpec } from '../profiles/profile-types';
import type { StoredRun } from '../../store/procedure-runs';
import { describeCondition } from './step-conditions';
import { describeLimits } from './step-limits';

export function runView(run: StoredRun): ProcedureRun {
  return {
    id: run.id,
    deviceId: run.deviceId,
    device: run.device,
    profileId: run.profileId,
    procedureId: run.procedure.id,
    procedureName: run.procedure.name,
    caseId: run.caseId,
    operator: run.operator,
    onFail: run.onFail,
    state: run.state,
    stateReason: run.stateReason,
    currentStep: run.currentStep,
    steps: run.procedure.steps.map((spec, index) => stepView(spec, run.steps[index])),
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
  };
}

function stepView(spec: ProcedureStepSpec, stored: StoredRun['steps'][number] | undefined): ProcedureStep {
  return {
    id: spec.id,
    kind: spec.kind,
    title: spec.title,
    instructions: spec.instructions ?? null,
    unit: unitOf(spec),
    limit: limitOf(spec),
    when: describeCondition(spec.when),
    timeoutMs: spec.kind === 'wait' || spec.kind === 'check' || spec.kind === 'firmware' ? (spec.timeoutMs ?? null) : null,
    status: stored?.status ?? 'pending',
    attempts: stored?.attempts ?? 0,
    reading: stored?.reading ?? null,
    reason: stored?.reason ?? null,
    answer: stored?.answer ?? null,
    awaiting: stored?.awaiting ?? null,
    startedAt: stored?.startedAt ?? null,
    finishedAt: stored?.finishedAt ?? null,
    deadlineAt: stored?.deadlineAt ?? null,
  };
}

function unitOf(spec: ProcedureStepSpec): string | null {
  if (spec.kind === 'check' || spec.kind === 'measurement') return spec.unit ?? null;
  return null;
}

/** What the step is judged against, in words, for every kind. */
function limitOf(spec: ProcedureStepSpec): string | null {
  switch (spec.kind) {
    case 'check':
      return spec.limits ? describeLimits(spec.limits, spec.unit ?? null) : "the diagnostic's own limits";
    case 'measurement':
      return describeLimits(spec.limits, spec.unit);
    case 'wait':
      if (spec.for === 'log-line') return `a log line matching /${spec.pattern ?? ''}/ within ${seconds(spec.timeoutMs)}`;
      if (spec.for === 'reboot') return `reboots within ${seconds(spec.timeoutMs)}`;
      return `the button is pressed within ${seconds(spec.timeoutMs)}`;
    case 'firmware':
      return `runs firmware ${spec.version}`;
    case 'instruction':
      return null;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The run's result in a sentence for the timeline: "Bench bring-up failed: 5 passed, 1 failed, 1 skipped (by Ana)". */
export function runSummary(run: ProcedureRun): string {
  const counts = (['passed', 'failed', 'skipped', 'pending'] as const)
    .map((status) => [status, run.steps.filter((step) => step.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status === 'pending' ? 'not run' : status}`);
  return `Procedure ${run.procedureName} ${run.state}: ${counts.join(', ')} (by ${run.operator})`;
}

/** What the case keeps of a finished run: everything needed to read it back without the profile. */
export function caseRecord(run: ProcedureRun): Record<string, unknown> {
  return {
    runId: run.id,
    procedureId: run.procedureId,
    procedureName: run.procedureName,
    profileId: run.profileId,
    result: run.state,
    reason: run.stateReason,
    operator: run.operator,
    device: run.device,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    steps: run.steps.map(stepRecord),
  };
}

/** One step as a record keeps it: what it was, how it ended, what it read against which limit, who answered. */
export function stepRecord(step: ProcedureStep) {
  return {
    id: step.id,
    kind: step.kind,
    title: step.title,
    status: step.status,
    reading: step.reading,
    limit: step.limit,
    reason: step.reason,
    answer: step.answer,
    attempts: step.attempts,
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
  };
}
