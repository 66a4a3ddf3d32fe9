// The USB device registry against the virtual USB bus: which devices it shows and how, hot-plug,
// the DFU interfaces on the device, entering DFU mode and following the board across its
// re-enumeration by serial number, one long operation at a time, and devices that cannot be read.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFieldbenchError, type FieldbenchError } from '../../src-main/api/errors';
import { Device as DeviceSchema, type Device } from '../../src-main/api/schemas';
import { detachToBootloader } from '../../src-main/protocols/dfu/dfu-info';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { GENERIC_DFU_NAME, UsbRegistry } from '../../src-main/core/usb/usb-registry';
import { JoinedUsbBus } from '../../src-main/transports/usb/joined-usb-bus';
import { usbAccessHint } from '../../src-main/transports/usb/usb-access-hint';
import type { UsbBus, UsbBusDevice } from '../../src-main/transports/usb/usb-bus';
import { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { PROFILES_DIR } from '../helpers/core-fixture';

/** Fast virtual clocks: the timing model still orders everything, only shorter. */
const TIME_SCALE = 0.02;

let profiles: ProfileRegistry;
const open: { registry: UsbRegistry; bus: UsbBus }[] = [];

beforeAll(async () => {
  profiles = await ProfileRegistry.load(PROFILES_DIR);
});

afterEach(async () => {
  for (const { registry } of open.splice(0)) await registry.close();
});

function startRegistry(bus: UsbBus = new VirtualUsbBus()): { registry: UsbRegistry; changes: Device[][]; bus: UsbBus } {
  const changes: Device[][] = [];
  const virtual = bus instanceof VirtualUsbBus ? bus : null;
  const registry = new UsbRegistry({
    bus,
    profiles,
    virtual,
    virtualTimeScale: TIME_SCALE,
    now: () => new Date(),
    onChange: (list) => changes.push(list),
    log: () => undefined,
  });
  open.push({ registry, bus });
  registry.start();
  return { registry, changes, bus };
}

async function rejection(promise: Promise<unknown>): Promise<FieldbenchError> {
  try {
    await promise;
  } catch (error) {
    if (isFieldbenchError(error)) return error;
    throw error;
  }
  throw new Error('expected a FieldbenchError');
}

/** Resolves when the registry's list satisfies the check; bounded so a broken registry fails instead of hanging. */
async function until(registry: UsbRegistry, check: (list: Device[]) => boolean, what: string, deadlineMs = 5000): Promise<Device[]> {
  const start = Date.now();
  for (;;) {
    await registry.quiet();
    const list = registry.list();
    if (check(list)) return list;
    if (Date.now() - start > deadlineMs) throw new Error(`not within ${deadlineMs} ms: ${what}; list: ${JSON.stringify(list)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the USB registry finds devices', () => {
  it('shows a DFU runtime board with its ids, DFU interface, profile, firmware method and identity', async () => {
    const bus = new VirtualUsbBus();
    bus.plug({ model: 'stm32-dfu', serialNumber: '3276384B3339', startIn: 'application', timeScale: TIME_SCALE });
    const { registry } = startRegistry(bus);
    const [device] = await until(registry, (list) => list.length === 1, 'the board is listed');
    expect(DeviceSchema.parse(device)).toEqual(device);
    expect(device).toMatchObject({
      id: 'usb:3276384B3339',
      transport: 'usb',
      path: 'usb 0483:5740 (virtual)',
      virtual: true,
      profileId: 'stm32-dfu-runtime-board',
      state: 'ready',
      stateDetail: 'application running; it offers DFU: Enter DFU mode to flash it',
      usb: { vendorId: '0483', productId: '5740', serialNumber: '3276384B3339' },
    });
    expect(device?.usb?.dfu?.mode).toBe('runtime');
    expect(device?.firmware).toEqual({ method: 'usb-dfu', dfuse: device?.usb?.dfu?.dfuse, canVerify: device?.usb?.dfu?.functional?.canUpload ?? false, mode: 'runtime' });
    expect(device?.identity?.serialNumber).toBe('3276384B3339');
    expect(device?.identity?.firmwareVersion).toMatch(/^\d+\.\d\d$/);
    expect(registry.has('usb:3276384B3339')).toBe(true);
    expect(registry.profileOf('usb:3276384B3339')?.id).toBe('stm32-dfu-runtime-board');
  });

  it("shows ST's bootloader with its alternate settings and their memory layouts", async () => {
    const bus = new VirtualUsbBus();
    bus.plug({ model: 'stm32-dfu', serialNumber: '3276384B3339', startIn: 'bootloader', timeScale: TIME_SCALE });
    const { registry } = startRegistry(bus);
    const [device] = await until(registry, (list) => list.length === 1, 'the bootloader is listed');
    expect(device).toMatchObject({ path: 'usb 0483:df11 (virtual)', profileId: 'stm32-system-bootloader', stateDetail: 'DFU bootloader running: ready to flash' });
    const dfu = device?.usb?.dfu;
    expect(dfu).toMatchObject({ mode: 'dfu', dfuse: true });
    expect(dfu?.alts.length).toBeGreaterThan(0);
    const flash = dfu?.alts[0]?.layout;
    expect(flash?.regions[0]?.address).toBe(0x08000000);
    expect(flash?.regions.every((r) => r.size === r.pageSize * r.pageCount)).toBe(true);
    expect(device?.firmware).toMatchObject({ method: 'usb-dfu', dfuse: true, mode: 'dfu' });
  });

  it('follows hot-plug: a board plugged in after start is listed, and unplugging removes it', async () => {
    const { registry, changes, bus } = startRegistry();
    await registry.quiet();
    expect(registry.list()).toEqual([]);
    const board = (bus as VirtualUsbBus).plug({ model: 'dfu-gadget', serialNumber: 'GADGET-1', startIn: 'bootloader', timeScale: TIME_SCALE });
    const [device] = await until(registry, (list) => list.length === 1, 'the gadget arrives');
    expect(device).toMatchObject({ id: 'usb:GADGET-1', path: 'usb 1209:0006 (virtual)', profileId: 'fieldbench-dfu-gadget' });
    expect(device?.usb?.dfu).toMatchObject({ mode: 'dfu', dfuse: false });
    expect(changes.at(-1)?.map((d) => d.id)).toEqual(['usb:GADGET-1']);
    board.unplug();
    await until(registry, (list) => list.length === 0, 'the gadget is gone');
    expect(changes.at(-1)).toEqual([]);
  });

  it('shows a DFU device no profile claims as a generic one that can still be flashed', async () => {
    const bus = new VirtualUsbBus();
    bus.plug({ model: 'dfu-gadget', serialNumber: 'GADGET-2', startIn: 'bootloader', timeScale: TIME_SCALE });
    const bare = new ProfileRegistry([]);
    const registry = new UsbRegistry({ bus, profiles: bare, virtual: bus, now: () => new Date(), onChange: () => undefined, log: () => undefined });
    open.push({ registry, bus });
    registry.start();
    const [device] = await until(registry, (list) => list.length === 1, 'the gadget is listed');
    expect(device).toMatchObject({ profileId: null, profileName: GENERIC_DFU_NAME, firmware: { method: 'usb-dfu', mode: 'dfu', dfuse: false } });
    expect(registry.profileOf('usb:GADGET-2')).toBeNull();
  });

  it('leaves out hubs and keyboards without opening them', async () => {
    let opened = 0;
    const hub = fakeDevice({ vendorId: 0x1d6b, productId: 0x0002, interfaceClass: 9, open: async () => void (opened += 1) });
    const { registry } = startRegistry(staticBus([{ device: hub, virtual: false, location: '1-0' }]));
    await registry.quiet();
    expect(registry.list()).toEqual([]);
    expect(opened).toBe(0);
  });

  it('shows a DFU device it may not open as an error, with what to do about access', async () => {
    const denied = fakeDevice({
      vendorId: 0x0483,
      productId: 0xdf11,
      interfaceClass: 0xfe,
      open: async () => Promise.reject(new Error('LIBUSB_ERROR_ACCESS')),
    });
    const { registry } = startRegistry(staticBus([{ device: denied, virtual: false, location: '1-2.3' }]));
    const [device] = await until(registry, (list) => list.length === 1, 'the device is listed');
    expect(device).toMatchObject({ id: 'usb:1-2.3', path: 'usb 0483:df11 1-2.3', state: 'error', usb: { location: '1-2.3' } });
    expect(device?.stateDetail).toContain('LIBUSB_ERROR_ACCESS');
    expect(device?.stateDetail).toContain(usbAccessHint());
    const refused = await rejection(registry.withDevice('usb:1-2.3', 'flash', async () => 'ran'));
    expect(refused.code).toBe('device-error');
    expect(refused.hint).toBe(usbAccessHint());
  });

  it('drops quietly a device unplugged while its descriptors are read', async () => {
    const bus = new VirtualUsbBus();
    const board = bus.plug({ model: 'stm32-dfu', serialNumber: 'SILENT-1', startIn: 'bootloader', faults: { silent: true }, timeScale: TIME_SCALE });
    const { registry } = startRegistry(bus);
    await new Promise((resolve) => setTimeout(resolve, 50));
    board.unplug();
    await registry.quiet();
    expect(registry.list()).toEqual([]);
  });
});

describe('entering DFU mode and following the board', () => {
  it('detaches an STM32 application into its DfuSe bootloader and keeps its id', async () => {
    const { registry, changes, bus } = startRegistry();
    const attached = await registry.attachVirtual('stm32-dfu', undefined, 'application');
    expect(attached.usb?.dfu?.mode).toBe('runtime');
    expect((bus as VirtualUsbBus).plug).toBeTypeOf('function');
    const inDfu = await registry.enterDfu(attached.id);
    expect(inDfu.id).toBe(attached.id);
    expect(inDfu).toMatchObject({ path: 'usb 0483:df11 (virtual)', profileId: 'stm32-system-bootloader', state: 'ready', firmware: { mode: 'dfu', dfuse: true } });
    expect(inDfu.usb?.dfu?.alts[0]?.layout?.regions.length).toBeGreaterThan(0);
    // While it was off the bus, the entry stayed, busy, saying why.
    const details = changes.flatMap((list) => list.filter((d) => d.id === attached.id)).map((d) => `${d.state}: ${d.stateDetail ?? ''}`);
    expect(details.some((line) => line.startsWith('busy: ') && line.includes('re-enumerating'))).toBe(true);
    expect(registry.list()).toHaveLength(1);
  });

  it('detaches the DFU gadget, which needs a USB reset, into its plain DFU 1.1 bootloader', async () => {
    const { registry } = startRegistry();
    const attached = await registry.attachVirtual('dfu-gadget', undefined, 'application');
    expect(attached.path).toBe('usb 1209:0005 (virtual)');
    const inDfu = await registry.enterDfu(attached.id);
    expect(inDfu).toMatchObject({ id: attached.id, path: 'usb 1209:0006 (virtual)', firmware: { mode: 'dfu', dfuse: false } });
  });

  it('refuses to enter DFU mode on a device already in it, saying so', async () => {
    const { registry } = startRegistry();
    const attached = await registry.attachVirtual('stm32-dfu', undefined, 'bootloader');
    const refused = await rejection(registry.enterDfu(attached.id));
    expect(refused).toMatchObject({ code: 'invalid-request', step: 'enter DFU mode' });
    expect(refused.message).toContain('already runs its DFU bootloader');
  });

  it('holds the device through a long operation that makes it re-enumerate; others fail at once naming it', async () => {
    const { registry, changes } = startRegistry();
    const attached = await registry.attachVirtual('stm32-dfu', undefined, 'application');
    let busyMeanwhile: FieldbenchError | null = null;
    const from = changes.length;
    const session = await registry.withDevice(
      attached.id,
      'firmware update',
      async (runtime) => {
        busyMeanwhile = await rejection(registry.withDevice(attached.id, 'read something', async () => 'ran'));
        await detachToBootloader(runtime.device, runtime.info, runtime.label);
        return registry.waitForMode(attached.id, 'dfu', 5000);
      },
      { long: true },
    );
    expect(busyMeanwhile).toMatchObject({ code: 'device-busy', message: 'firmware update is running on this device' });
    expect(session.info.mode).toBe('dfu');
    expect(session.label).toBe(`0483:df11 serial ${attached.usb?.serialNumber}`);
    // Every list sent while the update ran kept the device, busy, including while it was off the bus.
    const during = changes.slice(from, -1).map((list) => list.find((d) => d.id === attached.id));
    expect(during.every((d) => d?.state === 'busy')).toBe(true);
    expect(during.some((d) => d?.stateDetail === 'firmware update: re-enumerating…')).toBe(true);
    expect(registry.get(attached.id)).toMatchObject({ state: 'ready', usb: { productId: 'df11' } });
  });

  it('gives up waiting for a mode at its deadline, and at once when cancelled', async () => {
    const { registry } = startRegistry();
    const attached = await registry.attachVirtual('stm32-dfu', undefined, 'application');
    const late = await rejection(registry.waitForMode(attached.id, 'dfu', 50));
    expect(late).toMatchObject({ code: 'timeout', step: 'wait for the DFU bootloader' });
    expect(late.message).toContain('within 50 ms');
    const controller = new AbortController();
    const waiting = rejection(registry.waitForMode(attached.id, 'dfu', 60_000, controller.signal));
    controller.abort();
    expect((await waiting).message).toContain('cancelled');
    const ready = await registry.waitForMode(attached.id, 'runtime', 50);
    expect(ready.info.mode).toBe('runtime');
  });

  it('detaches virtual boards it attached, and only those; fault knobs reach the board', async () => {
    const bus = new VirtualUsbBus();
    bus.plug({ model: 'dfu-gadget', serialNumber: 'PLUGGED-1', startIn: 'bootloader', timeScale: TIME_SCALE });
    const { registry } = startRegistry(bus);
    const attached = await registry.attachVirtual('dfu-gadget', undefined, 'bootloader');
    await until(registry, (list) => list.length === 2, 'both are listed');
    expect((await rejection(registry.detach('usb:PLUGGED-1'))).code).toBe('invalid-request');
    expect((await rejection(registry.setFaults('usb:PLUGGED-1', { silent: true }))).code).toBe('invalid-request');
    await registry.setFaults(attached.id, { usbStallNext: true });
    await registry.detach(attached.id);
    expect(registry.list().map((d) => d.id)).toEqual(['usb:PLUGGED-1']);
    expect((await rejection(Promise.resolve().then(() => registry.get(attached.id)))).code).toBe('not-found');
  });
});

// ---------------------------------------------------------------- stand-ins for devices the virtual bus does not make

function fakeDevice(options: { vendorId: number; productId: number; interfaceClass: number; open(): Promise<void> }): USBDevice {
  return {
    vendorId: options.vendorId,
    productId: options.productId,
    deviceClass: 0,
    serialNumber: undefined,
    productName: undefined,
    manufacturerName: undefined,
    deviceVersionMajor: 1,
    deviceVersionMinor: 0,
    deviceVersionSubminor: 0,
    opened: false,
    configuration: undefined,
    configurations: [
      {
        configurationValue: 1,
        interfaces: [
          {
            interfaceNumber: 0,
            claimed: false,
            alternate: undefined,
            alternates: [{ alternateSetting: 0, interfaceClass: options.interfaceClass, interfaceSubclass: options.interfaceClass === 0xfe ? 1 : 0, interfaceProtocol: 2, endpoints: [] }],
          },
        ],
      },
    ],
    open: options.open,
    close: async () => undefined,
  } as unknown as USBDevice;
}

function staticBus(devices: UsbBusDevice[]): UsbBus {
  return new JoinedUsbBus({
    list: async () => devices,
    status: () => ({ transport: 'usb', method: 'test', available: true, note: null }),
    onChange: () => () => undefined,
    close: async () => undefined,
  });
}
