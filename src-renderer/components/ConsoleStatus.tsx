// Where the console stands: open, reconnecting (and why) or closed; lines and bytes captured;
// a paused view and what arrived since.
import type { ConsoleSession } from '../../src-main/api/console-schemas';
import { linesText } from '../live-log/log-view-state';
import { Badge, type BadgeTone } from './Badge';

const TONE: Record<ConsoleSession['state'], BadgeTone> = { open: 'ok', reconnecting: 'warn', closed: 'neutral' };

function bytesText(bytes: number): string {
  if (bytes < 10_000) return `${bytes.toLocaleString('en-US')} bytes`;
  if (bytes < 10_000_000) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

interface ConsoleStatusProps {
  session: ConsoleSession | null;
  captured: number;
  bytes: number;
  pausedAt: number | null;
}

export function ConsoleStatus({ session, captured, bytes, pausedAt }: ConsoleStatusProps) {
  const state = session?.state ?? 'closed';
  return (
    <div className="console-status" data-testid="console-status" data-state={state}>
      <Badge tone={TONE[state]} testId="console-state">
        {state}
      </Badge>
      {session?.stateDetail && (
        <span className="console-state-detail" data-testid="console-state-detail">
          {session.stateDetail}
        </span>
      )}
      <span className="console-counts" data-testid="console-counts" data-lines={captured}>
        {linesText(captured)} captured{session ? ` · ${bytesText(bytes)}` : ''}
      </span>
      {pausedAt !== null && (
        <strong className="log-paused" data-testid="console-paused">
          View paused: {linesText(Math.max(0, captured - pausedAt))} captured since
        </strong>
      )}
    </div>
  );
}
