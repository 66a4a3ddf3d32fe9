// The step a run is on: its instructions, the limit it is judged against, the reading, and
// what the operator can do now: pass or fail it (with a reason), enter a value with its
// unit, choose an image, or retry, skip (with a reason), pause or abort. A wait shows its
// countdown.
import { useId, useState } from 'react';
import { useStore } from 'zustand';
import type { ProcedureRun, ProcedureStep } from '../../src-main/api/schemas';
import { useStores } from '../app/renderer-context';
import { awaitingWords } from '../stores/procedure-words';
import { ProcedureRunnerCountdown } from './ProcedureRunnerCountdown';

export function ProcedureRunnerStep({ run, step }: { run: ProcedureRun; step: ProcedureStep }) {
  const { procedures } = useStores();
  const pending = useStore(procedures, (s) => s.pending[run.id] ?? false);
  const answer = useStore(procedures, (s) => s.answer);
  const control = useStore(procedures, (s) => s.control);
  const [reason, setReason] = useState('');
  const [value, setValue] = useState('');
  const [image, setImage] = useState<File | null>(null);
  const reasonId = useId();
  const valueId = useId();
  const imageId = useId();

  const awaiting = step.awaiting;
  const deciding = awaiting === 'decision';
  const asking = awaiting !== null && !deciding;
  const number = value.trim() === '' ? Number.NaN : Number(value);
  const hasReason = reason.trim() !== '';
  const done = () => {
    setReason('');
    setValue('');
    setImage(null);
  };
  const reply = async (input: Parameters<typeof answer>[2]) => {
    await answer(run.id, step.id, input);
    done();
  };
  const act = async (action: Parameters<typeof control>[1], withReason?: string) => {
    await control(run.id, action, withReason);
    done();
  };

  return (
    <div className="procedure-current" data-testid="procedure-current" data-step={step.id} data-awaiting={awaiting ?? ''}>
      <h4>
        Step {(run.currentStep ?? 0) + 1} of {run.steps.length}: {step.title}
      </h4>
      {step.instructions && <p className="procedure-instructions">{step.instructions}</p>}
      {step.limit && (
        <p className="muted" data-testid="procedure-limit">
          Passes when: {step.limit}
        </p>
      )}
      {step.when && <p className="muted">Runs {step.when}.</p>}
      {step.status === 'running' && (
        <div className="progress" role="status">
          <progress aria-label={`Running ${step.title}`} />
          <span>{step.kind === 'firmware' ? 'Checking the firmware, updating it if needed…' : 'Running on the device…'}</span>
        </div>
      )}
      {step.deadlineAt && !deciding && <ProcedureRunnerCountdown deadlineAt={step.deadlineAt} />}
      {deciding && (
        <p className="procedure-failure" role="alert" data-testid="procedure-failure">
          {step.reason}
          {step.reading?.value !== undefined && step.reading.value !== null && ` (read ${String(step.reading.value)}${step.reading.unit ? ` ${step.reading.unit}` : ''})`}
        </p>
      )}
      {awaiting && <p className="field-hint">{awaitingWords[awaiting]}</p>}

      <div className="inline-form">
        {awaiting === 'value' && (
          <div className="field">
            <label htmlFor={valueId}>Measured value ({step.unit ?? 'no unit'})</label>
            <input id={valueId} type="number" step="any" inputMode="decimal" value={value} onChange={(event) => setValue(event.target.value)} data-testid="procedure-value" />
          </div>
        )}
        {awaiting === 'image' && (
          <div className="field">
            <label htmlFor={imageId}>Firmware image</label>
            <input id={imageId} type="file" accept=".bin,.img,.hex,.srec" onChange={(event) => setImage(event.target.files?.[0] ?? null)} data-testid="procedure-image" />
          </div>
        )}
        <div className="field field-grow">
          <label htmlFor={reasonId}>Reason (to fail or skip the step)</label>
          <input id={reasonId} value={reason} onChange={(event) => setReason(event.target.value)} maxLength={2000} data-testid="procedure-reason" />
        </div>
      </div>

      <div className="toolbar">
        {awaiting === 'confirm' && (
          <button type="button" className="button-primary" disabled={pending} onClick={() => void reply({ answer: 'pass', reason })} data-testid="procedure-pass">
            Pass
          </button>
        )}
        {awaiting === 'button' && (
          <button type="button" className="button-primary" disabled={pending} onClick={() => void reply({ answer: 'pass' })} data-testid="procedure-pass">
            Button pressed
          </button>
        )}
        {awaiting === 'value' && (
          <button type="button" className="button-primary" disabled={pending || !Number.isFinite(number)} onClick={() => void reply({ answer: 'pass', value: number })} data-testid="procedure-record-value">
            Record value
          </button>
        )}
        {awaiting === 'image' && (
          <button type="button" className="button-primary" disabled={pending || image === null} onClick={() => image && void reply({ answer: 'pass', image })}>
            Flash this image
          </button>
        )}
        {asking && (
          <button type="button" disabled={pending || !hasReason} onClick={() => void reply({ answer: 'fail', reason })} data-testid="procedure-fail">
            Fail
          </button>
        )}
        {deciding && (
          <button type="button" className="button-primary" disabled={pending} onClick={() => void act('resume')} data-testid="procedure-go-on">
            Go on
          </button>
        )}
        <button type="button" disabled={pending} onClick={() => void act('retry')} data-testid="procedure-retry">
          Retry
        </button>
        <button type="button" disabled={pending || !hasReason} onClick={() => void act('skip', reason)} data-testid="procedure-skip">
          Skip
        </button>
        {!deciding && (
          <button type="button" disabled={pending} onClick={() => void act('pause', reason)} data-testid="procedure-pause">
            Pause
          </button>
        )}
        <button type="button" className="button-danger" disabled={pending} onClick={() => void act('abort', reason)} data-testid="procedure-abort">
          Abort
        </button>
      </div>
    </div>
  );
}
