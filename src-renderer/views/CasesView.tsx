// Past and current cases: full-text search with filters, newest case first. An empty search
// lists what the filters select, so with no words this is the plain case list.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { CaseSearchForm } from '../components/CaseSearchForm';
import { CaseSearchResults } from '../components/CaseSearchResults';
import { ErrorDetails } from '../components/ErrorDetails';
import { ImportBundleForm } from '../components/ImportBundleForm';
import { PageHeading } from '../components/PageHeading';
import { hrefFor } from '../router/routes';
import { filtersNarrow } from '../stores/case-search-store';

const emptyHeading = { open: 'No open cases', waiting: 'No cases waiting', resolved: 'No resolved cases', all: 'No cases yet' } as const;

export function CasesView() {
  const { caseSearch: store } = useStores();
  const result = useStore(store, (s) => s.result);
  const request = useStore(store, (s) => s.shownRequest);
  const searching = useStore(store, (s) => s.searching);
  const error = useStore(store, (s) => s.error);
  const filters = useStore(store, (s) => s.filters);
  const setPage = useStore(store, (s) => s.setPage);

  useEffect(() => store.watch(), [store]);

  // The shown answer is for a plain listing (no words, no narrowing filter) with nothing in it.
  const nothingStored = result !== null && request !== null && result.total === 0 && request.query === '' && !filtersNarrow(filters);

  return (
    <>
      <PageHeading>Cases</PageHeading>
      <ImportBundleForm />
      <CaseSearchForm store={store} />

      {error && (
        <div className="inline-error" role="alert" data-testid="case-search-error">
          <h2>The search could not run</h2>
          <ErrorDetails error={error} />
        </div>
      )}

      {result === null || request === null ? (
        !error && (
          <p className="muted" role="status">
            Loading cases…
          </p>
        )
      ) : nothingStored ? (
        <section className="empty-state" data-testid="cases-empty">
          <h2>{emptyHeading[filters.status]}</h2>
          <p>
            A case starts from a device: open it from the <a href={hrefFor({ name: 'devices' })}>device list</a>, then choose{' '}
            <strong>Open case</strong>. Its identity and diagnostics are kept with your notes.
          </p>
        </section>
      ) : result.hits.length === 0 && result.total === 0 ? (
        <section className="empty-state" data-testid="case-search-empty" aria-busy={searching}>
          <h2>No case matches</h2>
          <p>Try fewer or shorter words (batt* finds battery), or clear a filter.</p>
        </section>
      ) : (
        <CaseSearchResults result={result} request={request} busy={searching} onPage={setPage} />
      )}
    </>
  );
}
