// Which serial ports this machine has, with USB ids where they can be found, so profiles
// can recognise a device before anything is sent to it. serialport lists ports through
// `udevadm` on Linux; where udev is missing (containers, minimal installs) the list falls
// back to scanning /dev and reading the USB ids from /sys, and says what it lost doing so.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { SerialPort } from 'serialport';
import type { DiscoveryStatus } from '../../api/schemas';

export interface SerialPortSummary {
  path: string;
  /** Lower-case 4-digit hex. */
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  manufacturer?: string;
}

/** What serialport's list() yields, as far as we use it. */
export interface ListedPort {
  path: string;
  vendorId?: string | undefined;
  productId?: string | undefined;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
}

export interface SerialDiscoveryOptions {
  /** The udev-backed lister; serialport's SerialPort.list by default. */
  listWithUdev?: () => Promise<ListedPort[]>;
  /** Where /dev and /sys are found; '/' by default, a temp folder in tests. */
  fsRoot?: string;
  /** Deadline for the udev listing. */
  udevTimeoutMs?: number;
}

const DEFAULT_UDEV_TIMEOUT_MS = 5_000;
const SCANNED_NAMES = /^tty(USB|ACM)\d+$/;

/** Never throws: a failure comes back as available: false with a note saying what to do. */
export async function listSerialPorts(
  options: SerialDiscoveryOptions = {},
): Promise<{ ports: SerialPortSummary[]; status: DiscoveryStatus }> {
  const root = options.fsRoot ?? '/';
  const listWithUdev = options.listWithUdev ?? (() => SerialPort.list());
  let udevFailure: string;
  try {
    const listed = await withDeadline(listWithUdev(), options.udevTimeoutMs ?? DEFAULT_UDEV_TIMEOUT_MS);
    const ports = listed.map(summarise).filter((p): p is SerialPortSummary => p !== null);
    // udev can run without its database being filled (a container with udevadm but no
    // udevd): it then misses USB ports that /dev plainly has.
    const scanned = await scanDevForSerialPorts(root).catch(() => [] as SerialPortSummary[]);
    const missed = scanned.filter((s) => !ports.some((p) => p.path === s.path));
    return {
      ports: sortPorts([...ports, ...missed]),
      status: {
        transport: 'serial',
        method: 'udev',
        available: true,
        note: missed.length > 0 ? `udev did not report ${missed.map((p) => p.path).join(', ')}; found by scanning /dev instead.` : null,
      },
    };
  } catch (error) {
    udevFailure = describeUdevFailure(error);
  }

  try {
    const ports = await scanDevForSerialPorts(root);
    return {
      ports,
      status: {
        transport: 'serial',
        method: 'scan of /dev',
        available: true,
        note: `${udevFailure}. Ports are found by scanning /dev; USB ids are read from /sys where the kernel shows them.`,
      },
    };
  } catch (error) {
    return {
      ports: [],
      status: {
        transport: 'serial',
        method: 'not available',
        available: false,
        note: `${udevFailure}, and scanning /dev failed too (${errorText(error)}). Add a port by its path instead.`,
      },
    };
  }
}

function describeUdevFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'udevadm not found: install udev for full port details';
  if (error instanceof DeadlineError) return `udevadm did not answer within ${error.ms} ms`;
  return `udevadm failed (${errorText(error)})`;
}

/**
 * Serial ports found without udev: /dev/serial/by-id links, /dev/ttyUSB* and /dev/ttyACM*,
 * each with the USB vendor id, product id, serial number and manufacturer that /sys shows
 * for it. Paths are reported as seen from `root` ('/dev/ttyUSB0' whatever the root).
 */
export async function scanDevForSerialPorts(root = '/'): Promise<SerialPortSummary[]> {
  const devDir = join(root, 'dev');
  // Reading /dev is the one step that must work; everything after it is best effort.
  const devEntries = await readdir(devDir);
  const names = new Set(devEntries.filter((name) => SCANNED_NAMES.test(name)));

  const byIdDir = join(devDir, 'serial', 'by-id');
  const byId = await readdir(byIdDir).catch(() => [] as string[]);
  for (const link of byId) {
    const target = await realpath(join(byIdDir, link)).catch(() => null);
    if (target && dirname(target) === (await realpath(devDir).catch(() => devDir))) names.add(posix.basename(target));
  }

  const ports: SerialPortSummary[] = [];
  for (const name of names) {
    const exists = await stat(join(devDir, name)).then(() => true, () => false);
    if (!exists) continue;
    ports.push({ path: `/dev/${name}`, ...(await readUsbDetails(root, name)) });
  }
  return sortPorts(ports);
}

/** The USB device a tty belongs to is the nearest folder above /sys/class/tty/<name>/device with an idVendor file. */
async function readUsbDetails(root: string, name: string): Promise<Omit<SerialPortSummary, 'path'>> {
  const sysRoot = resolve(root, 'sys');
  let dir = await realpath(join(sysRoot, 'class', 'tty', name, 'device')).catch(() => null);
  for (let depth = 0; dir && depth < 4 && !relative(sysRoot, dir).startsWith('..'); depth++) {
    const vendorId = await readSysfs(join(dir, 'idVendor'));
    if (vendorId !== undefined) {
      const details: Omit<SerialPortSummary, 'path'> = {};
      const hexVendor = hexId(vendorId);
      const hexProduct = hexId(await readSysfs(join(dir, 'idProduct')));
      if (hexVendor) details.vendorId = hexVendor;
      if (hexProduct) details.productId = hexProduct;
      const serialNumber = await readSysfs(join(dir, 'serial'));
      if (serialNumber) details.serialNumber = serialNumber;
      const manufacturer = await readSysfs(join(dir, 'manufacturer'));
      if (manufacturer) details.manufacturer = manufacturer;
      return details;
    }
    dir = dirname(dir);
  }
  return {};
}

async function readSysfs(file: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const trimmed = text?.trim();
  return trimmed === '' ? undefined : trimmed;
}

function summarise(port: ListedPort): SerialPortSummary | null {
  if (!port.path) return null;
  const summary: SerialPortSummary = { path: port.path };
  const vendorId = hexId(port.vendorId);
  const productId = hexId(port.productId);
  if (vendorId) summary.vendorId = vendorId;
  if (productId) summary.productId = productId;
  if (port.serialNumber) summary.serialNumber = port.serialNumber;
  if (port.manufacturer) summary.manufacturer = port.manufacturer;
  return summary;
}

/** "0x2FE3", "2FE3", "2fe3" → "2fe3"; anything that is not a 16-bit hex id → undefined. */
export function hexId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const digits = value.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{1,4}$/.test(digits)) return undefined;
  return digits.padStart(4, '0');
}

function sortPorts(ports: SerialPortSummary[]): SerialPortSummary[] {
  return [...ports].sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolvePromise(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
