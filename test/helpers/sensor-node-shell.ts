// Shell settings as the sensor node's profile has them, and fixtures that put a virtual
// sensor node on a link and always take it down again.
import type { ShellSettings } from '../../src-main/core/profiles/profile-types';
import { ShellClient } from '../../src-main/protocols/shell/shell-client';
import type { Link } from '../../src-main/transports/link';
import { openSerialLink } from '../../src-main/transports/serial/serial-link';
import { attachSensorNodeInMemory, attachSensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import type { SensorNodeOptions, SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';

export const sensorNodeShell: ShellSettings = {
  baudRate: 115200,
  prompt: 'uart:~$ ',
  lineEnding: '\r\n',
  echo: true,
  errorPatterns: ['command not found', 'wrong parameter count', '^[Ee]rror\\b', '\\(err -?\\d+\\)$'],
  commandTimeoutMs: 2000,
};

export interface SensorNodeSession {
  link: Link;
  shell: ShellClient;
  simulator: SensorNodeSimulator;
  /** The port path, or the in-memory link's label. */
  label: string;
}

type Cleanup = () => Promise<void>;

/** Collects cleanups so an afterEach can run them all, whatever the test did. */
export class Cleanups {
  private readonly pending: Cleanup[] = [];
  add(cleanup: Cleanup): void {
    this.pending.push(cleanup);
  }
  async runAll(): Promise<void> {
    const errors: unknown[] = [];
    while (this.pending.length > 0) {
      const cleanup = this.pending.pop();
      await cleanup?.().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw errors[0];
  }
}

export async function sensorNodeInMemory(
  cleanups: Cleanups,
  options: SensorNodeOptions = {},
  settings: ShellSettings = sensorNodeShell,
): Promise<SensorNodeSession> {
  const attached = attachSensorNodeInMemory(options);
  cleanups.add(() => attached.detach());
  const shell = new ShellClient(attached.hostLink, settings);
  await shell.sync();
  return { link: attached.hostLink, shell, simulator: attached.simulator, label: attached.hostLink.label };
}

/** The real thing: socat PTY pair, the simulator on its device end, serialport on the host end. */
export async function withSensorNodeOnPty(
  cleanups: Cleanups,
  options: SensorNodeOptions = {},
  settings: ShellSettings = sensorNodeShell,
): Promise<SensorNodeSession & { hostPath: string; detach(): Promise<void> }> {
  const attached = await attachSensorNodeOnPty(options);
  cleanups.add(() => attached.detach());
  const link = await openSerialLink(attached.hostPath, { baudRate: settings.baudRate });
  cleanups.add(() => link.close());
  const shell = new ShellClient(link, settings, { deviceLabel: attached.hostPath });
  await shell.sync();
  return { link, shell, simulator: attached.simulator, label: attached.hostPath, hostPath: attached.hostPath, detach: attached.detach };
}
