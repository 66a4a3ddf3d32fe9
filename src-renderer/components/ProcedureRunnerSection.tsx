// The Procedures section of a device page: the test procedures its profile declares, each
// startable (saved to a case of this device when one is chosen), and the run that is going
// on or paused, or the last one, in the runner.
import { useEffect, useId, useState } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { NO_PROCEDURES, shownRun } from '../stores/procedure-store';
import { ErrorDetails } from './ErrorDetails';
import { ProcedureRunnerView } from './ProcedureRunnerView';

export function ProcedureRunnerSection({ deviceId, serial, canRun }: { deviceId: string; serial: string | null; canRun: boolean }) {
  const { procedures: procedureStore } = useStores();
  const device = useStore(procedureStore, (s) => s.byDevice[deviceId] ?? NO_PROCEDURES);
  const run = useStore(procedureStore, (s) => shownRun(s, deviceId));
  const starting = useStore(procedureStore, (s) => s.pending[`start:${deviceId}`] ?? false);
  const startError = useStore(procedureStore, (s) => s.errors[`start:${deviceId}`] ?? null);
  const load = useStore(procedureStore, (s) => s.load);
  const start = useStore(procedureStore, (s) => s.start);
  const [caseId, setCaseId] = useState('');
  const [operator, setOperator] = useState('');
  const caseFieldId = useId();
  const operatorFieldId = useId();

  useEffect(() => {
    if (canRun) void load(deviceId, serial);
  }, [deviceId, serial, canRun, load]);

  const going = run !== null && run.finishedAt === null;
  if (!canRun || (device.procedures !== null && device.procedures.length === 0 && run === null)) return null;

  return (
    <section className="panel procedures" aria-labelledby="procedures-heading" data-testid="procedures">
      <h2 id="procedures-heading">Procedures</h2>
      {device.error && (
        <div className="inline-error" role="alert">
          <h3>The procedures could not be listed</h3>
          <ErrorDetails error={device.error} />
        </div>
      )}
      {run && <ProcedureRunnerView run={run} deviceId={deviceId} />}
      {!going && device.procedures && device.procedures.length > 0 && (
        <>
          <div className="inline-form procedure-start-options">
            <div className="field">
              <label htmlFor={caseFieldId}>Save the result to</label>
              <select id={caseFieldId} value={caseId} onChange={(event) => setCaseId(event.target.value)} data-testid="procedure-case">
                <option value="">No case (the run is still recorded)</option>
                {device.cases.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title} ({c.status})
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={operatorFieldId}>Operator</label>
              <input id={operatorFieldId} value={operator} onChange={(event) => setOperator(event.target.value)} placeholder="Your name (default: this computer’s user)" maxLength={200} data-testid="procedure-operator" />
            </div>
          </div>
          <ul className="procedure-list">
            {device.procedures.map((procedure) => (
              <li key={procedure.id} className="procedure-item" data-testid="procedure-item" data-procedure={procedure.id}>
                <div>
                  <h3>{procedure.name}</h3>
                  {procedure.description && <p className="muted">{procedure.description}</p>}
                  <p className="field-hint">
                    {procedure.steps.length} steps: {procedure.steps.map((step) => step.title).join(' · ')}
                  </p>
                </div>
                <button
                  type="button"
                  className="button-primary"
                  disabled={starting}
                  onClick={() => void start(deviceId, procedure.id, { caseId: caseId || undefined, operator })}
                  data-testid="procedure-start"
                >
                  Start
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {startError && (
        <div className="inline-error" role="alert" data-testid="procedure-start-error">
          <h3>The procedure did not start</h3>
          <ErrorDetails error={startError} />
        </div>
      )}
    </section>
  );
}
