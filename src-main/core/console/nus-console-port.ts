// A console's Bluetooth LE source: the device's UART log over the Nordic UART Service. The
// console holds the device's shared connection (the one its diagnostics, firmware updates and
// Follow live use: BlueZ allows one link per peer), takes the TX characteristic's
// notifications as the raw bytes the capture splits into lines, and writes commands to RX in
// pieces of at most MTU − 3 bytes. A Follow live on the same device shares the subscription:
// the connection turns notifications on once for all listeners, and off after the last.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { SerialSettings } from '../../api/console-schemas';
import type { Device } from '../../api/schemas';
import { attWritePayload } from '../../transports/ble/att';
import { type BleConnection, type BleServiceInfo, bleDeviceLabel, withDeadline } from '../../transports/ble/ble-central';
import { NUS_RX_UUID, NUS_SERVICE_UUID, NUS_TX_UUID } from '../../transports/ble/ble-uuid';
import type { BleRegistry } from '../ble/ble-registry';
import type { ConnectionHold } from '../ble/shared-connection';
import type { ConsolePort, ConsolePortListener, ConsolePorts } from './console-port';

export interface NusConsoleTiming {
  /** The first pause between looks for a lost device; it doubles after each look... */
  reconnectFirstMs: number;
  /** ...up to this. */
  reconnectMaxMs: number;
  /** Turning TX notifications off when the console closes. */
  unsubscribeDeadlineMs: number;
}

/** A real link takes a few connection intervals and a service discovery to come back: the console looks as often as Follow live does. */
export const DEFAULT_NUS_CONSOLE_TIMING: NusConsoleTiming = { reconnectFirstMs: 1_000, reconnectMaxMs: 10_000, unsubscribeDeadlineMs: 5_000 };

export type NusRegistry = Pick<BleRegistry, 'has' | 'get' | 'hold' | 'profileOf'>;

export function nusConsolePorts(registry: NusRegistry, now: () => number, timing: NusConsoleTiming = DEFAULT_NUS_CONSOLE_TIMING): ConsolePorts {
  return {
    source: 'nus',
    medium: 'link',
    hold: (deviceId: string, _framing: SerialSettings | null, listener: ConsolePortListener) => NusConsolePort.open(registry, deviceId, listener, now, timing),
    // A BLE device is known by its address, which is its id: it comes back as itself or not at all.
    candidates: (deviceId: string): Device[] => (registry.has(deviceId) ? [registry.get(deviceId)] : []),
    retryDelayMs: (attempt: number) => Math.min(timing.reconnectFirstMs * 2 ** Math.min(attempt, 30), timing.reconnectMaxMs),
  };
}

export class NusConsolePort implements ConsolePort {
  private released = false;
  /** Open and handed to the console: from here a drop is the console's news, before it the open fails. */
  private handedOver = false;
  private stopWatching: (() => void) | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  /** Commands go out one after another: the pieces of two must never interleave. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly label: string,
    private readonly hold: ConnectionHold,
    private readonly connection: BleConnection,
    private readonly withResponse: boolean,
    private readonly timing: NusConsoleTiming,
  ) {}

  /**
   * Connects (or joins the open link), checks the device has the UART service, watches for
   * the link dropping and turns TX notifications on; lets go of everything when a step fails.
   */
  static async open(registry: NusRegistry, deviceId: string, listener: ConsolePortListener, now: () => number, timing: NusConsoleTiming): Promise<NusConsolePort> {
    const device = registry.get(deviceId);
    const label = bleDeviceLabel(device.ble?.address ?? device.path, device.ble?.name);
    const hold = registry.hold(deviceId);
    let port: NusConsolePort | null = null;
    try {
      const connection = await hold.connection();
      const rx = uartCharacteristics(await connection.services(), label);
      port = new NusConsolePort(device.path, label, hold, connection, rx.withResponse, timing);
      const opened = port;
      opened.stopWatching = connection.onDisconnect((reason) => {
        if (opened.released || !opened.handedOver) return;
        opened.forget();
        void hold.release();
        listener.onLost(reason);
      });
      // node-ble adds its match for the value's changes without waiting for it, so the first
      // notification after notifications are turned on can be missed; on a link Follow live
      // already listens on, they are on already and nothing is missed.
      opened.unsubscribe = await connection.subscribe(NUS_SERVICE_UUID, NUS_TX_UUID, (value) => {
        if (!opened.released && opened.stopWatching) listener.onData(value, now());
      });
      if (!connection.connected) throw linkGone(label, 'subscribe to the UART log');
      opened.handedOver = true;
      return opened;
    } catch (error) {
      if (port) await port.release();
      else await hold.release();
      throw error;
    }
  }

  write(bytes: Uint8Array, step: string): Promise<void> {
    const turn = this.writing.then(() => this.writeInPieces(bytes, step));
    this.writing = turn.catch(() => undefined);
    return turn;
  }

  /** Commands can be sent whenever the link is up: the UART service is apart from SMP, so an update does not stand in the way. */
  sendRefusal(): string | null {
    return null;
  }

  change(): Promise<void> {
    return Promise.reject(
      new FieldbenchError({
        code: 'invalid-request',
        message: 'the UART log over Bluetooth LE has no baud rate or framing',
        device: this.label,
        step: 'change console settings',
        hint: 'Change only the line ending of this console.',
      }),
    );
  }

  /** Notifications off (unless Follow live still listens), then the hold on the connection let go. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const unsubscribe = this.unsubscribe;
    this.forget();
    if (unsubscribe && this.connection.connected) {
      await withDeadline(unsubscribe(), {
        ms: this.timing.unsubscribeDeadlineMs,
        device: this.label,
        step: 'stop the UART log notifications',
        hint: 'Nothing to do: the connection closes when nobody else uses it.',
      }).catch(() => undefined);
    }
    await this.hold.release();
  }

  /** Stops watching the link; a lost link's unsubscribe only forgets the listener. */
  private forget(): void {
    this.stopWatching?.();
    this.stopWatching = null;
    if (!this.connection.connected) {
      const unsubscribe = this.unsubscribe;
      this.unsubscribe = null;
      void unsubscribe?.().catch(() => undefined);
    }
  }

  private async writeInPieces(bytes: Uint8Array, step: string): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      if (this.released || !this.connection.connected) throw linkGone(this.label, step);
      // Read per piece: an MTU exchange may have raised it meanwhile.
      const piece = bytes.slice(at, at + attWritePayload(this.connection.mtu));
      try {
        await this.connection.write(NUS_SERVICE_UUID, NUS_RX_UUID, piece, { withoutResponse: !this.withResponse });
      } catch (error) {
        if (!this.connection.connected) throw linkGone(this.label, step);
        throw isFieldbenchError(error)
          ? error
          : new FieldbenchError({ code: 'device-error', message: `writing to the UART service failed: ${String(error)}`, device: this.label, step, hint: 'Send the command again.' }, { cause: error });
      }
      at += piece.length;
    }
  }
}

/** RX takes commands and TX notifies the log; a write request (answered) is preferred over a write command for RX. */
function uartCharacteristics(services: BleServiceInfo[], label: string): { withResponse: boolean } {
  const uart = services.find((service) => service.uuid === NUS_SERVICE_UUID);
  const flags = (uuid: string): string[] => uart?.characteristics.find((c) => c.uuid === uuid)?.flags ?? [];
  const tx = flags(NUS_TX_UUID);
  const rx = flags(NUS_RX_UUID);
  const problem = !uart
    ? 'the device offers no Nordic UART Service'
    : !tx.includes('notify') && !tx.includes('indicate')
      ? 'its UART service has no TX characteristic that notifies'
      : !rx.includes('write') && !rx.includes('write-without-response')
        ? 'its UART service has no RX characteristic to write commands to'
        : null;
  if (problem) {
    throw new FieldbenchError({
      code: 'profile-error',
      message: `${problem}, although its profile says it logs over it`,
      device: label,
      step: 'open console',
      hint: 'Check that the firmware has the UART log enabled (Zephyr: CONFIG_BT_NUS, shell_bt_nus); if it never logs over BLE, remove ble.logService from its profile.',
    });
  }
  return { withResponse: rx.includes('write') };
}

function linkGone(label: string, step: string): FieldbenchError {
  return new FieldbenchError({
    code: 'device-gone',
    message: 'the Bluetooth LE link is down',
    device: label,
    step,
    hint: 'The console reconnects by itself; send again once it is back.',
  });
}
