// Hot-plug and recognition in the device registry, with discovery faked (there is no USB
// bus here) and the real simulator answering over in-memory links.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Device, DiscoveryStatus } from '../../src-main/api/schemas';
import { isFieldbenchError } from '../../src-main/api/errors';
import { DeviceDirectory } from '../../src-main/core/devices/device-directory';
import { DeviceRegistry, type SerialPortSeen } from '../../src-main/core/devices/device-registry';
import { UsbRegistry } from '../../src-main/core/usb/usb-registry';
import { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';
import type { Link } from '../../src-main/transports/link';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { PROFILES_DIR } from '../helpers/core-fixture';
import { until } from '../helpers/until';

const STATUS: DiscoveryStatus = { transport: 'serial', method: 'test', available: true, note: null };
const ZEPHYR_USB = { vendorId: '2fe3', productId: '0100' };

let profiles: ProfileRegistry;
beforeAll(async () => {
  profiles = await ProfileRegistry.load(PROFILES_DIR);
});

interface Bench {
  registry: DeviceRegistry;
  ports: SerialPortSeen[];
  /** Simulators behind each port path; a port without one opens but never answers. */
  devices: Map<string, SensorNodeSimulator>;
  opened: string[];
  /** The host end of every link opened, in order. */
  links: Link[];
  /** While set, an open waits for it: a port that is slow to open. */
  openGate: Promise<void> | null;
  changes: Device[][];
}

let bench: Bench | null = null;
afterEach(async () => {
  await bench?.registry.close();
  for (const sim of bench?.devices.values() ?? []) sim.stop();
  bench = null;
});

function makeBench(hooks: { refuseForeign?: (deviceId: string, step: string) => void } = {}): Bench {
  const ports: SerialPortSeen[] = [];
  const devices = new Map<string, SensorNodeSimulator>();
  const opened: string[] = [];
  const links: Link[] = [];
  const changes: Device[][] = [];
  const registry = new DeviceRegistry({
    profiles,
    listSerialPorts: async () => ({ ports: [...ports], status: STATUS }),
    openSerialLink: async (path): Promise<Link> => {
      opened.push(path);
      await bench?.openGate;
      const [host, device] = createMemoryLinkPair(path, `${path} (device)`);
      devices.get(path)?.attach(device);
      links.push(host);
      return host;
    },
    attachVirtual: async () => {
      throw new Error('not used here');
    },
    portExists: async (path) => ports.some((p) => p.path === path) || devices.has(path),
    now: () => new Date(),
    onChange: (list) => changes.push(list),
    ...hooks,
    log: () => undefined,
  });
  bench = { registry, ports, devices, opened, links, openGate: null, changes };
  return bench;
}

describe('DeviceRegistry', () => {
  it('a device whose USB id a profile claims appears, is recognised, and goes when unplugged', async () => {
    const b = makeBench();
    b.devices.set('/dev/ttyACM0', new SensorNodeSimulator({ seed: 3 }));
    b.ports.push({ path: '/dev/ttyACM0', ...ZEPHYR_USB, serialNumber: 'E66138935F4B' });
    await b.registry.poll();
    await b.registry.settled();
    const [device] = b.registry.list();
    expect(device).toMatchObject({
      id: 'serial:/dev/ttyACM0',
      state: 'ready',
      profileId: 'fieldbench-sensor-node',
      usb: { ...ZEPHYR_USB, serialNumber: 'E66138935F4B' },
      identity: { model: 'sensor-node' },
    });
    expect(b.changes.length).toBeGreaterThan(0);

    b.ports.length = 0;
    await b.registry.poll();
    expect(b.registry.list()).toEqual([]);
    expect(b.changes.at(-1)).toEqual([]);
  });

  it('never writes to a port no profile claims until asked to identify it', async () => {
    const b = makeBench();
    b.devices.set('/dev/ttyUSB0', new SensorNodeSimulator({ seed: 4 }));
    b.ports.push({ path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001' });
    await b.registry.poll();
    await b.registry.settled();
    expect(b.opened).toEqual([]);
    expect(b.registry.list()[0]).toMatchObject({ state: 'unknown', profileId: null });

    const identified = await b.registry.identify('serial:/dev/ttyUSB0');
    expect(identified).toMatchObject({ state: 'ready', profileId: 'fieldbench-sensor-node' });
    expect(b.opened).toEqual(['/dev/ttyUSB0']);
  });

  it('a claimed port that never answers is marked unresponsive with the reason', async () => {
    const b = makeBench();
    b.ports.push({ path: '/dev/ttyACM1', ...ZEPHYR_USB });
    await b.registry.poll();
    await b.registry.settled();
    const [device] = b.registry.list();
    expect(device?.state).toBe('unresponsive');
    expect(device?.stateDetail).toMatch(/ttyACM1|prompt|answer/);
  });

  it('runs one operation at a time per device and reports busy meanwhile', async () => {
    const b = makeBench();
    b.devices.set('/dev/ttyACM2', new SensorNodeSimulator({ seed: 5 }));
    b.ports.push({ path: '/dev/ttyACM2', ...ZEPHYR_USB });
    await b.registry.poll();
    await b.registry.settled();
    const order: string[] = [];
    const first = b.registry.withShell('serial:/dev/ttyACM2', 'first', async (shell) => {
      expect(b.registry.get('serial:/dev/ttyACM2').state).toBe('busy');
      await shell.run('kernel uptime');
      order.push('first');
    });
    const second = b.registry.withShell('serial:/dev/ttyACM2', 'second', async () => {
      order.push('second');
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(b.registry.get('serial:/dev/ttyACM2').state).toBe('ready');
  });

  it('a device removed while an operation waits fails that operation as gone', async () => {
    const b = makeBench();
    b.devices.set('/dev/ttyACM3', new SensorNodeSimulator({ seed: 6 }));
    b.ports.push({ path: '/dev/ttyACM3', ...ZEPHYR_USB });
    await b.registry.poll();
    await b.registry.settled();
    const deviceId = 'serial:/dev/ttyACM3';
    const slow = b.registry.withShell(deviceId, 'slow', (shell) => shell.run('selftest'));
    const queued = b.registry.withShell(deviceId, 'queued', async () => 'never');
    b.ports.length = 0;
    await b.registry.poll();
    await expect(slow).rejects.toMatchObject({ code: 'device-gone' });
    await expect(queued).rejects.toMatchObject({ code: 'device-gone' });
  });

  it('a port that finishes opening after its device was removed (unplugged mid-reconnect) is closed again, not left holding the path', async () => {
    const b = makeBench();
    b.devices.set('/dev/ttyACM5', new SensorNodeSimulator({ seed: 8 }));
    b.ports.push({ path: '/dev/ttyACM5', ...ZEPHYR_USB });
    await b.registry.poll();
    await b.registry.settled();
    let openNow!: () => void;
    b.openGate = new Promise<void>((resolve) => (openNow = resolve));
    const opensBefore = b.opened.length;
    const reconnect = b.registry.withSession('serial:/dev/ttyACM5', 'firmware update', (session) => session.reopen(), { long: true });
    await until('the reconnect to start opening the port', () => b.opened.length > opensBefore);
    b.ports.length = 0;
    await b.registry.poll();
    openNow();
    await expect(reconnect).rejects.toMatchObject({ code: 'device-gone', device: '/dev/ttyACM5' });
    expect(b.links.at(-1)?.isOpen).toBe(false);
  });

  it('a long operation (a firmware update) makes others fail at once with device-busy, naming it', async () => {
    const b = makeBench();
    b.devices.set('/dev/ttyACM4', new SensorNodeSimulator({ seed: 7 }));
    b.ports.push({ path: '/dev/ttyACM4', ...ZEPHYR_USB });
    await b.registry.poll();
    await b.registry.settled();
    const deviceId = 'serial:/dev/ttyACM4';
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const update = b.registry.withSession(deviceId, 'firmware update', () => held, { long: true });
    await expect(b.registry.withShell(deviceId, 'read diagnostics', async () => 'never')).rejects.toMatchObject({
      code: 'device-busy',
      message: 'firmware update is running on this device',
    });
    release();
    await update;
    await expect(b.registry.withShell(deviceId, 'read diagnostics', async () => 'now')).resolves.toBe('now');
  });
});

describe('DeviceDirectory: serial and USB devices as one list', () => {
  let usb: UsbRegistry | null = null;
  afterEach(async () => {
    await usb?.close();
    usb = null;
  });

  async function makeDirectory() {
    const emitted: Device[][] = [];
    let directory: DeviceDirectory | null = null;
    const b = makeBench({ refuseForeign: (deviceId, step) => directory?.refuseShell(deviceId, step) });
    const bus = new VirtualUsbBus();
    usb = new UsbRegistry({ bus, profiles, virtual: bus, virtualTimeScale: 0.02, now: () => new Date(), onChange: () => directory?.changed(), log: () => undefined });
    directory = new DeviceDirectory(b.registry, usb, (list) => emitted.push(list));
    usb.start();
    b.devices.set('/dev/ttyACM0', new SensorNodeSimulator({ seed: 5 }));
    b.ports.push({ path: '/dev/ttyACM0', ...ZEPHYR_USB });
    await b.registry.poll();
    await b.registry.settled();
    return { directory, bench: b, emitted };
  }

  async function code(work: () => Promise<unknown>): Promise<string> {
    try {
      await work();
    } catch (error) {
      if (isFieldbenchError(error)) return `${error.code}: ${error.message}`;
      throw error;
    }
    return 'no error';
  }

  it('lists both sorted by path, emits the merged list on a change in either, and routes by id', async () => {
    const { directory, emitted } = await makeDirectory();
    const board = await directory.attachVirtual('dfu-gadget', undefined, 'bootloader');
    const list = directory.list();
    expect(list.map((d) => d.path)).toEqual(['/dev/ttyACM0', 'usb 1209:0006 (virtual)']);
    expect(emitted.at(-1)?.map((d) => d.id)).toEqual(list.map((d) => d.id));
    expect(directory.get(board.id).transport).toBe('usb');
    expect(directory.get('serial:/dev/ttyACM0').transport).toBe('serial');
    expect(directory.isUsb(board.id)).toBe(true);
    expect((await directory.identify(board.id)).state).toBe('ready');
    expect(directory.discoveryStatus().map((s) => s.transport)).toEqual(['serial', 'usb']);
    await directory.detach(board.id);
    expect(emitted.at(-1)?.map((d) => d.id)).toEqual(['serial:/dev/ttyACM0']);
  });

  it('takes each virtual model only in its own start modes, and enters DFU mode only on USB devices', async () => {
    const { directory } = await makeDirectory();
    expect(await code(() => directory.attachVirtual('stm32-dfu', undefined, 'serial-recovery'))).toMatch(/^invalid-request: the virtual stm32-dfu has no MCUboot serial recovery/);
    expect(await code(() => directory.attachVirtual('sensor-node', undefined, 'bootloader'))).toMatch(/^invalid-request: the virtual sensor node has no USB DFU bootloader/);
    expect(await code(() => directory.enterDfu('serial:/dev/ttyACM0'))).toBe('invalid-request: not a USB DFU device: it is a serial port');
    expect(await code(() => directory.enterDfu('usb:nothing'))).toBe('not-found: no device usb:nothing');
  });

  it('refuses shell and SMP work on a USB device with a sentence, through the serial registry too', async () => {
    const { directory, bench: b } = await makeDirectory();
    const board = await directory.attachVirtual('stm32-dfu', undefined, 'bootloader');
    expect(await code(() => b.registry.withShell(board.id, 'read diagnostics', async () => 'ran'))).toBe(
      'unavailable: a USB DFU device has no diagnostics to read; it offers no serial shell, only its DFU interface',
    );
    expect(await code(() => b.registry.withSession(board.id, 'SMP echo', async () => 'ran'))).toBe(
      'unavailable: SMP echo needs a serial shell or SMP (MCUmgr), which a USB DFU device does not offer',
    );
    expect(await code(() => b.registry.withSession('serial:/dev/nothing', 'SMP echo', async () => 'ran'))).toBe('not-found: no device serial:/dev/nothing');
  });
});
