// A virtual device as the registry sees it: either a real serial port (the host end of a
// pseudo-terminal pair, opened through serialport like any USB-serial adapter, at a stable
// path that survives the node dropping off and coming back) or, where no PTY can be made,
// an in-memory link. Either way the real shell client talks to it.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { VirtualFaults } from '../../api/schemas';
import type { Link } from '../../transports/link';
import { attachSensorNodeInMemory, attachSensorNodeOnPty } from '../../virtual/attach-sensor-node';

export interface VirtualAttachment {
  /** The port to open, or a description when the device lives in memory. */
  path: string;
  /** Set only for in-memory devices: the host end of the link. */
  link: Link | null;
  profileId: string;
  setFaults(faults: VirtualFaults): void;
  detach(): Promise<void>;
}

export const SENSOR_NODE_PROFILE_ID = 'fieldbench-sensor-node';

/**
 * A virtual node that drops off its link (a fault knob) comes back this long after, at the
 * same stable path, as a board does when its USB cable is pulled and pushed back in.
 */
export const VIRTUAL_REPLUG_AFTER_MS = 500;

/** Where a virtual device starts: its application, or only its bootloader (MCUboot serial recovery). */
export type VirtualStart = 'application' | 'serial-recovery';

export async function attachVirtualDevice(
  model: 'sensor-node',
  faults: VirtualFaults | undefined,
  log: (level: 'info' | 'warn' | 'error', message: string) => void,
  startIn: VirtualStart = 'application',
): Promise<VirtualAttachment> {
  if (model !== 'sensor-node') {
    throw new FieldbenchError({ code: 'invalid-request', message: `no virtual device model ${String(model)}`, step: 'attach virtual device' });
  }
  // A different serial number for every attachment, so several virtual nodes can be told apart.
  const seed = Math.floor(Math.random() * 0xffffffff);
  try {
    const attached = await attachSensorNodeOnPty({
      seed,
      mode: startIn,
      ...(faults ? { faults } : {}),
      stablePath: true,
      replugAfterMs: VIRTUAL_REPLUG_AFTER_MS,
    });
    return {
      path: attached.hostPath,
      link: null,
      profileId: SENSOR_NODE_PROFILE_ID,
      setFaults: (next) => attached.simulator.setFaults(next),
      detach: () => attached.detach(),
    };
  } catch (error) {
    if (!isFieldbenchError(error) || error.code !== 'unavailable') throw error;
    log('warn', `virtual sensor node: no pseudo-terminal (${error.message}); attaching it in memory instead`);
    const attached = attachSensorNodeInMemory({ seed, mode: startIn, ...(faults ? { faults } : {}) });
    return {
      path: 'virtual (in memory)',
      link: attached.hostLink,
      profileId: SENSOR_NODE_PROFILE_ID,
      setFaults: (next) => attached.simulator.setFaults(next),
      detach: () => attached.detach(),
    };
  }
}
