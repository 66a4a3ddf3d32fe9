// The real USB bus, through the `usb` package's WebUSB object. The only file that loads `usb`
// (an eslint rule keeps it so): the package is native, may have no binary for the platform, and
// may find no bus at all (a container without /sys/bus/usb, no permission, no driver). Each of
// those becomes a one-line status with what to do; none of them stops serial or BLE discovery.
import type { DiscoveryStatus } from '../../api/schemas';
import { isUsbAccessError, usbAccessHint } from './usb-access-hint';
import type { UsbBus, UsbBusDevice } from './usb-bus';

/** The slice of `usb`'s WebUSB object used here. */
interface WebUsbLike {
  getDevices(): Promise<USBDevice[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: { device: USBDevice }) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (event: { device: USBDevice }) => void): void;
}

/** What `usb` adds to a USBDevice: where it sits, and the handle that names it across calls. */
interface NodeUsbDevice extends USBDevice {
  bus?: string;
  ports?: number[];
  handle?: unknown;
}

export interface NodeUsbBusOptions {
  /** Loads the package; tests pass one that fails, as on a platform without a prebuilt binary. */
  loadUsb?: () => Promise<{ WebUSB: new (options: { allowAllDevices: boolean }) => WebUsbLike }>;
}

type Listener = Parameters<UsbBus['onChange']>[0];

export class NodeUsbBus implements UsbBus {
  private webusb: Promise<WebUsbLike | null> | null = null;
  private current: DiscoveryStatus = {
    transport: 'usb',
    method: 'not started',
    available: false,
    note: 'USB discovery has not run yet.',
  };
  private readonly listeners = new Set<Listener>();
  /** `usb` hands out a new object per call; one object per device (by its handle) lets callers compare them. */
  private readonly byHandle = new Map<unknown, USBDevice>();
  private subscribed: WebUsbLike | null = null;
  private closed = false;

  constructor(private readonly options: NodeUsbBusOptions = {}) {}

  async list(): Promise<UsbBusDevice[]> {
    const webusb = await this.load();
    if (!webusb || this.closed) return [];
    let devices: NodeUsbDevice[];
    try {
      devices = (await webusb.getDevices()) as NodeUsbDevice[];
    } catch (error) {
      this.current = unavailable(`the USB bus cannot be read (${describe(error)})`, error);
      return [];
    }
    this.current = { transport: 'usb', method: 'libusb (usb package)', available: true, note: null };
    // Hot-plug events only once the bus is known to be there: `usb` reports a failed
    // subscription by throwing from a timer, which would take the whole process down.
    this.subscribe(webusb);
    const present = new Set<unknown>();
    const listed = devices.map((device) => {
      const stable = this.stable(device);
      present.add(handleOf(device));
      const location = locationOf(device);
      return { device: stable, virtual: false, ...(location ? { location } : {}) };
    });
    for (const handle of [...this.byHandle.keys()]) if (!present.has(handle)) this.byHandle.delete(handle);
    return listed;
  }

  status(): DiscoveryStatus {
    return { ...this.current };
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const webusb = this.subscribed;
    this.subscribed = null;
    if (webusb) {
      webusb.removeEventListener('connect', this.onConnect);
      webusb.removeEventListener('disconnect', this.onDisconnect);
    }
  }

  private load(): Promise<WebUsbLike | null> {
    this.webusb ??= (async () => {
      try {
        const usb = await (this.options.loadUsb ?? (() => import('usb')))();
        return new usb.WebUSB({ allowAllDevices: true }) as WebUsbLike;
      } catch (error) {
        this.current = {
          transport: 'usb',
          method: 'not available',
          available: false,
          note:
            `The usb package could not be loaded on ${process.platform}-${process.arch} (${describe(error)}): ` +
            'USB devices are not listed. Reinstall Fieldbench for this platform; serial and virtual devices still work.',
        };
        return null;
      }
    })();
    return this.webusb;
  }

  private subscribe(webusb: WebUsbLike): void {
    if (this.subscribed || this.closed) return;
    this.subscribed = webusb;
    webusb.addEventListener('connect', this.onConnect);
    webusb.addEventListener('disconnect', this.onDisconnect);
  }

  private readonly onConnect = (event: { device: USBDevice }): void => {
    this.notify('connect', this.stable(event.device as NodeUsbDevice));
  };

  private readonly onDisconnect = (event: { device: USBDevice }): void => {
    const handle = handleOf(event.device as NodeUsbDevice);
    const known = this.byHandle.get(handle) ?? event.device;
    this.byHandle.delete(handle);
    this.notify('disconnect', known);
  };

  private notify(kind: 'connect' | 'disconnect', device: USBDevice): void {
    for (const listener of [...this.listeners]) listener({ kind, device });
  }

  private stable(device: NodeUsbDevice): USBDevice {
    const handle = handleOf(device);
    const known = this.byHandle.get(handle);
    if (known) return known;
    this.byHandle.set(handle, device);
    return device;
  }
}

/** The status for a bus that cannot be read: what failed and, where it is about access, what to do. */
function unavailable(what: string, error: unknown): DiscoveryStatus {
  const missingBus = /\/sys\/bus\/usb|not found|ENOENT|errno 2/iu.test(describe(error));
  const advice = isUsbAccessError(error)
    ? usbAccessHint()
    : missingBus
      ? 'This machine (or container) has no USB bus to read: pass the host\'s USB through, or run Fieldbench on the machine the device is plugged into. ' +
        usbAccessHint()
      : usbAccessHint();
  return { transport: 'usb', method: 'not available', available: false, note: `${what}: USB devices are not listed. ${advice}` };
}

/** Bus and port chain, as Linux names it ("1-2.3"). */
function locationOf(device: NodeUsbDevice): string | undefined {
  const bus = device.bus;
  if (!bus) return undefined;
  if (bus.includes('-') || !device.ports?.length) return bus;
  return `${bus}-${device.ports.join('.')}`;
}

function handleOf(device: NodeUsbDevice): unknown {
  return device.handle ?? `${device.bus ?? ''}/${(device.ports ?? []).join('.')}/${device.vendorId}:${device.productId}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
