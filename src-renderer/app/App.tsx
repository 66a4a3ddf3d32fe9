// The page frame: header, alert region, and the view for the current route. Also the
// page-level duties no view owns: focus after navigation, and, when the page goes away,
// saving notes and stopping the live follows it started.
import { useEffect, useRef } from 'react';
import { Header } from '../components/Header';
import { NoticeRegion } from '../components/NoticeRegion';
import { hrefFor } from '../router/routes';
import { useRoute } from '../router/use-route';
import { CaptureView } from '../views/CaptureView';
import { CaseView } from '../views/CaseView';
import { CasesView } from '../views/CasesView';
import { ConsoleView } from '../views/ConsoleView';
import { DevicesView } from '../views/DevicesView';
import { DeviceView } from '../views/DeviceView';
import { KnowledgeArticleView, KnowledgeView } from '../views/KnowledgeView';
import { NotFoundView } from '../views/NotFoundView';
import { StationView } from '../views/StationView';
import { useStores } from './renderer-context';

export function App() {
  const route = useRoute();
  const { caseDetail, bleLive } = useStores();
  const routeKey = hrefFor(route);
  const firstRoute = useRef(true);

  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.querySelector<HTMLElement>('[data-page-heading]')?.focus();
    window.scrollTo(0, 0);
  }, [routeKey]);

  // Closing the window, reloading or switching away: send what is typed now rather than
  // after the debounce. The socket send is synchronous, so the frame leaves before unload.
  useEffect(() => {
    const flush = () => void caseDetail.getState().flushAll();
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') flush();
    };
    // A hidden tab keeps following (the person comes back to it); a page that goes away does not.
    const leave = () => {
      flush();
      bleLive.getState().unfollowAll();
    };
    window.addEventListener('pagehide', leave);
    window.addEventListener('beforeunload', flush);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('pagehide', leave);
      window.removeEventListener('beforeunload', flush);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [caseDetail, bleLive]);

  return (
    <>
      <Header route={route} />
      <NoticeRegion />
      <main id="main" className="app-main">
        {route.name === 'devices' && <DevicesView />}
        {route.name === 'device' && <DeviceView key={route.deviceId} deviceId={route.deviceId} />}
        {route.name === 'console' && <ConsoleView key={route.deviceId} deviceId={route.deviceId} />}
        {route.name === 'capture' && <CaptureView key={route.captureId} captureId={route.captureId} />}
        {route.name === 'cases' && <CasesView />}
        {route.name === 'case' && <CaseView key={route.caseId} caseId={route.caseId} />}
        {route.name === 'knowledge' && <KnowledgeView />}
        {route.name === 'article' && <KnowledgeArticleView key={route.articleId} articleId={route.articleId} />}
        {route.name === 'station' && <StationView />}
        {route.name === 'not-found' && <NotFoundView path={route.path} />}
      </main>
    </>
  );
}
