// A step's `when`: it runs only when an earlier step ended as asked. The loader makes sure
// the step named is an earlier one, so its result is always known by the time it is needed.
import type { ProcedureStepStatus } from '../../api/schemas';
import type { StepCondition, StepResult } from '../profiles/profile-types';

export type Decision = { run: true } | { run: false; reason: string };

/** The result a finished step counts as for a `when`; null while it has not ended. */
export function resultOf(status: ProcedureStepStatus): StepResult | null {
  if (status === 'passed') return 'pass';
  if (status === 'failed') return 'fail';
  if (status === 'skipped') return 'skipped';
  return null;
}

export function decide(when: StepCondition | undefined, statusOf: (stepId: string) => ProcedureStepStatus | undefined): Decision {
  if (!when) return { run: true };
  const status = statusOf(when.step);
  const result = status === undefined ? null : resultOf(status);
  if (result === when.is) return { run: true };
  const actual = result === null ? 'has not ended' : PAST[result];
  return { run: false, reason: `runs only when '${when.step}' ${PAST[when.is]}, and it ${actual}` };
}

/** "only when 'battery-voltage' failed" */
export function describeCondition(when: StepCondition | undefined): string | null {
  return when ? `only when '${when.step}' ${PAST[when.is]}` : null;
}

const PAST: Record<StepResult, string> = { pass: 'passed', fail: 'failed', skipped: 'was skipped' };
