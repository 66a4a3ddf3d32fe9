// The answer to the latest search: how many cases, a page of them (newest first), and under
// each case where the words were found, with the matched words marked.
import type { CaseSearchHit, CaseSearchResult } from '../../src-main/api/schemas';
import { hrefFor } from '../router/routes';
import { hasNextPage, resultCountText, searchFieldLabel, type CaseSearchRequest } from '../stores/case-search-store';
import { CaseStatusBadge } from './CaseStatusBadge';
import { HighlightedSnippet } from './HighlightedSnippet';
import { TimeText } from './TimeText';

interface CaseSearchResultsProps {
  result: CaseSearchResult;
  request: CaseSearchRequest;
  busy: boolean;
  onPage(page: number): void;
}

export function CaseSearchResults({ result, request, busy, onPage }: CaseSearchResultsProps) {
  const page = Math.floor((request.offset ?? 0) / (request.limit ?? 1));
  const paging = page > 0 || hasNextPage(result, request);
  return (
    <section className="case-results" aria-labelledby="case-results-count" aria-busy={busy} data-testid="case-results">
      <p id="case-results-count" className="case-results-count" role="status" data-testid="case-results-count">
        {resultCountText(result, request)}
      </p>
      <ol className="case-hits">
        {result.hits.map((hit) => (
          <CaseHit key={hit.caseId} hit={hit} />
        ))}
      </ol>
      {paging && (
        <nav className="toolbar case-paging" aria-label="Result pages">
          <button type="button" onClick={() => onPage(page - 1)} disabled={busy || page === 0} data-testid="case-page-previous">
            Previous page
          </button>
          <span className="muted">Page {page + 1}</span>
          <button type="button" onClick={() => onPage(page + 1)} disabled={busy || !hasNextPage(result, request)} data-testid="case-page-next">
            Next page
          </button>
        </nav>
      )}
    </section>
  );
}

function CaseHit({ hit }: { hit: CaseSearchHit }) {
  return (
    <li className="case-hit" data-testid="case-row" data-case-id={hit.caseId}>
      <div className="case-hit-heading">
        <a href={hrefFor({ name: 'case', caseId: hit.caseId })} data-testid="case-link">
          {hit.title}
        </a>
        <CaseStatusBadge status={hit.status} />
      </div>
      <p className="case-hit-facts muted">
        <span>{hit.deviceModel ?? 'No model'}</span>
        <span data-testid="case-hit-serial">{hit.deviceSerial ?? 'No serial number'}</span>
        <span>
          Opened <TimeText iso={hit.createdAt} />
        </span>
        <span>
          Updated <TimeText iso={hit.updatedAt} />
        </span>
      </p>
      {hit.matches.length > 0 && (
        <ul className="case-matches" aria-label={`Where “${hit.title}” matched`}>
          {hit.matches.map((match, index) => (
            <li key={`${index}-${match.field}`} className="case-match" data-testid="case-match" data-field={match.field}>
              <span className="case-match-field">{searchFieldLabel[match.field]}</span>
              <HighlightedSnippet segments={match.snippet} />
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
