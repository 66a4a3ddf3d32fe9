// One device: who it is, its diagnostics with a Refresh, its SMP readings and firmware
// update, and opening a case for it. A USB DFU device shows its descriptors, alt settings and
// memory layouts instead of diagnostics, and can be switched into its bootloader. A BLE device
// shows its link and services, and can be followed live (values and its UART log).
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { BleLiveSection } from '../components/BleLiveSection';
import { BlePanel } from '../components/BlePanel';
import { DeviceCaptures } from '../components/DeviceCaptures';
import { DeviceHistory } from '../components/DeviceHistory';
import { DeviceStateBadge } from '../components/DeviceStateBadge';
import { DiagnosticsTable } from '../components/DiagnosticsTable';
import { ErrorDetails } from '../components/ErrorDetails';
import { FirmwarePanel } from '../components/FirmwarePanel';
import { IdentityList } from '../components/IdentityList';
import { KnowledgeSuggestions } from '../components/KnowledgeSuggestions';
import { OpenCaseForm } from '../components/OpenCaseForm';
import { PageHeading } from '../components/PageHeading';
import { ProcedureRunnerSection } from '../components/ProcedureRunnerSection';
import { SmpPanel } from '../components/SmpPanel';
import { DfuDetails, UsbIdentityList } from '../components/UsbDevicePanels';
import { hrefFor } from '../router/routes';
import { navigate } from '../router/use-route';
import { NO_DIAGNOSTICS } from '../stores/diagnostics-store';
import { currentJob } from '../stores/firmware-store';
import { deviceName } from '../stores/selectors';
import { NO_USB_DIAGNOSTICS } from '../stores/usb-selectors';

export function DeviceView({ deviceId }: { deviceId: string }) {
  const { devices: devicesStore, diagnostics: diagnosticsStore, cases: casesStore, firmware: firmwareStore } = useStores();
  const device = useStore(devicesStore, (s) => s.devices.find((d) => d.id === deviceId));
  const loaded = useStore(devicesStore, (s) => s.loaded);
  const busy = useStore(devicesStore, (s) => s.busyIds.includes(deviceId));
  const detach = useStore(devicesStore, (s) => s.detach);
  const identify = useStore(devicesStore, (s) => s.identify);
  const enterDfu = useStore(devicesStore, (s) => s.enterDfu);
  const enteringDfu = useStore(devicesStore, (s) => s.enteringDfu.includes(deviceId));
  const enterDfuError = useStore(devicesStore, (s) => s.enterDfuErrors[deviceId] ?? null);
  const diagnostics = useStore(diagnosticsStore, (s) => s.byDevice[deviceId] ?? NO_DIAGNOSTICS);
  const loadLast = useStore(diagnosticsStore, (s) => s.loadLast);
  const refresh = useStore(diagnosticsStore, (s) => s.refresh);
  const opening = useStore(casesStore, (s) => s.opening);
  const openCase = useStore(casesStore, (s) => s.openCase);
  const updating = useStore(firmwareStore, (s) => currentJob(s, deviceId)?.state === 'running');

  const present = device !== undefined;
  const usb = device?.transport === 'usb';
  useEffect(() => {
    if (present && !usb) void loadLast(deviceId);
  }, [deviceId, present, usb, loadLast]);

  if (!device) {
    return (
      <>
        <PageHeading>Device</PageHeading>
        <section className="empty-state" data-testid="device-missing">
          <h2>{loaded ? 'This device is not connected' : 'Looking for this device…'}</h2>
          {loaded && <p>It was unplugged, detached, or Fieldbench restarted since the link was made.</p>}
          <p>
            <a href={hrefFor({ name: 'devices' })}>Back to the device list</a>
          </p>
        </section>
      </>
    );
  }

  const canTalk = device.profileId !== null && device.state !== 'identifying';
  // A serial port always has a console; a BLE device has one when its profile logs over the UART service (the core says why not).
  const hasConsole = device.transport === 'serial' || (device.transport === 'ble' && device.profileId !== null);

  return (
    <>
      <p className="breadcrumb">
        <a href={hrefFor({ name: 'devices' })}>Devices</a>
      </p>
      <PageHeading aside={<DeviceStateBadge state={device.state} />}>{deviceName(device)}</PageHeading>
      {device.stateDetail && <p className="state-detail">{device.stateDetail}</p>}

      <section className="panel" aria-labelledby="identity-heading">
        <h2 id="identity-heading">Identity</h2>
        {device.usb ? (
          <UsbIdentityList usb={device.usb} profileName={device.profileName} />
        ) : (
          <IdentityList identity={device.identity} transport={device.transport} path={device.path} profileName={device.profileName} />
        )}
        <div className="toolbar">
          {hasConsole && (
            <a className="button" href={hrefFor({ name: 'console', deviceId: device.id })} data-testid="open-console">
              Open console
            </a>
          )}
          {/* A BLE device is recognised from its advert, so probing it again would tell nothing new. */}
          {!device.ble && (device.profileId === null || device.state === 'unresponsive' || device.state === 'unknown') && (
            <button type="button" onClick={() => void identify(device.id)} disabled={busy}>
              Identify
            </button>
          )}
          {device.virtual && (
            <button
              type="button"
              className="button-danger"
              disabled={busy}
              onClick={async () => {
                if (await detach(device.id)) navigate({ name: 'devices' });
              }}
            >
              Detach virtual device
            </button>
          )}
        </div>
      </section>

      {device.ble && <BlePanel ble={device.ble} />}

      {device.usb?.dfu && (
        <DfuDetails
          dfu={device.usb.dfu}
          entering={enteringDfu}
          enterError={enterDfuError}
          disabled={busy || updating || device.state === 'busy'}
          onEnterDfu={() => void enterDfu(device.id)}
        />
      )}

      {usb ? (
        <p className="muted" data-testid="no-diagnostics">
          {NO_USB_DIAGNOSTICS}
        </p>
      ) : (
        <section className="panel" aria-labelledby="diagnostics-heading" aria-busy={diagnostics.reading}>
          <div className="panel-heading">
            <h2 id="diagnostics-heading">Diagnostics</h2>
            <button
              type="button"
              className="button-primary"
              onClick={() => void refresh(device.id)}
              disabled={diagnostics.reading || !canTalk || updating}
              data-testid="refresh-diagnostics"
            >
              {diagnostics.reading ? 'Reading…' : 'Refresh'}
            </button>
          </div>
          {diagnostics.reading && (
            <div className="progress" role="status" data-testid="diagnostics-progress">
              <progress aria-label="Reading diagnostics" />
              <span>Reading diagnostics from the device…</span>
            </div>
          )}
          {diagnostics.error && (
            <div className="inline-error" role="alert" data-testid="diagnostics-error">
              <h3>Diagnostics could not be read</h3>
              <ErrorDetails error={diagnostics.error} />
            </div>
          )}
          {!canTalk && device.profileId === null && (
            <p className="muted">
              {device.ble
                ? 'No device profile recognises this device’s advert, so Fieldbench does not know which characteristics to read.'
                : 'No device profile recognises this device, so Fieldbench does not know how to read it. Try Identify.'}
            </p>
          )}
          {diagnostics.report ? (
            <DiagnosticsTable report={diagnostics.report} caption="Latest readings" />
          ) : (
            !diagnostics.reading && !diagnostics.error && canTalk && <p className="muted">No readings yet this session. Choose Refresh to read them from the device.</p>
          )}
        </section>
      )}

      {!usb && (
        <KnowledgeSuggestions
          target={{ deviceId: device.id }}
          refreshKey={diagnostics.report?.finishedAt ?? null}
          emptyText={diagnostics.report ? 'No article matches this device’s last readings.' : 'Read diagnostics to see the known issues that fit this device.'}
        />
      )}

      {device.ble && <BleLiveSection deviceId={device.id} canFollow={canTalk} />}

      {/* SMP and firmware updates only where the device's profile (or its DFU interface) offers them. */}
      {(device.firmware?.method === 'mcumgr-serial' || device.firmware?.method === 'mcumgr-ble') && <SmpPanel deviceId={device.id} updating={updating} />}
      {device.firmware !== null && <FirmwarePanel device={device} />}

      {!usb && <ProcedureRunnerSection deviceId={device.id} serial={device.identity?.serialNumber ?? null} canRun={canTalk} />}

      <section className="panel" aria-labelledby="case-heading">
        <h2 id="case-heading">Open a case</h2>
        <p className="muted">
          {usb
            ? 'The case keeps this device’s identity from its descriptors, with your notes and the firmware updates run on it.'
            : 'The case keeps this device’s identity and a snapshot of its diagnostics, with your notes.'}
        </p>
        <OpenCaseForm
          busy={opening}
          disabled={device.state === 'identifying'}
          onOpen={async (title) => {
            const opened = await openCase(title, device.id);
            if (opened) navigate({ name: 'case', caseId: opened.id });
          }}
        />
      </section>

      <DeviceHistory serial={device.identity?.serialNumber ?? null} />
      {hasConsole && <DeviceCaptures serialNumber={device.identity?.serialNumber ?? null} />}
    </>
  );
}
