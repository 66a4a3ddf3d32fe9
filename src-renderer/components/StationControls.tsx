// Who runs the station, whether plugged-in units start by themselves, "Start all waiting",
// and the counts band. A recipe that needs an operator says so first, plainly, because no
// unit starts until someone has given their name.
import { useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { StationState } from '../../src-main/api/station-schemas';
import { useStores } from '../app/renderer-context';
import { countsView, operatorMissing } from '../stores/station-selectors';
import { ErrorDetails } from './ErrorDetails';

export function StationControls({ state }: { state: StationState }) {
  const { station } = useStores();
  const pending = useStore(station, (s) => s.pending);
  const errors = useStore(station, (s) => s.errors);
  const [operator, setOperator] = useState(state.operator ?? '');
  const operatorId = useId();
  const missing = operatorMissing(state);
  const counts = countsView(state.counts, state.units);
  const waiting = counts.find((c) => c.key === 'waiting')?.value ?? 0;
  const changed = operator.trim() !== '' && operator.trim() !== state.operator;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (operator.trim()) void station.getState().setOperator(operator);
  };

  return (
    <section className="panel station-controls" aria-label="Station controls">
      {missing && (
        <p className="station-call-to-action" role="alert" data-testid="station-operator-needed">
          Enter your name as the operator: this recipe starts no unit until the station knows who runs it.
        </p>
      )}
      <div className="station-control-row">
        <form className="inline-form" onSubmit={submit} aria-label="Operator">
          <div className="field">
            <label htmlFor={operatorId}>Operator</label>
            <input id={operatorId} type="text" value={operator} onChange={(event) => setOperator(event.target.value)} maxLength={200} autoComplete="name" aria-invalid={missing} data-testid="station-operator" />
          </div>
          <div className="form-actions">
            <button type="submit" className={missing ? 'button-primary' : undefined} disabled={!changed || (pending.operator ?? false)} data-testid="station-operator-set">
              {state.operator ? 'Change operator' : 'Set operator'}
            </button>
          </div>
        </form>
        <label className="checkbox station-autostart">
          <input
            type="checkbox"
            checked={state.autoStart}
            disabled={pending.autoStart ?? false}
            onChange={(event) => void station.getState().setAutoStart(event.target.checked)}
            data-testid="station-autostart"
          />
          Auto-start: a unit starts as soon as it is plugged in
        </label>
        <button type="button" className="button-primary" disabled={missing || waiting === 0 || (pending.startAll ?? false)} onClick={() => void station.getState().startAll()} data-testid="station-start-all">
          Start all waiting ({waiting})
        </button>
      </div>
      {(['operator', 'autoStart', 'startAll'] as const).map((key) => {
        const error = errors[key];
        return error ? (
          <div key={key} className="inline-error" role="alert">
            <ErrorDetails error={error} />
          </div>
        ) : null;
      })}
      <ul className="station-counts" aria-label="Counts" data-testid="station-counts">
        {counts.map((count) => (
          <li key={count.key} className={`station-count station-tone-${count.tone}`} data-testid={`station-count-${count.key}`} data-value={count.value}>
            <span className="station-count-value">{count.value}</span>
            <span className="station-count-label">{count.label}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
