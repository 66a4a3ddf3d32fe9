// The alert region under the header: errors from actions anywhere in the app. The region
// is always in the page (empty when quiet) so screen readers announce what appears in it.
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { ErrorDetails } from './ErrorDetails';

export function NoticeRegion() {
  const { notices } = useStores();
  const list = useStore(notices, (s) => s.notices);
  const dismiss = useStore(notices, (s) => s.dismiss);
  return (
    <div className="notice-region" role="alert" aria-live="assertive" data-testid="notices">
      {list.map((notice) => (
        <section key={notice.id} className="notice" aria-label={`${notice.action} failed`}>
          <div className="notice-body">
            <h2 className="notice-title">{notice.action} failed</h2>
            <ErrorDetails error={notice.error} />
          </div>
          <button type="button" className="button-quiet" onClick={() => dismiss(notice.id)}>
            Dismiss
          </button>
        </section>
      ))}
    </div>
  );
}
