// A Link over MCUmgr's SMP characteristic: what the SMP client writes goes out as writes
// without response of at most MTU − 3 bytes each, and the device's notifications are the
// bytes read back. The framing (smp-ble.ts) finds the packets in them. When the connection
// drops the link closes as 'lost', so an upload in flight fails as 'device-gone' at once
// instead of waiting out its deadline.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import { BufferedLink } from '../buffered-link';
import type { LinkCloseReason } from '../link';
import type { BleConnection } from './ble-central';
import { attWritePayload } from './att';
import { SMP_CHARACTERISTIC_UUID, SMP_SERVICE_UUID } from './ble-uuid';

export interface BleSmpLinkOptions {
  service?: string;
  characteristic?: string;
}

export class BleSmpLink extends BufferedLink {
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly stopWatching: () => void;
  /** Writes go out one after another: two packets' pieces must never interleave. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly connection: BleConnection,
    private readonly service: string,
    private readonly characteristic: string,
  ) {
    super(connection.label);
    this.stopWatching = connection.onDisconnect((reason) => this.shut({ kind: 'lost', message: reason }));
  }

  /** Turns notifications on before the first write, so no answer can arrive unheard. */
  static async open(connection: BleConnection, options: BleSmpLinkOptions = {}): Promise<BleSmpLink> {
    if (!connection.connected) {
      throw new FieldbenchError({
        code: 'device-gone',
        message: 'the device is not connected',
        device: connection.label,
        step: 'open SMP link',
        hint: 'Connect to the device again, then open the SMP link.',
      });
    }
    const link = new BleSmpLink(connection, options.service ?? SMP_SERVICE_UUID, options.characteristic ?? SMP_CHARACTERISTIC_UUID);
    try {
      link.unsubscribe = await connection.subscribe(link.service, link.characteristic, (value) => link.receive(value.slice()));
    } catch (error) {
      link.stopWatching();
      link.shut({ kind: 'closed-by-us' });
      throw error;
    }
    return link;
  }

  /** The connection's ATT MTU now: the SMP framing sizes upload chunks by it. */
  get mtu(): number {
    return this.connection.mtu;
  }

  write(data: Uint8Array): Promise<void> {
    const turn = this.writing.then(() => this.writeInPieces(data));
    this.writing = turn.catch(() => undefined);
    return turn;
  }

  async close(): Promise<void> {
    if (!this.shut({ kind: 'closed-by-us' })) return;
    this.stopWatching();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    // The connection may be gone already, which turned the notifications off with it.
    if (unsubscribe && this.connection.connected) await unsubscribe().catch(() => undefined);
  }

  protected describeClosed(reason: LinkCloseReason): { message: string; hint: string } {
    if (reason.kind === 'lost') return { message: reason.message, hint: 'Bring the device in range, connect again and retry.' };
    return { message: 'the SMP link was closed', hint: 'Open the SMP link again.' };
  }

  private async writeInPieces(data: Uint8Array): Promise<void> {
    // Read per packet: an MTU exchange may have raised it since the last one.
    const payload = attWritePayload(this.connection.mtu);
    for (let at = 0; at < data.length; at += payload) {
      if (!this.isOpen) throw this.goneError('write');
      try {
        await this.connection.write(this.service, this.characteristic, data.slice(at, at + payload), { withoutResponse: true });
      } catch (error) {
        if (!this.isOpen || !this.connection.connected) throw this.goneError('write');
        throw isFieldbenchError(error)
          ? error
          : new FieldbenchError({ code: 'device-error', message: `SMP write failed: ${String(error)}`, device: this.label, step: 'SMP write' }, { cause: error });
      }
    }
  }
}
