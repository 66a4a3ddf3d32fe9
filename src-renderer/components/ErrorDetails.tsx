// An error as the contract words it: what failed, on which device, at which step, and what
// to do next.
import type { ApiErrorShape } from '../../src-main/api/errors';

export function ErrorDetails({ error }: { error: ApiErrorShape }) {
  return (
    <>
      <p className="error-message">{error.message}</p>
      {(error.device || error.step) && (
        <dl className="error-facts">
          {error.device && (
            <div>
              <dt>Device</dt>
              <dd>{error.device}</dd>
            </div>
          )}
          {error.step && (
            <div>
              <dt>Step</dt>
              <dd>{error.step}</dd>
            </div>
          )}
        </dl>
      )}
      {error.hint && <p className="error-hint">{error.hint}</p>}
      {error.issues && error.issues.length > 0 && (
        <ul className="error-issues">
          {error.issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
