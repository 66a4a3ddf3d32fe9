// The connection state for React, with a clock tick while a reconnect countdown shows.
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ConnectionState } from '../api/connection-state';
import { useRenderer } from './renderer-context';

export function useConnection(): ConnectionState {
  const { connection } = useRenderer();
  return useSyncExternalStore(connection.subscribe, connection.get);
}

/** Now, re-read every second while `ticking`, so a countdown stays true. */
export function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    // The first tick right away, so a countdown that starts now does not show a stale time.
    const first = setTimeout(() => setNow(Date.now()), 0);
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [ticking]);
  return now;
}
