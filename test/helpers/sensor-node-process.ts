// Run in a child process (see sensor-node-child.ts): a virtual sensor node on a pseudo-terminal,
// in a process of its own as a real device is, so the process that reads the port spends none
// of its time being the device. Argument: a JSON object with the node's seed and, optionally,
// the baud whose line rate it keeps to (lineRateBaud). Prints one JSON line once the port is
// there ({ hostPath, serialNumber, pid }); the host drives the node through the port itself.
// Detaches (the pseudo-terminal and its socat go) on SIGTERM, or when stdin closes: the parent
// is gone and nobody else would stop it.
import { attachSensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';

interface NodeProcessOptions {
  seed: number;
  lineRateBaud?: number;
}

function parseOptions(text: string | undefined): NodeProcessOptions {
  const parsed: unknown = JSON.parse(text ?? '{}');
  const { seed, lineRateBaud } = (parsed ?? {}) as Record<string, unknown>;
  if (!Number.isInteger(seed)) throw new Error(`the node needs an integer seed, not ${JSON.stringify(seed)}`);
  if (lineRateBaud !== undefined && !(typeof lineRateBaud === 'number' && lineRateBaud > 0)) {
    throw new Error(`lineRateBaud must be a positive number, not ${JSON.stringify(lineRateBaud)}`);
  }
  return { seed: seed as number, ...(lineRateBaud !== undefined ? { lineRateBaud } : {}) };
}

try {
  const node = await attachSensorNodeOnPty(parseOptions(process.argv[2]));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    node.detach().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`detach failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ hostPath: node.hostPath, serialNumber: node.simulator.serialNumber, pid: process.pid })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
