// GATT services by name where Fieldbench knows them, with the short UUID beside; the full
// UUID in the tooltip, for a service an engineer wants to look up.
import { bleServiceLabel } from '../stores/ble-selectors';

export function BleServiceList({ uuids, testId }: { uuids: readonly string[]; testId?: string }) {
  if (uuids.length === 0) return <span className="muted">None</span>;
  return (
    <ul className="service-list" data-testid={testId}>
      {uuids.map((uuid) => {
        const label = bleServiceLabel(uuid);
        return (
          <li key={label.uuid} title={label.uuid} data-uuid={label.uuid}>
            {label.name ? (
              <>
                {label.name} <code className="subtle-code">{label.short}</code>
              </>
            ) : (
              <code>{label.short}</code>
            )}
          </li>
        );
      })}
    </ul>
  );
}
