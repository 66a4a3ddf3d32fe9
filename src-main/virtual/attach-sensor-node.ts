// Puts a virtual sensor node on a port: on a real pseudo-terminal when socat is there, so
// the host opens it like any USB-serial adapter, or on an in-memory link when it is not.
// On a pseudo-terminal it can also behave like a board on a USB cable that is pulled and
// plugged back in: its port vanishes when it drops off the link and comes back at the same
// stable path.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLinkPair } from '../transports/memory-link';
import type { Link } from '../transports/link';
import { openSerialLink } from '../transports/serial/serial-link';
import { openPtyPair, type PtyPair } from './pty-pair';
import { SensorNodeSimulator, type SensorNodeOptions } from './sensor-node/sensor-node-firmware';

export interface SensorNodeOnPty {
  /**
   * The serial port to open: /dev/pts/N, or the stable path when one was asked for (it
   * stays the same across replugs, as /dev/serial/by-id/... does for a USB adapter).
   */
  readonly hostPath: string;
  simulator: SensorNodeSimulator;
  /** How many times the node has been plugged back in after dropping off its link. */
  readonly replugs: number;
  detach(): Promise<void>;
}

export interface SensorNodeInMemory {
  hostLink: Link;
  simulator: SensorNodeSimulator;
  detach(): Promise<void>;
}

/**
 * Pass `simulator` to plug a node that is already running back in (after an unplug): it
 * keeps its flash, slots and RAM state and comes up on a new port, as a board re-enumerates.
 */
export interface ReplugOption {
  simulator?: SensorNodeSimulator;
}

export interface PtyPlacement {
  baudRate?: number;
  timeoutMs?: number;
  /**
   * Give the host end a fixed name that survives replugs: true for the default under the
   * temporary folder (see stableHostPath), or a path of your own.
   */
  stablePath?: boolean | string;
  /**
   * When the node drops off its link (a drop fault), its port vanishes as an unplugged
   * cable's does; with this set, the same node is plugged into a new pseudo-terminal this
   * many milliseconds later (at the same stable path, if there is one). Unset: it stays out.
   */
  replugAfterMs?: number;
}

/** Where a virtual node's port is linked when asked for a stable path: <tmp>/fieldbench-virtual/<serial>. */
export function stableHostPath(serialNumber: string): string {
  return join(tmpdir(), 'fieldbench-virtual', serialNumber);
}

export async function attachSensorNodeOnPty(options: SensorNodeOptions & ReplugOption & PtyPlacement = {}): Promise<SensorNodeOnPty> {
  const { baudRate = 115_200, timeoutMs, simulator: existing, stablePath, replugAfterMs, ...simulatorOptions } = options;
  const simulator = existing ?? new SensorNodeSimulator(simulatorOptions);
  const hostLink = stablePath === undefined || stablePath === false ? undefined : stablePath === true ? stableHostPath(simulator.serialNumber) : stablePath;
  const ptyOptions = { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(hostLink !== undefined ? { hostLink } : {}) };

  let detached: Promise<void> | null = null;
  let replugs = 0;
  let replugTimer: ReturnType<typeof setTimeout> | null = null;
  let current: { pty: PtyPair; deviceLink: Link } | null = null;
  /** A replug under way, which a detach waits for so it leaves nothing behind. */
  let plugging: Promise<void> | null = null;

  const plugIn = async (): Promise<void> => {
    const pty = await openPtyPair(ptyOptions);
    let deviceLink: Link;
    try {
      deviceLink = await openSerialLink(pty.devicePath, { baudRate });
    } catch (error) {
      await pty.close();
      throw error;
    }
    current = { pty, deviceLink };
    if (detached !== null) return; // detached meanwhile: the detach closes what was just made
    // When the node drops off its link (a drop fault), the port must vanish for the host
    // too, as /dev/ttyUSB0 does when the cable is pulled. Closing the device end of a PTY
    // is not enough: socat keeps the host end alive.
    deviceLink.onClose(() => void unplugged(pty));
    simulator.attach(deviceLink);
  };

  const unplugged = async (pty: PtyPair): Promise<void> => {
    await pty.close();
    if (detached !== null || replugAfterMs === undefined) return;
    replugTimer = setTimeout(() => {
      replugTimer = null;
      if (detached !== null) return;
      plugging = plugIn().then(
        () => {
          replugs += 1;
        },
        // A replug that fails leaves the node unplugged, as a cable that will not seat does.
        () => undefined,
      );
    }, replugAfterMs);
  };

  await plugIn();
  return {
    get hostPath() {
      return hostLink ?? current?.pty.hostPath ?? '';
    },
    simulator,
    get replugs() {
      return replugs;
    },
    detach: () => {
      detached ??= (async () => {
        if (replugTimer) clearTimeout(replugTimer);
        await plugging;
        simulator.stop();
        const plugged = current;
        if (plugged) {
          await plugged.deviceLink.close().catch(() => undefined);
          await plugged.pty.close();
        }
      })();
      return detached;
    },
  };
}

export function attachSensorNodeInMemory(options: SensorNodeOptions & ReplugOption = {}): SensorNodeInMemory {
  const { simulator: existing, ...simulatorOptions } = options;
  const simulator = existing ?? new SensorNodeSimulator(simulatorOptions);
  const [hostLink, deviceLink] = createMemoryLinkPair(
    `virtual sensor-node ${simulator.serialNumber} (in memory)`,
    'virtual sensor-node (device end)',
  );
  simulator.attach(deviceLink);
  return {
    hostLink,
    simulator,
    detach: async () => {
      simulator.stop();
      await deviceLink.close();
    },
  };
}
