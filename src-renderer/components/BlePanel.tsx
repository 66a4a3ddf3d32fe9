// A BLE device on its page: who it is on the air (address and its type), how strong it is
// heard, whether a link is open and with which ATT MTU, and the services it offers (those
// advertised, or every one found once connected).
import { useId } from 'react';
import type { BleInfo } from '../../src-main/api/schemas';
import { addressTypeLabel, bleConnectionText } from '../stores/ble-selectors';
import { BleServiceList } from './BleServiceList';
import { SignalStrength } from './SignalStrength';

export function BlePanel({ ble }: { ble: BleInfo }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId} data-testid="ble-panel">
      <h2 id={headingId}>Bluetooth LE</h2>
      <dl className="identity">
        <div>
          <dt>Address</dt>
          <dd>
            <code data-testid="ble-address">{ble.address}</code> <span className="muted">({addressTypeLabel[ble.addressType]})</span>
          </dd>
        </div>
        <div>
          <dt>Advertised name</dt>
          <dd>{ble.name ?? <span className="muted">(no name)</span>}</dd>
        </div>
        <div>
          <dt>Signal</dt>
          <dd data-testid="ble-rssi">
            <SignalStrength rssi={ble.rssi} />
          </dd>
        </div>
        <div>
          <dt>Link</dt>
          <dd data-testid="ble-connection" data-connected={ble.connected}>
            {bleConnectionText(ble)}
          </dd>
        </div>
        <div>
          <dt>{ble.connected ? 'Services found' : 'Services advertised'}</dt>
          <dd>
            <BleServiceList uuids={ble.serviceUuids} testId="ble-services" />
          </dd>
        </div>
      </dl>
    </section>
  );
}
