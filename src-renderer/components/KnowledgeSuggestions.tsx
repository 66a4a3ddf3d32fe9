// "Known issues": the knowledge-base articles that fit a device or a case, each with why it
// matched and a link to the article. Asked again whenever refreshKey changes (a new
// diagnostics report, a changed case), so the box follows what the page shows. On a
// resolved case, the same panel offers to write a draft article from it.
import { useEffect, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { CaseDetail } from '../../src-main/api/schemas';
import { useStores } from '../app/renderer-context';
import { hrefFor } from '../router/routes';
import { NO_DRAFT, NO_SUGGESTIONS, suggestionKey, type SuggestionTarget } from '../stores/knowledge-store';
import { ErrorDetails } from './ErrorDetails';
import { InfoNote } from './InfoNote';

export function KnowledgeSuggestions({
  target,
  refreshKey,
  emptyText,
  children,
}: {
  target: SuggestionTarget;
  refreshKey: string | null;
  emptyText: string;
  children?: ReactNode;
}) {
  const { knowledge } = useStores();
  const key = suggestionKey(target);
  const view = useStore(knowledge, (s) => s.byTarget[key] ?? NO_SUGGESTIONS);
  const suggest = useStore(knowledge, (s) => s.suggest);

  useEffect(() => {
    void suggest(key.startsWith('device:') ? { deviceId: key.slice('device:'.length) } : { caseId: key.slice('case:'.length) });
  }, [key, refreshKey, suggest]);

  return (
    <section className="panel known-issues" aria-labelledby={`${key}-known-issues`} aria-busy={view.loading} data-testid="known-issues">
      <h2 id={`${key}-known-issues`}>Known issues</h2>
      {view.error && <InfoNote title="The knowledge base could not be asked" error={view.error} />}
      {view.loaded && !view.error && view.suggestions.length === 0 && <p className="muted">{emptyText}</p>}
      {view.suggestions.length > 0 && (
        <ul className="suggestion-list">
          {view.suggestions.map(({ article, reasons }) => (
            <li key={article.id} data-testid="suggestion">
              <a href={hrefFor({ name: 'article', articleId: article.id })}>{article.title}</a>
              <ul className="suggestion-reasons" aria-label="Why it matched">
                {reasons.map((reason) => (
                  <li key={`${reason.kind}:${reason.text}`} className={`reason reason-${reason.kind}`}>
                    {reason.text}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      {children}
    </section>
  );
}

/** A case's known issues and, once it is resolved, "Write an article from this case". */
export function CaseKnowledge({ detail }: { detail: CaseDetail }) {
  const { knowledge } = useStores();
  const draft = useStore(knowledge, (s) => s.drafts[detail.id] ?? NO_DRAFT);
  const draftFromCase = useStore(knowledge, (s) => s.draftFromCase);
  const resolved = detail.status === 'resolved';
  return (
    <KnowledgeSuggestions target={{ caseId: detail.id }} refreshKey={detail.updatedAt} emptyText="No article matches this case’s snapshot, failed firmware steps or attached logs.">
      {resolved && (
        <div className="toolbar">
          <button type="button" onClick={() => void draftFromCase(detail.id)} disabled={draft.writing} data-testid="draft-article">
            {draft.writing ? 'Writing…' : 'Write an article from this case'}
          </button>
        </div>
      )}
      {draft.written && (
        <p role="status" data-testid="draft-written">
          Draft written to <code>{draft.written.path}</code>.{' '}
          <a href={hrefFor({ name: 'article', articleId: draft.written.articleId })}>Open the draft</a>
        </p>
      )}
      {draft.error && (
        <div className="inline-error" role="alert">
          <h3>The draft could not be written</h3>
          <ErrorDetails error={draft.error} />
        </div>
      )}
    </KnowledgeSuggestions>
  );
}
