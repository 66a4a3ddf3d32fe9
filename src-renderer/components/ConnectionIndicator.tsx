// The header's word on the link to the core: connected, or down and retrying.
import { useConnection, useNow } from '../app/use-connection';
import { useRenderer } from '../app/renderer-context';
import { connectionText } from '../stores/selectors';
import { Badge, type BadgeTone } from './Badge';

export function ConnectionIndicator() {
  const state = useConnection();
  const { reconnectNow } = useRenderer();
  const now = useNow(state.status === 'reconnecting');
  const tones: Record<typeof state.status, BadgeTone> = { open: 'ok', connecting: 'busy', reconnecting: 'warn', closed: 'fail' };
  const tone = tones[state.status];
  const waiting = state.status === 'reconnecting' && state.retryAt !== null && state.retryAt > now;
  return (
    <div className="connection" role="status" data-testid="connection-state" data-status={state.status} title={state.reason ?? undefined}>
      <span className="connection-door">{state.door === 'electron' ? 'Desktop' : 'Browser'}</span>
      <Badge tone={tone}>{connectionText(state, now)}</Badge>
      {waiting && reconnectNow && (
        <button type="button" className="button-quiet" onClick={reconnectNow}>
          Reconnect now
        </button>
      )}
    </div>
  );
}
