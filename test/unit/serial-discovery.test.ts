import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DiscoveryStatus } from '../../src-main/api/schemas';
import { hexId, listSerialPorts, scanDevForSerialPorts } from '../../src-main/transports/serial/serial-discovery';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'fieldbench-discovery-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A USB device folder in the fake /sys, with the files the kernel puts there. */
async function usbDevice(sysPath: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, 'sys/devices/pci0000:00/0000:00:14.0/usb1', sysPath);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), `${content}\n`);
  return dir;
}

/** /sys/class/tty/<name>/device → `target`, as the kernel links it. */
async function ttyClass(name: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  await mkdir(join(root, 'sys/class/tty', name), { recursive: true });
  await symlink(target, join(root, 'sys/class/tty', name, 'device'));
}

async function devNode(name: string): Promise<void> {
  await mkdir(join(root, 'dev'), { recursive: true });
  await writeFile(join(root, 'dev', name), '');
}

async function fakeMachine(): Promise<void> {
  // An FTDI adapter: ttyUSB0's device is a child of the interface, two levels below the USB device.
  const ftdi = await usbDevice('1-1', { idVendor: '0403', idProduct: '6001', serial: 'A50285BI', manufacturer: 'FTDI' });
  await ttyClass('ttyUSB0', join(ftdi, '1-1:1.0', 'ttyUSB0'));
  await devNode('ttyUSB0');
  // A Zephyr CDC ACM device: ttyACM0's device is the interface, one level below.
  const zephyr = await usbDevice('1-2', { idVendor: '2FE3', idProduct: '0100', serial: '4A1B2C3D', manufacturer: 'ZEPHYR' });
  await ttyClass('ttyACM0', join(zephyr, '1-2:1.0'));
  await devNode('ttyACM0');
  // A port /sys knows nothing about.
  await devNode('ttyUSB10');
  // Things that are not serial ports we scan for.
  await devNode('ttyS0');
  await devNode('null');
  // by-id links, relative as udev makes them, one of them dangling.
  await mkdir(join(root, 'dev/serial/by-id'), { recursive: true });
  await symlink('../../ttyACM0', join(root, 'dev/serial/by-id/usb-ZEPHYR_Sensor_Node_4A1B2C3D-if00'));
  await symlink('../../ttyUSB7', join(root, 'dev/serial/by-id/usb-gone-if00-port0'));
}

describe('scanDevForSerialPorts', () => {
  test('finds ttyUSB and ttyACM ports with their USB details from /sys', async () => {
    await fakeMachine();
    expect(await scanDevForSerialPorts(root)).toEqual([
      { path: '/dev/ttyACM0', vendorId: '2fe3', productId: '0100', serialNumber: '4A1B2C3D', manufacturer: 'ZEPHYR' },
      { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', serialNumber: 'A50285BI', manufacturer: 'FTDI' },
      { path: '/dev/ttyUSB10' },
    ]);
  });

  test('a port reached only through /dev/serial/by-id is found too', async () => {
    await mkdir(join(root, 'dev/serial/by-id'), { recursive: true });
    await devNode('ttyXRUSB0');
    await symlink('../../ttyXRUSB0', join(root, 'dev/serial/by-id/usb-Exar_XR21V1410-if00'));
    expect(await scanDevForSerialPorts(root)).toEqual([{ path: '/dev/ttyXRUSB0' }]);
  });

  test('an empty /dev is an empty list, a missing /dev an error', async () => {
    await mkdir(join(root, 'dev'));
    expect(await scanDevForSerialPorts(root)).toEqual([]);
    await expect(scanDevForSerialPorts(join(root, 'nowhere'))).rejects.toThrow();
  });
});

describe('listSerialPorts', () => {
  const udevadmMissing = () => Promise.reject(Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' }));

  test('udev working: its ports, method udev, no note', async () => {
    await mkdir(join(root, 'dev'));
    const result = await listSerialPorts({
      fsRoot: root,
      listWithUdev: async () => [
        { path: '/dev/ttyACM0', vendorId: '2FE3', productId: '100', serialNumber: '4A1B', manufacturer: 'ZEPHYR' },
        { path: '/dev/ttyS0' },
      ],
    });
    expect(DiscoveryStatus.parse(result.status)).toEqual({ transport: 'serial', method: 'udev', available: true, note: null });
    expect(result.ports).toEqual([
      { path: '/dev/ttyACM0', vendorId: '2fe3', productId: '0100', serialNumber: '4A1B', manufacturer: 'ZEPHYR' },
      { path: '/dev/ttyS0' },
    ]);
  });

  test('udev running without its database: ports it missed are added from the scan, and said so', async () => {
    await fakeMachine();
    const result = await listSerialPorts({ fsRoot: root, listWithUdev: async () => [{ path: '/dev/ttyUSB0' }] });
    expect(result.status.method).toBe('udev');
    expect(result.ports.map((p) => p.path)).toEqual(['/dev/ttyACM0', '/dev/ttyUSB0', '/dev/ttyUSB10']);
    expect(result.status.note).toContain('/dev/ttyACM0');
  });

  test('udevadm missing: falls back to the scan and says what to install', async () => {
    await fakeMachine();
    const result = await listSerialPorts({ fsRoot: root, listWithUdev: udevadmMissing });
    expect(DiscoveryStatus.parse(result.status)).toMatchObject({ transport: 'serial', method: 'scan of /dev', available: true });
    expect(result.status.note).toContain('udevadm not found: install udev for full port details');
    expect(result.ports.find((p) => p.path === '/dev/ttyACM0')).toMatchObject({ vendorId: '2fe3', productId: '0100' });
  });

  test('udevadm failing or hanging: falls back too, and says why', async () => {
    await fakeMachine();
    const failing = await listSerialPorts({ fsRoot: root, listWithUdev: () => Promise.reject(new Error('udevadm exited with error code: 1')) });
    expect(failing.status.method).toBe('scan of /dev');
    expect(failing.status.note).toContain('udevadm failed (udevadm exited with error code: 1)');
    const hanging = await listSerialPorts({ fsRoot: root, udevTimeoutMs: 50, listWithUdev: () => new Promise(() => undefined) });
    expect(hanging.status.method).toBe('scan of /dev');
    expect(hanging.status.note).toContain('did not answer within 50 ms');
    expect(hanging.ports).toHaveLength(3);
  });

  test('nothing works: no throw, available false, a note with a way forward', async () => {
    const result = await listSerialPorts({ fsRoot: join(root, 'missing'), listWithUdev: udevadmMissing });
    expect(result.ports).toEqual([]);
    expect(DiscoveryStatus.parse(result.status)).toMatchObject({ available: false, method: 'not available' });
    expect(result.status.note).toContain('Add a port by its path');
  });

  test('on this machine, with the real serialport, it answers and never throws', async () => {
    const result = await listSerialPorts();
    expect(DiscoveryStatus.parse(result.status).transport).toBe('serial');
    expect(['udev', 'scan of /dev']).toContain(result.status.method);
    for (const port of result.ports) expect(port.path).toMatch(/^\/dev\//);
  });
});

describe('hexId', () => {
  test.each([
    ['0x2FE3', '2fe3'],
    ['2FE3', '2fe3'],
    ['100', '0100'],
    [' 0403\n', '0403'],
    ['12345', undefined],
    ['zz', undefined],
    [undefined, undefined],
  ])('%j → %j', (input, expected) => {
    expect(hexId(input)).toBe(expected);
  });
});
