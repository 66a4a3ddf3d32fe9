// Follows a procedure run through the core's 'procedures.run' events: waits, with a deadline,
// until the run reaches a state the test names, and keeps every step change seen.
import type { Core } from '../../src-main/core/core';
import type { ProcedureRun } from '../../src-main/api/schemas';

export interface RunWatcher {
  /** The latest state of the run seen, by id. */
  latest(runId: string): ProcedureRun | undefined;
  /** Resolves with the run once `test` holds for it (checked on each event and at once). */
  until(runId: string, test: (run: ProcedureRun) => boolean, what: string, deadlineMs?: number): Promise<ProcedureRun>;
  stop(): void;
}

export function watchRuns(core: Core): RunWatcher {
  const latest = new Map<string, ProcedureRun>();
  const waiters = new Set<() => void>();
  const off = core.events.on('procedures.run', (run) => {
    latest.set(run.id, run);
    for (const check of [...waiters]) check();
  });
  return {
    latest: (runId) => latest.get(runId),
    until: (runId, test, what, deadlineMs = 30_000) =>
      new Promise<ProcedureRun>((resolve, reject) => {
        const check = () => {
          const run = latest.get(runId);
          if (run && test(run)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(run);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const run = latest.get(runId);
          const where = run ? `${run.state} at step ${String(run.currentStep)}: ${JSON.stringify(run.steps.map((s) => [s.id, s.status, s.reason]))}` : 'no event seen';
          reject(new Error(`run ${runId}: not ${what} within ${deadlineMs} ms (${where})`));
        }, deadlineMs);
        waiters.add(check);
        check();
      }),
    stop: off,
  };
}

/** The run waits on this step for the operator. */
export function waitingAt(stepId: string) {
  return (run: ProcedureRun) => run.state === 'waiting' && run.currentStep !== null && run.steps[run.currentStep]?.id === stepId && run.steps[run.currentStep]?.awaiting !== null;
}

/** The step has started running. */
export function runningAt(stepId: string) {
  return (run: ProcedureRun) => run.currentStep !== null && run.steps[run.currentStep]?.id === stepId && run.steps[run.currentStep]?.status === 'running';
}

export function ended(run: ProcedureRun): boolean {
  return run.finishedAt !== null;
}
