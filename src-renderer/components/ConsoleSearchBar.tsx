// Search the whole capture on disk (not only what the view holds), count the matches and step
// from one to the next; each jump finds the match's row in the filtered view.
import { useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { SEARCH_LIMIT } from '../stores/console-store';
import { InlineCheckbox } from './InlineCheckbox';

export function ConsoleSearchBar() {
  const { console: consoleStore } = useStores();
  const search = useStore(consoleStore, (s) => s.view?.search ?? null);
  const jumpNote = useStore(consoleStore, (s) => s.view?.jumpNote ?? null);
  const { runSearch, nextMatch, clearSearch } = consoleStore.getState();
  const id = useId();
  const [query, setQuery] = useState('');
  const [regex, setRegex] = useState(false);
  const [ignoreCase, setIgnoreCase] = useState(true);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (query !== '') void runSearch(query, { regex, ignoreCase });
  };

  const count = search ? (search.complete ? search.hits.length.toLocaleString('en-US') : `${SEARCH_LIMIT.toLocaleString('en-US')}+`) : null;

  return (
    <form className="inline-form console-search" onSubmit={submit} aria-label="Search the capture" data-testid="console-search">
      <div className="field field-grow">
        <label htmlFor={`${id}-query`}>Search the whole capture</label>
        <input id={`${id}-query`} type="search" value={query} maxLength={500} onChange={(event) => setQuery(event.target.value)} data-testid="console-search-text" />
      </div>
      <InlineCheckbox label="Regular expression" checked={regex} onChange={setRegex} />
      <InlineCheckbox label="Ignore case" checked={ignoreCase} onChange={setIgnoreCase} />
      <button type="submit" disabled={query === '' || search?.running === true} data-testid="console-search-run">
        {search?.running ? 'Searching…' : 'Search'}
      </button>
      {search && !search.running && (
        <>
          <span className="console-search-count" role="status" data-testid="console-search-count">
            {search.hits.length === 0 ? 'No matches' : `Match ${search.current === null ? '–' : (search.current + 1).toLocaleString('en-US')} of ${count}`}
          </span>
          <button type="button" onClick={() => void nextMatch(true)} disabled={search.hits.length === 0} data-testid="console-search-previous">
            Previous
          </button>
          <button type="button" onClick={() => void nextMatch()} disabled={search.hits.length === 0} data-testid="console-search-next">
            Next
          </button>
          <button type="button" className="button-link" onClick={clearSearch}>
            Clear search
          </button>
        </>
      )}
      {jumpNote && <p className="muted console-jump-note">{jumpNote}</p>}
    </form>
  );
}
