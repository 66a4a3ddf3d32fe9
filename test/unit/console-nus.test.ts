// A console over a BLE device's Nordic UART Service, through the console manager, the real
// capture engine (in-process), the real BLE registry and its shared connection over a scripted
// central, and a real case store: TX bytes captured raw with their arrival time (lines cut
// anywhere by notifications come out whole), commands written to RX in pieces of at most
// MTU − 3 bytes, a dropped link followed back with one gap note, a device that stays away
// closed at the deadline, and the subscription shared with Follow live.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLine, ConsoleSession } from '../../src-main/api/console-schemas';
import type { BleAdvert, LogLine } from '../../src-main/api/schemas';
import { BleFollowers } from '../../src-main/core/ble/ble-followers';
import { BleRegistry } from '../../src-main/core/ble/ble-registry';
import { ConsoleSessions } from '../../src-main/core/console/console-sessions';
import { nusConsolePorts } from '../../src-main/core/console/nus-console-port';
import { CaptureEngine } from '../../src-main/core/logs/capture-engine';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import type { BleServiceInfo } from '../../src-main/transports/ble/ble-central';
import { NUS_RX_UUID, NUS_SERVICE_UUID, NUS_TX_UUID } from '../../src-main/transports/ble/ble-uuid';
import { PROFILES_DIR } from '../helpers/core-fixture';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { memorySerialBench, type MemorySerialBench } from '../helpers/memory-serial-bench';
import { ScriptedCentral } from '../helpers/scripted-ble-central';
import { makeTempDir } from '../helpers/temp-dir';
import { until } from '../helpers/until';

const NODE = 'C0:FF:EE:00:00:01';
const ID = `ble:${NODE}`;
const SENSOR_SERVICE = '5f0a0001-6a63-4f6b-9c55-0d1e5b2e7c11';
const bytes = (text: string) => new TextEncoder().encode(text);
const TIMING = { reconnectFirstMs: 20, reconnectMaxMs: 80, unsubscribeDeadlineMs: 500 };

const uart = (rxFlags: string[]): BleServiceInfo[] => [
  {
    uuid: NUS_SERVICE_UUID,
    characteristics: [
      { uuid: NUS_RX_UUID, flags: rxFlags },
      { uuid: NUS_TX_UUID, flags: ['notify'] },
    ],
  },
];

let profiles: ProfileRegistry;
beforeAll(async () => {
  profiles = await ProfileRegistry.load(PROFILES_DIR);
});

interface Rig {
  central: ScriptedCentral;
  ble: BleRegistry;
  serial: MemorySerialBench;
  engine: CaptureEngine;
  store: CaseStore;
  consoles: ConsoleSessions;
  sessions: ConsoleSession[];
  /** The host clock the console stamps arrivals with; null follows the real one. */
  clock: { at: number | null };
  close(): Promise<void>;
}

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

function advert(): BleAdvert {
  return { address: NODE, name: 'SensorNode-0001', rssi: -50, serviceUuids: [SENSOR_SERVICE], manufacturerData: [], txPower: null, seenAt: new Date().toISOString() };
}

async function makeRig(options: { services?: BleServiceInfo[]; mtu?: number; reconnectDeadlineMs?: number } = {}): Promise<Rig> {
  const dir = makeTempDir('console-nus');
  const central = new ScriptedCentral([advert()], options.services ?? uart(['write', 'write-without-response']), { mtu: options.mtu ?? 23 });
  const clock: { at: number | null } = { at: null };
  const now = () => new Date(clock.at ?? Date.now());
  const ble = new BleRegistry({ profiles, central: () => central, now, onChange: () => undefined, emitAdverts: () => undefined, virtualTimeScale: 0, advertIntervalMs: 20, log: () => undefined });
  await ble.startScan(5, false);
  await until('the node in the list', () => ble.has(ID));
  await ble.stopScan();
  const serial = memorySerialBench(profiles);
  const engine = new CaptureEngine({ folder: `${dir.path}/captures`, partialLineMs: 20, progressIntervalMs: 10 });
  const store = openCaseStore({ dataDir: dir.path });
  const sessions: ConsoleSession[] = [];
  const consoles = new ConsoleSessions({
    capture: engine,
    registry: serial.registry,
    ble,
    transportOf: (deviceId) => (ble.has(deviceId) ? 'ble' : null),
    knowledgePatterns: () => [],
    cases: store.cases,
    attachments: store.attachments,
    emitSession: (session) => sessions.push(session),
    emitProgress: () => undefined,
    caseChanged: () => undefined,
    now,
    log: () => undefined,
    nusTiming: TIMING,
    ...(options.reconnectDeadlineMs !== undefined ? { reconnectDeadlineMs: options.reconnectDeadlineMs } : {}),
  });
  rig = {
    central,
    ble,
    serial,
    engine,
    store,
    consoles,
    sessions,
    clock,
    close: async () => {
      await consoles.shutdown();
      await ble.close();
      await serial.close();
      store.close();
      dir.remove();
    },
  };
  return rig;
}

async function deviceLines(r: Rig, captureId: string): Promise<ConsoleLine[]> {
  return (await r.consoles.read(captureId, 0, 1_000)).lines.filter((line) => line.kind === 'device');
}

function rxBytes(r: Rig): Uint8Array[] {
  return r.central.current.writes.filter((write) => write.characteristic === NUS_RX_UUID).map((write) => write.bytes);
}

describe('a console over the Nordic UART Service', () => {
  it('captures TX bytes raw with their arrival time: a line cut anywhere by notifications is one line, level-parsed', async () => {
    const r = await makeRig();
    const session = await r.consoles.open({ deviceId: ID });
    expect(session).toMatchObject({ source: 'nus', settings: null, state: 'open', lineEnding: 'crlf' });
    await until('TX notifications on', () => r.central.current.subscribed.has(NUS_TX_UUID));

    // "é" is two bytes in UTF-8: the notification boundary falls between them.
    const line = bytes('[00:00:01.250,000] <wrn> power: battery low é 3.41 V\r\n');
    const cut = line.indexOf(0xc3) + 1;
    r.clock.at = 1_800_000_000_000;
    r.central.current.notify(NUS_TX_UUID, line.subarray(0, 7));
    r.clock.at = 1_800_000_000_040;
    r.central.current.notify(NUS_TX_UUID, line.subarray(7, cut));
    r.clock.at = 1_800_000_000_090;
    r.central.current.notify(NUS_TX_UUID, line.subarray(cut));
    r.central.current.notify(NUS_TX_UUID, bytes('second\rthird\n'));
    const lines = await until('three lines captured', async () => {
      const captured = await deviceLines(r, session.captureId);
      return captured.length >= 3 ? captured : null;
    });
    expect(lines[0]).toMatchObject({ text: '[00:00:01.250,000] <wrn> power: battery low é 3.41 V', level: 'warn', time: 1_800_000_000_000, deviceTime: expect.any(String) });
    expect(lines.slice(1).map((l) => l.text)).toEqual(['second', 'third']);
    const bytesSeen = line.length + 'second\rthird\n'.length;
    expect((await r.consoles.close(session.captureId)).bytes).toBe(bytesSeen);
  });

  it('writes a command and its line ending to RX in pieces of at most MTU − 3 bytes, as write requests where RX takes them', async () => {
    const r = await makeRig({ mtu: 23 });
    const { captureId } = await r.consoles.open({ deviceId: ID });
    const command = 'log stream on --module power --level debug --format long';
    const sent = await r.consoles.send(captureId, command);
    expect(sent.bytes).toBe(command.length + 2);
    const pieces = rxBytes(r);
    expect(pieces.length).toBe(Math.ceil((command.length + 2) / 20));
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(20);
    expect(new TextDecoder().decode(Buffer.concat(pieces))).toBe(`${command}\r\n`);
    expect(r.central.current.writes.every((write) => !write.withoutResponse)).toBe(true);
    // The command stands in the capture and the history.
    expect((await r.consoles.read(captureId, 0, 10)).lines.find((l) => l.kind === 'sent')?.text).toBe(command);
    expect(r.consoles.sessions()[0]?.history).toEqual([command]);
    // Only the line ending can be set: there is no framing.
    expect(await fieldbenchErrorOf(r.consoles.configure({ captureId, settings: { baudRate: 9600 } }))).toMatchObject({ code: 'invalid-request', step: 'change console settings' });
    await r.consoles.configure({ captureId, lineEnding: 'lf' });
    await r.consoles.send(captureId, 'device info');
    expect(new TextDecoder().decode(rxBytes(r).at(-1))).toBe('device info\n');
  });

  it('uses write commands when RX takes no write request', async () => {
    const r = await makeRig({ services: uart(['write-without-response']), mtu: 247 });
    const { captureId } = await r.consoles.open({ deviceId: ID });
    await r.consoles.send(captureId, 'kernel uptime');
    expect(r.central.current.writes).toEqual([{ characteristic: NUS_RX_UUID, bytes: bytes('kernel uptime\r\n'), withoutResponse: true }]);
  });

  it('follows a dropped link back, retrying with growing pauses, and marks one gap before the bytes that follow', async () => {
    const r = await makeRig();
    const { captureId } = await r.consoles.open({ deviceId: ID });
    r.central.current.notify(NUS_TX_UUID, bytes('before\r\n'));
    await until('the line before', async () => (await deviceLines(r, captureId)).length === 1);
    const connectsBefore = r.central.connects.length;
    r.central.failConnects = 3;
    r.central.current.drop('supervision timeout');
    const lost = await until('reconnecting', () => r.sessions.find((s) => s.state === 'reconnecting'));
    expect(lost.stateDetail).toMatch(/^link lost: supervision timeout; waiting for /);
    expect((await fieldbenchErrorOf(r.consoles.send(captureId, 'device info'))).code).toBe('device-gone');
    await until('open again', () => r.sessions.at(-1)?.state === 'open');
    expect(r.central.connects.length - connectsBefore).toBe(4);
    await until('TX notifications on again', () => r.central.current.subscribed.has(NUS_TX_UUID));
    r.central.current.notify(NUS_TX_UUID, bytes('after\r\n'));
    await until('the line after', async () => (await deviceLines(r, captureId)).length === 2);
    const lines = (await r.consoles.read(captureId, 0, 100)).lines;
    expect(lines.map((l) => l.kind)).toEqual(['device', 'gap', 'device']);
    expect(lines[1]!.text).toMatch(/^link lost \S+ \(supervision timeout\), back \S+ on ble C0:FF:EE:00:00:01: \d+\.\d\d s without data$/);
    // Sending works on the new link.
    await r.consoles.send(captureId, 'device info');
    expect(new TextDecoder().decode(rxBytes(r).at(-1))).toBe('device info\r\n');
  });

  it('pauses between looks as Follow live does: doubling from the first pause up to the longest', () => {
    const r = nusConsolePorts({ has: () => false, get: () => undefined as never, hold: () => undefined as never, profileOf: () => null }, () => 0, TIMING);
    expect([0, 1, 2, 3, 4, 40].map((attempt) => r.retryDelayMs(attempt))).toEqual([20, 40, 80, 80, 80, 80]);
  });

  it('closes itself when the device stays away past the deadline, saying why, and holds no connection', async () => {
    const r = await makeRig({ reconnectDeadlineMs: 150 });
    const { captureId } = await r.consoles.open({ deviceId: ID });
    r.central.failConnects = Number.MAX_SAFE_INTEGER;
    r.central.current.drop('supervision timeout');
    await until('closed by itself', () => r.sessions.at(-1)?.state === 'closed', 5_000);
    const lines = (await r.consoles.read(captureId, 0, 10)).lines;
    expect(lines.at(-1)).toMatchObject({ kind: 'note', text: expect.stringMatching(/^console closed: the device did not come back within 0\.15 s after its link was lost \(supervision timeout\)$/) });
    expect(r.consoles.sessions()).toEqual([]);
    expect(r.central.open).toBe(0);
  });

  it('refuses a device without a UART service that notifies, naming what is missing, and lets go of the link', async () => {
    const r = await makeRig({ services: [{ uuid: NUS_SERVICE_UUID, characteristics: [{ uuid: NUS_RX_UUID, flags: ['write'] }] }] });
    const error = await fieldbenchErrorOf(r.consoles.open({ deviceId: ID }));
    expect(error).toMatchObject({ code: 'profile-error', step: 'open console', hint: expect.stringContaining('logService') });
    expect(error.message).toContain('no TX characteristic that notifies');
    expect(r.consoles.sessions()).toEqual([]);
    await until('disconnected', () => r.central.open === 0);
  });

  it('shares the link and the TX subscription with Follow live: closing either leaves the other getting the log', async () => {
    const r = await makeRig();
    const lines: LogLine[] = [];
    const followers = new BleFollowers({
      registry: r.ble,
      otherDevice: () => null,
      now: () => new Date(),
      emitValues: () => undefined,
      emitLines: (event) => lines.push(...event.lines),
      emitState: () => undefined,
      timing: { linesIntervalMs: 10, partialLineFlushMs: 50, reconnectFirstMs: 20, reconnectMaxMs: 80, unsubscribeDeadlineMs: 500 },
      log: () => undefined,
    });
    try {
      await followers.follow(ID);
      const first = await r.consoles.open({ deviceId: ID });
      expect(r.central.connects).toHaveLength(1);
      r.central.current.notify(NUS_TX_UUID, bytes('both\r\n'));
      await until('the console has it', async () => (await deviceLines(r, first.captureId)).some((l) => l.text === 'both'));
      await until('the follow has it', () => lines.some((l) => l.text === 'both'));

      await r.consoles.close(first.captureId);
      expect(r.central.current.subscribed.has(NUS_TX_UUID)).toBe(true);
      r.central.current.notify(NUS_TX_UUID, bytes('follow only\r\n'));
      await until('the follow goes on', () => lines.some((l) => l.text === 'follow only'));

      const second = await r.consoles.open({ deviceId: ID });
      await followers.unfollow(ID);
      expect(r.central.current.subscribed.has(NUS_TX_UUID)).toBe(true);
      r.central.current.notify(NUS_TX_UUID, bytes('console only\r\n'));
      await until('the console goes on', async () => (await deviceLines(r, second.captureId)).some((l) => l.text === 'console only'));
      expect(r.central.connects).toHaveLength(1);
      await r.consoles.close(second.captureId);
      await until('disconnected once nobody holds it', () => r.central.open === 0);
    } finally {
      await followers.close();
    }
  });
});
