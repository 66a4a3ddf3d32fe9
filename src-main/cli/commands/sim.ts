// `fieldbench sim sensor-node`: a virtual device on a real pseudo-terminal, for trying
// Fieldbench (or any serial tool) without hardware. Prints one JSON line, runs until stopped.
// With --stable-path the port is a fixed link that survives the node dropping off and being
// plugged back in (--replug-after), as /dev/serial/by-id/... does for a USB adapter.
import type { VirtualFaults } from '../../api/schemas';
import { attachSensorNodeOnPty } from '../../virtual/attach-sensor-node';
import { SENSOR_NODE_PROFILE_ID } from '../../core/devices/virtual-attachment';
import { EXIT_OK, printJson, UsageError, type Io } from '../output';

export interface SimOptions {
  model: string;
  faults: VirtualFaults;
  seed: number | undefined;
  /** Print a stable path (a link to the pseudo-terminal) instead of /dev/pts/N. */
  stablePath: boolean;
  /** After the node drops off its link, plug it back in this many milliseconds later. */
  replugAfterMs: number | undefined;
}

export async function simCommand(io: Io, options: SimOptions, signal: AbortSignal): Promise<number> {
  if (options.model !== 'sensor-node') throw new UsageError(`no virtual device model '${options.model}' (try: sensor-node)`);
  const attached = await attachSensorNodeOnPty({
    faults: options.faults,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.stablePath ? { stablePath: true } : {}),
    ...(options.replugAfterMs !== undefined ? { replugAfterMs: options.replugAfterMs } : {}),
  });
  printJson(io, {
    port: attached.hostPath,
    model: options.model,
    profile: SENSOR_NODE_PROFILE_ID,
    serialNumber: attached.simulator.serialNumber,
    baudRate: 115200,
    pid: process.pid,
  });
  io.err(`Virtual sensor node on ${attached.hostPath}. Try: fieldbench diag --port ${attached.hostPath}\nPress Ctrl+C to stop.`);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await attached.detach();
  return EXIT_OK;
}
