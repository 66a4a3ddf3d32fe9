// Following a BLE device through the core's contract, over a private dbus-daemon with the
// simulated BlueZ and the real node-ble: battery and temperature as 'ble.values', the node's
// UART log as 'logs.lines', a diagnostics read on the same link meanwhile, a link dropped by
// the device and one lost out of range, each reconnected, and a device left disconnected by
// unfollow and by closing the core. Then `fieldbench ble follow` in-process, on a virtual
// node on its own private bus: JSON lines, and human lines until Ctrl-C.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { captureIo as capture } from '../helpers/captured-io';
import type { BleFollowState, LogLine, Reading } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import type { SimulatedBleDeviceHandle } from '../../src-main/virtual/ble/simulated-bluez';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { fails, ok } from '../helpers/core-fixture';
import { type SimulatedBleCore, startSimulatedBleCore } from '../helpers/simulated-ble-core';
import { makeTempDir } from '../helpers/temp-dir';
import { until as waitFor } from '../helpers/until';

const NODE = 'C0:FF:EE:00:00:61';
const ID = `ble:${NODE}`;

const hasDbusDaemon = (process.env.PATH ?? '').split(delimiter).some((folder) => existsSync(join(folder, 'dbus-daemon')));
if (!hasDbusDaemon) {
  console.warn('SKIPPED: ble-follow needs dbus-daemon (Debian/Ubuntu: apt install dbus); these tests did not run.');
}

interface Rig extends SimulatedBleCore {
  node: SimulatedBleDeviceHandle;
  values: Reading[];
  lines: LogLine[];
  states: BleFollowState[];
}

let rig: Rig | null = null;

async function startRig(): Promise<Rig> {
  const ble = await startSimulatedBleCore('fieldbench-ble-follow-');
  const { bluez, core } = ble;
  const node = bluez.addSensorNode({ node: new SensorNodeSimulator({ seed: 7, timeScale: 0 }), address: NODE, rssi: -55, sensorPollMs: 150, logIntervalMs: 150 });
  const values: Reading[] = [];
  const lines: LogLine[] = [];
  const states: BleFollowState[] = [];
  core.events.on('ble.values', (event) => {
    if (event.deviceId === ID) values.push(...event.readings);
  });
  core.events.on('logs.lines', (event) => {
    if (event.deviceId === ID) lines.push(...event.lines);
  });
  core.events.on('ble.follow', (state) => {
    if (state.deviceId === ID) states.push(state);
  });
  rig = { ...ble, node, values, lines, states };
  await ok(core, 'ble.scan', { seconds: 5 });
  await until('the node in the device list', async () => (await ok(core, 'devices.list', {})).some((device) => device.id === ID));
  await ok(core, 'ble.stopScan', {});
  return rig;
}

afterEach(async () => {
  await rig?.stop();
  rig = null;
});

/** Each probe asks the core over the contract: every 40 ms, not busier. */
function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 8_000): Promise<T> {
  return waitFor(what, probe, ms, 40) as Promise<T>;
}

async function connected(core: Core): Promise<boolean | undefined> {
  return (await ok(core, 'devices.list', {})).find((device) => device.id === ID)?.ble?.connected;
}

/** A sensor line logged after `since` lines had arrived. */
function sensorLineAfter(r: Rig, since: number): LogLine | undefined {
  return r.lines.slice(since).find((line) => /<inf> sensor: temperature -?\d+\.\d\d C, battery \d\.\d\d V \(\d+ %\)$/.test(line.text));
}

describe.skipIf(!hasDbusDaemon)('following a BLE device through the core', () => {
  it('sends values and log lines, shares the link with a diagnostics read, rides out drops, and disconnects on unfollow', async () => {
    const r = await startRig();
    const state = await ok(r.core, 'ble.follow', { deviceId: ID });
    expect(state).toEqual({ deviceId: ID, following: true, log: true, problem: null });
    expect(await ok(r.core, 'ble.follow', { deviceId: ID })).toEqual(state);

    await until('battery and temperature readings', () => r.values.some((v) => v.id === 'battery-level') && r.values.filter((v) => v.id === 'temperature').length >= 2);
    for (const reading of r.values) expect(reading.status, `${reading.id}: ${reading.message}`).not.toBe('error');
    expect(r.values.find((v) => v.id === 'temperature')).toMatchObject({ unit: '°C', limits: expect.any(String), value: expect.any(Number) });
    await until('sensor log lines', () => sensorLineAfter(r, 0));
    expect(await connected(r.core)).toBe(true);

    // A diagnostics read meanwhile runs on the same link and leaves it open for the follow.
    const report = await ok(r.core, 'diagnostics.read', { deviceId: ID });
    expect(report.readings.find((reading) => reading.id === 'battery-level')?.status).not.toBe('error');
    expect(await connected(r.core)).toBe(true);
    const afterRead = r.lines.length;
    await until('log lines still flowing after the read', () => sensorLineAfter(r, afterRead));

    // The device drops the link (a reset, say): the state says so, then the follow is back.
    const beforeDrop = r.states.length;
    r.node.dropLink();
    const dropped = await until('the drop reported', () => r.states.slice(beforeDrop).find((s) => s.problem !== null));
    expect(dropped).toMatchObject({ following: true, log: false, problem: expect.stringMatching(/^the link dropped \(.+\); reconnecting/) });
    await until('the link back', () => r.states.slice(beforeDrop).find((s, i) => i > 0 && s.problem === null && s.log));
    const back = await until('the link back in the log', () => {
      const index = r.lines.findIndex((line) => line.text.startsWith('— link back at'));
      return index >= 0 && index;
    });
    expect(r.lines.findIndex((line) => line.text.startsWith('— link lost at'))).toBeLessThan(back);
    await until('log lines after the link came back', () => sensorLineAfter(r, back + 1));

    // Out of range: the retries fail and say so, with growing pauses, until it is in range again.
    const beforeRange = r.states.length;
    r.node.setFaults({ outOfRange: true });
    await until('a failed retry reported', () => r.states.slice(beforeRange).find((s) => /next try in 1 s \(last try: .+\)$/.test(s.problem ?? '')), 20_000);
    r.node.setFaults({});
    await until('back in range', () => r.states.slice(beforeRange).find((s, i) => i > 0 && s.problem === null), 20_000);
    const backAgain = r.lines.length;
    await until('values after coming back in range', () => r.values.length > 0 && sensorLineAfter(r, backAgain));

    const stopped = await ok(r.core, 'ble.unfollow', { deviceId: ID });
    expect(stopped).toEqual({ deviceId: ID, following: false, log: false, problem: null });
    expect(r.states.at(-1)).toEqual(stopped);
    await until('the device disconnected', async () => (await connected(r.core)) === false);
    await until('the simulated device disconnected', () => !r.node.connected);
  }, 60_000);

  it('refuses a device that is not BLE, does not know an unknown one, and unfollows a never-followed one quietly', async () => {
    const r = await startRig();
    expect(await ok(r.core, 'ble.unfollow', { deviceId: ID })).toEqual({ deviceId: ID, following: false, log: false, problem: null });
    const missing = await fails(r.core, 'ble.follow', { deviceId: 'ble:C0:FF:EE:00:00:77' });
    expect(missing).toMatchObject({ code: 'not-found', device: 'ble:C0:FF:EE:00:00:77', hint: expect.any(String) });
    const serial = await ok(r.core, 'devices.attachVirtual', { model: 'sensor-node' });
    const wrong = await fails(r.core, 'ble.follow', { deviceId: serial.id });
    expect(wrong).toMatchObject({ code: 'invalid-request', device: serial.path, step: 'follow', hint: expect.any(String) });
    expect(wrong.message).toContain(serial.path);
  }, 30_000);

  it('detaching a followed virtual node ends its follow first, without a reconnect attempt', async () => {
    const r = await startRig();
    const device = await ok(r.core, 'devices.attachVirtual', { model: 'sensor-node', transport: 'ble' });
    const states: BleFollowState[] = [];
    r.core.events.on('ble.follow', (state) => {
      if (state.deviceId === device.id) states.push(state);
    });
    await ok(r.core, 'ble.follow', { deviceId: device.id });
    await ok(r.core, 'devices.detach', { deviceId: device.id });
    // Ended by the detach itself, before the node left the air: nothing dropped, nothing retried.
    expect(states.at(-1)).toMatchObject({ following: false, problem: null });
    expect(states.some((state) => state.problem?.includes('reconnecting'))).toBe(false);
    expect(await ok(r.core, 'devices.list', {})).not.toContainEqual(expect.objectContaining({ id: device.id }));
  }, 30_000);

  it('closing the core while following releases the link', async () => {
    const r = await startRig();
    await ok(r.core, 'ble.follow', { deviceId: ID });
    await until('connected', () => r.node.connected);
    await r.core.close();
    expect(r.states.at(-1)).toMatchObject({ following: false });
    await until('the simulated device disconnected', () => !r.node.connected);
  }, 30_000);
});


describe.skipIf(!hasDbusDaemon)('fieldbench ble follow', () => {
  let cliDir: { path: string; remove(): void } | null = null;
  afterEach(() => {
    cliDir?.remove();
    cliDir = null;
  });

  it('--json prints the follow state, values and log lines as JSON lines, and stops after --seconds', async () => {
    cliDir = makeTempDir('fieldbench-ble-follow-cli-');
    const io = capture();
    const started = Date.now();
    expect(await runCli(['ble', 'follow', '--virtual-ble', '--seconds', '3', '--json', '--data-dir', cliDir.path], io)).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(io.stderr).toEqual([]);
    const events = io.stdout.map((line) => JSON.parse(line) as { type: string; following?: boolean; readings?: Reading[]; text?: string; at?: string });
    expect(events[0]).toMatchObject({ type: 'state', following: true, log: true, problem: null });
    expect(events.at(-1)).toMatchObject({ type: 'state', following: false });
    const readings = events.filter((event) => event.type === 'values').flatMap((event) => event.readings!);
    expect(readings.some((reading) => reading.id === 'battery-level' && typeof reading.value === 'number')).toBe(true);
    expect(readings.some((reading) => reading.id === 'temperature' && typeof reading.value === 'number')).toBe(true);
    const logs = events.filter((event) => event.type === 'log');
    expect(logs.some((event) => /<inf> sensor: temperature/.test(event.text!))).toBe(true);
    for (const event of logs) expect(event).toMatchObject({ deviceId: expect.stringMatching(/^ble:C0:DE:/), source: 'nus', at: expect.any(String) });
  }, 30_000);

  it('prints time-stamped human lines until Ctrl-C, then exits cleanly', async () => {
    cliDir = makeTempDir('fieldbench-ble-follow-cli-');
    const io = capture();
    const stop = new AbortController();
    const run = runCli(['ble', 'follow', '--virtual-ble', '--data-dir', cliDir.path], io, stop.signal);
    await until('a log line', () => io.stdout.some((line) => / \[log\] .*<inf> sensor: /.test(line)), 15_000);
    stop.abort();
    expect(await run).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \[state\] following, with its UART log$/);
    expect(io.stdout.some((line) => /^\d\d:\d\d:\d\d\.\d{3} Battery level \d+ %$/.test(line))).toBe(true);
    expect(io.stdout.some((line) => /^\d\d:\d\d:\d\d\.\d{3} \[log\] \[\d\d:\d\d:\d\d\.\d{3},\d{3}\] <inf> sensor: temperature/.test(line))).toBe(true);
    expect(io.stdout.at(-1)).toMatch(/\[state\] stopped following$/);
  }, 30_000);
});
