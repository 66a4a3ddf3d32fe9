// A device's history: every case opened for its serial number, on this bench or imported,
// newest first, so the engineer sees what was already tried on this very unit.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { hrefFor } from '../router/routes';
import { NO_HISTORY } from '../stores/cases-store';
import { CaseStatusBadge } from './CaseStatusBadge';
import { ErrorDetails } from './ErrorDetails';
import { TimeText } from './TimeText';

export function DeviceHistory({ serial }: { serial: string | null }) {
  return (
    <section className="panel" aria-labelledby="device-history-heading" data-testid="device-history">
      <h2 id="device-history-heading">History</h2>
      {serial === null ? (
        <p className="muted">This device has not reported a serial number, so its earlier cases cannot be found by it.</p>
      ) : (
        <SerialHistory serial={serial} />
      )}
    </section>
  );
}

function SerialHistory({ serial }: { serial: string }) {
  const { cases: store } = useStores();
  const history = useStore(store, (s) => s.historyBySerial[serial] ?? NO_HISTORY);

  useEffect(() => store.watchHistory(serial), [store, serial]);

  if (history.error && history.cases === null) {
    return (
      <div className="inline-error" role="alert">
        <h3>The history of {serial} could not be read</h3>
        <ErrorDetails error={history.error} />
      </div>
    );
  }
  if (history.cases === null) {
    return (
      <p className="muted" role="status">
        Looking for cases of {serial}…
      </p>
    );
  }
  if (history.cases.length === 0) {
    return (
      <p className="muted" data-testid="device-history-empty">
        No case has been opened for serial number {serial} yet.
      </p>
    );
  }
  const count = history.cases.length;
  return (
    <>
      <p className="muted">
        {count === 1 ? 'One case' : `${count} cases`} for serial number {serial}, newest first.
      </p>
      <ol className="device-history" aria-busy={history.loading}>
        {history.cases.map((c) => (
          <li key={c.id} className="device-history-entry" data-testid="device-history-case" data-case-id={c.id}>
            <a href={hrefFor({ name: 'case', caseId: c.id })}>{c.title}</a>
            <CaseStatusBadge status={c.status} />
            <span className="muted">
              opened <TimeText iso={c.createdAt} /> · updated <TimeText iso={c.updatedAt} /> · {c.noteCount === 1 ? '1 note' : `${c.noteCount} notes`}
            </span>
          </li>
        ))}
      </ol>
    </>
  );
}
