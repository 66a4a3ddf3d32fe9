// The log captures on this computer of a device (by its serial number, so captures made under
// another port or before a restart are found too), newest first, each opened by its link.
import { useEffect, useId } from 'react';
import { useStore } from 'zustand';
import type { CaptureSummary } from '../../src-main/api/console-schemas';
import { useStores } from '../app/renderer-context';
import { linesText } from '../live-log/log-view-state';
import { hrefFor } from '../router/routes';
import { Badge } from './Badge';
import { TimeText } from './TimeText';

const NONE: CaptureSummary[] = [];

/** `refreshKey`: the list is read again whenever it changes (a console opened or closed). */
export function DeviceCaptures({ serialNumber, refreshKey = null }: { serialNumber: string | null; refreshKey?: string | null }) {
  const { console: consoleStore } = useStores();
  const captures = useStore(consoleStore, (s) => (serialNumber ? (s.captures[serialNumber] ?? NONE) : NONE));
  const loadCaptures = useStore(consoleStore, (s) => s.loadCaptures);
  const headingId = useId();

  useEffect(() => {
    if (serialNumber) void loadCaptures(serialNumber);
  }, [serialNumber, loadCaptures, refreshKey]);

  if (!serialNumber) return null;
  return (
    <section className="panel" aria-labelledby={headingId} data-testid="device-captures">
      <h2 id={headingId}>Log captures</h2>
      {captures.length === 0 ? (
        <p className="muted">No log captures of {serialNumber} on this computer.</p>
      ) : (
        <ul className="capture-list">
          {captures.map((capture) => (
            <li key={capture.captureId} data-testid="capture-item">
              <a href={hrefFor({ name: 'capture', captureId: capture.captureId })}>
                <TimeText iso={capture.startedAt} />
              </a>{' '}
              · {linesText(capture.lines)} · {capture.device}
              {capture.live && (
                <>
                  {' '}
                  <Badge tone="ok">live</Badge>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
