// Places per bus: never more than the limit on a key, granted in the order asked, a queued
// waiter that leaves takes no place, and a place comes back however the work ended.
import { describe, expect, it } from 'vitest';
import { BusSlots } from '../../src-main/core/station/bus-slots';

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('BusSlots', () => {
  it('holds each key to its own limit and grants in the order asked', async () => {
    const slots = new BusSlots<'serial' | 'usb'>((key) => (key === 'serial' ? 2 : 1));
    const order: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    const runs = ['s1', 's2', 's3', 's4', 'u1', 'u2'].map((name) => {
      const g = gate();
      gates.set(name, g);
      return slots.run(name.startsWith('s') ? 'serial' : 'usb', async () => {
        order.push(name);
        await g.promise;
      });
    });
    await settle();
    expect(order).toEqual(['s1', 's2', 'u1']);
    expect([slots.running('serial'), slots.queued('serial'), slots.running('usb'), slots.queued('usb')]).toEqual([2, 2, 1, 1]);
    gates.get('s2')!.open();
    await settle();
    expect(order).toEqual(['s1', 's2', 'u1', 's3']);
    gates.get('u1')!.open();
    gates.get('s1')!.open();
    await settle();
    expect(order).toEqual(['s1', 's2', 'u1', 's3', 'u2', 's4']);
    for (const g of gates.values()) g.open();
    await Promise.all(runs);
    expect([slots.running('serial'), slots.running('usb')]).toEqual([0, 0]);
  });

  it('lets a queued waiter leave without taking a place, and rejects with the abort reason', async () => {
    const slots = new BusSlots<string>(() => 1);
    const first = await slots.acquire('bus');
    const controller = new AbortController();
    const leaving = slots.acquire('bus', controller.signal);
    const next = slots.acquire('bus');
    controller.abort(new Error('taken out of the queue'));
    await expect(leaving).rejects.toThrow('taken out of the queue');
    expect(slots.queued('bus')).toBe(1);
    first();
    const release = await next;
    expect(slots.running('bus')).toBe(1);
    release();
    expect(slots.running('bus')).toBe(0);
    await expect(slots.acquire('bus', controller.signal)).rejects.toThrow('taken out of the queue');
  });

  it('gives the place back when the work throws, and a second release frees nothing more', async () => {
    const slots = new BusSlots<string>(() => 1);
    await expect(slots.run('bus', async () => Promise.reject(new Error('flash failed')))).rejects.toThrow('flash failed');
    expect(slots.running('bus')).toBe(0);
    const a = await slots.acquire('bus');
    a();
    a();
    const b = await slots.acquire('bus');
    const c = slots.acquire('bus');
    await settle();
    expect([slots.running('bus'), slots.queued('bus')]).toEqual([1, 1]);
    b();
    (await c)();
  });

  it('reads the limit at each grant, so a lower limit holds the next waiters back', async () => {
    let limit = 2;
    const slots = new BusSlots<string>(() => limit);
    const a = await slots.acquire('bus');
    limit = 1;
    const b = slots.acquire('bus');
    await settle();
    expect(slots.queued('bus')).toBe(1);
    a();
    (await b)();
  });
});
