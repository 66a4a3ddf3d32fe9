// The device list: what is plugged in (serial and USB) or heard (Bluetooth LE), what it is,
// and what state it is in; the two ways to get a device when discovery finds none (a virtual
// one, or a port by hand); and the Bluetooth LE scan.
import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { AddPortForm } from '../components/AddPortForm';
import { AttachVirtualForm } from '../components/AttachVirtualForm';
import { BleScanPanel } from '../components/BleScanPanel';
import { DeviceStateBadge } from '../components/DeviceStateBadge';
import { PageHeading } from '../components/PageHeading';
import { SignalStrength } from '../components/SignalStrength';
import { hrefFor } from '../router/routes';
import { degradedDiscovery, deviceName, discoveryMethodText, transportLabel } from '../stores/selectors';
import { usbIds } from '../stores/usb-selectors';

export function DevicesView() {
  const { devices: store } = useStores();
  const devices = useStore(store, (s) => s.devices);
  const loaded = useStore(store, (s) => s.loaded);
  const discovery = useStore(store, (s) => s.discovery);
  const profileProblems = useStore(store, (s) => s.profileProblems);
  const attaching = useStore(store, (s) => s.attaching);
  const addingPort = useStore(store, (s) => s.addingPort);
  const attachVirtual = useStore(store, (s) => s.attachVirtual);
  const addPort = useStore(store, (s) => s.addPort);
  const [addPortOpen, setAddPortOpen] = useState(false);
  const [attachOpen, setAttachOpen] = useState(false);
  const degraded = useMemo(() => degradedDiscovery(discovery), [discovery]);

  return (
    <>
      <PageHeading
        aside={
          <div className="toolbar">
            <button
              type="button"
              className="button-primary"
              onClick={() => setAttachOpen(true)}
              aria-expanded={attachOpen}
              disabled={attachOpen}
              data-testid="attach-virtual"
            >
              Attach virtual device…
            </button>
            <button type="button" onClick={() => setAddPortOpen(true)} aria-expanded={addPortOpen} disabled={addPortOpen}>
              Add port…
            </button>
          </div>
        }
      >
        Devices
      </PageHeading>

      {attachOpen && (
        <AttachVirtualForm
          busy={attaching}
          onAttach={async (model, startIn, transport) => (await attachVirtual(model, startIn, transport)) !== null}
          onClose={() => setAttachOpen(false)}
        />
      )}

      {addPortOpen && (
        <AddPortForm busy={addingPort} onAdd={async (path) => (await addPort(path)) !== null} onClose={() => setAddPortOpen(false)} />
      )}

      {degraded.length > 0 && (
        <ul className="discovery-notes" aria-label="Device discovery" data-testid="discovery-notes">
          {degraded.map((d) => (
            <li key={d.transport}>
              <strong>{transportLabel[d.transport]}</strong> {discoveryMethodText(d)}
              {d.note ? `: ${d.note}` : ''}
            </li>
          ))}
        </ul>
      )}

      {profileProblems.length > 0 && (
        <details className="profile-problems">
          <summary>
            {profileProblems.length} device {profileProblems.length === 1 ? 'profile has' : 'profiles have'} problems and{' '}
            {profileProblems.length === 1 ? 'was' : 'were'} not loaded
          </summary>
          <ul>
            {profileProblems.map((p) => (
              <li key={`${p.file}${p.field}`}>
                <code>{p.file}</code>
                {p.field ? ` at ${p.field}` : ''}: {p.message}
              </li>
            ))}
          </ul>
        </details>
      )}

      {!loaded ? (
        <p className="muted" role="status">
          Looking for devices…
        </p>
      ) : devices.length === 0 ? (
        <section className="empty-state" data-testid="devices-empty">
          <h2>No devices connected</h2>
          <p>
            Plug a device in over USB or serial; it appears here by itself within a second or two. A Bluetooth LE device appears once a
            scan (below) hears it.
          </p>
          <p>
            No hardware at hand? Choose <strong>Attach virtual device</strong> for a simulated board that behaves like a real one (a
            sensor node over serial or Bluetooth LE, or an STM32 or DFU 1.1 board on USB), to explore every screen or to practise.
          </p>
          <p>
            Using a port discovery cannot see (a socat link, <code>fieldbench sim</code>)? Choose <strong>Add port…</strong>.
          </p>
        </section>
      ) : (
        <div className="table-scroll">
          <table className="data-table devices-table" data-testid="devices-table">
            <caption className="visually-hidden">Connected devices</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Model</th>
                <th scope="col">Serial number</th>
                <th scope="col">Firmware</th>
                <th scope="col">Transport</th>
                <th scope="col">Port</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {devices.map((device) => (
                <tr key={device.id} data-testid="device-row" data-device-id={device.id}>
                  <th scope="row">
                    <a href={hrefFor({ name: 'device', deviceId: device.id })} data-testid="device-link">
                      {deviceName(device)}
                    </a>
                    {device.virtual && <span className="tag">virtual</span>}
                  </th>
                  <td data-testid="device-model">
                    {device.identity?.model ?? '—'}
                    {device.profileName && <span className="subtle-line">{device.profileName}</span>}
                  </td>
                  <td data-testid="device-serial">{device.identity?.serialNumber ?? device.usb?.serialNumber ?? '—'}</td>
                  <td>{device.identity?.firmwareVersion ?? '—'}</td>
                  <td data-testid="device-transport">
                    {transportLabel[device.transport]}
                    {device.usb && (
                      <span className="subtle-line">
                        <code>{usbIds(device.usb)}</code>
                        {device.usb.dfu && ` · ${device.usb.dfu.mode === 'dfu' ? 'DFU mode' : 'DFU runtime'}`}
                      </span>
                    )}
                    {device.ble && (
                      <span className="subtle-line" data-testid="device-ble-link">
                        <SignalStrength rssi={device.ble.rssi} /> · {device.ble.connected ? 'connected' : 'not connected'}
                      </span>
                    )}
                  </td>
                  <td>
                    <code>{device.path}</code>
                  </td>
                  <td>
                    <DeviceStateBadge state={device.state} />
                    {device.stateDetail && <span className="subtle-line">{device.stateDetail}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <BleScanPanel devices={devices} />
    </>
  );
}
