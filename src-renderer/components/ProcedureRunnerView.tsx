// One procedure run: where it stands (and, for a paused run, where it stopped and why), every
// step with its result, and the step being run with what the operator can do about it.
import type { ProcedureRun, ProcedureStep } from '../../src-main/api/schemas';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { hrefFor } from '../router/routes';
import { runStateWords, stepStatusWords } from '../stores/procedure-words';
import { ErrorDetails } from './ErrorDetails';
import { ProcedureRunnerStep } from './ProcedureRunnerStep';

/** deviceId: the device whose page shows the run; a run that started under another id resumes on it. */
export function ProcedureRunnerView({ run, deviceId }: { run: ProcedureRun; deviceId: string }) {
  const { procedures } = useStores();
  const pending = useStore(procedures, (s) => s.pending[run.id] ?? false);
  const error = useStore(procedures, (s) => s.errors[run.id] ?? null);
  const control = useStore(procedures, (s) => s.control);
  const current = run.currentStep === null ? null : (run.steps[run.currentStep] ?? null);
  const ended = run.finishedAt !== null;

  return (
    <div className="procedure-run" data-testid="procedure-run" data-state={run.state}>
      <div className="panel-heading">
        <h3>
          {run.procedureName}: <span className={`run-state run-state-${run.state}`} data-testid="procedure-run-state">{runStateWords[run.state]}</span>
        </h3>
        <span className="muted">
          by {run.operator}
          {run.caseId && (
            <>
              {' · '}
              <a href={hrefFor({ name: 'case', caseId: run.caseId })}>saved to its case</a>
            </>
          )}
        </span>
      </div>
      {run.stateReason && (
        <p className={run.state === 'paused' ? 'procedure-stopped' : 'muted'} data-testid="procedure-run-reason">
          {run.stateReason}
        </p>
      )}
      {run.state === 'paused' && (
        <div className="toolbar">
          <button
            type="button"
            className="button-primary"
            disabled={pending}
            onClick={() => void control(run.id, 'resume', undefined, run.deviceId === deviceId ? undefined : deviceId)}
            data-testid="procedure-resume"
          >
            Resume from step {(run.currentStep ?? 0) + 1}
          </button>
          <button type="button" className="button-danger" disabled={pending} onClick={() => void control(run.id, 'abort', 'aborted while paused')}>
            Abort
          </button>
        </div>
      )}
      <ol className="procedure-steps" data-testid="procedure-steps">
        {run.steps.map((step, index) => (
          <li key={step.id} className={`procedure-step procedure-step-${step.status}`} aria-current={index === run.currentStep ? 'step' : undefined} data-testid="procedure-step" data-status={step.status}>
            <span className={`step-status step-status-${step.status}`}>{stepStatusWords[step.status]}</span> <span className="step-title">{step.title}</span>
            {/* A pass with a reading says it by the reading and its limit; anything else by its reason. */}
            {step.reason && step.status !== 'pending' && index !== run.currentStep && !(step.status === 'passed' && hasValue(step)) && (
              <span className="step-reason"> — {step.reason}</span>
            )}
            {hasValue(step) && <StepReadingText step={step} />}
          </li>
        ))}
      </ol>
      {!ended && run.state !== 'paused' && current && <ProcedureRunnerStep run={run} step={current} />}
      {error && (
        <div className="inline-error" role="alert" data-testid="procedure-error">
          <ErrorDetails error={error} />
        </div>
      )}
    </div>
  );
}

function hasValue(step: ProcedureStep): boolean {
  return step.reading?.value !== null && step.reading?.value !== undefined;
}

function StepReadingText({ step }: { step: ProcedureStep }) {
  if (!step.reading || !hasValue(step)) return null;
  return (
    <span className="step-reading">
      {' '}
      ({String(step.reading.value)}
      {step.reading.unit ? ` ${step.reading.unit}` : ''}
      {step.limit ? `; limit ${step.limit}` : ''})
    </span>
  );
}
