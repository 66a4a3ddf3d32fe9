// The log console through the core, as every door drives it: the virtual sensor node on a
// real pseudo-terminal, the real serialport, the registry's tap, the capture worker thread and
// capture files on disk. Numbered floods prove nothing is lost or repeated; the node dropping
// off its port and coming back (on the same path, or re-enumerated on another) proves the
// console follows it; a firmware update shares the port with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleSession } from '../../src-main/api/console-schemas';
import type { DiscoveryStatus, FirmwareJob } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import type { SerialPortSeen } from '../../src-main/core/devices/device-registry';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { attachSensorNodeOnPty, type SensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import { openPtyPair, type PtyPair } from '../../src-main/virtual/pty-pair';
import { floodLineNumber } from '../../src-main/virtual/sensor-node/sensor-node-log';
import { allConsoleLines as allLines } from '../helpers/console-lines';
import { fails, ok, PROFILES_DIR } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';
import { until as untilWithin } from '../helpers/until';

/** Serial ports, worker threads and re-enumerations take longer than in-memory work. */
const until = <T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15_000) => untilWithin(what, probe, timeoutMs, 20);

const DISCOVERY: DiscoveryStatus = { transport: 'serial', method: 'test listing', available: true, note: null };
/** The USB id the sensor-node profile claims. */
const SENSOR_NODE_USB = { vendorId: '2fe3', productId: '0100' };

let dir: ReturnType<typeof makeTempDir>;
let core: Core | null = null;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = makeTempDir('console-serial');
});
afterEach(async () => {
  await core?.close();
  core = null;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  dir.remove();
});

async function startCore(options: { listSerialPorts?: () => Promise<{ ports: SerialPortSeen[]; status: DiscoveryStatus }>; discoveryIntervalMs?: number } = {}): Promise<Core> {
  core = await createCore({ dataDir: dir.path, profilesDir: PROFILES_DIR, checkResponses: true, discoveryIntervalMs: options.discoveryIntervalMs ?? 0, ...options });
  return core;
}

function sessionEvents(c: Core): ConsoleSession[] {
  const seen: ConsoleSession[] = [];
  c.events.on('console.session', (session) => seen.push(session));
  return seen;
}

/** Waits for a flood's closing line: "flood: done, lines a..b", of any flood when no range is given. */
async function floodDone(c: Core, captureId: string, range = '', timeoutMs = 60_000): Promise<void> {
  const query = `flood: done${range ? `, lines ${range}` : ''}`;
  await until(`"${query}"`, async () => (await ok(c, 'console.search', { captureId, query, limit: 1 })).hits.length > 0, timeoutMs);
}

describe('log console over a real serial port', () => {
  it('captures every flood number exactly once and in order, through a reboot, garbage and long lines', async () => {
    const c = await startCore();
    const device = await ok(c, 'devices.attachVirtual', {});
    const session = await ok(c, 'console.open', { deviceId: device.id });
    expect(session).toMatchObject({ state: 'open', settings: { baudRate: 115_200 }, lineEnding: 'crlf' });

    const count = 12_000;
    const rebootAt = 6_000;
    await ok(c, 'devices.setFaults', { deviceId: device.id, faults: { rebootAtFloodLine: rebootAt } });
    await ok(c, 'console.send', { captureId: session.captureId, text: `log flood ${count}` });
    await floodDone(c, session.captureId, `1..${count}`);

    const lines = await allLines(c, session.captureId);
    const numbered = lines.filter((line) => line.kind === 'device').map((line) => ({ line, n: floodLineNumber(line.text) }));
    const numbers = numbered.map(({ n }) => n).filter((n): n is number => n !== null);
    expect(numbers).toEqual(Array.from({ length: count }, (_, i) => i + 1));

    // The reboot is flagged where it happened: the banner between line N and N + 1.
    const seqOf = (n: number) => numbered.find((entry) => entry.n === n)?.line.seq ?? -1;
    const reboots = lines.filter((line) => line.reboot);
    expect(reboots.some((line) => line.seq > seqOf(rebootAt) && line.seq < seqOf(rebootAt + 1))).toBe(true);

    // Noise bursts stand as lines of their own, shown as hex; long lines are cut and say so.
    const binary = lines.filter((line) => line.binary);
    expect(binary.length).toBeGreaterThan(0);
    for (const line of binary) expect(line.text).toMatch(/^hex: [0-9a-f]{2}( [0-9a-f]{2})*$/);
    const truncated = lines.filter((line) => line.truncated);
    expect(truncated.length).toBeGreaterThan(0);
    for (const line of truncated) expect(floodLineNumber(line.text)).not.toBeNull();
    // Levels come through: the flood mixes errors, warnings, info and debug. (A line that follows
    // the shell's prompt on the same line, as the first after a command does, starts with the prompt.)
    const levels = new Set(numbered.filter(({ n, line }) => n !== null && !line.text.startsWith('uart:~$')).map(({ line }) => line.level));
    expect(levels).toEqual(new Set(['error', 'warn', 'info', 'debug']));

    // The session counted what arrived, and the capture is on disk as it goes.
    const [live] = await ok(c, 'console.sessions', {});
    expect(live?.bytes).toBeGreaterThan(count * 40);
    const captures = await ok(c, 'console.captures', { limit: 10 });
    expect(captures.find((capture) => capture.captureId === session.captureId)).toMatchObject({ live: true });
  });

  it('shows the shell prompt, which has no line end, as a line once the port goes quiet after it', async () => {
    const c = await startCore();
    const device = await ok(c, 'devices.attachVirtual', {});
    const session = await ok(c, 'console.open', { deviceId: device.id });
    const sent = await ok(c, 'console.send', { captureId: session.captureId, text: 'kernel version' });
    // Written from the console's side of the port: the capture worker no longer times a partial line itself.
    const prompt = await until('the prompt after the command as a line of its own', async () =>
      (await allLines(c, session.captureId)).find((line) => line.seq > sent.seq && line.kind === 'device' && line.text === 'uart:~$ '),
    );
    expect(prompt.text).toBe('uart:~$ ');
  });

  it('refuses a second open with other settings, and joins one with the same', async () => {
    const c = await startCore();
    const device = await ok(c, 'devices.attachVirtual', {});
    const session = await ok(c, 'console.open', { deviceId: device.id });
    expect((await ok(c, 'console.open', { deviceId: device.id, settings: { baudRate: 115_200 } })).captureId).toBe(session.captureId);
    const refused = await fails(c, 'console.open', { deviceId: device.id, settings: { baudRate: 921_600 } });
    expect(refused).toMatchObject({ code: 'device-busy', step: 'open console' });
    expect(refused.message).toContain('115200 8N1');
    expect(refused.hint).toContain('console.configure');
  });

  it('follows a node that drops off its port and comes back at the same path, marking the gap', async () => {
    const c = await startCore();
    const events = sessionEvents(c);
    const device = await ok(c, 'devices.attachVirtual', {});
    const session = await ok(c, 'console.open', { deviceId: device.id });
    // Well into the flood, so the command itself is sent long before the node drops off.
    await ok(c, 'devices.setFaults', { deviceId: device.id, faults: { dropAfterBytes: 20_000 } });
    await ok(c, 'console.send', { captureId: session.captureId, text: 'log flood 1000' });

    const lost = await until('the console to lose the port', () => events.find((s) => s.state === 'reconnecting'));
    // The knob stays armed once it fired; the node comes back without it, as a replugged board would.
    await ok(c, 'devices.setFaults', { deviceId: device.id, faults: {} });
    expect(lost.stateDetail).toMatch(/^port lost: .+; waiting for SN-[0-9A-F]{8} to come back$/);
    const back = await until('the console to come back', () => events.find((s) => s.state === 'open' && events.indexOf(s) > events.indexOf(lost)));
    expect(back).toMatchObject({ captureId: session.captureId, deviceId: device.id });

    const gap = await until('the gap line', async () => (await allLines(c, session.captureId)).find((line) => line.kind === 'gap'));
    expect(gap.text).toMatch(new RegExp(`^port lost \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\(.+\\), back \\d\\d:\\d\\d:\\d\\d\\.\\d{3} on ${escape(device.path)}: \\d+\\.\\d\\d s without data$`));
    // The node's end of its new pseudo-terminal is opened only after the host end is back, so a
    // command the console writes in that moment may never reach it (as one typed while a
    // USB-serial bridge still enumerates): on a loaded machine that moment is long enough to
    // hit. Ask again, as an engineer would, a few times at most.
    const answered = async () => (await allLines(c, session.captureId)).find((line) => line.text === 'model: sensor-node');
    let answer: Awaited<ReturnType<typeof answered>>;
    for (let attempt = 1; !answer; attempt += 1) {
      await until('the console to be open', () => events.at(-1)?.state === 'open');
      await ok(c, 'console.send', { captureId: session.captureId, text: 'device info' });
      answer = await until('the answer after the gap', answered, 5_000).catch((error: unknown) => {
        if (attempt >= 3) throw error;
        return undefined;
      });
    }
    expect(answer.seq).toBeGreaterThan(gap.seq);
  });

  it('follows a USB device that re-enumerates at a new path with the same serial number: one session, the gap marked', async () => {
    let node: SensorNodeOnPty = await attachSensorNodeOnPty({ seed: 0x7e57 });
    cleanups.push(() => node.detach());
    const serialNumber = node.simulator.serialNumber;
    const listSerialPorts = async () => ({
      ports: existsSync(node.hostPath) ? [{ path: node.hostPath, ...SENSOR_NODE_USB, serialNumber }] : [],
      status: DISCOVERY,
    });
    const c = await startCore({ listSerialPorts, discoveryIntervalMs: 100 });
    const events = sessionEvents(c);
    await c.ready();
    const firstPath = node.hostPath;
    const firstId = `serial:${firstPath}`;
    await until('the node to be recognised', async () => (await ok(c, 'devices.list', {})).find((d) => d.id === firstId && d.state === 'ready'));
    const session = await ok(c, 'console.open', { deviceId: firstId });
    expect(session.serialNumber).toBe(serialNumber);

    node.simulator.setFaults({ dropAfterBytes: 20_000 });
    await ok(c, 'console.send', { captureId: session.captureId, text: 'log flood 1000' });
    await until('the console to lose the port', () => events.find((s) => s.state === 'reconnecting'));
    node.simulator.setFaults({});
    await until('the old port to go', () => !existsSync(firstPath));
    // Hold the pseudo-terminal number just freed, so the node comes back under another name.
    const placeholder: PtyPair = await openPtyPair();
    cleanups.push(() => placeholder.close());
    node = await attachSensorNodeOnPty({ simulator: node.simulator });
    expect(node.hostPath).not.toBe(firstPath);

    const back = await until('the console to come back on the new port', () => events.find((s) => s.state === 'open' && s.deviceId === `serial:${node.hostPath}`));
    expect(back.captureId).toBe(session.captureId);
    expect(await ok(c, 'console.sessions', {})).toHaveLength(1);
    const gap = await until('the gap line', async () => (await allLines(c, session.captureId)).find((line) => line.kind === 'gap'));
    expect(gap.text).toContain(` on ${node.hostPath}: `);

    // Whatever became of the interrupted flood, a new one comes through whole after the gap.
    await ok(c, 'console.send', { captureId: session.captureId, text: 'log flood stop' });
    await ok(c, 'console.send', { captureId: session.captureId, text: 'log flood 5199 from 5000' });
    await floodDone(c, session.captureId, '5000..5199');
    const lines = await allLines(c, session.captureId);
    const after = lines.filter((line) => line.seq > gap.seq).map((line) => floodLineNumber(line.text)).filter((n): n is number => n !== null);
    expect(after.filter((n) => n >= 5000)).toEqual(Array.from({ length: 200 }, (_, i) => 5000 + i));
    const resumed = after.filter((n) => n < 5000);
    expect(resumed.every((n, i) => i === 0 || n === (resumed[i - 1] ?? 0) + 1)).toBe(true);
  });

  it('shares the port with a firmware update: the console sees the traffic, sending is refused with the reason, the update succeeds', async () => {
    const c = await startCore();
    const events = sessionEvents(c);
    const device = await ok(c, 'devices.attachVirtual', {});
    const session = await ok(c, 'console.open', { deviceId: device.id });
    const bytesBefore = (await ok(c, 'console.sessions', {}))[0]?.bytes ?? 0;

    const payload = Uint8Array.from({ length: 48_000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff);
    const image = Buffer.from(createMcubootImage({ version: '1.5.0+0', payload })).toString('base64');
    let finish!: (job: FirmwareJob) => void;
    const finished = new Promise<FirmwareJob>((resolve) => (finish = resolve));
    c.events.on('firmware.job', (job) => {
      if (job.state === 'finished') finish(job);
    });
    await ok(c, 'firmware.flash', { deviceId: device.id, fileName: 'app-1.5.0.bin', contentBase64: image });

    const refusedState = await until('the console to show the refusal', () => events.find((s) => s.sendRefusal !== null));
    expect(refusedState.sendRefusal).toBe('a firmware update is writing to the port; sending now would corrupt it — wait until it ends');
    const refused = await fails(c, 'console.send', { captureId: session.captureId, text: 'battery' });
    expect(refused).toMatchObject({ code: 'device-busy', message: refusedState.sendRefusal, step: 'send command' });

    const job = await Promise.race([finished, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no outcome in 60 s')), 60_000))]);
    expect(job.outcome).toBe('confirmed');
    await until('the refusal to lift', () => events.at(-1)?.sendRefusal === null);
    const [after] = await ok(c, 'console.sessions', {});
    // The upload's answers and the reboot went by the console.
    expect((after?.bytes ?? 0) - bytesBefore).toBeGreaterThan(1_000);
    const lines = await allLines(c, session.captureId);
    expect(lines.some((line) => line.reboot)).toBe(true);
    await ok(c, 'console.send', { captureId: session.captureId, text: 'device info' });
    await until('the new version in the answer', async () => (await allLines(c, session.captureId)).some((line) => line.text === 'firmware: 1.5.0'));
  });

  it('refuses a port another program holds, naming it', async () => {
    const node = await attachSensorNodeOnPty({ seed: 0x4b1d });
    cleanups.push(() => node.detach());
    const holder: ChildProcess = spawn('flock', ['--nonblock', node.hostPath, 'sleep', '60'], { stdio: 'ignore' });
    cleanups.push(() => {
      holder.kill();
    });
    const c = await startCore();
    // The lock is taken once flock runs its command.
    await until('the other program to hold the port', async () => (await fails(c, 'devices.addPort', { path: node.hostPath })).code === 'device-busy');
    const refused = await fails(c, 'console.open', { deviceId: `serial:${node.hostPath}` });
    expect(refused).toMatchObject({ code: 'device-busy', step: 'open port', device: node.hostPath });
    expect(refused.message).toMatch(/the port is in use by .*\(pid \d+\)/);
    expect(refused.hint).toMatch(/^Close /);
  });

  it('a capture opens again after the core is closed and created again', async () => {
    const c = await startCore();
    const device = await ok(c, 'devices.attachVirtual', {});
    const session = await ok(c, 'console.open', { deviceId: device.id });
    await ok(c, 'console.send', { captureId: session.captureId, text: 'log flood 500' });
    await floodDone(c, session.captureId, '1..500');
    await ok(c, 'console.mark', { captureId: session.captureId, label: 'before restart' });
    const before = await allLines(c, session.captureId);
    await c.close();
    core = null;

    const again = await startCore();
    const captures = await ok(again, 'console.captures', { limit: 10 });
    const capture = captures.find((entry) => entry.captureId === session.captureId);
    expect(capture).toMatchObject({ live: false, deviceId: device.id, lines: before.length });
    expect(capture?.endedAt).not.toBeNull();
    const read = await allLines(again, session.captureId);
    expect(read.map((line) => [line.seq, line.kind, line.text])).toEqual(before.map((line) => [line.seq, line.kind, line.text]));
    expect(read.filter((line) => floodLineNumber(line.text) !== null)).toHaveLength(500);
    expect(read.find((line) => line.kind === 'mark')?.text).toBe('before restart');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
