// The Bluetooth LE scan on the Devices page: how long and whether to list devices no profile
// recognises, Start and Stop, the scan's state counting down, and what it heard, strongest
// first, each linking to its page once it is in the device list.
import { useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { BleScanAdvert, Device } from '../../src-main/api/schemas';
import { useNow } from '../app/use-connection';
import { useStores } from '../app/renderer-context';
import { hrefFor } from '../router/routes';
import { advertName, bleDeviceId, DEFAULT_SCAN_SECONDS, manufacturerDataText, parseScanSeconds, scanStatus, txPowerText } from '../stores/ble-selectors';
import { BleServiceList } from './BleServiceList';
import { ErrorDetails } from './ErrorDetails';
import { SignalStrength } from './SignalStrength';

export function BleScanPanel({ devices }: { devices: readonly Device[] }) {
  const { bleScan } = useStores();
  const state = useStore(bleScan, (s) => s.state);
  const adverts = useStore(bleScan, (s) => s.adverts);
  const ranOnce = useStore(bleScan, (s) => s.ranOnce);
  const requesting = useStore(bleScan, (s) => s.requesting);
  const error = useStore(bleScan, (s) => s.error);
  const startScan = useStore(bleScan, (s) => s.startScan);
  const stopScan = useStore(bleScan, (s) => s.stopScan);
  const [secondsText, setSecondsText] = useState(String(DEFAULT_SCAN_SECONDS));
  const [showAll, setShowAll] = useState(false);
  const scanning = state?.scanning ?? false;
  const now = useNow(scanning);
  const status = scanStatus(state, now, ranOnce);
  const seconds = parseScanSeconds(secondsText);
  const secondsId = useId();
  const secondsHintId = useId();
  const headingId = useId();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (seconds !== null) void startScan(seconds, showAll);
  }

  return (
    <section className="panel" aria-labelledby={headingId} data-testid="ble-scan">
      <h2 id={headingId}>Bluetooth LE</h2>
      <form className="inline-form" onSubmit={submit} aria-label="Scan for Bluetooth LE devices">
        <div className="field field-narrow">
          <label htmlFor={secondsId}>Scan for (seconds)</label>
          <input
            id={secondsId}
            type="number"
            inputMode="numeric"
            min={1}
            max={60}
            step={1}
            value={secondsText}
            onChange={(event) => setSecondsText(event.target.value)}
            aria-invalid={seconds === null}
            aria-describedby={secondsHintId}
            data-testid="ble-scan-seconds"
          />
          <span id={secondsHintId} className={seconds === null ? 'field-hint field-error' : 'field-hint'}>
            {seconds === null ? 'A whole number from 1 to 60.' : '1 to 60'}
          </span>
        </div>
        <label className="check-option check-inline">
          <input type="checkbox" checked={showAll} onChange={(event) => setShowAll(event.target.checked)} data-testid="ble-scan-show-all" />
          <span>
            <span className="check-label">Show all</span>
            <span className="field-hint">Also devices no profile recognises</span>
          </span>
        </label>
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={seconds === null || requesting} data-testid="ble-scan-start">
            {scanning ? 'Restart scan' : 'Scan for Bluetooth devices'}
          </button>
          <button type="button" onClick={() => void stopScan()} disabled={!scanning || requesting} data-testid="ble-scan-stop">
            Stop
          </button>
        </div>
      </form>

      <p className={`scan-status scan-${status.phase}`} role="status" data-testid="ble-scan-status" data-phase={status.phase}>
        {status.phase === 'scanning' && <span className="pulse" aria-hidden="true" />}
        {status.text}
        {state && (scanning || ranOnce) && <span className="muted">{state.showAll ? ' · every device heard' : ' · recognised devices only'}</span>}
      </p>

      {error && (
        <div className="inline-error" role="alert" data-testid="ble-scan-error">
          <h3>The scan did not start</h3>
          <ErrorDetails error={error} />
        </div>
      )}

      {adverts.length > 0 ? (
        <AdvertTable adverts={adverts} devices={devices} />
      ) : (
        ranOnce && !error && <p className="muted" data-testid="ble-scan-empty">{scanning ? 'Listening for adverts…' : 'No device heard.'}</p>
      )}
    </section>
  );
}

function AdvertTable({ adverts, devices }: { adverts: readonly BleScanAdvert[]; devices: readonly Device[] }) {
  return (
    <div className="table-scroll">
      <table className="data-table adverts-table" data-testid="ble-adverts">
        <caption className="visually-hidden">Bluetooth LE devices heard, strongest signal first</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Address</th>
            <th scope="col">Signal</th>
            <th scope="col">Services</th>
            <th scope="col">Manufacturer data</th>
            <th scope="col">TX power</th>
            <th scope="col">Profile</th>
          </tr>
        </thead>
        <tbody>
          {adverts.map((advert) => (
            <AdvertRow key={advert.address} advert={advert} device={devices.find((d) => d.id === bleDeviceId(advert.address))} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AdvertRow({ advert, device }: { advert: BleScanAdvert; device: Device | undefined }) {
  const name = advertName(advert);
  // Recognised devices (and, with Show all, the others) join the device list; until the list
  // has one, there is no page to open.
  const link = device !== undefined;
  return (
    <tr data-testid="ble-advert" data-address={advert.address} data-profile={advert.profileId ?? ''}>
      <th scope="row">
        {link ? (
          <a href={hrefFor({ name: 'device', deviceId: device.id })} data-testid="ble-advert-link">
            {name}
          </a>
        ) : (
          <span className={advert.name === null ? 'muted' : undefined}>{name}</span>
        )}
      </th>
      <td>
        <code>{advert.address}</code>
      </td>
      <td className="nowrap" data-testid="ble-advert-rssi">
        <SignalStrength rssi={advert.rssi} />
      </td>
      <td data-testid="ble-advert-services">
        <BleServiceList uuids={advert.serviceUuids} />
      </td>
      <td data-testid="ble-advert-manufacturer">
        {advert.manufacturerData.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          advert.manufacturerData.map((entry) => (
            <code key={entry.companyId} className="block-code">
              {manufacturerDataText(entry)}
            </code>
          ))
        )}
      </td>
      <td className="nowrap">{txPowerText(advert.txPower)}</td>
      <td data-testid="ble-advert-profile">{advert.profileId === null ? <span className="muted">not recognised</span> : (device?.profileName ?? advert.profileId)}</td>
    </tr>
  );
}
