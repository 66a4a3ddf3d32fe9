// What the doors see of the core: one dispatch function for every request in the contract,
// a typed event source, and a way to shut everything down cleanly.
import type { Dispatch } from '../api/dispatch';
import type { EventChannel, EventOf } from '../api/contract';
import type { BleCentral } from '../transports/ble/ble-central';
import type { UsbBus } from '../transports/usb/usb-bus';
import type { DiscoveryStatus } from '../api/schemas';
import type { SerialPortSeen } from './devices/device-registry';

export interface CoreEvents {
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void;
}

export interface Core {
  dispatch: Dispatch;
  events: CoreEvents;
  /** Resolves once the first discovery pass and the identifications it started are done. */
  ready(): Promise<void>;
  /** Close devices, stop discovery, detach virtual devices, close the store. */
  close(): Promise<void>;
}

export interface CoreOptions {
  /** Folder for the case store and logs. */
  dataDir: string;
  /** Folder of device profiles (device-profiles/ in a checkout, resources in a package). */
  profilesDir: string;
  /**
   * Folder of the shipped knowledge-base articles (knowledge-base/ in a checkout, resources in
   * a package); found by defaultKnowledgeDir() when not given. A team's own articles and
   * drafts live in <dataDir>/knowledge-base/.
   */
  knowledgeDir?: string;
  /**
   * Folder of the shipped bench station recipes (recipes/ in a checkout); found by
   * defaultRecipesDir() ($FIELDBENCH_RECIPES_DIR first) when not given. A team's own recipes
   * live in <dataDir>/recipes/.
   */
  recipesDir?: string;
  /** better-sqlite3 binary built for this runtime, when it is not the one in node_modules (Electron). */
  sqliteNativeBinding?: string;
  /** Check every answer against the contract (development and tests). */
  checkResponses?: boolean;
  /**
   * Where serial ports are listed from. Default: serialport's list (udevadm), or /dev when it
   * is missing. Tests pass their own, to play a USB device re-enumerating at another path.
   */
  listSerialPorts?: () => Promise<{ ports: SerialPortSeen[]; status: DiscoveryStatus }>;
  /** Poll interval for serial discovery; 0 looks once at start-up only (CLI one-shots), -1 never looks (commands that need no device). */
  discoveryIntervalMs?: number;
  /**
   * The USB bus to watch. Default: the real bus (the usb package) joined with a virtual one.
   * Tests pass a VirtualUsbBus: a bus that can plug boards is also where devices.attachVirtual
   * puts the USB models.
   */
  usbBus?: UsbBus;
  /**
   * The Bluetooth LE central. Default: node-ble over the system bus, made on first use so a
   * machine without D-Bus starts as usual. Tests pass one on a private bus.
   */
  bleCentral?: BleCentral;
  /** The clock of virtual boards attached through the API: 1 (default) is as slow as real hardware; tests pass less. */
  virtualTimeScale?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}
