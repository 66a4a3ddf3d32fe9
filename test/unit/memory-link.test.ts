import { describe, expect, test } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { LinkCloseReason } from '../../src-main/transports/link';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('createMemoryLinkPair', () => {
  test('what one end writes, the other reads', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    await host.write(bytes('ping'));
    expect(text(await device.read(100))).toBe('ping');
    await device.write(bytes('po'));
    await device.write(bytes('ng'));
    expect(text(await host.read(100))).toBe('pong');
    expect(host.label).toBe('host');
    expect(device.label).toBe('device');
  });

  test('a pending read wakes up when bytes arrive', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    const started = Date.now();
    const reading = host.read(2_000);
    setTimeout(() => void device.write(bytes('late')), 30);
    expect(text(await reading)).toBe('late');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test('a read with nothing to read resolves empty at its deadline', async () => {
    const [host] = createMemoryLinkPair('host', 'device');
    const started = Date.now();
    const data = await host.read(50);
    expect(data.length).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  test('a second read while one is pending is refused', async () => {
    const [host] = createMemoryLinkPair('host', 'device');
    const first = host.read(50);
    await expect(host.read(50)).rejects.toMatchObject({ code: 'internal' });
    await first;
  });

  test('the writer cannot change bytes already sent by reusing its buffer', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    const buffer = bytes('abc');
    await host.write(buffer);
    buffer[0] = 0x7a;
    expect(text(await device.read(10))).toBe('abc');
  });

  test('discardInput drops unread bytes', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    await device.write(bytes('stale'));
    host.discardInput();
    expect((await host.read(20)).length).toBe(0);
  });

  test('closing one end closes both; the peer hears "lost", the closer "closed-by-us"', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    const hostReasons: LinkCloseReason[] = [];
    const deviceReasons: LinkCloseReason[] = [];
    host.onClose((r) => hostReasons.push(r));
    device.onClose((r) => deviceReasons.push(r));
    const pending = host.read(5_000);
    await device.close();
    await expect(pending).rejects.toMatchObject({ code: 'device-gone', device: 'host' });
    expect(host.isOpen).toBe(false);
    expect(device.isOpen).toBe(false);
    expect(deviceReasons).toEqual([{ kind: 'closed-by-us' }]);
    expect(hostReasons).toHaveLength(1);
    expect(hostReasons[0]?.kind).toBe('lost');
    await device.close();
    await host.close();
    expect(hostReasons).toHaveLength(1);
    expect(deviceReasons).toHaveLength(1);
  });

  test('bytes sent before the close are still read, then reads fail with device-gone', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    await device.write(bytes('last words'));
    await device.close();
    expect(text(await host.read(10))).toBe('last words');
    const error = await host.read(10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FieldbenchError);
    expect(error).toMatchObject({ code: 'device-gone' });
    await expect(host.write(bytes('x'))).rejects.toMatchObject({ code: 'device-gone' });
  });

  test('a close listener added after the close still hears about it', async () => {
    const [host] = createMemoryLinkPair('host', 'device');
    await host.close();
    const reason = await new Promise<LinkCloseReason>((resolve) => host.onClose(resolve));
    expect(reason).toEqual({ kind: 'closed-by-us' });
  });

  test('an unsubscribed listener is not called', async () => {
    const [host, device] = createMemoryLinkPair('host', 'device');
    let calls = 0;
    const off = host.onClose(() => calls++);
    off();
    await device.close();
    expect(calls).toBe(0);
  });
});
