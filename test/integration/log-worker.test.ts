// The capture worker as the main process uses it: a real worker thread (bundled from source
// by the global setup and found through FIELDBENCH_LOG_WORKER), real capture files in a temp
// folder, and faults injected through the worker's test-only debug messages.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleLine } from '../../src-main/api/console-schemas';
import type { FieldbenchError } from '../../src-main/api/errors';
import type { CaptureOpenOptions } from '../../src-main/core/logs/capture-service';
import { createLogWorkerClient, type LogWorkerClient, type LogWorkerClientOptions } from '../../src-main/core/logs/log-worker-client';
import { LOG_WORKER_ENV, locateLogWorker } from '../../src-main/core/logs/log-worker-location';
import type { FromWorker, LogWorkerData } from '../../src-main/core/logs/log-worker-protocol';
import { mulberry32 } from '../../src-main/virtual/seeded-random';
import { deadline } from '../helpers/crash-writer';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

const DEVICE = 'Sensor Node SN-0042';
const WAIT_MS = 15_000;
// Short enough for a test, long enough that a healthy worker on a loaded machine meets them;
// the hung worker is blocked for far longer.
const HANG_DEADLINES = { readMs: 2_000, pingMs: 1_000 };

function openOptions(captureId: string): CaptureOpenOptions {
  return {
    meta: {
      captureId,
      deviceId: 'virtual-sensor-node-1',
      device: DEVICE,
      serialNumber: 'SN-0042',
      profileId: 'sensor-node',
      source: 'serial',
      settings: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
      startedAt: new Date().toISOString(),
      endedAt: null,
    },
    levelPatterns: [],
    knownIssues: [{ id: 'i2c-bus-error', title: 'I2C bus error', regex: 'i2c_nrfx_twim: Error on I2C line', source: 'profile', hint: 'Check the sensor cable' }],
    bootBanner: '\\*\\*\\* Booting Zephyr OS',
  };
}

const numbered = (n: number): string => `<inf> flood: line ${n} ${'x'.repeat(n % 53)}\r\n`;
const NUMBER = /^<inf> flood: line (\d+) x*$/u;
const encoder = new TextEncoder();

/** The byte stream of lines from..to, cut into chunks of random sizes (1 to 300 bytes). */
function chunksOf(from: number, to: number, seed: number): Uint8Array[] {
  let text = '';
  for (let n = from; n <= to; n += 1) text += numbered(n);
  const bytes = encoder.encode(text);
  const random = mulberry32(seed);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * 300);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

async function readAll(client: LogWorkerClient, captureId: string): Promise<ConsoleLine[]> {
  const lines: ConsoleLine[] = [];
  for (;;) {
    const page = await client.read(captureId, lines.length, 2000);
    lines.push(...page.lines);
    if (page.lines.length === 0 || lines.length >= page.total) return lines;
  }
}

/** Polls `check` until it returns a value, failing after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = WAIT_MS): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const numbersOf = (lines: ConsoleLine[]): number[] =>
  lines.map((line) => {
    const match = NUMBER.exec(line.text);
    if (!match || line.kind !== 'device') throw new Error(`not a numbered device line: ${line.kind} ${JSON.stringify(line.text)}`);
    return Number(match[1]);
  });

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('capture worker', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function start(options: Partial<LogWorkerClientOptions> = {}): { client: LogWorkerClient; problems: FieldbenchError[]; folder: string } {
    const dir = makeTempDir('log-worker');
    const problems: FieldbenchError[] = [];
    const client = createLogWorkerClient({ folder: dir.path, progressIntervalMs: 20, ackIntervalMs: 10, debug: true, onProblem: (p) => problems.push(p), ...options });
    cleanups.push(dir.remove, () => client.close().catch(() => undefined));
    return { client, problems, folder: dir.path };
  }

  it('runs the worker bundled by the global setup, named in the environment the test workers inherit', () => {
    expect(process.env[LOG_WORKER_ENV]).toMatch(/log-worker\.mjs$/u);
    expect(locateLogWorker()).toBe(process.env[LOG_WORKER_ENV]);
  });

  it('captures numbered lines ingested in many chunks: every number back once, in order', async () => {
    const { client, problems } = start();
    await client.open(openOptions('flood'));
    const chunks = chunksOf(1, 20_000, 7);
    let time = Date.parse('2026-11-27T11:00:00Z');
    for (const chunk of chunks) client.ingest('flood', (time += 1), chunk);
    const summary = await client.finish('flood', new Date().toISOString());
    expect(summary.lines).toBe(20_000);
    expect(summary.live).toBe(false);
    const lines = await readAll(client, 'flood');
    expect(numbersOf(lines)).toEqual(range(1, 20_000));
    expect(problems).toEqual([]);
  });

  it('reads, searches, flags and exports through the worker, and reports progress', async () => {
    const { client } = start();
    const progress: number[] = [];
    let flagged: string[] = [];
    client.onProgress((p) => {
      progress.push(p.lines);
      flagged = flagged.concat(p.flags.map((f) => f.issueId));
    });
    await client.open(openOptions('round-trip'));
    const text = ['*** Booting Zephyr OS build v3.7.0 ***', '[00:00:01.000,000] <err> i2c_nrfx_twim: Error on I2C line occurred', ...range(1, 500).map((n) => numbered(n).trimEnd())].join('\n') + '\n';
    client.ingest('round-trip', Date.now(), encoder.encode(text));
    await eventually('progress up to every line', () => (progress.at(-1) === 502 ? true : undefined));
    expect(flagged).toEqual(['i2c-bus-error']);

    const page = await client.read('round-trip', 0, 3);
    expect(page.total).toBe(502);
    expect(page.lines.map((line) => line.seq)).toEqual([0, 1, 2]);
    expect(page.lines[0]!.reboot).toBe(true);
    expect(page.lines[1]!.level).toBe('error');
    expect(page.lines[1]!.issues).toEqual(['i2c-bus-error']);

    const found = await client.search('round-trip', { query: 'line 42 ', limit: 10 });
    expect(found.hits.map((hit) => hit.seq)).toEqual([2 + 41]);
    const regex = await client.search('round-trip', { query: 'line 4\\d\\d\\b', regex: true, limit: 1000 });
    expect(regex.hits.map((hit) => hit.seq)).toEqual(range(400, 499).map((n) => n + 1));
    expect(regex.complete).toBe(true);

    const located = await client.locate('round-trip', 100, { levels: ['error'] });
    expect(located).toEqual({ offset: null, total: 1 });

    const flags = await client.flags('round-trip');
    expect(flags.map((flag) => [flag.seq, flag.issueId])).toEqual([[1, 'i2c-bus-error']]);

    const jsonl = await client.export('round-trip', 'jsonl', { fromSeq: 2, toSeq: 11 }, 1_000_000);
    expect(jsonl.lines).toBe(10);
    expect(jsonl.bytes).toBeInstanceOf(Uint8Array);
    const rows = new TextDecoder().decode(jsonl.bytes).trim().split('\n').map((row) => JSON.parse(row) as { seq: number; text: string });
    expect(rows.map((row) => row.seq)).toEqual(range(2, 11));
    expect(rows.map((row) => row.text)).toEqual(range(1, 10).map((n) => numbered(n).trimEnd()));

    const refused = await fieldbenchErrorOf(client.export('round-trip', 'text', {}, 100));
    expect(refused.code).toBe('invalid-request');
    expect(refused.device).toBe(DEVICE);

    const missing = await fieldbenchErrorOf(client.read('no-such-capture', 0, 10));
    expect(missing.code).toBe('not-found');
  });

  it('times out a call to a hung worker naming the capture and the step, then replaces the worker', async () => {
    const { client, problems } = start({ deadlines: HANG_DEADLINES });
    await client.open(openOptions('hang'));
    client.ingest('hang', Date.now(), encoder.encode(numbered(1)));
    await eventually('line 1 on disk', () => (client.unacknowledged('hang') === 0 ? true : undefined));
    client.debug({ type: 'debug', action: 'block', ms: 20_000 });

    const error = await fieldbenchErrorOf(client.read('hang', 0, 10));
    expect(error.code).toBe('timeout');
    expect(error.device).toBe(DEVICE);
    expect(error.step).toBe('read capture hang');
    expect(error.message).toContain(`${HANG_DEADLINES.readMs} ms`);

    // The ping after the time-out finds the worker hung: a new one reopens the capture and notes the gap.
    const lines = await eventually('capture reopened in a new worker', async () => {
      const all = await readAll(client, 'hang').catch(() => undefined);
      return all?.some((line) => line.kind === 'gap') ? all : undefined;
    });
    expect(lines.map((line) => line.kind)).toEqual(['device', 'gap']);
    expect(lines[1]!.text).toContain('did not answer');
    expect(problems.map((p) => p.message)).toContain(`the capture worker stopped: it did not answer for ${HANG_DEADLINES.pingMs} ms and was stopped`);
  });

  it('finds a worker that hangs while only bytes flow by its silence, and replaces it', async () => {
    const { client, problems } = start({ deadlines: HANG_DEADLINES });
    await client.open(openOptions('silent'));
    client.debug({ type: 'debug', action: 'block', ms: 20_000 });
    client.ingest('silent', Date.now(), encoder.encode(numbered(1)));
    // No call is made: only the watchdog can notice.
    await eventually('the hung worker replaced', () => (problems.some((p) => p.message.includes('did not answer')) ? true : undefined));
    client.ingest('silent', Date.now(), encoder.encode(numbered(2)));
    await client.finish('silent', new Date().toISOString());
    const lines = await readAll(client, 'silent');
    expect(lines.map((line) => line.kind)).toEqual(['gap', 'device']);
    expect(lines[0]!.text).toContain(`up to ${numbered(1).length} bytes`);
    expect(numbersOf(lines.slice(1))).toEqual([2]);
  });

  it('restarts a worker killed while ingesting: capture reopened, gap noted with what may be missing, nothing acknowledged lost', async () => {
    const { client, problems } = start();
    await client.open(openOptions('crash'));
    let time = Date.parse('2026-11-27T11:00:00Z');
    const post = (chunks: Uint8Array[]): void => chunks.forEach((chunk) => client.ingest('crash', (time += 1), chunk));

    post(chunksOf(1, 5_000, 11));
    await eventually('the first 5,000 lines acknowledged', () => (client.unacknowledged('crash') === 0 ? true : undefined));

    // Half of the next lines, the worker ends itself mid-stream, the other half goes to a worker already gone.
    const second = chunksOf(5_001, 8_000, 12);
    const half = Math.floor(second.length / 2);
    post(second.slice(0, half));
    client.debug({ type: 'debug', action: 'exit', code: 1 });
    const pending = client.read('crash', 0, 10);
    post(second.slice(half));
    const postedSinceAck = second.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    expect(client.unacknowledged('crash')).toBe(postedSinceAck);

    const stopped = await fieldbenchErrorOf(pending);
    expect(stopped.code).toBe('unavailable');
    expect(stopped.message).toContain('capture worker stopped');
    expect(stopped.hint).toContain('Retry');

    // Once the new worker runs, lines go on from a line boundary.
    post(chunksOf(8_001, 9_000, 13));
    await client.finish('crash', new Date().toISOString());

    const lines = await readAll(client, 'crash');
    const gaps = lines.filter((line) => line.kind === 'gap');
    expect(gaps).toHaveLength(1);
    const gapAt = lines.indexOf(gaps[0]!);
    const missing = Number(/up to (\d+) bytes/u.exec(gaps[0]!.text)?.[1]);
    expect(gaps[0]!.text).toContain('exited with code 1');
    // Whatever was acknowledged before the crash is there: all of the first 5,000 lines, and
    // every later line that ended within the bytes the gap note does not count as missing.
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThanOrEqual(postedSinceAck);
    const before = numbersOf(lines.slice(0, gapAt));
    expect(before).toEqual(range(1, before.length));
    const acknowledged = postedSinceAck - missing;
    let completeLines = 5_000;
    for (let bytes = 0, n = 5_001; n <= 8_000 && (bytes += encoder.encode(numbered(n)).length) <= acknowledged; n += 1) completeLines = n;
    expect(before.length).toBeGreaterThanOrEqual(completeLines);
    expect(numbersOf(lines.slice(gapAt + 1))).toEqual(range(8_001, 9_000));
    expect(problems.map((p) => p.message)).toContain('the capture worker stopped: it exited with code 1');
  });

  it('stays down after too many restarts within the window, counting what it could not capture', async () => {
    const { client } = start({ restartLimit: { restarts: 1, windowMs: 60_000 } });
    await client.open(openOptions('limit'));
    client.debug({ type: 'debug', action: 'exit', code: 3 });
    await eventually('restarted once', async () => ((await readAll(client, 'limit').catch(() => [])).some((line) => line.kind === 'gap') ? true : undefined));
    client.debug({ type: 'debug', action: 'throw' });
    const down = await eventually('down for good', async () => {
      const outcome = await client.read('limit', 0, 1).then(
        () => undefined,
        (error: FieldbenchError) => (error.message.includes('is down') ? error : undefined),
      );
      return outcome;
    });
    expect(down.code).toBe('unavailable');
    expect(down.message).toContain('fault injected by a test');
    client.ingest('limit', Date.now(), encoder.encode(numbered(1)));
    expect(client.unacknowledged('limit')).toBe(numbered(1).length);
  });

  it('finishes live captures on close, within its deadline, and refuses calls afterwards', async () => {
    const { client, folder } = start();
    await client.open(openOptions('closing'));
    client.ingest('closing', Date.now(), encoder.encode(`${numbered(1)}${numbered(2)}${numbered(3).trimEnd()}`));
    await client.close();
    const after = await fieldbenchErrorOf(client.read('closing', 0, 1));
    expect(after.code).toBe('unavailable');
    expect(after.message).toContain('closed');

    const reader = start({ folder }).client;
    const [summary] = await reader.list();
    expect(summary).toMatchObject({ captureId: 'closing', live: false, lines: 3 });
    expect(summary!.endedAt).not.toBeNull();
    expect(numbersOf(await readAll(reader, 'closing'))).toEqual([1, 2, 3]);
  });

  it('answers malformed messages with errors and goes on working', async () => {
    const dir = makeTempDir('log-worker-raw');
    const workerData: LogWorkerData = { folder: dir.path, ackIntervalMs: 10 };
    const worker = new Worker(locateLogWorker(), { workerData });
    cleanups.push(dir.remove, async () => void (await worker.terminate()));
    const received: FromWorker[] = [];
    worker.on('message', (message: FromWorker) => received.push(message));
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));

    const send = (message: unknown): void => worker.postMessage(message);
    send(42);
    send({ type: 'call', id: 1, method: 'drop-tables', args: [] });
    send({ type: 'call', id: 2, method: 'read', args: ['../../etc', -1, 10] });
    send({ type: 'call', id: 3, method: 'open', args: [{ meta: { captureId: 'x' } }] });
    send({ type: 'ingest', captureId: 'x', time: 'now', bytes: 'abc' });
    send({ type: 'debug', action: 'exit', code: 0 });
    send({ type: 'call', id: 4, method: 'read', args: ['never-opened', 0, 10] });
    send({ type: 'call', id: 5, method: 'ping', args: [] });

    await deadline(
      eventually('an answer to every call', () => (received.filter((m) => m.type === 'result').length === 5 ? true : undefined)),
      WAIT_MS,
      'answers',
    );
    const results = new Map(received.flatMap((m) => (m.type === 'result' ? [[m.id, m] as const] : [])));
    for (const id of [1, 2, 3]) {
      const result = results.get(id)!;
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatchObject({ code: 'invalid-request', device: 'capture worker', step: 'receive message' });
    }
    const unknown = results.get(4)!;
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error.code).toBe('not-found');
    expect(results.get(5)).toEqual({ type: 'result', id: 5, ok: true, value: 'pong' });

    const problems = received.flatMap((m) => (m.type === 'problem' ? [m.error.message] : []));
    expect(problems).toEqual([
      'the capture worker refused a message of type undefined',
      'the capture worker refused a malformed ingest message',
      'the capture worker ignores debug messages',
    ]);
    await worker.terminate();
    await deadline(exited, WAIT_MS, 'worker exit');
  });
});
