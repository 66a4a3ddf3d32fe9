// One BLE device has one connection, whoever needs it: a diagnostics read, a firmware job,
// a live follow. BlueZ allows a single link per peer, and connecting is the slow part (a
// few connection intervals plus service discovery), so users share it. It is opened by the
// first user that asks, reopened on demand after a drop (one attempt at a time, whoever
// asks), and closed when the last holder lets go.
import type { BleConnection } from '../../transports/ble/ble-central';

export interface SharedConnectionHooks {
  /** Opens a new connection, within its own deadline. */
  connect(): Promise<BleConnection>;
  /** A connection is up (opened or reopened). */
  opened(connection: BleConnection): void;
  /** It went down: dropped by the device or the radio (`reason`), or closed by us (null). */
  closed(reason: string | null): void;
}

/** What a holder gets: the connection as it is now (reopened if it dropped), and a way to let go. */
export interface ConnectionHold {
  connection(): Promise<BleConnection>;
  release(): Promise<void>;
}

export class SharedConnection {
  private current: BleConnection | null = null;
  private opening: Promise<BleConnection> | null = null;
  private holders = 0;
  private stopWatching: (() => void) | null = null;

  constructor(private readonly hooks: SharedConnectionHooks) {}

  /** The open connection, if any: for showing state, never for work (hold it for that). */
  get now(): BleConnection | null {
    return this.current?.connected ? this.current : null;
  }

  get held(): boolean {
    return this.holders > 0;
  }

  hold(): ConnectionHold {
    this.holders += 1;
    let released = false;
    return {
      connection: () => this.connection(),
      release: async () => {
        if (released) return;
        released = true;
        this.holders -= 1;
        if (this.holders === 0) await this.close();
      },
    };
  }

  /** Drops the link whoever holds it (detach, shutdown); holders that ask again reconnect. */
  async close(): Promise<void> {
    const opening = this.opening;
    if (opening) await opening.catch(() => undefined);
    const connection = this.current;
    if (!connection) return;
    this.forget();
    await connection.disconnect().catch(() => undefined);
    this.hooks.closed(null);
  }

  private connection(): Promise<BleConnection> {
    if (this.current?.connected) return Promise.resolve(this.current);
    this.opening ??= this.open().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async open(): Promise<BleConnection> {
    const connection = await this.hooks.connect();
    if (this.holders === 0) {
      // Everyone let go while it was connecting.
      await connection.disconnect().catch(() => undefined);
      return connection;
    }
    this.current = connection;
    this.stopWatching = connection.onDisconnect((reason) => {
      if (this.current !== connection) return;
      this.forget();
      this.hooks.closed(reason);
    });
    this.hooks.opened(connection);
    return connection;
  }

  private forget(): void {
    this.stopWatching?.();
    this.stopWatching = null;
    this.current = null;
  }
}
