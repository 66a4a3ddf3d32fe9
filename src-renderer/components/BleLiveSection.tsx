// "Follow live" on a BLE device's page: the toggle, the follow's state or problem as the core
// words it, the values as they are notified and, where the profile gives the device a UART
// log, the log. Leaving the page stops the follow this page started.
import { useEffect, useId } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { followView } from '../stores/ble-selectors';
import { NO_LIVE } from '../stores/ble-live-store';
import { Badge } from './Badge';
import { BleLiveReadings } from './BleLiveReadings';
import { ErrorDetails } from './ErrorDetails';
import { LiveLogView } from './LiveLogView';

export function BleLiveSection({ deviceId, canFollow }: { deviceId: string; canFollow: boolean }) {
  const { bleLive } = useStores();
  const live = useStore(bleLive, (s) => s.byDevice[deviceId] ?? NO_LIVE);
  const follow = useStore(bleLive, (s) => s.follow);
  const unfollow = useStore(bleLive, (s) => s.unfollow);
  const clearLog = useStore(bleLive, (s) => s.clearLog);
  const headingId = useId();
  const view = followView(live.follow, live.pending);

  useEffect(
    () => () => {
      const current = bleLive.getState().byDevice[deviceId];
      if (current?.wanted || current?.active) void bleLive.getState().unfollow(deviceId);
    },
    [bleLive, deviceId],
  );

  const following = live.follow?.following ?? false;
  const showLog = (following && live.follow?.log === true) || live.log.captured > 0;

  return (
    <>
      <section className="panel" aria-labelledby={headingId} data-testid="ble-live">
        <div className="panel-heading">
          <h2 id={headingId}>Live</h2>
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              checked={live.wanted}
              disabled={!canFollow && !live.wanted}
              onChange={(event) => void (event.target.checked ? follow(deviceId) : unfollow(deviceId))}
              data-testid="ble-follow-toggle"
            />
            <span>Follow live</span>
          </label>
        </div>
        <p className="follow-state" role="status" data-testid="ble-follow-state" data-following={following} data-tone={view.tone}>
          <Badge tone={view.tone}>{view.text}</Badge>
        </p>
        {live.error && (
          <div className="inline-error" role="alert" data-testid="ble-follow-error">
            <h3>{live.active ? 'Following could not stop' : 'Following did not start'}</h3>
            <ErrorDetails error={live.error} />
          </div>
        )}
        {live.readings.length > 0 ? (
          <BleLiveReadings readings={live.readings} lastValueAt={live.lastValueAt} />
        ) : (
          <p className="muted">
            {following
              ? 'Waiting for the first value…'
              : 'Follow live keeps the link open and shows the battery level and the values the profile marks as notifying as they change.'}
          </p>
        )}
      </section>
      {showLog && (
        <LiveLogView
          title="Device log (Nordic UART)"
          buffer={live.log}
          onClear={() => clearLog(deviceId)}
          emptyText={following ? 'Waiting for the first line…' : 'No lines.'}
          testId="ble-live-log"
        />
      )}
    </>
  );
}
