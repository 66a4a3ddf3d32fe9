// The live log console's ingest, from a serial port to disk: the virtual sensor node, in a
// child process of its own as a real device is, floods numbered Zephyr log lines (levels,
// colours, noise bursts, very long lines) into a real pseudo-terminal; the core reads it with
// the real serialport, the registry's tap hands each chunk with its host time to the console,
// the capture worker thread assembles, timestamps, parses levels and writes the records. The
// flood is started by console.send, the path a user's command takes. Every flood number is
// then read back from disk and checked: once each, in order.
//
// - Paced: the node sends no faster than a UART at 921600 and 3000000 baud (8N1, baud / 10
//   bytes a second); the figure is the line rate reached on disk as a ratio to the wire's, and
//   to what the node's process delivers with nothing behind the port (the emulator's own
//   shortfall is not the console's).
// - Unthrottled: the node writes as fast as the pseudo-terminal takes it; lines per second.
// - What bounds the unthrottled figure, measured piece by piece: the port alone (the node's
//   process, PTY and serialport with nothing behind the tap) and the capture engine alone (the
//   same chunks ingested in-process, straight to disk).
//
// FIELDBENCH_CONSOLE_BENCH_SCALE=0.1 runs a tenth of the size for a quick look, without
// touching BENCHMARKS.md.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLine, ConsoleProgress } from '../src-main/api/console-schemas';
import type { Core } from '../src-main/core/core';
import { createCore } from '../src-main/core/create-core';
import { CaptureEngine } from '../src-main/core/logs/capture-engine';
import { openSerialLink } from '../src-main/transports/serial/serial-link';
import { floodLineNumber } from '../src-main/virtual/sensor-node/sensor-node-log';
import { deadline } from '../test/helpers/crash-writer';
import { bundleSensorNodeProcess, SensorNodeChildren, type SensorNodeChild, type SensorNodeChildOptions } from '../test/helpers/sensor-node-child';
import { until } from '../test/helpers/until';
import { table, writeSection } from './report';

const scale = Number(process.env.FIELDBENCH_CONSOLE_BENCH_SCALE ?? '1');
const fullSize = scale === 1;
/** Seconds of wire time each paced run lasts. */
const PACED_WIRE_SECONDS = 10 * scale;
const UNTHROTTLED_LINES = Math.round(200_000 * scale);
/** A flood line is about this long on the wire, noise and the odd 10,000-character line included. */
const FLOOD_BYTES_PER_LINE = 90;
const PROFILES_DIR = new URL('../device-profiles', import.meta.url).pathname;
const SENSOR_NODE_USB = { vendorId: '2fe3', productId: '0100' };
/** One request to the core, a port's close, a capture's finish: none of them waits on a flood. */
const STEP_DEADLINE_MS = 30_000;

const pacedRows: (string | number)[][] = [
  [
    'baud',
    'flood lines',
    'bytes',
    'wire time',
    'port alone',
    'port → tap',
    'port → disk',
    'ratio (port alone)',
    'ratio (arrival)',
    'ratio (on disk)',
    'on disk / port alone',
    'every number once, in order',
  ],
];
const unthrottledRows: (string | number)[][] = [['stage', 'lines', 'bytes', 'time', 'lines/s', 'MB/s', 'chunks (mean bytes)']];

afterAll(() => {
  process.stdout.write(`\n${table(pacedRows)}\n\n${table(unthrottledRows)}\n\n${unthrottledBound}\n`);
  if (!fullSize || pacedRows.length === 1 || unthrottledRows.length === 1) return;
  writeSection(
    'console-ingest',
    `## Log console: ingest from a serial port\n\n` +
      'The virtual sensor node floods numbered Zephyr log lines (`log flood N`: levels, colours, a noise burst every ' +
      '250 lines, a 10,000-character line every 400, writes that carry many lines or end inside one) into a ' +
      'pseudo-terminal. The core reads it through the real serialport; the device registry\'s tap hands every chunk ' +
      'with its host arrival time to the console, which posts it to the capture worker thread (line assembly, host ' +
      'timestamps, level parsing, known-issue and boot-banner checks, CRC\'d records on disk). Every flood number is ' +
      'read back from the capture file afterwards and checked: each once, in order. The flood is started by ' +
      '`console.send`, as a user\'s command is. The simulated node runs in a child process of its own, as a real ' +
      'device is not on the host\'s main thread: the core\'s main thread only reads the port, though the node still ' +
      `shares the machine's cores with it and the worker (load average ${loadAverage} when measured).\n\n` +
      '### Paced to a UART\n\n' +
      'The node sends no faster than a UART at the given baud (8N1: baud / 10 bytes a second). **Wire time** = bytes × 10 / ' +
      'baud; **port → tap** is from the first flood line\'s host arrival to the last one\'s; **port → disk** ends when the ' +
      'capture worker reports the last line written (its progress comes at most every 100 ms, so this end is late by up ' +
      'to that much); **port alone** is the same flood again from the same node\'s process, read by a bare serial link ' +
      'with only a byte counter on its tap: the wire the emulator itself achieves. Ratio = wire time / measured: 1.0 is ' +
      'the line rate of the wire, kept up with and nothing lost. **On disk / port alone** = ratio (on disk) / ratio ' +
      '(port alone), the rate reached on disk against the rate the node delivered by itself: 1.0 is the console keeping ' +
      'up with all the emulator gave it, wherever the emulator falls short of the wire.\n\n' +
      `${table(pacedRows)}\n\n` +
      '### Unthrottled\n\n' +
      'The node writes as fast as the pseudo-terminal takes it. Each stage is measured alone to find what bounds ' +
      'the whole: **port alone** is the node\'s process, the pseudo-terminal and serialport with only a byte counter on the tap; ' +
      '**capture engine alone** is the same chunks (as the port delivered them) ingested by CaptureEngine in-process ' +
      'and written to disk, no port and no worker; **console through the core** is the whole path.\n\n' +
      `${table(unthrottledRows)}\n\n` +
      `${unthrottledBound}\n`,
  );
});

let unthrottledBound = '';
let loadAverage = '';

let nodes: SensorNodeChildren | null = null;
let bundleDir = '';

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'fieldbench-console-bench-node-'));
  nodes = new SensorNodeChildren(await bundleSensorNodeProcess(bundleDir));
});

afterAll(() => {
  // A run cut short by the test timeout never reached its own stop.
  nodes?.killAll();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

/** A node in a child process for the length of `use`; stopped (killed, if need be) whatever `use` does. */
async function withNode<T>(options: SensorNodeChildOptions, use: (node: SensorNodeChild) => Promise<T>): Promise<T> {
  if (!nodes) throw new Error('the node process was not bundled');
  const node = await nodes.start(options);
  try {
    return await use(node);
  } finally {
    await node.stop();
  }
}

/** A core that discovers the node's port as a USB device the sensor-node profile claims. */
async function coreFor(node: SensorNodeChild, dataDir: string): Promise<Core> {
  const serialNumber = node.serialNumber;
  const core = await createCore({
    dataDir,
    profilesDir: PROFILES_DIR,
    discoveryIntervalMs: 0,
    listSerialPorts: async () => ({
      ports: existsSync(node.hostPath) ? [{ path: node.hostPath, ...SENSOR_NODE_USB, serialNumber }] : [],
      status: { transport: 'serial', method: 'bench listing', available: true, note: null },
    }),
  });
  await deadline(core.ready(), STEP_DEADLINE_MS, 'core ready');
  return core;
}

async function ok<T>(envelope: Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>): Promise<T> {
  const answer = await deadline(envelope, STEP_DEADLINE_MS, 'a request to the core');
  if (!answer.ok) throw new Error(JSON.stringify(answer.error));
  return answer.value as T;
}

interface FloodRun {
  lines: number;
  bytes: number;
  /** Host arrival of the first flood line and of the last one, ms since the epoch. */
  firstArrival: number;
  lastArrival: number;
  /** When the capture worker reported the last line on disk. */
  onDisk: number;
  verified: boolean;
}

/** Floods `count` lines through a console in the core and checks every number on disk. */
async function floodThroughCore(node: SensorNodeChild, count: number, baudRate: number, timeoutMs: number): Promise<FloodRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fieldbench-console-bench-'));
  const core = await coreFor(node, dataDir);
  try {
    const deviceId = `serial:${node.hostPath}`;
    const session = await ok<{ captureId: string }>(core.dispatch('console.open', { deviceId, settings: { baudRate } }));
    const progress: { at: number; lines: number }[] = [];
    core.events.on('console.progress', (p: ConsoleProgress) => progress.push({ at: Date.now(), lines: p.lines }));
    const bytesNow = async () => (await ok<{ bytes: number }[]>(core.dispatch('console.sessions', {})))[0]?.bytes ?? 0;
    const bytesBefore = await bytesNow();
    await ok(core.dispatch('console.send', { captureId: session.captureId, text: `log flood ${count}` }));
    const query = `flood: done, lines 1..${count}`;
    await until(
      query,
      async () => (await ok<{ hits: unknown[] }>(core.dispatch('console.search', { captureId: session.captureId, query, limit: 1 }))).hits.length > 0,
      timeoutMs,
    );
    const bytes = (await bytesNow()) - bytesBefore;

    const lines: ConsoleLine[] = [];
    for (;;) {
      const page = await ok<{ lines: ConsoleLine[]; captured: number }>(
        core.dispatch('console.read', { captureId: session.captureId, offset: lines.length, count: 2000 }),
      );
      lines.push(...page.lines);
      if (page.lines.length === 0 || lines.length >= page.captured) break;
    }
    const numbered = lines.map((line) => ({ line, n: floodLineNumber(line.text) })).filter((entry) => entry.n !== null);
    const verified = numbered.length === count && numbered.every((entry, i) => entry.n === i + 1);
    if (!verified) {
      const at = numbered.findIndex((entry, i) => entry.n !== i + 1);
      const seq = numbered[Math.max(0, at - 1)]?.line.seq ?? 0;
      const around = lines.filter((line) => line.seq >= seq - 1 && line.seq <= seq + 4).map((line) => `${line.seq} ${line.kind} ${JSON.stringify(line.text.slice(0, 100))}`);
      const own = lines.filter((line) => line.kind !== 'device' && line.kind !== 'sent').map((line) => `${line.kind}: ${line.text}`);
      process.stderr.write(`flood check failed: ${numbered.length} numbered lines of ${count}; first wrong at index ${at}:\n${around.join('\n')}\nnotes: ${own.join(' | ')}\n`);
    }
    const done = lines.find((line) => line.text.includes(query));
    const first = numbered[0]?.line;
    if (!done || !first) throw new Error('the flood left no lines');
    const lastSeq = done.seq;
    const onDisk = progress.find((p) => p.lines > lastSeq)?.at ?? Date.now();
    return { lines: count, bytes, firstArrival: first.time, lastArrival: done.time, onDisk, verified };
  } finally {
    await deadline(core.close(), STEP_DEADLINE_MS, 'core close');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * A flood read with nothing behind the port but a byte counter on the tap: what the node, the
 * pseudo-terminal and serialport deliver by themselves. Timed from the first byte after the
 * command's own line to the flood's closing line.
 */
async function floodPortAlone(node: SensorNodeChild, count: number, timeoutMs: number): Promise<{ chunks: { time: number; bytes: Uint8Array }[]; bytes: number; ms: number }> {
  const chunks: { time: number; bytes: Uint8Array }[] = [];
  const link = await deadline(openSerialLink(node.hostPath, { baudRate: 115_200 }), STEP_DEADLINE_MS, `open ${node.hostPath}`);
  try {
    const command = `log flood ${count}`;
    const doneText = `done, lines 1..${count}`;
    let tail = '';
    let floodFrom: number | null = null;
    let finished!: (at: number) => void;
    const done = new Promise<number>((resolve) => (finished = resolve));
    link.onData?.((chunk, time) => {
      chunks.push({ time, bytes: chunk.slice() });
      link.discardInput();
      tail = (tail + Buffer.from(chunk).toString('latin1')).slice(-20_000);
      if (floodFrom === null && tail.includes('flood: line 1 ')) floodFrom = time;
      if (tail.includes(doneText)) finished(time);
    });
    await deadline(link.write(new TextEncoder().encode(`${command}\r\n`)), STEP_DEADLINE_MS, `send "${command}"`);
    const end = await deadline(done, timeoutMs, `the end of "${command}" with nothing behind the port`);
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.bytes.length, 0);
    return { chunks, bytes, ms: end - (floodFrom ?? chunks[0]?.time ?? end) };
  } finally {
    await deadline(link.close(), STEP_DEADLINE_MS, `close ${node.hostPath}`);
  }
}

describe('log console ingest from a serial port', () => {
  loadAverage = (loadavg()[0] ?? 0).toFixed(1);
  for (const baud of [921_600, 3_000_000]) {
    it(`paced at ${baud} baud: every flood number on disk, at the wire's line rate`, async () => {
      const count = Math.max(500, Math.round((PACED_WIRE_SECONDS * baud) / 10 / FLOOD_BYTES_PER_LINE));
      const floodDeadlineMs = 60_000 + PACED_WIRE_SECONDS * 3_000;
      const { run, alone } = await withNode({ seed: 0xbe7c, lineRateBaud: baud }, async (node) => ({
        run: await floodThroughCore(node, count, baud, floodDeadlineMs),
        // The same flood again with nothing behind the port: the wire the node's process achieves by itself.
        alone: await floodPortAlone(node, count, floodDeadlineMs),
      }));
      const wireMs = (run.bytes * 10 * 1000) / baud;
      const aloneWireMs = (alone.bytes * 10 * 1000) / baud;
      const arrivalMs = run.lastArrival - run.firstArrival;
      const diskMs = run.onDisk - run.firstArrival;
      pacedRows.push([
        baud,
        run.lines,
        run.bytes,
        seconds(wireMs),
        seconds(alone.ms),
        seconds(arrivalMs),
        seconds(diskMs),
        (aloneWireMs / alone.ms).toFixed(3),
        (wireMs / arrivalMs).toFixed(3),
        (wireMs / diskMs).toFixed(3),
        (wireMs / diskMs / (aloneWireMs / alone.ms)).toFixed(3),
        run.verified ? 'yes' : 'NO',
      ]);
      expect(run.verified).toBe(true);
    });
  }

  it('unthrottled, and what bounds it: the port alone, the capture engine alone, the console through the core', async () => {
    // The port alone: the node's process, pseudo-terminal, serialport; a byte counter on the tap, nothing else.
    const { chunks, ms: portMs } = await withNode({ seed: 0xf100d }, (node) => floodPortAlone(node, UNTHROTTLED_LINES, 300_000));
    let engineMs = 0;
    const portBytes = chunks.reduce((sum, chunk) => sum + chunk.bytes.length, 0);
    unthrottledRows.push(throughputRow('port alone (node process → PTY → serialport → tap)', UNTHROTTLED_LINES, portBytes, portMs, `${chunks.length} (${Math.round(portBytes / chunks.length)})`));

    // The capture engine alone, on the very chunks the port delivered.
    {
      const folder = mkdtempSync(join(tmpdir(), 'fieldbench-console-bench-engine-'));
      const engine = new CaptureEngine({ folder });
      try {
        await deadline(
          engine.open({
            meta: { captureId: 'engine-alone', deviceId: 'bench', device: 'bench', serialNumber: null, profileId: null, source: 'serial', settings: null, startedAt: new Date().toISOString(), endedAt: null },
            levelPatterns: [],
            knownIssues: [],
            bootBanner: '^\\*\\*\\* Booting Zephyr OS build',
          }),
          STEP_DEADLINE_MS,
          'capture engine open',
        );
        const start = performance.now();
        for (const chunk of chunks) engine.ingest('engine-alone', chunk.time, chunk.bytes);
        const summary = await deadline(engine.finish('engine-alone', new Date().toISOString()), 300_000, 'capture engine finish');
        const ms = performance.now() - start;
        engineMs = ms;
        unthrottledRows.push(throughputRow('capture engine alone (assemble, parse, write)', UNTHROTTLED_LINES, portBytes, ms, `${summary.lines} records`));
      } finally {
        await deadline(engine.close(), STEP_DEADLINE_MS, 'capture engine close');
        rmSync(folder, { recursive: true, force: true });
      }
    }

    // The whole path, from a node started afresh with the same seed: the same flood.
    const run = await withNode({ seed: 0xf100d }, (node) => floodThroughCore(node, UNTHROTTLED_LINES, 115_200, 300_000));
    const diskMs = run.onDisk - run.firstArrival;
    const arrivalMs = run.lastArrival - run.firstArrival;
    unthrottledRows.push(throughputRow('console through the core (port → tap → worker → disk)', run.lines, run.bytes, diskMs, `arrival ${seconds(arrivalMs)}; every number once, in order: ${run.verified ? 'yes' : 'NO'}`));
    expect(run.verified).toBe(true);
    const rate = (lines: number, ms: number) => Math.round(lines / (ms / 1000)).toLocaleString('en-US');
    const slower = Math.max(0, arrivalMs - portMs);
    const behind = Math.max(0, diskMs - arrivalMs);
    unthrottledBound =
      `Through the core, the lines arrived at the tap at ${rate(run.lines, arrivalMs)} lines/s against ${rate(UNTHROTTLED_LINES, portMs)} ` +
      `for the port alone, and the last one was on disk ${seconds(behind)} after it arrived. Of the ${seconds(diskMs - portMs)} the whole ` +
      `path took beyond the port alone, ${seconds(slower)} is the port being read more slowly while the main thread also runs the tap, ` +
      `the console and one worker message per chunk (the node is in a process of its own, so none of that thread's time is the node's), ` +
      `and ${seconds(behind)} is the worker finishing its backlog (its progress comes every 100 ms, so up to that much of it is reporting). ` +
      `The capture engine alone does the same work at ${rate(UNTHROTTLED_LINES, engineMs)} lines/s, ` +
      `${engineMs < portMs ? 'faster than the port delivers, so the engine\'s own work is not the bound' : 'slower than the port delivers, so the engine\'s own work is the bound'}; ` +
      `${slower >= behind ? 'the main thread\'s share of reading the port bounds the figure.' : 'the hand-over to the worker and its backlog bound the figure.'}`;
  });
});

/** A row of the unthrottled table: what ran, its lines and bytes, its time, and the rates those give. */
function throughputRow(what: string, lines: number, bytes: number, ms: number, note: string): (string | number)[] {
  return [what, lines, bytes, seconds(ms), Math.round(lines / (ms / 1000)), (bytes / 1e6 / (ms / 1000)).toFixed(1), note];
}
