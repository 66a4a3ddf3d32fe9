// Past and current cases, filtered by status, newest first as the core lists them.
import { useEffect, useId } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { CaseStatusBadge } from '../components/CaseStatusBadge';
import { PageHeading } from '../components/PageHeading';
import { TimeText } from '../components/TimeText';
import { hrefFor } from '../router/routes';
import type { CaseFilter } from '../stores/cases-store';

const filters: { value: CaseFilter; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'all', label: 'All' },
];

export function CasesView() {
  const { cases: store } = useStores();
  const filter = useStore(store, (s) => s.filter);
  const cases = useStore(store, (s) => s.cases);
  const loadedFilter = useStore(store, (s) => s.loadedFilter);
  const loading = useStore(store, (s) => s.loading);
  const setFilter = useStore(store, (s) => s.setFilter);
  const filterName = useId();

  useEffect(() => store.watch(), [store]);

  const showing = loadedFilter === filter;

  return (
    <>
      <PageHeading>Cases</PageHeading>
      <fieldset className="segmented" data-testid="case-filter">
        <legend>Show</legend>
        {filters.map((f) => (
          <label key={f.value} className="segmented-option">
            <input
              type="radio"
              name={filterName}
              value={f.value}
              checked={filter === f.value}
              onChange={() => void setFilter(f.value)}
            />
            <span>{f.label}</span>
          </label>
        ))}
      </fieldset>

      {!showing ? (
        <p className="muted" role="status">
          Loading cases…
        </p>
      ) : cases.length === 0 ? (
        <section className="empty-state" data-testid="cases-empty">
          <h2>{filter === 'all' ? 'No cases yet' : filter === 'open' ? 'No open cases' : 'No resolved cases'}</h2>
          <p>
            A case starts from a device: open it from the <a href={hrefFor({ name: 'devices' })}>device list</a>, then choose{' '}
            <strong>Open case</strong>. Its identity and diagnostics are kept with your notes.
          </p>
        </section>
      ) : (
        <div className="table-scroll">
          <table className="data-table cases-table" data-testid="cases-table" aria-busy={loading}>
            <caption className="visually-hidden">Cases</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Model</th>
                <th scope="col">Serial number</th>
                <th scope="col" className="numeric">
                  Notes
                </th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {cases.map((c) => (
                <tr key={c.id} data-testid="case-row" data-case-id={c.id}>
                  <th scope="row">
                    <a href={hrefFor({ name: 'case', caseId: c.id })} data-testid="case-link">
                      {c.title}
                    </a>
                  </th>
                  <td>
                    <CaseStatusBadge status={c.status} />
                  </td>
                  <td>{c.deviceModel ?? '—'}</td>
                  <td>{c.deviceSerial ?? '—'}</td>
                  <td className="numeric">{c.noteCount}</td>
                  <td className="nowrap">
                    <TimeText iso={c.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
