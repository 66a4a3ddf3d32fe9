// The values a followed BLE device notifies, each with the time it was read and its status
// against the profile's limits; the newest replaces the one before.
import type { Reading } from '../../src-main/api/schemas';
import { ReadingsTable } from './DiagnosticsTable';
import { TimeText } from './TimeText';

export function BleLiveReadings({ readings, lastValueAt }: { readings: readonly Reading[]; lastValueAt: string | null }) {
  return (
    <ReadingsTable
      readings={readings}
      testId="ble-live-readings"
      rowTestIdPrefix="live"
      caption={
        <>
          Live values
          {lastValueAt && (
            <span className="caption-aside" data-testid="ble-live-last">
              {' '}
              · last value <TimeText iso={lastValueAt} />
            </span>
          )}
        </>
      }
    />
  );
}
