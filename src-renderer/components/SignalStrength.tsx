// RSSI as a bench reads it: the dBm number and four bars that fill with the signal. The
// number carries the meaning; the bars make a moving signal easy to follow from a step away.
import { dbm, rssiBars, rssiText, SIGNAL_BARS, signalWord } from '../stores/ble-selectors';

export function SignalStrength({ rssi, testId }: { rssi: number | null; testId?: string }) {
  const bars = rssiBars(rssi);
  return (
    <span className="signal" title={rssiText(rssi)} data-testid={testId} data-bars={bars ?? 'none'}>
      <span className="signal-bars" aria-hidden="true">
        {Array.from({ length: SIGNAL_BARS }, (_, index) => (
          <span key={index} className={bars !== null && index < bars ? 'signal-bar is-lit' : 'signal-bar'} />
        ))}
      </span>
      <span className="signal-value">{rssi === null ? '—' : dbm(rssi)}</span>
      <span className="visually-hidden">{bars === null ? 'signal not heard lately' : `, ${signalWord(rssi)} signal`}</span>
    </span>
  );
}
