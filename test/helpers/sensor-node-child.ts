// Virtual sensor nodes in child processes (sensor-node-process.ts, bundled once): a node
// that floods a port at a UART's line rate needs a thread of its own, or the measurement is of
// the emulator sharing the reader's event loop rather than of the reader. Each child leads a
// process group of its own, so the socat behind its pseudo-terminal can be killed with it when
// it does not stop by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deadline } from './crash-writer';
import { bundleForNode } from './node-bundle';

const READY_DEADLINE_MS = 15_000;
/** A clean detach closes the serial link and waits for socat, which has 2 s to go before it is killed. */
const STOP_DEADLINE_MS = 10_000;
const KILL_DEADLINE_MS = 5_000;

export interface SensorNodeChildOptions {
  seed: number;
  /** Keep to the line rate of a UART at this baud (8N1); unset, the node writes as fast as the port takes it. */
  lineRateBaud?: number;
}

export interface SensorNodeChild {
  /** The host end of the node's pseudo-terminal: /dev/pts/N. */
  readonly hostPath: string;
  readonly serialNumber: string;
  readonly pid: number;
  /** SIGTERM, and the node detaches; fails if it does not exit cleanly in time (it is killed then). */
  stop(): Promise<void>;
}

/** Bundles the node's process script into `outDir` (serialport and all); returns the file to hand to SensorNodeChildren. */
export async function bundleSensorNodeProcess(outDir: string): Promise<string> {
  const entry = fileURLToPath(new URL('./sensor-node-process.ts', import.meta.url));
  return bundleForNode(entry, join(outDir, 'sensor-node-process.mjs'), { externalPackages: true });
}

export class SensorNodeChildren {
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly script: string) {}

  async start(options: SensorNodeChildOptions): Promise<SensorNodeChild> {
    const child = spawn(process.execPath, [this.script, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.running.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('close', (code, signal) => {
        this.running.delete(child);
        resolve({ code, signal });
      });
    });
    const what = `virtual sensor node (seed ${options.seed}) in pid ${child.pid ?? '?'}`;
    const firstLine = new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('error', reject);
      void exited.then(({ code, signal }) => reject(new Error(`${what} exited (${signal ?? `code ${code}`}) before its port was ready`)));
    });

    let ready: { hostPath: string; serialNumber: string; pid: number };
    try {
      ready = JSON.parse(await deadline(firstLine, READY_DEADLINE_MS, `${what}: its port`)) as typeof ready;
    } catch (error) {
      killGroup(child);
      throw new Error(`${(error as Error).message}\nstderr: ${stderr}`);
    }

    let stopping: Promise<void> | null = null;
    return {
      ...ready,
      stop: () =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const exit = await deadline(exited, STOP_DEADLINE_MS, `${what}: exit after SIGTERM`).catch(async (error: Error) => {
            killGroup(child);
            await deadline(exited, KILL_DEADLINE_MS, `${what}: exit after SIGKILL`);
            throw new Error(`${error.message}; killed\nstderr: ${stderr}`);
          });
          if (exit.code !== 0) {
            // Whatever it left behind (its socat) goes with its group.
            killGroup(child);
            throw new Error(`${what} did not detach cleanly (${exit.signal ?? `code ${exit.code}`})\nstderr: ${stderr}`);
          }
        })()),
    };
  }

  /** Kills every node still running and its socat (a run that failed half-way). */
  killAll(): void {
    for (const child of this.running) killGroup(child);
    this.running.clear();
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}
