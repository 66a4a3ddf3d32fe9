// BleSmpLink over a fake BleConnection: how writes are cut, where notifications go, how the
// link closes; and the unchanged SmpClient through it to a virtual sensor node's SMP server.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { SmpBleDecoder, smpBleFraming } from '../../src-main/protocols/smp/smp-ble';
import { SmpClient } from '../../src-main/protocols/smp/smp-client';
import { ImageCommand, SmpGroup } from '../../src-main/protocols/smp/smp-groups';
import { decodeSmpHeader } from '../../src-main/protocols/smp/smp-packet';
import type { BleConnection, BleServiceInfo, BleWriteOptions } from '../../src-main/transports/ble/ble-central';
import { BleSmpLink } from '../../src-main/transports/ble/ble-smp-link';
import { SMP_CHARACTERISTIC_UUID, SMP_SERVICE_UUID } from '../../src-main/transports/ble/ble-uuid';
import type { LinkCloseReason } from '../../src-main/transports/link';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

interface Write {
  service: string;
  characteristic: string;
  bytes: Uint8Array;
  options: BleWriteOptions;
}

/** A connection whose writes a test sees and whose notifications a test sends. */
class FakeConnection implements BleConnection {
  readonly address = 'C0:FF:EE:00:00:07';
  readonly label = 'Fake Node (C0:FF:EE:00:00:07)';
  connected = true;
  readonly writes: Write[] = [];
  readonly subscribers = new Map<string, (value: Uint8Array) => void>();
  unsubscribed = 0;
  onWrite: ((write: Write) => void) | null = null;
  failSubscribe = false;
  private readonly listeners = new Set<(reason: string) => void>();

  constructor(public mtu: number) {}

  services(): Promise<BleServiceInfo[]> {
    return Promise.resolve([{ uuid: SMP_SERVICE_UUID, characteristics: [{ uuid: SMP_CHARACTERISTIC_UUID, flags: ['write-without-response', 'notify'] }] }]);
  }

  read(): Promise<Uint8Array> {
    return Promise.reject(new Error('not readable'));
  }

  write(service: string, characteristic: string, bytes: Uint8Array, options: BleWriteOptions): Promise<void> {
    if (!this.connected) return Promise.reject(new FieldbenchError({ code: 'device-gone', message: 'not connected', device: this.label }));
    const write = { service, characteristic, bytes: bytes.slice(), options };
    this.writes.push(write);
    this.onWrite?.(write);
    return Promise.resolve();
  }

  subscribe(service: string, characteristic: string, onValue: (value: Uint8Array) => void): Promise<() => Promise<void>> {
    if (this.failSubscribe) return Promise.reject(new FieldbenchError({ code: 'device-error', message: 'CCCD write refused', device: this.label }));
    const id = `${service}/${characteristic}`;
    this.subscribers.set(id, onValue);
    return Promise.resolve(async () => {
      this.subscribers.delete(id);
      this.unsubscribed += 1;
    });
  }

  notify(bytes: Uint8Array): void {
    this.subscribers.get(`${SMP_SERVICE_UUID}/${SMP_CHARACTERISTIC_UUID}`)?.(bytes);
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  drop(reason: string): void {
    this.connected = false;
    for (const listener of [...this.listeners]) listener(reason);
    this.listeners.clear();
  }

  disconnect(): Promise<void> {
    this.drop('the connection was closed');
    return Promise.resolve();
  }
}

/** Answers SMP requests as the virtual node's server does, in notifications of MTU − 3 bytes. */
function serveSmp(connection: FakeConnection, node: SensorNodeSimulator, options: { dropAfterBytes?: number } = {}): void {
  const requests = new SmpBleDecoder();
  let received = 0;
  let queue = Promise.resolve();
  connection.onWrite = (write) => {
    received += write.bytes.length;
    if (options.dropAfterBytes !== undefined && received >= options.dropAfterBytes) {
      queueMicrotask(() => connection.drop('the device disconnected'));
      return;
    }
    for (const packet of requests.push(write.bytes).packets) {
      queue = queue.then(async () => {
        const answer = await node.smp.server.handle(packet);
        const piece = connection.mtu - 3;
        for (let at = 0; answer && at < answer.length; at += piece) {
          if (connection.connected) connection.notify(answer.slice(at, at + piece));
        }
      });
    }
  };
}

const links: BleSmpLink[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((link) => link.close()));
});

async function open(connection: FakeConnection): Promise<BleSmpLink> {
  const link = await BleSmpLink.open(connection);
  links.push(link);
  return link;
}

describe('BleSmpLink', () => {
  test('writes go out without response to the SMP characteristic, in pieces of at most MTU − 3 bytes, in order', async () => {
    const connection = new FakeConnection(23);
    const link = await open(connection);
    const data = Uint8Array.from({ length: 95 }, (_, i) => i);
    await link.write(data);
    expect(connection.writes.map((w) => w.bytes.length)).toEqual([20, 20, 20, 20, 15]);
    for (const write of connection.writes) {
      expect(write).toMatchObject({ service: SMP_SERVICE_UUID, characteristic: SMP_CHARACTERISTIC_UUID, options: { withoutResponse: true } });
    }
    expect(Buffer.concat(connection.writes.map((w) => w.bytes))).toEqual(Buffer.from(data));
  });

  test('two packets written at once are never interleaved, and a raised MTU takes effect from the next packet', async () => {
    const connection = new FakeConnection(23);
    const link = await open(connection);
    const first = new Uint8Array(50).fill(1);
    const second = new Uint8Array(50).fill(2);
    const writing = Promise.all([link.write(first), link.write(second)]);
    connection.mtu = 247;
    await writing;
    const joined = Buffer.concat(connection.writes.map((w) => w.bytes));
    expect(joined).toEqual(Buffer.concat([first, second]));
    expect(connection.writes.map((w) => w.bytes.length)).toEqual([50, 50]);
    expect(link.mtu).toBe(247);
  });

  test('notifications are the bytes read back, whatever their size', async () => {
    const connection = new FakeConnection(23);
    const link = await open(connection);
    connection.notify(Uint8Array.of(1, 2, 3));
    connection.notify(Uint8Array.of(4));
    expect(await link.read(100)).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(await link.read(10)).toEqual(new Uint8Array(0));
  });

  test('a dropped connection closes the link as lost: a waiting read and later writes fail as device-gone', async () => {
    const connection = new FakeConnection(23);
    const link = await open(connection);
    const closes: LinkCloseReason[] = [];
    link.onClose((reason) => closes.push(reason));
    const reading = fieldbenchErrorOf(link.read(5_000));
    connection.drop('the device disconnected');
    const error = await reading;
    expect(error.code).toBe('device-gone');
    expect(error.device).toBe(connection.label);
    expect(error.message).toMatch(/the device disconnected/);
    expect(closes).toEqual([{ kind: 'lost', message: 'the device disconnected' }]);
    expect((await fieldbenchErrorOf(link.write(Uint8Array.of(1)))).code).toBe('device-gone');
  });

  test('closing turns notifications off, once, and leaves the connection up', async () => {
    const connection = new FakeConnection(23);
    const link = await open(connection);
    await link.close();
    await link.close();
    expect(connection.unsubscribed).toBe(1);
    expect(connection.connected).toBe(true);
    connection.notify(Uint8Array.of(9));
    expect((await fieldbenchErrorOf(link.read(10))).message).toMatch(/the SMP link was closed/);
  });

  test('opening fails, naming the device, when it is not connected or refuses notifications', async () => {
    const gone = new FakeConnection(23);
    gone.connected = false;
    const notConnected = await fieldbenchErrorOf(BleSmpLink.open(gone));
    expect(notConnected).toMatchObject({ code: 'device-gone', device: gone.label, step: 'open SMP link' });
    const refusing = new FakeConnection(23);
    refusing.failSubscribe = true;
    expect((await fieldbenchErrorOf(BleSmpLink.open(refusing))).message).toBe('CCCD write refused');
  });
});

describe('SmpClient over BleSmpLink with the BLE framing', () => {
  function image(size: number): { bytes: Uint8Array; sha256: Uint8Array } {
    const bytes = createMcubootImage({ version: '3.0.1', payload: Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff) });
    return { bytes, sha256: new Uint8Array(createHash('sha256').update(bytes).digest()) };
  }

  test('echo and an upload whose every write fits the MTU and every request ends on a whole write', async () => {
    const node = new SensorNodeSimulator({ seed: 5, timeScale: 0 });
    const connection = new FakeConnection(100);
    serveSmp(connection, node);
    const link = await open(connection);
    const smp = new SmpClient(link, { framing: smpBleFraming({ mtu: () => link.mtu }), timeoutMs: 1_000 });
    expect(await smp.echo('hello')).toBe('hello');
    const { bytes, sha256 } = image(6_000);
    connection.writes.length = 0;
    const result = await smp.imageUpload(bytes, { sha256 });
    expect(result.match).toBe(true);
    expect(Math.max(...connection.writes.map((w) => w.bytes.length))).toBe(97);
    // The node's buffer is 1024 bytes: ten whole writes of 97 bytes are the most a request may take.
    const packets = new SmpBleDecoder().push(Buffer.concat(connection.writes.map((w) => w.bytes))).packets;
    const uploads = packets.filter((p) => decodeSmpHeader(p).group === SmpGroup.IMAGE && decodeSmpHeader(p).command === ImageCommand.UPLOAD);
    expect(uploads.length).toBeGreaterThan(2);
    expect(uploads.slice(0, -1).map((p) => p.length)).toEqual(uploads.slice(0, -1).map(() => 970));
    expect(uploads.at(-1)!.length).toBeLessThanOrEqual(970);
  });

  test('a drop mid-upload fails it as device-gone without waiting for a time-out', async () => {
    const node = new SensorNodeSimulator({ seed: 6, timeScale: 0 });
    const connection = new FakeConnection(64);
    const { bytes, sha256 } = image(8_000);
    serveSmp(connection, node, { dropAfterBytes: 4_000 });
    const link = await open(connection);
    const smp = new SmpClient(link, { framing: smpBleFraming({ mtu: () => link.mtu }), timeoutMs: 10_000 });
    const started = Date.now();
    const error = await fieldbenchErrorOf(smp.imageUpload(bytes, { sha256 }));
    expect(error.code).toBe('device-gone');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(link.isOpen).toBe(false);
  });
});
