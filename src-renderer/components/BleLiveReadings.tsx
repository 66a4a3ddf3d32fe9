// The values a followed BLE device notifies, each with the time it arrived and its status
// against the profile's limits; the newest replaces the one before.
import type { Reading } from '../../src-main/api/schemas';
import { formatReadingValue, readingStatusLabel } from '../stores/selectors';
import { Badge } from './Badge';
import { TimeText } from './TimeText';

export function BleLiveReadings({ readings, lastValueAt }: { readings: readonly Reading[]; lastValueAt: string | null }) {
  return (
    <div className="table-scroll">
      <table className="data-table diagnostics-table" data-testid="ble-live-readings">
        <caption>
          Live values
          {lastValueAt && (
            <span className="caption-aside" data-testid="ble-live-last">
              {' '}
              · last value <TimeText iso={lastValueAt} />
            </span>
          )}
        </caption>
        <thead>
          <tr>
            <th scope="col">Reading</th>
            <th scope="col" className="numeric">
              Value
            </th>
            <th scope="col">Status</th>
            <th scope="col">Message</th>
            <th scope="col">Received</th>
          </tr>
        </thead>
        <tbody>
          {readings.map((reading) => (
            <tr key={reading.id} data-testid={`live-${reading.id}`} data-status={reading.status} className={`row-${reading.status}`}>
              <th scope="row">{reading.label}</th>
              <td className="numeric value-cell" data-testid="live-value">
                {formatReadingValue(reading)}
              </td>
              <td>
                {/* Every reading status is also a badge tone of the same name. */}
                <Badge tone={reading.status}>{readingStatusLabel[reading.status]}</Badge>
              </td>
              <td>{reading.message ?? reading.limits ?? ''}</td>
              <td className="nowrap">
                <TimeText iso={reading.readAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
