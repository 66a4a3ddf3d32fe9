// A console holding a device's port through the registry: it sees every byte, sends in turn
// with operations, is refused while a firmware update writes, and hears when the port goes.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SerialSettings } from '../../src-main/api/console-schemas';
import type { PortHold } from '../../src-main/core/devices/device-registry';
import { describeFraming, sendRefusedWhile } from '../../src-main/core/devices/port-hold';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { PROFILES_DIR } from '../helpers/core-fixture';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { firmwareUpdateUnderWay } from '../helpers/firmware-update-under-way';
import { memorySerialBench, type MemorySerialBench } from '../helpers/memory-serial-bench';
import { until } from '../helpers/until';

const FRAMING: SerialSettings = { baudRate: 115_200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' };
const PORT = '/dev/ttyACM0';
const DEVICE = `serial:${PORT}`;

let profiles: ProfileRegistry;
beforeAll(async () => {
  profiles = await ProfileRegistry.load(PROFILES_DIR);
});

let bench: MemorySerialBench | null = null;
afterEach(async () => {
  await bench?.close();
  bench = null;
});

async function pluggedNode(): Promise<MemorySerialBench> {
  bench = memorySerialBench(profiles);
  bench.plug(PORT, new SensorNodeSimulator({ seed: 11 }), 'E66138935F4B');
  await bench.registry.poll();
  await bench.registry.settled();
  expect(bench.registry.get(DEVICE).state).toBe('ready');
  return bench;
}

interface Watcher {
  text(): string;
  times: number[];
  lost: string[];
  refusals: (string | null)[];
}

function watcher(): Watcher & { options: Parameters<MemorySerialBench['registry']['holdPort']>[1] } {
  const chunks: Uint8Array[] = [];
  const w = {
    times: [] as number[],
    lost: [] as string[],
    refusals: [] as (string | null)[],
    text: () => Buffer.concat(chunks).toString('latin1'),
  };
  return {
    ...w,
    options: {
      name: 'a log console',
      framing: FRAMING,
      onData: (chunk, time) => {
        chunks.push(chunk.slice());
        w.times.push(time);
      },
      onLost: (reason) => w.lost.push(reason),
      onSendRefusal: (reason) => w.refusals.push(reason),
    },
  };
}

describe('BufferedLink data tap', () => {
  it('gives every chunk with its arrival time to each watcher and still to the reader', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    const seen: string[] = [];
    const times: number[] = [];
    const stop = host.onData?.((chunk, time) => {
      seen.push(Buffer.from(chunk).toString());
      times.push(time);
    });
    const before = Date.now();
    await device.write(new TextEncoder().encode('one'));
    await device.write(new TextEncoder().encode('two'));
    expect(seen).toEqual(['one', 'two']);
    expect(times.every((time) => time >= before && time <= Date.now())).toBe(true);
    expect(Buffer.from(await host.read(100)).toString()).toBe('onetwo');
    stop?.();
    await device.write(new TextEncoder().encode('three'));
    expect(seen).toEqual(['one', 'two']);
    await host.close();
  });

  it('a watcher that throws does not keep the bytes from the reader', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    host.onData?.(() => {
      throw new Error('watcher broke');
    });
    await device.write(new TextEncoder().encode('still here'));
    expect(Buffer.from(await host.read(100)).toString()).toBe('still here');
    await host.close();
  });
});

describe('DeviceRegistry.holdPort', () => {
  it('sees what the device answers to the holder and to a diagnostics read alike', async () => {
    const b = await pluggedNode();
    const w = watcher();
    const hold = await b.registry.holdPort(DEVICE, w.options);
    await hold.write(new TextEncoder().encode('kernel uptime\r\n'), 'send');
    await until('the uptime answer', () => /Uptime: \d+ ms/.test(w.text()));

    const answer = await b.registry.withShell(DEVICE, 'read identity', (shell) => shell.run('device info'));
    expect(answer.join('\n')).toMatch(/^model: sensor-node/m);
    // The operation read the answer, and the holder saw the same bytes go by.
    await until('the identity answer in the tap', () => w.text().includes('model: sensor-node'));
    expect(w.lost).toEqual([]);
    hold.release();
  });

  it('opens the port with the holder’s framing, and again with new framing on change', async () => {
    const b = await pluggedNode();
    // Identification opened it at the profile's rate, 8N1.
    expect(b.opened.at(-1)?.options).toMatchObject({ baudRate: 115_200, dataBits: 8, parity: 'none', stopBits: 1 });
    const w = watcher();
    const slow: SerialSettings = { ...FRAMING, baudRate: 9_600, parity: 'even', stopBits: 2, flowControl: 'rts-cts' };
    const hold = await b.registry.holdPort(DEVICE, { ...w.options, framing: slow });
    expect(b.opened.at(-1)?.options).toEqual(slow);
    await hold.change(FRAMING);
    expect(b.opened.at(-1)?.options).toEqual(FRAMING);
    await hold.write(new TextEncoder().encode('battery\r\n'), 'send');
    await until('the battery answer on the reopened port', () => w.text().includes('voltage:'));
    expect(describeFraming(slow)).toBe('9600 8E2, RTS/CTS flow control');
  });

  it('refuses a second holder, naming the first', async () => {
    const b = await pluggedNode();
    await b.registry.holdPort(DEVICE, watcher().options);
    const error = await fieldbenchErrorOf(b.registry.holdPort(DEVICE, { ...watcher().options, name: 'another console' }));
    expect(error).toMatchObject({ code: 'device-busy', message: 'a log console already holds the port', device: PORT });
  });

  it('while a firmware update runs, the holder watches and sending is refused with the reason', async () => {
    const b = await pluggedNode();
    const w = watcher();
    const hold = await b.registry.holdPort(DEVICE, w.options);
    const endUpdate = await firmwareUpdateUnderWay(b.registry, DEVICE, { text: 'kernel uptime\r\n', when: 'first' });
    const reason = sendRefusedWhile('firmware update');
    expect(reason).toBe('a firmware update is writing to the port; sending now would corrupt it — wait until it ends');
    expect(hold.sendRefusal()).toBe(reason);
    expect(w.refusals).toEqual([reason]);
    const refused = await fieldbenchErrorOf(hold.write(new TextEncoder().encode('battery\r\n'), 'send command'));
    expect(refused).toMatchObject({ code: 'device-busy', message: reason, step: 'send command', device: PORT });
    // What the update's own traffic brings back reaches the holder.
    await until('the answer to the update’s command', () => /Uptime: \d+ ms/.test(w.text()));
    await endUpdate();
    expect(hold.sendRefusal()).toBeNull();
    expect(w.refusals).toEqual([reason, null]);
    await hold.write(new TextEncoder().encode('battery\r\n'), 'send command');
    await until('the battery answer after the update', () => w.text().includes('voltage:'));
  });

  it('a console opened during a firmware update watches at the update’s framing, and is refused another', async () => {
    const b = await pluggedNode();
    const endUpdate = await firmwareUpdateUnderWay(b.registry, DEVICE, { text: 'kernel uptime\r\n', when: 'last' });
    const other = await fieldbenchErrorOf(b.registry.holdPort(DEVICE, { ...watcher().options, framing: { ...FRAMING, baudRate: 9_600 } }));
    expect(other).toMatchObject({ code: 'device-busy', message: 'firmware update is using the port at 115200 8N1, no flow control' });
    expect(other.hint).toContain('115200 8N1');
    const w = watcher();
    const hold = await b.registry.holdPort(DEVICE, w.options);
    expect(hold.sendRefusal()).toBe(sendRefusedWhile('firmware update'));
    await endUpdate();
    await until('the update’s traffic in the tap', () => /Uptime: \d+ ms/.test(w.text()));
    expect(hold.sendRefusal()).toBeNull();
  });

  it('a send waits for a shorter operation to end, then goes', async () => {
    const b = await pluggedNode();
    const w = watcher();
    const hold = await b.registry.holdPort(DEVICE, w.options);
    const order: string[] = [];
    let release!: () => void;
    const readMayEnd = new Promise<void>((resolve) => (release = resolve));
    const read = b.registry.withShell(DEVICE, 'read diagnostics', async () => {
      order.push('read started');
      await readMayEnd;
      order.push('read ended');
    });
    await until('the read to start', () => order.length === 1);
    const send = hold.write(new TextEncoder().encode('battery\r\n'), 'send command').then(() => order.push('sent'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(order).toEqual(['read started']);
    release();
    await Promise.all([read, send]);
    expect(order).toEqual(['read started', 'read ended', 'sent']);
  });

  it('tells the holder when the port goes, and the hold ends', async () => {
    const b = await pluggedNode();
    const w = watcher();
    const hold: PortHold = await b.registry.holdPort(DEVICE, w.options);
    await b.unplug(PORT);
    await until('the loss to be reported', () => w.lost.length > 0);
    expect(w.lost).toHaveLength(1);
    const error = await fieldbenchErrorOf(hold.write(new TextEncoder().encode('battery\r\n'), 'send command'));
    expect(error.code).toBe('device-gone');
    // The next discovery pass sees the port gone: the device leaves, with nobody left to tell.
    await b.registry.poll();
    expect(b.registry.list()).toEqual([]);
    expect(w.lost).toHaveLength(1);
  });

  it('a device that leaves the list while held tells the holder why', async () => {
    bench = memorySerialBench(profiles);
    bench.plug(PORT, new SensorNodeSimulator({ seed: 12 }));
    await bench.registry.poll();
    await bench.registry.settled();
    const w = watcher();
    await bench.registry.holdPort(DEVICE, w.options);
    await bench.registry.close();
    expect(w.lost).toEqual(['the device left the list (closing)']);
  });
});
