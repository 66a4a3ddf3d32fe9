// A USB device's page sections: who it is on the bus (ids, strings, location), what its DFU
// interface can do, every alt setting with its memory layout, and switching an application
// into its bootloader ("Enter DFU mode").
import { useId } from 'react';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { DfuAltSetting, UsbDfuInfo, UsbInfo } from '../../src-main/api/schemas';
import { altLabel, dfuCapabilityRows, dfuModeText, dfuVersionText, layoutRows, usbIds } from '../stores/usb-selectors';
import { ErrorDetails } from './ErrorDetails';

export function UsbIdentityList({ usb, profileName }: { usb: UsbInfo; profileName: string | null }) {
  const rows: [string, string, string?][] = [
    ['VID:PID', usbIds(usb), 'usb-ids'],
    ['Manufacturer', usb.manufacturer ?? '—'],
    ['Product', usb.product ?? '—', 'usb-product'],
    ['Serial number', usb.serialNumber ?? 'None reported', 'usb-serial'],
    ['Location', usb.location ?? 'Not on a host port (virtual)'],
    ['Profile', profileName ?? 'No matching profile (a generic USB DFU device)'],
  ];
  return (
    <dl className="identity" data-testid="usb-identity">
      {rows.map(([label, value, testId]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd data-testid={testId}>{label === 'VID:PID' ? <code>{value}</code> : value}</dd>
        </div>
      ))}
    </dl>
  );
}

interface DfuDetailsProps {
  dfu: UsbDfuInfo;
  entering: boolean;
  enterError: ApiErrorShape | null;
  disabled: boolean;
  onEnterDfu(): void;
}

export function DfuDetails({ dfu, entering, enterError, disabled, onEnterDfu }: DfuDetailsProps) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId} aria-busy={entering} data-testid="dfu-details" data-mode={dfu.mode}>
      <div className="panel-heading">
        <h2 id={headingId}>USB DFU</h2>
        {dfu.mode === 'runtime' && (
          <button type="button" className="button-primary" onClick={onEnterDfu} disabled={entering || disabled} data-testid="enter-dfu">
            {entering ? 'Entering DFU mode…' : 'Enter DFU mode'}
          </button>
        )}
      </div>
      {entering && (
        <div className="progress" role="status" data-testid="enter-dfu-progress">
          <progress aria-label="Entering DFU mode" />
          <span>Asking the application to detach, then waiting for its bootloader to appear on the bus…</span>
        </div>
      )}
      {enterError && (
        <div className="inline-error" role="alert" data-testid="enter-dfu-error">
          <h3>The device did not enter DFU mode</h3>
          <ErrorDetails error={enterError} />
        </div>
      )}
      <dl className="identity">
        <div>
          <dt>Mode</dt>
          <dd data-testid="dfu-mode">{dfuModeText[dfu.mode]}</dd>
        </div>
        <div>
          <dt>Protocol</dt>
          <dd data-testid="dfu-version">{dfuVersionText(dfu)}</dd>
        </div>
        {dfuCapabilityRows(dfu.functional).map((row) => (
          <div key={row.label}>
            <dt>{row.label}</dt>
            <dd>{row.value}</dd>
          </div>
        ))}
      </dl>
      <DfuAltSettings alts={dfu.alts} mode={dfu.mode} />
    </section>
  );
}

function DfuAltSettings({ alts, mode }: { alts: readonly DfuAltSetting[]; mode: UsbDfuInfo['mode'] }) {
  if (alts.length === 0) return <p className="muted">The DFU interface lists no alternate settings.</p>;
  return (
    <div data-testid="dfu-alts">
      <h3>Alternate settings</h3>
      {mode === 'runtime' && (
        <p className="muted">These belong to the application’s runtime interface; the bootloader lists its own memories once the device is in DFU mode.</p>
      )}
      {alts.map((alt) => (
        <div key={`${alt.interfaceNumber}-${alt.alternateSetting}`} className="dfu-alt" data-testid="dfu-alt" data-alt={alt.alternateSetting}>
          <h4>
            {altLabel(alt)} <span className="subtle-line">interface {alt.interfaceNumber}</span>
          </h4>
          {alt.layout ? (
            <div className="table-scroll">
              <table className="data-table" data-testid="dfu-layout">
                <caption className="visually-hidden">Memory layout of {altLabel(alt)}</caption>
                <thead>
                  <tr>
                    <th scope="col">Address</th>
                    <th scope="col">Size</th>
                    <th scope="col">Pages</th>
                    <th scope="col">Access</th>
                  </tr>
                </thead>
                <tbody>
                  {layoutRows(alt.layout).map((row) => (
                    <tr key={row.key} data-testid="dfu-region">
                      <td>
                        <code>{row.address}</code>
                      </td>
                      <td>{row.size}</td>
                      <td>{row.pages}</td>
                      <td>{row.access}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            mode === 'dfu' && (
              <p className="muted">{alt.name ? `“${alt.name}”: no memory layout in the name (plain DFU writes from the start).` : 'No name and no memory layout.'}</p>
            )
          )}
        </div>
      ))}
    </div>
  );
}
