// Known issues the capture has flagged as they appeared: what it is, what to do, the article
// that explains it, and a jump to the line.
import { useId } from 'react';
import type { ConsoleFlag } from '../../src-main/api/console-schemas';
import { formatClock } from '../console/line-time';
import { hrefFor } from '../router/routes';

export function ConsoleFlags({ flags, onJump }: { flags: readonly ConsoleFlag[]; onJump(seq: number): void }) {
  const id = useId();
  return (
    <section className="panel console-flags" aria-labelledby={`${id}-heading`} data-testid="console-flags">
      <h2 id={`${id}-heading`}>Known issues seen ({flags.length.toLocaleString('en-US')})</h2>
      {flags.length === 0 ? (
        <p className="muted">None so far. Lines that match a known issue of this device or the knowledge base are flagged here as they arrive.</p>
      ) : (
        <ul className="console-flag-list">
          {flags.map((flag) => (
            <li key={`${flag.seq}:${flag.issueId}`} data-testid="console-flag" data-issue={flag.issueId}>
              <strong>{flag.title}</strong> <time dateTime={new Date(flag.time).toISOString()}>{formatClock(flag.time)}</time>
              <code className="console-flag-text">{flag.text}</code>
              {flag.hint && <p className="error-hint">{flag.hint}</p>}
              <p className="toolbar">
                <button type="button" className="button-link" onClick={() => onJump(flag.seq)} aria-label={`Jump to ${flag.title} at line ${flag.seq}`}>
                  Jump to line
                </button>
                {flag.articleId && <a href={hrefFor({ name: 'article', articleId: flag.articleId })}>Read the article</a>}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
