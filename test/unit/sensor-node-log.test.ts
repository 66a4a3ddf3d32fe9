// The virtual sensor node's log output on an in-memory link: the numbered flood arrives whole
// and in order with the mix real UARTs deliver (levels, colours, very long lines, noise,
// bursts and writes cut mid-line), goes on after a reset at a chosen line, the background
// stream switches on and off, and a line rate holds the flood to the wire's speed.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';
import type { Link } from '../../src-main/transports/link';
import { BOOT_BANNER, SensorNodeSimulator, type SensorNodeOptions } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { FLOOD_LONG_LINE_CHARS, floodLineNumber, floodPiece } from '../../src-main/virtual/sensor-node/sensor-node-log';

const encoder = new TextEncoder();

/** The host end of a node on an in-memory link: everything received, as bytes and as lines. */
class NodeOnLink {
  readonly simulator: SensorNodeSimulator;
  /** What the node wrote, one entry per write, in order. */
  readonly writes: Uint8Array[] = [];
  private received: number[] = [];
  private reading = true;
  private readonly host: Link;
  private readonly done: Promise<void>;

  constructor(options: SensorNodeOptions) {
    const [host, device] = createMemoryLinkPair('host', 'device');
    this.host = host;
    const writes = this.writes;
    // The node's end, recording each write so a test sees how its bytes were handed over.
    const recording: Link = {
      label: device.label,
      get isOpen() {
        return device.isOpen;
      },
      write: (data) => {
        writes.push(data.slice());
        return device.write(data);
      },
      read: (timeoutMs) => device.read(timeoutMs),
      discardInput: () => device.discardInput(),
      close: () => device.close(),
      onClose: (listener) => device.onClose(listener),
    };
    this.simulator = new SensorNodeSimulator(options);
    this.simulator.attach(recording);
    this.done = (async () => {
      while (this.reading) {
        const chunk = await host.read(50).catch(() => new Uint8Array(0));
        for (const byte of chunk) this.received.push(byte);
        if (!host.isOpen) return;
      }
    })();
  }

  /** Everything received so far, CRLF-split, as latin1 so every byte stays one character. */
  lines(): string[] {
    return Buffer.from(this.received).toString('latin1').split('\r\n');
  }

  get bytes(): number {
    return this.received.length;
  }

  async type(command: string): Promise<void> {
    await this.host.write(encoder.encode(`${command}\r\n`));
  }

  async waitFor(what: string, predicate: (lines: string[]) => boolean, timeoutMs = 10_000): Promise<string[]> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const lines = this.lines();
      if (predicate(lines)) return lines;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}; last lines: ${this.lines().slice(-5).join(' | ')}`);
  }

  async close(): Promise<void> {
    this.reading = false;
    this.simulator.stop();
    await this.host.close();
    await this.done;
  }
}

const nodes: NodeOnLink[] = [];
async function bootedNode(options: SensorNodeOptions = {}): Promise<NodeOnLink> {
  const node = new NodeOnLink({ seed: 7, errorLogEntries: 0, ...options });
  nodes.push(node);
  await node.waitFor('the boot banner', (lines) => lines.some((line) => line.includes(BOOT_BANNER)));
  return node;
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()));
});

const floodDone = (last: number) => (lines: string[]) => lines.some((line) => line.includes(`flood: done, lines`) && line.includes(`..${last}`));

function floodNumbers(lines: string[]): number[] {
  return lines.map(floodLineNumber).filter((n): n is number => n !== null);
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

describe('the sensor node log flood', () => {
  it('sends every number from 1 to count once, in order, with levels, colours, long lines, noise and bursts mixed in', async () => {
    const node = await bootedNode();
    await node.type('log flood 2000');
    const lines = await node.waitFor('the flood to end', floodDone(2000));
    expect(floodNumbers(lines)).toEqual(range(1, 2000));

    const floodLines = lines.filter((line) => floodLineNumber(line) !== null);
    for (const level of ['err', 'wrn', 'inf', 'dbg']) expect(floodLines.some((line) => line.includes(`<${level}> flood: line`))).toBe(true);
    // Zephyr's colours: errors red, warnings yellow, each line back to the default at its end.
    expect(floodLines.some((line) => line.includes('\u001b[1;31m<err> flood: line') && line.endsWith('\u001b[0m'))).toBe(true);
    expect(floodLines.some((line) => line.includes('\u001b[1;33m<wrn> flood: line'))).toBe(true);
    const long = floodLines.filter((line) => line.replace(/\u001b\[[0-9;]*m/g, '').length === FLOOD_LONG_LINE_CHARS);
    expect(long.length).toBeGreaterThan(0);
    // The number comes first, so a console that cuts the line keeps it.
    expect(long.every((line) => floodLineNumber(line.slice(0, 80)) !== null)).toBe(true);

    // Noise bursts on lines of their own: a NUL, invalid UTF-8, and no flood number.
    const noise = lines.filter((line) => line.startsWith('\u0000\u00ff'));
    expect(noise.length).toBeGreaterThan(0);
    expect(noise.every((line) => floodLineNumber(line) === null)).toBe(true);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(noise[0]!, 'latin1'))).toThrow();

    // Bursts of many lines in one write, short writes, and writes that end inside a line.
    const floodWrites = node.writes.filter((write) => floodLineNumber(Buffer.from(write).toString('latin1')) !== null);
    const linesIn = (write: Uint8Array) => write.filter((byte) => byte === 0x0a).length;
    expect(floodWrites.some((write) => linesIn(write) >= 50)).toBe(true);
    expect(floodWrites.some((write) => linesIn(write) <= 2)).toBe(true);
    expect(floodWrites.some((write) => write[write.length - 1] !== 0x0a)).toBe(true);
  });

  it('is the same bytes for the same seed, and starts where asked', async () => {
    expect(floodPiece(7, 123, 1000)).toEqual(floodPiece(7, 123, 1000));
    expect(floodPiece(7, 123, 1000).line).not.toEqual(floodPiece(8, 123, 1000).line);
    const node = await bootedNode();
    await node.type('log flood 50 from 41');
    const lines = await node.waitFor('the flood to end', floodDone(50));
    expect(floodNumbers(lines)).toEqual(range(41, 50));
  });

  it('resets after the line the fault names and goes on from the next one after the banner', async () => {
    const node = await bootedNode({ faults: { rebootAtFloodLine: 700 } });
    await node.type('log flood 1500');
    const lines = await node.waitFor('the flood to end', floodDone(1500));
    expect(floodNumbers(lines)).toEqual(range(1, 1500));
    const at700 = lines.findIndex((line) => floodLineNumber(line) === 700);
    const at701 = lines.findIndex((line) => floodLineNumber(line) === 701);
    const banners = lines.map((line, i) => (line.includes(BOOT_BANNER) ? i : -1)).filter((i) => i >= 0);
    expect(banners).toHaveLength(2);
    expect(banners[1]).toBeGreaterThan(at700);
    expect(banners[1]).toBeLessThan(at701);
    expect(node.simulator.faults.rebootAtFloodLine).toBeUndefined();
  });

  it('refuses a second flood while one runs, and stops when asked', async () => {
    const node = await bootedNode({ lineRateBaud: 115_200 });
    await node.type('log flood 100000');
    await node.waitFor('the flood to start', (lines) => floodNumbers(lines).length > 0);
    await node.type('log flood 10');
    await node.waitFor('the refusal', (lines) => lines.some((line) => line.includes('flood: already running')));
    await node.type('log flood stop');
    const lines = await node.waitFor('the stop', (all) => all.some((line) => line.includes('flood: stopped before line')));
    const stoppedAt = lines.findIndex((line) => line.includes('flood: stopped before line'));
    const afterStop = node.bytes;
    await new Promise((resolve) => setTimeout(resolve, 200));
    // What was on the wire when the stop came in may still arrive, but nothing after it.
    expect(node.bytes - afterStop).toBeLessThan(16 * 1024);
    const numbers = floodNumbers(node.lines());
    expect(numbers).toEqual(range(1, numbers.length));
    expect(numbers.length).toBeLessThan(100_000);
    expect(stoppedAt).toBeGreaterThan(0);
  });

  it('starts a new flood right after one is stopped', async () => {
    const node = await bootedNode({ lineRateBaud: 115_200 });
    await node.type('log flood 100000');
    await node.waitFor('the flood to start', (lines) => floodNumbers(lines).length > 0);
    // Back to back, while the first flood's last writes are still on the wire.
    expect(await node.simulator.runShellCommand('log flood stop')).toEqual([{ text: expect.stringMatching(/^flood: stopped before line \d+$/), error: false }]);
    expect(await node.simulator.runShellCommand('log flood 30 from 21')).toEqual([{ text: 'flood: lines 21..30', error: false }]);
    const lines = await node.waitFor('the second flood to end', floodDone(30));
    const numbers = floodNumbers(lines);
    const second = numbers.indexOf(21);
    expect(numbers.slice(second)).toEqual(range(21, 30));
    expect(numbers.slice(0, second)).toEqual(range(1, second));
  });

  it('answers bad flood and stream commands as the Zephyr shell does', async () => {
    const node = await bootedNode();
    for (const command of ['log flood', 'log flood abc', 'log flood 10 from 11', 'log stream', 'log stream on fast', 'log', 'help']) await node.type(command);
    const lines = await node.waitFor('the answers', (all) => all.some((line) => line.includes('Available commands:')) && all.join('\n').includes('log: please specify'));
    const text = lines.join('\n');
    expect(text).toContain('flood: wrong parameter count');
    expect(text).toContain('flood: invalid count: abc');
    expect(text).toContain('flood: invalid start: 11 (1 to 10)');
    expect(text).toContain('stream: please specify a subcommand');
    expect(text).toContain('on: invalid rate: fast');
    expect(text).toMatch(/log: please specify a subcommand\u001b\[0m\r?\n?.*errors/s);
    expect(lines.filter((line) => /^ {2}(errors|stream|flood)$/.test(line))).toEqual(['  errors', '  stream', '  flood']);
    expect(text).toMatch(/log\s+: Log: errors, stream, flood/);
  });
});

describe('the sensor node log stream', () => {
  it('is off until switched on, then sends Zephyr log lines from several modules until switched off or reset', async () => {
    const node = await bootedNode();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logLine = /^\[\d\d:\d\d:\d\d\.\d{3},000\] \u001b\[[0-9;]*m<(err|wrn|inf|dbg)> ([a-z0-9_]+): /;
    expect(node.lines().filter((line) => logLine.test(line))).toEqual([]);

    await node.type('log stream on 200');
    const streamed = await node.waitFor('stream lines', (lines) => lines.filter((line) => logLine.test(line)).length >= 100);
    const modules = new Set(streamed.map((line) => logLine.exec(line)?.[2]).filter(Boolean));
    expect(modules.size).toBeGreaterThanOrEqual(3);
    const levels = new Set(streamed.map((line) => logLine.exec(line)?.[1]).filter(Boolean));
    expect([...levels].sort()).toEqual(expect.arrayContaining(['dbg', 'inf', 'wrn']));

    await node.type('log stream off');
    await node.waitFor('the stream to stop', (lines) => lines.some((line) => line === 'stream: off'));
    const offAt = node.lines().length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(node.lines().slice(offAt).filter((line) => logLine.test(line))).toEqual([]);

    await node.type('log stream on 200');
    await node.waitFor('the stream again', (lines) => lines.slice(offAt).filter((line) => logLine.test(line)).length >= 5);
    await node.type('kernel reboot cold');
    await node.waitFor('the reboot', (lines) => lines.filter((line) => line.includes(BOOT_BANNER)).length === 2);
    const bootAt = node.lines().length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(node.lines().slice(bootAt).filter((line) => logLine.test(line))).toEqual([]);
  });

  it('now and then reports a known problem in red', async () => {
    const node = await bootedNode();
    await node.type('log stream on 2000');
    await node.waitFor('a known problem', (lines) => lines.some((line) => /\u001b\[1;31m<err> (i2c_nrfx_twim|bq27xxx|spi_nor|bt_hci_core|sht4x): /.test(line)));
  });
});

describe('the flood at a line rate', () => {
  it('goes no faster than the wire allows, and not far slower', async () => {
    const baud = 460_800;
    const node = await bootedNode({ lineRateBaud: baud });
    await node.type('log flood 800');
    const startBytes = node.bytes;
    await node.waitFor('the first flood line', (lines) => floodNumbers(lines).length > 0);
    const start = performance.now();
    const fromBytes = node.bytes;
    await node.waitFor('the flood to end', floodDone(800));
    const seconds = (performance.now() - start) / 1000;
    const bytesPerSecond = (node.bytes - fromBytes) / seconds;
    expect(node.bytes - startBytes).toBeGreaterThan(40_000);
    // Loose bounds: a factor of two either way of baud / 10.
    expect(bytesPerSecond).toBeLessThan((baud / 10) * 2);
    expect(bytesPerSecond).toBeGreaterThan(baud / 10 / 2);
  });
});
