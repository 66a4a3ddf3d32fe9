// How procedure runs and their steps are said on screen and on the case timeline.
import type { ProcedureRunState, ProcedureStepStatus, StepAwaiting } from '../../src-main/api/schemas';

export const runStateWords: Record<ProcedureRunState, string> = {
  running: 'running',
  waiting: 'waiting for you',
  paused: 'paused',
  passed: 'passed',
  failed: 'failed',
  aborted: 'aborted',
};

export const stepStatusWords: Record<ProcedureStepStatus, string> = {
  pending: 'To do',
  running: 'Running',
  waiting: 'Waiting',
  passed: 'Pass',
  failed: 'Fail',
  skipped: 'Skipped',
};

/** What the operator is asked, for the step the run waits on. */
export const awaitingWords: Record<StepAwaiting, string> = {
  confirm: 'Do what the instructions say, then confirm it, or fail the step saying what was wrong.',
  value: 'Enter the value you measured.',
  button: 'Press the button on the device, then confirm it here before the time runs out.',
  image: 'The device runs another version: choose the image to flash, or fail the step.',
  decision: 'The step failed. Retry it, skip it with a reason, go on with the failure recorded, or abort the run.',
};

/**
 * The steps of a procedure result on the case timeline, one line each ("Pass · Battery
 * voltage: 3.92 V is within 3.3 to 4.25 V"), read from the event's details; an empty list
 * for details of a shape this renderer does not know.
 */
export function procedureRecordLines(data: Record<string, unknown> | null): string[] {
  const steps = data?.steps;
  if (!Array.isArray(steps)) return [];
  const lines: string[] = [];
  for (const step of steps) {
    if (typeof step !== 'object' || step === null) return [];
    const { title, status, reason } = step as Record<string, unknown>;
    if (typeof title !== 'string' || typeof status !== 'string' || !(status in stepStatusWords)) return [];
    const said = stepStatusWords[status as ProcedureStepStatus];
    lines.push(`${status === 'pending' ? 'Not run' : said} · ${title}${typeof reason === 'string' && reason ? `: ${reason}` : ''}`);
  }
  return lines;
}
