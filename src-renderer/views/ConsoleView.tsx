// A device's live log console: choose the port settings and open it (or join the console
// already open on the device), then read, filter, search, mark and capture as it streams.
import { useEffect, useId, useState } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { ConsoleCaseSelect } from '../components/ConsoleCaseSelect';
import { ConsoleSettingsForm } from '../components/ConsoleSettingsForm';
import { ConsoleWorkspace } from '../components/ConsoleWorkspace';
import { DeviceCaptures } from '../components/DeviceCaptures';
import { ErrorDetails } from '../components/ErrorDetails';
import { PageHeading } from '../components/PageHeading';
import { hrefFor } from '../router/routes';
import { deviceName } from '../stores/selectors';

export function ConsoleView({ deviceId }: { deviceId: string }) {
  const { devices: devicesStore, console: consoleStore } = useStores();
  const device = useStore(devicesStore, (s) => s.devices.find((d) => d.id === deviceId));
  const loaded = useStore(devicesStore, (s) => s.loaded);
  const view = useStore(consoleStore, (s) => (s.view?.deviceId === deviceId ? s.view : null));
  const openError = useStore(consoleStore, (s) => s.openError);
  const openCases = useStore(consoleStore, (s) => s.openCases);
  const opening = useStore(consoleStore, (s) => s.opening);
  const { showDevice, leave, open, configure, close, loadOpenCases } = consoleStore.getState();
  const caseFieldId = useId();
  const [caseId, setCaseId] = useState('');

  useEffect(() => {
    void showDevice(deviceId);
    void loadOpenCases();
    return () => leave();
  }, [deviceId, showDevice, leave, loadOpenCases]);

  const name = device ? deviceName(device) : deviceId;
  const session = view?.session ?? null;
  const live = session !== null && session.state !== 'closed';
  const busy = opening || (view?.busy !== null && view?.busy !== undefined);

  return (
    <>
      <p className="breadcrumb">
        <a href={hrefFor({ name: 'device', deviceId })}>{name}</a>
      </p>
      <PageHeading>Console: {name}</PageHeading>
      {!device && loaded && !live && (
        <p className="state-detail" data-testid="console-device-missing">
          This device is not connected now. Captures made earlier are listed below.
        </p>
      )}

      <section className="panel" aria-labelledby="console-settings-heading">
        <div className="panel-heading">
          <h2 id="console-settings-heading">Port settings</h2>
          {live && (
            <button type="button" className="button-danger" onClick={() => void close()} disabled={busy} data-testid="console-close">
              Close console
            </button>
          )}
        </div>
        {(device || live) && (
          <>
            {!live && (
              <ConsoleCaseSelect id={caseFieldId} label="Marks and captures go to" cases={openCases} value={caseId} onChange={setCaseId} noneText="No case yet (choose one when marking)" testId="console-open-case" />
            )}
            <ConsoleSettingsForm
              key={live ? `${session.captureId}:${JSON.stringify(session.settings)}:${session.lineEnding}` : 'new'}
              settings={live ? session.settings : null}
              lineEnding={live ? session.lineEnding : 'crlf'}
              live={live}
              busy={busy}
              serial={(session?.source ?? 'serial') === 'serial' && device?.transport !== 'ble'}
              onSubmit={(settings, lineEnding) => void (live ? configure(settings, lineEnding) : open(deviceId, settings, lineEnding, caseId || undefined))}
            />
          </>
        )}
        {openError && (
          <div className="inline-error" role="alert" data-testid="console-open-error">
            <h3>The console could not be opened</h3>
            <ErrorDetails error={openError} />
          </div>
        )}
      </section>

      {view && <ConsoleWorkspace title={`Log of ${name}`} />}

      <DeviceCaptures serialNumber={device?.identity?.serialNumber ?? session?.serialNumber ?? null} refreshKey={view ? `${view.captureId}:${session?.state ?? ''}` : null} />
    </>
  );
}
