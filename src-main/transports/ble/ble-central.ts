// The BLE central: what everything above Bluetooth LE (SMP, diagnostics, the device list) is
// written against. node-ble over BlueZ is one backend (node-ble-central.ts); a Windows or
// macOS backend implements this same interface and nothing above it changes. UUIDs cross it
// in the canonical lower-case 128-bit form (ble-uuid.ts), addresses as BlueZ prints them
// (upper-case, colon-separated).
import { FieldbenchError } from '../../api/errors';
import type { BleAdvert, DiscoveryStatus } from '../../api/schemas';

/** One device heard: the contract's shape, so a scan's adverts go to the UI and CLI as they are. */
export type { BleAdvert } from '../../api/schemas';

/** Which adverts a scan reports: a device matching any one entry passes; no filter passes all. */
export interface BleScanFilter {
  serviceUuids?: string[];
  namePrefixes?: string[];
  companyIds?: number[];
}

export interface BleScanOptions {
  /** Called for every device heard, again whenever its RSSI or advert changes. */
  onAdvert(advert: BleAdvert): void;
  /** The scan runs until this aborts; abort with AbortSignal.timeout(ms) for a timed scan. */
  signal: AbortSignal;
  filter?: BleScanFilter;
}

export interface BleConnectOptions {
  /** The connection, with its services resolved, within this many milliseconds or a 'timeout'. */
  deadlineMs: number;
  signal?: AbortSignal;
}

export interface BleCharacteristicInfo {
  uuid: string;
  /** BlueZ's flags: read, write, write-without-response, notify, indicate, ... */
  flags: string[];
}

export interface BleServiceInfo {
  uuid: string;
  characteristics: BleCharacteristicInfo[];
}

export interface BleWriteOptions {
  /** Write command (no answer from the device) instead of write request. */
  withoutResponse: boolean;
}

export interface BleConnection {
  readonly address: string;
  /** Names the device in every message: "Sensor Node (C0:FF:EE:00:00:01)". */
  readonly label: string;
  /** The ATT MTU of this connection (23 until an exchange raised it). */
  readonly mtu: number;
  readonly connected: boolean;
  services(): Promise<BleServiceInfo[]>;
  read(service: string, characteristic: string): Promise<Uint8Array>;
  write(service: string, characteristic: string, bytes: Uint8Array, options: BleWriteOptions): Promise<void>;
  /** Notifications (or indications) of one characteristic; resolves once the device has them on. */
  subscribe(service: string, characteristic: string, onValue: (value: Uint8Array) => void): Promise<() => Promise<void>>;
  /** Called once when the connection drops, whoever dropped it; `reason` is a sentence. */
  onDisconnect(listener: (reason: string) => void): () => void;
  disconnect(): Promise<void>;
}

export interface BleCentral {
  /** Whether BLE works here, and if not, one line on what to do. Asks the system afresh. */
  status(): Promise<DiscoveryStatus>;
  /** Resolves when the scan has stopped (the signal aborted); rejects if it cannot start or dies. */
  scan(options: BleScanOptions): Promise<void>;
  connect(address: string, options: BleConnectOptions): Promise<BleConnection>;
  /** Releases the backend's resources (the D-Bus connection); scans and connections end. */
  close(): Promise<void>;
}

/** "Sensor Node (C0:FF:EE:00:00:01)", or the address alone when the device has no name. */
export function bleDeviceLabel(address: string, name: string | null | undefined): string {
  return name ? `${name} (${address})` : address;
}

/** True when an advert passes a scan filter. */
export function advertMatches(advert: BleAdvert, filter: BleScanFilter | undefined): boolean {
  if (!filter) return true;
  const { serviceUuids = [], namePrefixes = [], companyIds = [] } = filter;
  if (serviceUuids.length === 0 && namePrefixes.length === 0 && companyIds.length === 0) return true;
  return (
    serviceUuids.some((uuid) => advert.serviceUuids.includes(uuid)) ||
    namePrefixes.some((prefix) => advert.name !== null && advert.name.startsWith(prefix)) ||
    companyIds.some((id) => advert.manufacturerData.some((entry) => entry.companyId === id))
  );
}

/**
 * Races `work` against a deadline and an optional abort signal: whichever comes first
 * settles the result. `work` keeps running after a time-out (a D-Bus call cannot be
 * withdrawn); `onGiveUp` lets the caller undo what it may still do.
 */
export function withDeadline<T>(
  work: Promise<T>,
  options: { ms: number; signal?: AbortSignal; device: string; step: string; hint: string; onGiveUp?: () => void },
): Promise<T> {
  const { ms, signal, device, step, hint, onGiveUp } = options;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (action: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const giveUp = (error: FieldbenchError): void =>
      finish(() => {
        onGiveUp?.();
        reject(error);
      });
    const timer = setTimeout(() => giveUp(new FieldbenchError({ code: 'timeout', message: `no answer within ${ms} ms`, device, step, hint })), ms);
    const onAbort = (): void =>
      giveUp(new FieldbenchError({ code: 'unavailable', message: `${step} was cancelled`, device, step, hint: 'Start it again when ready.' }));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
