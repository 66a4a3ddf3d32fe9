// What a simulated peripheral's GATT server is made of, apart from D-Bus: services and
// characteristics with the handlers that play the device side, and the connection they
// answer on. The simulated BlueZ turns these into GattService1 / GattCharacteristic1 objects.

/** BlueZ's names for characteristic properties (gatt-api.txt, Flags). */
export type GattFlag = 'read' | 'write' | 'write-without-response' | 'notify' | 'indicate';

export interface GattWriteOptions {
  /** True for a write request (the central waits for the ATT response), false for a write command. */
  withResponse: boolean;
}

/** A refusal the device answers with, which BlueZ passes on as org.bluez.Error.<name>. */
export class GattRefusal extends Error {
  constructor(
    readonly bluezError: 'Failed' | 'NotPermitted' | 'NotSupported' | 'InvalidValueLength' | 'InvalidOffset',
    message: string,
  ) {
    super(message);
    this.name = 'GattRefusal';
  }
}

export interface GattCharacteristicDefinition {
  uuid: string;
  flags: GattFlag[];
  /** The value a read answers now. */
  read?(): Uint8Array;
  /** A write from the central; throw a GattRefusal to refuse it. */
  write?(value: Uint8Array, options: GattWriteOptions): void | Promise<void>;
}

export interface GattServiceDefinition {
  uuid: string;
  characteristics: GattCharacteristicDefinition[];
}

/** The peripheral's side of a live connection, given to its GATT server while connected. */
export interface GattConnection {
  /** The ATT MTU agreed for this connection. */
  readonly mtu: number;
  /** True while the central has notifications on for this characteristic. */
  isNotifying(characteristicUuid: string): boolean;
  /**
   * Send one notification (at most MTU − 3 bytes). Resolves once it has gone over the air,
   * paced by the link; dropped when the central has not subscribed or the link is gone.
   */
  notify(characteristicUuid: string, value: Uint8Array): Promise<void>;
}

/** A peripheral's GATT server: its attribute table, and hooks for the connection's life. */
export interface GattServer {
  readonly services: GattServiceDefinition[];
  /** The link came up; the server may notify through `connection` until disconnected(). */
  connected(connection: GattConnection): void;
  /** The central turned notifications on or off for one characteristic. */
  notifyingChanged?(characteristicUuid: string, notifying: boolean): void;
  disconnected(): void;
}
