// The search box and the filters of the Cases page. Typing searches once the typing pauses;
// Enter searches at once, Escape empties the box. Every control is a labelled form field,
// so the filters read the same to a keyboard or a screen reader as to the eye.
import { useId, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { CaseSearchStore, CaseSearchFilters, StatusFilter } from '../stores/case-search-store';
import { MAX_QUERY_CHARS, NO_FILTERS, filtersNarrow } from '../stores/case-search-store';

const statusOptions: { value: StatusFilter; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'waiting', label: 'Waiting' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'all', label: 'All' },
];

const textFilters: { key: 'deviceModel' | 'serial' | 'tag'; label: string; placeholder: string }[] = [
  { key: 'deviceModel', label: 'Device model', placeholder: 'e.g. sensor-node' },
  { key: 'serial', label: 'Serial number', placeholder: 'e.g. SN-00000042' },
  { key: 'tag', label: 'Tag', placeholder: 'e.g. battery' },
];

export function CaseSearchForm({ store }: { store: CaseSearchStore }) {
  const query = useStore(store, (s) => s.query);
  const filters = useStore(store, (s) => s.filters);
  const { setQuery, setFilters, submit, clearQuery } = store.getState();
  const id = useId();

  function onQueryKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Escape') {
      // Handled here rather than by the browser's own clearing of a search field, which
      // would wait for the debounce.
      event.preventDefault();
      clearQuery();
    }
  }

  const narrowed = filtersNarrow(filters) || filters.status !== NO_FILTERS.status;

  return (
    <form
      role="search"
      aria-label="Search cases"
      className="case-search"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
      data-testid="case-search-form"
    >
      <div className="field case-search-query">
        <label htmlFor={`${id}-query`}>Search cases</label>
        <input
          id={`${id}-query`}
          type="search"
          value={query}
          maxLength={MAX_QUERY_CHARS}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={onQueryKey}
          placeholder="Words from a note, a symptom, a log… “a phrase”, batt*"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${id}-syntax`}
          data-testid="case-search-input"
        />
        <p id={`${id}-syntax`} className="field-hint">
          Every word must match. Quote words to find them in that order; end a word with * to find words it begins.
        </p>
      </div>

      <fieldset className="segmented" data-testid="case-filter">
        <legend>Show</legend>
        {statusOptions.map((option) => (
          <label key={option.value} className="segmented-option">
            <input
              type="radio"
              name={`${id}-status`}
              value={option.value}
              checked={filters.status === option.value}
              onChange={() => setFilters({ status: option.value })}
            />
            <span>{option.label}</span>
          </label>
        ))}
      </fieldset>

      <fieldset className="case-search-filters">
        <legend className="visually-hidden">Filters</legend>
        {textFilters.map((filter) => (
          <div className="field" key={filter.key}>
            <label htmlFor={`${id}-${filter.key}`}>{filter.label}</label>
            <input
              id={`${id}-${filter.key}`}
              type="text"
              value={filters[filter.key]}
              maxLength={200}
              onChange={(event) => setFilters({ [filter.key]: event.target.value } as Partial<CaseSearchFilters>)}
              placeholder={filter.placeholder}
              autoComplete="off"
              data-testid={`case-filter-${filter.key}`}
            />
          </div>
        ))}
        <div className="field">
          <label htmlFor={`${id}-from`}>Opened from</label>
          <input
            id={`${id}-from`}
            type="date"
            value={filters.from}
            max={filters.to || undefined}
            onChange={(event) => setFilters({ from: event.target.value })}
            data-testid="case-filter-from"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>Opened up to</label>
          <input
            id={`${id}-to`}
            type="date"
            value={filters.to}
            min={filters.from || undefined}
            onChange={(event) => setFilters({ to: event.target.value })}
            data-testid="case-filter-to"
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="button-primary" data-testid="case-search-submit">
            Search
          </button>
          <button type="button" disabled={!narrowed && query === ''} onClick={() => {
            setQuery('');
            setFilters(NO_FILTERS);
          }} data-testid="case-search-reset">
            Clear all
          </button>
        </div>
      </fieldset>
    </form>
  );
}
