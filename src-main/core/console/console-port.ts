// What a live console reads from and writes to, whatever carries the device's log: a serial
// port held through the device registry, or the Nordic UART Service of a BLE device over its
// shared connection. The console owns the capture, the history and the following of a lost
// device; a source only says how to take the device's port, where to look for it once it is
// lost, and how long to wait between looks.
import type { SerialSettings } from '../../api/console-schemas';
import type { Device } from '../../api/schemas';

/** Where a held port's bytes and news go. */
export interface ConsolePortListener {
  /** Every chunk the device sent, with the host time (ms) it arrived. */
  onData(chunk: Uint8Array, time: number): void;
  /** The port or link went away: the hold is over, and the console looks for the device. */
  onLost(reason: string): void;
  /** Sending became refused (a firmware update writes to the port) or allowed again (null). */
  onSendRefusal(reason: string | null): void;
}

/** A device's port as one console holds it. */
export interface ConsolePort {
  /** Where the device was reached: the port's path, or the BLE device's place in the list. */
  readonly path: string;
  /** Sends bytes as they are (the console adds the line ending). */
  write(bytes: Uint8Array, step: string): Promise<void>;
  /** Why sending is refused now, or null. */
  sendRefusal(): string | null;
  /** Opens the port again with other framing (serial only). */
  change(framing: SerialSettings): Promise<void>;
  /** Lets the port go; settles once nothing of it is left running. */
  release(): void | Promise<void>;
}

/** How one kind of source gives ports to consoles. */
export interface ConsolePorts {
  readonly source: 'serial' | 'nus';
  /** What is lost when the device goes, in messages: "port" or "link". */
  readonly medium: string;
  /** Takes the device's port; framing is null for a source without one (the UART service). */
  hold(deviceId: string, framing: SerialSettings | null, listener: ConsolePortListener): Promise<ConsolePort>;
  /** Where a lost device may be back, best first: the same device, then one known by a serial number it had. */
  candidates(deviceId: string, serialNumbers: readonly string[]): Device[];
  /** The pause before look number `attempt` (from 0) for a lost device. */
  retryDelayMs(attempt: number): number;
}
