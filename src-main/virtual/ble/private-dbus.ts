// A private D-Bus system bus: a dbus-daemon of our own on a unix socket in a temporary
// folder, so a simulated BlueZ can own org.bluez and node-ble (which only ever opens the
// system bus) can be pointed at it through DBUS_SYSTEM_BUS_ADDRESS. The real system bus is
// never touched, and nothing needs root: the generated policy lets this user own and call
// every name on its own bus.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FieldbenchError } from '../../api/errors';

export interface PrivateDbus {
  /** The bus address to connect to, as dbus-daemon printed it (unix:path=...,guid=...). */
  readonly address: string;
  /** The daemon's process id. */
  readonly pid: number;
  /** Stop the daemon, wait for it to exit, and remove its folder. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface PrivateDbusOptions {
  /** How long the daemon has to print its address; 5 s by default. */
  timeoutMs?: number;
  /** The dbus-daemon binary; found on PATH by default. */
  daemonPath?: string;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const EXIT_DEADLINE_MS = 2_000;
const DEVICE = 'private D-Bus';
const STEP = 'start private D-Bus';
const DBUS_HINT = 'Install the dbus package (Debian/Ubuntu: sudo apt install dbus), which provides dbus-daemon.';

/**
 * The daemon's configuration: a system-type bus (so clients see the same semantics as the
 * real one) listening only on our socket, with a default policy that allows everything,
 * since only this user can reach the socket anyway.
 */
export function privateBusConfig(socketPath: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${escapeXml(socketPath)}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
`;
}

export async function startPrivateDbus(options: PrivateDbusOptions = {}): Promise<PrivateDbus> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const folder = await mkdtemp(join(tmpdir(), 'fieldbench-dbus-'));
  const socketPath = join(folder, 'system_bus_socket');
  const configPath = join(folder, 'bus.conf');
  try {
    await writeFile(configPath, privateBusConfig(socketPath));
    return await spawnDaemon(options.daemonPath ?? 'dbus-daemon', configPath, folder, timeoutMs);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

function spawnDaemon(daemonPath: string, configPath: string, folder: string, timeoutMs: number): Promise<PrivateDbus> {
  return new Promise<PrivateDbus>((resolve, reject) => {
    const daemon = spawn(daemonPath, ['--nofork', '--print-address', `--config-file=${configPath}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    let stopping: Promise<void> | null = null;
    const exited = new Promise<void>((done) => daemon.once('exit', () => done()));

    const fail = (error: FieldbenchError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
      reject(error);
    };

    const timer = setTimeout(() => {
      fail(
        new FieldbenchError({
          code: 'timeout',
          message: `dbus-daemon did not print its address within ${timeoutMs} ms${stderr ? `: ${lastLine(stderr)}` : ''}`,
          device: DEVICE,
          step: STEP,
          hint: 'Check that dbus-daemon runs (dbus-daemon --version) and that the temporary folder is writable.',
        }),
      );
    }, timeoutMs);

    daemon.once('error', (error: NodeJS.ErrnoException) => {
      const message = error.code === 'ENOENT' ? 'dbus-daemon is not installed' : `dbus-daemon could not be started: ${error.message}`;
      fail(new FieldbenchError({ code: 'unavailable', message, device: DEVICE, step: STEP, hint: DBUS_HINT }, { cause: error }));
    });
    daemon.once('exit', (code, signal) => {
      fail(
        new FieldbenchError({
          code: 'unavailable',
          message: `dbus-daemon exited (${signal ?? `code ${code}`}) before it was ready${stderr ? `: ${lastLine(stderr)}` : ''}`,
          device: DEVICE,
          step: STEP,
          hint: DBUS_HINT,
        }),
      );
    });

    // Both pipes are read for the life of the daemon so it never blocks on a full one.
    daemon.stderr.setEncoding('utf8');
    daemon.stderr.on('data', (text: string) => {
      if (!settled) stderr += text;
    });
    daemon.stdout.setEncoding('utf8');
    daemon.stdout.on('data', (text: string) => {
      if (settled) return;
      stdout += text;
      // The address line is printed once the socket is listening: the bus is usable from here.
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const address = stdout.slice(0, newline).trim();
      settled = true;
      clearTimeout(timer);
      resolve({
        address,
        pid: daemon.pid ?? -1,
        stop: () =>
          (stopping ??= (async () => {
            if (daemon.exitCode === null && daemon.signalCode === null) {
              daemon.kill('SIGTERM');
              const stopped = await Promise.race([exited.then(() => true), delay(EXIT_DEADLINE_MS).then(() => false)]);
              if (!stopped) {
                daemon.kill('SIGKILL');
                await Promise.race([exited, delay(EXIT_DEADLINE_MS)]);
              }
            }
            await rm(folder, { recursive: true, force: true });
          })()),
      });
    });
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
