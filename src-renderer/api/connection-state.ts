// What the header shows about the link to the core. The Electron bridge is always
// 'open'; the WebSocket door moves through the other states as the socket drops and
// comes back.
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Which door the renderer came through. */
  door: 'electron' | 'browser';
  /** Reconnect attempts since the socket last dropped (0 while open). */
  attempt: number;
  /** When the next reconnect attempt starts (epoch ms), while 'reconnecting'. */
  retryAt: number | null;
  /** Why the link is down, in words, when it is. */
  reason: string | null;
}

export interface ConnectionSource {
  get(): ConnectionState;
  subscribe(listener: (state: ConnectionState) => void): () => void;
}

/** A tiny observable value; no framework, so it works in unit tests under plain Node. */
export function createConnectionSource(initial: ConnectionState): ConnectionSource & { set(next: ConnectionState): void } {
  let state = initial;
  const listeners = new Set<(state: ConnectionState) => void>();
  return {
    get: () => state,
    set(next) {
      state = next;
      for (const listener of [...listeners]) listener(state);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
