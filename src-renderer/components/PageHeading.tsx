// Each page's h1. It takes focus after navigation (see App) so keyboard and screen-reader
// users land at the top of the new page rather than on a link that no longer exists.
import type { ReactNode } from 'react';

export function PageHeading({ children, aside }: { children: ReactNode; aside?: ReactNode }) {
  return (
    <div className="page-heading">
      <h1 tabIndex={-1} data-page-heading="">
        {children}
      </h1>
      {aside && <div className="page-heading-aside">{aside}</div>}
    </div>
  );
}
