// The real USB bus: on this machine (no /sys/bus/usb) it must say so in one line with what to
// do, never throw; a package that will not load, a bus that refuses access, and a bus that
// works are played by stand-ins for the usb package.
import { describe, expect, it } from 'vitest';
import { JoinedUsbBus } from '../../src-main/transports/usb/joined-usb-bus';
import { NodeUsbBus, type NodeUsbBusOptions } from '../../src-main/transports/usb/node-usb-bus';
import { usbAccessHint } from '../../src-main/transports/usb/usb-access-hint';
import type { UsbBus } from '../../src-main/transports/usb/usb-bus';

type Loader = NonNullable<NodeUsbBusOptions['loadUsb']>;
type ConnectionListener = (event: { device: USBDevice }) => void;

/** A stand-in for the usb package's WebUSB: devices as it hands them out (a new object per call), events on demand. */
class FakeWebUsb {
  static instance: FakeWebUsb | null = null;
  devices: { vendorId: number; productId: number; bus: string; ports: number[]; handle: number }[] = [];
  failure: Error | null = null;
  readonly listeners = new Map<string, Set<ConnectionListener>>();

  constructor() {
    FakeWebUsb.instance = this;
  }

  async getDevices(): Promise<USBDevice[]> {
    if (this.failure) throw this.failure;
    return this.devices.map((d) => ({ ...d }) as unknown as USBDevice);
  }

  addEventListener(type: string, listener: ConnectionListener): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
  }

  removeEventListener(type: string, listener: ConnectionListener): void {
    this.listeners.get(type)?.delete(listener);
  }

  fire(type: 'connect' | 'disconnect', handle: number): void {
    const device = this.devices.find((d) => d.handle === handle) ?? { handle, vendorId: 0, productId: 0, bus: '1', ports: [] };
    for (const listener of this.listeners.get(type) ?? []) listener({ device: { ...device } as unknown as USBDevice });
  }
}

const fakeLoader = (setup: (fake: FakeWebUsb) => void): Loader =>
  (async () => ({
    WebUSB: class extends FakeWebUsb {
      constructor() {
        super();
        setup(this);
      }
    },
  })) as unknown as Loader;

describe('the node-usb bus on this machine', () => {
  it('lists what it can and says in one line why it cannot, with what to do', async () => {
    const bus = new NodeUsbBus();
    try {
      const listed = await bus.list();
      const status = bus.status();
      expect(status.transport).toBe('usb');
      if (status.available) {
        console.warn(`[usb-node-bus] this machine HAS a USB bus: ${listed.length} devices listed; the no-bus branch did not run here`);
        expect(status.note).toBeNull();
        for (const { device, location, virtual } of listed) {
          expect(virtual).toBe(false);
          expect(device.vendorId).toBeGreaterThanOrEqual(0);
          if (location !== undefined) expect(location).toMatch(/^\d+(-[\d.]+)?$/);
        }
      } else {
        console.warn(`[usb-node-bus] this machine has NO usable USB bus: ${status.note}`);
        expect(listed).toEqual([]);
        expect(status.method).toBe('not available');
        expect(status.note).not.toContain('\n');
        expect(status.note).toContain('USB devices are not listed');
        expect(status.note).toContain(usbAccessHint());
      }
    } finally {
      await bus.close();
    }
  });
});

describe('the node-usb bus, with the usb package played by a stand-in', () => {
  it('reports a package that does not load (no binary for the platform) and goes on answering', async () => {
    const bus = new NodeUsbBus({ loadUsb: async () => Promise.reject(new Error('No native build was found for platform=plan9')) });
    expect(await bus.list()).toEqual([]);
    expect(await bus.list()).toEqual([]);
    const status = bus.status();
    expect(status).toMatchObject({ transport: 'usb', method: 'not available', available: false });
    expect(status.note).toContain('could not be loaded');
    expect(status.note).toContain('No native build was found');
    expect(status.note).toContain('serial and virtual devices still work');
  });

  it('says access was denied with the platform fix, and subscribes to nothing on a bus it cannot read', async () => {
    const bus = new NodeUsbBus({
      loadUsb: fakeLoader((fake) => {
        fake.failure = new Error('LIBUSB_ERROR_ACCESS');
      }),
    });
    expect(await bus.list()).toEqual([]);
    expect(bus.status().available).toBe(false);
    expect(bus.status().note).toContain('LIBUSB_ERROR_ACCESS');
    expect(bus.status().note).toContain(usbAccessHint());
    // usb reports a failed hot-plug subscription by throwing from a timer: never subscribe to a bus that failed.
    expect(FakeWebUsb.instance?.listeners.size).toBe(0);
    await bus.close();
  });

  it('lists devices with their location, as the same object on every call, and forwards hot-plug events', async () => {
    const bus = new NodeUsbBus({
      loadUsb: fakeLoader((fake) => {
        fake.devices = [
          { vendorId: 0x0483, productId: 0xdf11, bus: '1', ports: [2, 3], handle: 7 },
          { vendorId: 0x1209, productId: 0x0005, bus: '2-4', ports: [4], handle: 8 },
        ];
      }),
    });
    const changes: { kind: string; device: USBDevice }[] = [];
    bus.onChange((change) => changes.push(change));
    const first = await bus.list();
    expect(bus.status()).toEqual({ transport: 'usb', method: 'libusb (usb package)', available: true, note: null });
    expect(first.map((d) => [d.location, d.virtual])).toEqual([
      ['1-2.3', false],
      ['2-4', false],
    ]);
    const second = await bus.list();
    expect(second[0]?.device).toBe(first[0]?.device);

    const fake = FakeWebUsb.instance!;
    fake.fire('disconnect', 7);
    expect(changes).toEqual([{ kind: 'disconnect', device: first[0]?.device }]);
    fake.devices = fake.devices.filter((d) => d.handle !== 7);
    expect((await bus.list()).map((d) => d.location)).toEqual(['2-4']);
    fake.devices.push({ vendorId: 0x0483, productId: 0x5740, bus: '1', ports: [2, 3], handle: 9 });
    fake.fire('connect', 9);
    const arrived = changes[1]?.device;
    expect(arrived?.productId).toBe(0x5740);
    expect((await bus.list()).find((d) => d.device.productId === 0x5740)?.device).toBe(arrived);

    await bus.close();
    expect(fake.listeners.get('connect')?.size).toBe(0);
  });
});

describe('buses joined into one', () => {
  function stubBus(name: string, available: boolean): UsbBus & { fire(): void; closed: boolean } {
    const listeners = new Set<Parameters<UsbBus['onChange']>[0]>();
    const device = { vendorId: 1, productId: 2 } as USBDevice;
    return {
      closed: false,
      list: async () => (available ? [{ device, virtual: name === 'virtual' }] : []),
      status: () => ({ transport: 'usb', method: name, available, note: available ? null : `${name} is not there` }),
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      fire() {
        for (const listener of listeners) listener({ kind: 'connect', device });
      },
      async close() {
        this.closed = true;
      },
    };
  }

  it('lists every bus, shows the first bus’s status, and passes on every bus’s events until stopped', async () => {
    const real = stubBus('real', false);
    const virtual = stubBus('virtual', true);
    const joined = new JoinedUsbBus(real, virtual);
    expect((await joined.list()).map((d) => d.virtual)).toEqual([true]);
    expect(joined.status().note).toBe('real is not there');
    let calls = 0;
    const stop = joined.onChange(() => (calls += 1));
    real.fire();
    virtual.fire();
    stop();
    virtual.fire();
    expect(calls).toBe(2);
    await joined.close();
    expect([real.closed, virtual.closed]).toEqual([true, true]);
  });
});
