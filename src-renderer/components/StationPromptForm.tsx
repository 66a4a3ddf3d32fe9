// An operator step a unit's test waits on, inside that unit's tile and naming the unit, so
// on a tray of eight nobody answers for the wrong board. Answered through the procedure
// store (procedures.answer), as the device page's runner does.
import { useId, useState } from 'react';
import { useStore } from 'zustand';
import type { StationPrompt } from '../../src-main/api/station-schemas';
import { useStores } from '../app/renderer-context';
import { hrefFor } from '../router/routes';
import { awaitingWords } from '../stores/procedure-words';
import { ErrorDetails } from './ErrorDetails';

export function StationPromptForm({ prompt, unitName, deviceId }: { prompt: StationPrompt; unitName: string; deviceId: string }) {
  const { procedures } = useStores();
  const runId = prompt.procedureRunId;
  const pending = useStore(procedures, (s) => s.pending[runId] ?? false);
  const error = useStore(procedures, (s) => s.errors[runId] ?? null);
  const [value, setValue] = useState('');
  const [reason, setReason] = useState('');
  const valueId = useId();
  const reasonId = useId();
  const number = value.trim() === '' ? Number.NaN : Number(value);
  const answer = (input: Parameters<ReturnType<typeof procedures.getState>['answer']>[2]) => void procedures.getState().answer(runId, prompt.stepId, input);
  // Choosing an image or deciding on a failed step needs the full runner of the device page.
  const here = prompt.awaiting === 'confirm' || prompt.awaiting === 'button' || prompt.awaiting === 'value';

  return (
    <div className="station-prompt" role="group" aria-label={`${unitName} asks`} data-testid="station-prompt" data-step={prompt.stepId}>
      <p className="station-prompt-who">{unitName} asks:</p>
      <p className="station-prompt-title">{prompt.title}</p>
      {prompt.instructions && <p>{prompt.instructions}</p>}
      {prompt.limit && <p className="field-hint">Passes when: {prompt.limit}</p>}
      <p className="field-hint">{awaitingWords[prompt.awaiting]}</p>
      {here ? (
        <>
          {prompt.awaiting === 'value' && (
            <div className="field">
              <label htmlFor={valueId}>Measured value ({prompt.unit ?? 'no unit'})</label>
              <input id={valueId} type="number" step="any" inputMode="decimal" value={value} onChange={(event) => setValue(event.target.value)} data-testid="station-prompt-value" />
            </div>
          )}
          <div className="field">
            <label htmlFor={reasonId}>Reason (when it fails)</label>
            <input id={reasonId} type="text" value={reason} onChange={(event) => setReason(event.target.value)} maxLength={2000} data-testid="station-prompt-reason" />
          </div>
          <div className="toolbar">
            {prompt.awaiting === 'value' ? (
              <button type="button" className="button-primary" disabled={pending || !Number.isFinite(number)} onClick={() => answer({ answer: 'pass', value: number })} data-testid="station-prompt-record">
                Record value
              </button>
            ) : (
              <button type="button" className="button-primary station-answer-pass" disabled={pending} onClick={() => answer({ answer: 'pass' })} data-testid="station-prompt-pass">
                {prompt.awaiting === 'button' ? 'Button pressed: Pass' : 'Pass'}
              </button>
            )}
            <button type="button" className="button-danger station-answer-fail" disabled={pending} onClick={() => answer({ answer: 'fail', reason })} data-testid="station-prompt-fail">
              Fail
            </button>
          </div>
        </>
      ) : (
        <p>
          <a href={hrefFor({ name: 'device', deviceId })}>Answer on the device page</a>
        </p>
      )}
      {error && (
        <div className="inline-error" role="alert">
          <ErrorDetails error={error} />
        </div>
      )}
    </div>
  );
}
