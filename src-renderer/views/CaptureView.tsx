// A capture opened from disk, live or finished: read, filter, search, select and attach it to
// a case or export it, long after its console closed.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { ConsoleWorkspace } from '../components/ConsoleWorkspace';
import { ErrorDetails } from '../components/ErrorDetails';
import { PageHeading } from '../components/PageHeading';
import { TimeText } from '../components/TimeText';
import { hrefFor } from '../router/routes';

export function CaptureView({ captureId }: { captureId: string }) {
  const { console: consoleStore } = useStores();
  const view = useStore(consoleStore, (s) => (s.view?.captureId === captureId ? s.view : null));
  const openError = useStore(consoleStore, (s) => s.openError);
  const { showCapture, leave, loadOpenCases } = consoleStore.getState();

  useEffect(() => {
    void showCapture(captureId);
    void loadOpenCases();
    return () => leave();
  }, [captureId, showCapture, leave, loadOpenCases]);

  const device = view?.session?.device ?? view?.summary?.device ?? null;
  const startedAt = view?.session?.startedAt ?? view?.summary?.startedAt ?? null;
  const live = view?.session !== null && view?.session !== undefined && view.session.state !== 'closed';

  return (
    <>
      <p className="breadcrumb">
        {view ? <a href={hrefFor({ name: 'device', deviceId: view.deviceId })}>{device ?? view.deviceId}</a> : <a href={hrefFor({ name: 'devices' })}>Devices</a>}
      </p>
      <PageHeading>Capture {captureId}</PageHeading>
      {view && (
        <p className="muted" data-testid="capture-facts">
          {device ?? view.deviceId}
          {startedAt && (
            <>
              {' · started '}
              <TimeText iso={startedAt} />
            </>
          )}
          {live && (
            <>
              {' · live: '}
              <a href={hrefFor({ name: 'console', deviceId: view.deviceId })}>open its console</a>
            </>
          )}
        </p>
      )}
      {openError && (
        <div className="inline-error" role="alert" data-testid="capture-error">
          <h2>This capture could not be opened</h2>
          <ErrorDetails error={openError} />
        </div>
      )}
      {view && <ConsoleWorkspace title={`Capture ${captureId}`} />}
    </>
  );
}
