// A BLE central for unit tests: its devices advertise as given, serve the given services, and
// every connection can be dropped, notified on and inspected (subscriptions, writes) by the
// test. For the code above the central (the registry, its shared connection, follows and
// consoles) without BlueZ.
import type { BleAdvert, DiscoveryStatus } from '../../src-main/api/schemas';
import type { BleCentral, BleConnection, BleScanOptions, BleServiceInfo } from '../../src-main/transports/ble/ble-central';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ScriptedLink {
  connection: BleConnection;
  drop(reason: string): void;
  notify(characteristic: string, value: Uint8Array): void;
  /** Characteristics with notifications on. */
  subscribed: Set<string>;
  /** Every write on this link, in order. */
  writes: ScriptedWrite[];
}

export interface ScriptedWrite {
  characteristic: string;
  bytes: Uint8Array;
  withoutResponse: boolean;
}

export interface ScriptedCentralOptions {
  /** What reads answer, by characteristic. */
  values?: ReadonlyMap<string, Uint8Array>;
  /** The ATT MTU of each connection (23 by default). */
  mtu?: number;
}

/** A central whose one device serves `services`, with connections a test can drop and notifications it sends. */
export class ScriptedCentral implements BleCentral {
  connects: number[] = [];
  /** The next this many connection attempts fail. */
  failConnects = 0;
  links: ScriptedLink[] = [];
  constructor(
    private readonly adverts: BleAdvert[],
    private readonly services: BleServiceInfo[],
    private readonly options: ScriptedCentralOptions = {},
  ) {}

  get open(): number {
    return this.links.filter((link) => link.connection.connected).length;
  }

  get current(): ScriptedLink {
    const link = this.links.at(-1);
    if (!link?.connection.connected) throw new Error('no open connection');
    return link;
  }

  async status(): Promise<DiscoveryStatus> {
    return { transport: 'ble', method: 'BlueZ over D-Bus (hci0)', available: true, note: null };
  }

  async scan(options: BleScanOptions): Promise<void> {
    while (!options.signal.aborted) {
      for (const advert of this.adverts) options.onAdvert(advert);
      await sleep(5);
    }
  }

  async connect(address: string): Promise<BleConnection> {
    this.connects.push(Date.now());
    await sleep(2);
    if (this.failConnects > 0) {
      this.failConnects -= 1;
      throw new Error('le-connection-abort-by-local');
    }
    let connected = true;
    const listeners = new Set<(reason: string) => void>();
    const handlers = new Map<string, Set<(value: Uint8Array) => void>>();
    const subscribed = new Set<string>();
    const writes: ScriptedWrite[] = [];
    const services = this.services;
    const values = this.options.values ?? new Map<string, Uint8Array>();
    const connection: BleConnection = {
      address,
      label: `SensorNode-0001 (${address})`,
      mtu: this.options.mtu ?? 23,
      get connected() {
        return connected;
      },
      services: async () => services,
      read: async (_service, characteristic) => {
        const value = values.get(characteristic);
        if (!value) throw new Error(`${characteristic} cannot be read`);
        // As BlueZ does: a read updates Value, which subscribers hear as a change.
        for (const handler of [...(handlers.get(characteristic) ?? [])]) handler(value);
        return value;
      },
      write: async (_service, characteristic, bytes, options) => {
        if (!connected) throw new Error('not connected');
        writes.push({ characteristic, bytes: bytes.slice(), withoutResponse: options.withoutResponse });
      },
      subscribe: async (_service, characteristic, onValue) => {
        if (!connected) throw new Error('not connected');
        let set = handlers.get(characteristic);
        if (!set) handlers.set(characteristic, (set = new Set()));
        set.add(onValue);
        subscribed.add(characteristic);
        return async () => {
          set.delete(onValue);
          if (set.size === 0) subscribed.delete(characteristic);
        };
      },
      onDisconnect: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      disconnect: async () => link.drop('the connection was closed'),
    };
    const link: ScriptedLink = {
      connection,
      subscribed,
      writes,
      drop: (reason) => {
        if (!connected) return;
        connected = false;
        for (const listener of [...listeners]) listener(reason);
        listeners.clear();
      },
      notify: (characteristic, value) => {
        if (connected) for (const handler of [...(handlers.get(characteristic) ?? [])]) handler(value);
      },
    };
    this.links.push(link);
    return connection;
  }

  async close(): Promise<void> {}
}
