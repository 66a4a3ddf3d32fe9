// The knowledge base: the article list with a search box and tags, and one article with its
// facts (models, firmware, codes, symptoms) above its steps.
import { useEffect, useId } from 'react';
import { useStore } from 'zustand';
import type { KbArticle } from '../../src-main/api/schemas';
import { useStores } from '../app/renderer-context';
import { ErrorDetails } from '../components/ErrorDetails';
import { MarkdownView } from '../components/MarkdownView';
import { PageHeading } from '../components/PageHeading';
import { hrefFor } from '../router/routes';
import { NO_ARTICLE, sourceLabel } from '../stores/knowledge-store';

export function KnowledgeView() {
  const { knowledge } = useStores();
  const query = useStore(knowledge, (s) => s.query);
  const tag = useStore(knowledge, (s) => s.tag);
  const articles = useStore(knowledge, (s) => s.articles);
  const tags = useStore(knowledge, (s) => s.tags);
  const problems = useStore(knowledge, (s) => s.problems);
  const listing = useStore(knowledge, (s) => s.listing);
  const listError = useStore(knowledge, (s) => s.listError);
  const { setQuery, setTag, loadList, reload } = knowledge.getState();
  const searchId = useId();

  useEffect(() => {
    void loadList();
  }, [loadList]);

  return (
    <>
      <PageHeading
        aside={
          <button type="button" onClick={() => void reload()} disabled={listing}>
            Reload articles
          </button>
        }
      >
        Knowledge base
      </PageHeading>
      <div className="inline-form knowledge-filters">
        <div className="field field-grow">
          <label htmlFor={searchId}>Search articles</label>
          <input id={searchId} type="search" value={query} onChange={(event) => setQuery(event.target.value)} placeholder="brownout, errWRITE, MGMT_ERR_ENOMEM…" data-testid="kb-search" />
        </div>
      </div>
      {tags.length > 0 && (
        <div className="tag-filter" role="group" aria-label="Tags">
          <button type="button" className="tag" aria-pressed={tag === null} onClick={() => setTag(null)}>
            all
          </button>
          {tags.map((name) => (
            <button key={name} type="button" className="tag" aria-pressed={tag === name} onClick={() => setTag(tag === name ? null : name)}>
              {name}
            </button>
          ))}
        </div>
      )}
      {listError && (
        <div className="inline-error" role="alert">
          <h2>The articles could not be listed</h2>
          <ErrorDetails error={listError} />
        </div>
      )}
      <ul className="article-list" aria-busy={listing} data-testid="kb-articles">
        {articles.map((article) => (
          <li key={article.id} data-testid="kb-article-row">
            <a href={hrefFor({ name: 'article', articleId: article.id })}>{article.title}</a>
            {article.source !== 'shipped' && <span className="badge badge-neutral">{article.source}</span>}
            {article.symptoms[0] && <p className="muted">{article.symptoms[0]}</p>}
            {article.tags.length > 0 && <p className="subtle-line">{article.tags.join(' · ')}</p>}
          </li>
        ))}
      </ul>
      {!listing && articles.length === 0 && !listError && <p className="muted">No article matches {query.trim() ? `“${query.trim()}”` : 'this tag'}.</p>}
      {problems.length > 0 && (
        <details className="panel" data-testid="kb-problems">
          <summary>
            {problems.length} article file{problems.length === 1 ? '' : 's'} could not be loaded
          </summary>
          <ul>
            {problems.map((problem) => (
              <li key={`${problem.file}:${problem.field}:${problem.message}`}>
                <code>{problem.file}</code>
                {problem.field && (
                  <>
                    {' '}
                    at <code>{problem.field}</code>
                  </>
                )}
                : {problem.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

export function KnowledgeArticleView({ articleId }: { articleId: string }) {
  const { knowledge } = useStores();
  const view = useStore(knowledge, (s) => s.byArticle[articleId] ?? NO_ARTICLE);
  const open = useStore(knowledge, (s) => s.open);

  useEffect(() => {
    void open(articleId);
  }, [articleId, open]);

  const back = (
    <p className="breadcrumb">
      <a href={hrefFor({ name: 'knowledge' })}>Knowledge base</a>
    </p>
  );
  const { article } = view;
  if (!article) {
    return (
      <>
        {back}
        <PageHeading>Article</PageHeading>
        {view.error ? (
          <div className="inline-error" role="alert">
            <h2>This article could not be opened</h2>
            <ErrorDetails error={view.error} />
          </div>
        ) : (
          <p className="muted" role="status">
            Loading the article…
          </p>
        )}
      </>
    );
  }
  return (
    <>
      {back}
      <PageHeading>{article.title}</PageHeading>
      <ArticleFacts article={article} />
      <article className="panel" data-testid="kb-article-body">
        <MarkdownView tree={withoutTitle(article)} />
      </article>
    </>
  );
}

function ArticleFacts({ article }: { article: KbArticle }) {
  const rows: [string, string][] = [['Source', sourceLabel(article)]];
  if (article.models.length > 0) rows.push(['Models', article.models.join(', ')]);
  if (article.firmware.length > 0) rows.push(['Firmware', article.firmware.join(' or ')]);
  if (article.errorCodes.length > 0) rows.push(['Error codes', article.errorCodes.map((c) => `${c.kind.toUpperCase()} ${c.code}${c.name ? ` (${c.name})` : ''}`).join(', ')]);
  if (article.tags.length > 0) rows.push(['Tags', article.tags.join(', ')]);
  return (
    <section className="panel" aria-label="About this article">
      <dl className="identity" data-testid="kb-article-facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {article.symptoms.length > 0 && (
        <>
          <h2>Symptoms</h2>
          <ul>
            {article.symptoms.map((symptom) => (
              <li key={symptom}>{symptom}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The page heading is the title; a body that starts by repeating it as a heading skips that line. */
function withoutTitle(article: KbArticle): KbArticle['tree'] {
  const [first, ...rest] = article.tree;
  const repeats = first?.type === 'heading' && first.level === 1 && first.children.map((c) => (c.type === 'text' ? c.text : '')).join('') === article.title;
  return repeats ? rest : article.tree;
}
