// Asks before the page leaves work that is not saved: an in-app link (the hash router's
// navigation) asks with a confirm; reloading or closing a browser tab gets the browser's own
// "leave site?" question. A change of the hash by other means (Back) cannot be stopped, so
// whatever is guarded must also survive the view going away (the stores keep it).
import { useEffect } from 'react';
import { useConnection } from '../app/use-connection';

export function useLeaveGuard(active: boolean, question: string): void {
  const { door } = useConnection();
  useEffect(() => {
    if (!active) return;
    const onClick = (event: MouseEvent) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
      if (!(link instanceof HTMLAnchorElement) || link.hasAttribute('download')) return;
      const href = link.getAttribute('href') ?? '';
      if (!href.startsWith('#') || href === window.location.hash) return;
      if (!window.confirm(question)) event.preventDefault();
    };
    // In the Electron window a refused unload is silently refused (no question is shown) and
    // the window could not be closed, so only the browser door asks.
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    document.addEventListener('click', onClick, true);
    if (door === 'browser') window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      document.removeEventListener('click', onClick, true);
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [active, question, door]);
}
