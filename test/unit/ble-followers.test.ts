// Following BLE devices over a scripted central, through the real registry and its shared
// connection: notified values batched into readings, the UART log into lines, a dropped link
// reconnected with growing pauses and resubscribed, and an unfollow that leaves nothing
// behind (no subscription, no hold, no connection).
import { afterEach, describe, expect, it } from 'vitest';
import { isFieldbenchError } from '../../src-main/api/errors';
import type { BleAdvert, BleFollowState, Device, LogLine, Reading } from '../../src-main/api/schemas';
import { BleFollowers } from '../../src-main/core/ble/ble-followers';
import { BleRegistry } from '../../src-main/core/ble/ble-registry';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import type { BleServiceInfo } from '../../src-main/transports/ble/ble-central';
import { canonicalBleUuid, NUS_SERVICE_UUID, NUS_TX_UUID } from '../../src-main/transports/ble/ble-uuid';
import { PROFILES_DIR } from '../helpers/core-fixture';
import { ScriptedCentral } from '../helpers/scripted-ble-central';

const NODE = 'C0:FF:EE:00:00:01';
const STRANGER = 'C0:FF:EE:00:00:02';
const SENSOR_SERVICE = '5f0a0001-6a63-4f6b-9c55-0d1e5b2e7c11';
const TEMPERATURE = '5f0a0002-6a63-4f6b-9c55-0d1e5b2e7c11';
const BATTERY = canonicalBleUuid('180f');
const BATTERY_LEVEL = canonicalBleUuid('2a19');
const DIS = canonicalBleUuid('180a');
const bytes = (text: string) => new TextEncoder().encode(text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SENSOR_SERVICES: BleServiceInfo[] = [
  { uuid: DIS, characteristics: [{ uuid: canonicalBleUuid('2a24'), flags: ['read'] }] },
  { uuid: BATTERY, characteristics: [{ uuid: BATTERY_LEVEL, flags: ['read', 'notify'] }] },
  { uuid: SENSOR_SERVICE, characteristics: [{ uuid: TEMPERATURE, flags: ['read', 'notify'] }] },
  { uuid: NUS_SERVICE_UUID, characteristics: [{ uuid: NUS_TX_UUID, flags: ['notify'] }] },
];

/** What reads answer: the values as they are when a follow starts. */
const VALUES = new Map([
  [canonicalBleUuid('2a24'), bytes('sensor-node')],
  [BATTERY_LEVEL, Uint8Array.of(90)],
  [TEMPERATURE, Uint8Array.of(0x66, 0x08)], // 2150 × 0.01 = 21.5 °C
]);

function advert(address: string, serviceUuids: string[]): BleAdvert {
  return { address, name: 'SensorNode-0001', rssi: -50, serviceUuids, manufacturerData: [], txPower: null, seenAt: new Date().toISOString() };
}

interface Rig {
  central: ScriptedCentral;
  registry: BleRegistry;
  followers: BleFollowers;
  values: Reading[][];
  lines: LogLine[][];
  states: BleFollowState[];
}

let open: Rig | null = null;
afterEach(async () => {
  await open?.followers.close();
  await open?.registry.close();
  open = null;
});

async function rig(options: { services?: BleServiceInfo[]; otherDevice?: Device } = {}): Promise<Rig> {
  const central = new ScriptedCentral([advert(NODE, [SENSOR_SERVICE]), advert(STRANGER, [])], options.services ?? SENSOR_SERVICES, { values: VALUES });
  const registry = new BleRegistry({
    profiles: await ProfileRegistry.load(PROFILES_DIR),
    central: () => central,
    now: () => new Date(),
    onChange: () => undefined,
    emitAdverts: () => undefined,
    virtualTimeScale: 0,
    advertIntervalMs: 20,
    log: () => undefined,
  });
  await registry.startScan(5, true);
  while (!registry.has(`ble:${NODE}`) || !registry.has(`ble:${STRANGER}`)) await sleep(5);
  await registry.stopScan();
  const values: Reading[][] = [];
  const lines: LogLine[][] = [];
  const states: BleFollowState[] = [];
  const followers = new BleFollowers({
    registry,
    otherDevice: (deviceId) => (options.otherDevice?.id === deviceId ? options.otherDevice : null),
    now: () => new Date(),
    emitValues: (event) => values.push(event.readings),
    emitLines: (event) => lines.push(event.lines),
    emitState: (state) => states.push(state),
    timing: { valuesIntervalMs: 60, linesIntervalMs: 30, partialLineFlushMs: 80, reconnectFirstMs: 40, reconnectMaxMs: 120, unsubscribeDeadlineMs: 500 },
    log: () => undefined,
  });
  open = { central, registry, followers, values, lines, states };
  return open;
}

async function until<T>(what: string, check: () => T | undefined | null | false, ms = 3_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const temperature = (hundredths: number) => {
  const value = new Uint8Array(2);
  new DataView(value.buffer).setInt16(0, hundredths, true);
  return value;
};

describe('following a BLE device', () => {
  it('subscribes to Battery Level, the notifying temperature and the UART log; values go out in batches, judged', async () => {
    const r = await rig();
    const state = await r.followers.follow(`ble:${NODE}`);
    expect(state).toEqual({ deviceId: `ble:${NODE}`, following: true, log: true, problem: null });
    expect(r.states.at(-1)).toEqual(state);
    const link = r.central.current;
    expect([...link.subscribed].sort()).toEqual([BATTERY_LEVEL, NUS_TX_UUID, TEMPERATURE].sort());

    for (let i = 0; i < 20; i += 1) link.notify(TEMPERATURE, temperature(2000 + i));
    link.notify(BATTERY_LEVEL, Uint8Array.of(87));
    link.notify(TEMPERATURE, temperature(9000)); // 90 °C: past the profile's fail limit
    link.notify(TEMPERATURE, Uint8Array.of(1, 2, 3)); // not a 2-byte integer
    await until('all readings', () => r.values.flat().length === 25);
    // Two values read at the start, then twenty-three notifications within a few milliseconds: one or two events, not twenty-five.
    expect(r.values.length).toBeLessThanOrEqual(2);
    expect(r.values.flat().slice(0, 2)).toMatchObject([
      { id: 'battery-level', value: 90 },
      { id: 'temperature', value: 21.5 },
    ]);
    const readings = r.values.flat().slice(2);
    expect(readings[0]).toMatchObject({ id: 'temperature', value: 20, unit: '°C', status: 'ok' });
    expect(readings[20]).toMatchObject({ id: 'battery-level', value: 87, unit: '%', status: 'ok' });
    expect(readings[21]).toMatchObject({ id: 'temperature', value: 90, status: 'fail' });
    expect(readings[22]).toMatchObject({ id: 'temperature', value: null, status: 'error', message: expect.stringContaining(TEMPERATURE) });

    // The same follow asked for again: the same state, no second connection.
    expect(await r.followers.follow(`ble:${NODE}`)).toEqual(state);
    expect(r.central.connects).toHaveLength(1);
  });

  it('turns UART bytes into lines stamped on arrival, and sends a prompt after a silence', async () => {
    const r = await rig();
    await r.followers.follow(`ble:${NODE}`);
    const link = r.central.current;
    const before = Date.now();
    link.notify(NUS_TX_UUID, bytes('[00:00:01.000,000] <inf> sensor: tempera'));
    link.notify(NUS_TX_UUID, bytes('ture 21.50 C\r\n[00:00:02.000,000] <wrn> main: \u00e9t'));
    link.notify(NUS_TX_UUID, Uint8Array.of(0xc3)); // the first byte of é...
    link.notify(NUS_TX_UUID, Uint8Array.of(0xa9, 0x0d, 0x0a)); // ...and the rest of it
    link.notify(NUS_TX_UUID, bytes('uart:~$ '));
    await until('three lines', () => r.lines.flat().length === 3);
    const lines = r.lines.flat();
    expect(lines.map((line) => line.text)).toEqual(['[00:00:01.000,000] <inf> sensor: temperature 21.50 C', '[00:00:02.000,000] <wrn> main: été', 'uart:~$ ']);
    for (const line of lines) expect(Date.parse(line.at)).toBeGreaterThanOrEqual(before - 1);
    // The prompt came after the partial-line silence, in an event of its own.
    expect(r.lines.at(-1)!.map((line) => line.text)).toEqual(['uart:~$ ']);
  });

  it('after a drop, says so, retries with growing pauses, resubscribes when back, and marks the gap in the log', async () => {
    const r = await rig();
    await r.followers.follow(`ble:${NODE}`);
    r.central.failConnects = 4;
    r.central.current.drop('supervision timeout');
    expect(r.states.at(-1)).toMatchObject({ following: true, log: false, problem: 'the link dropped (supervision timeout); reconnecting' });

    const back = await until('the link back', () => r.states.find((state, i) => i > 1 && state.problem === null));
    expect(back).toEqual({ deviceId: `ble:${NODE}`, following: true, log: true, problem: null });
    const retries = r.states.filter((state) => state.problem?.includes('next try in')).map((state) => state.problem!);
    expect(retries).toHaveLength(4);
    expect(retries[0]).toMatch(/^the link dropped \(supervision timeout\); reconnecting, next try in 40 ms \(last try: le-connection-abort-by-local\)$/);
    expect(retries.map((problem) => /next try in (\d+ m?s)/.exec(problem)![1])).toEqual(['40 ms', '80 ms', '120 ms', '120 ms']);
    // First connect, then a try at once after the drop, four failures, and the one that worked.
    const attempts = r.central.connects.slice(1);
    expect(attempts).toHaveLength(5);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! + 20);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]! + 20);

    const link = r.central.current;
    expect([...link.subscribed].sort()).toEqual([BATTERY_LEVEL, NUS_TX_UUID, TEMPERATURE].sort());
    link.notify(BATTERY_LEVEL, Uint8Array.of(55));
    link.notify(NUS_TX_UUID, bytes('<inf> main: booted\n'));
    await until('the value after the drop', () => r.values.flat().some((reading) => reading.value === 55));
    const texts = await until('the log after the drop', () => {
      const all = r.lines.flat().map((line) => line.text);
      return all.includes('<inf> main: booted') && all;
    });
    expect(texts[0]).toMatch(/^— link lost at \d\d:\d\d:\d\d\.\d{3} \(supervision timeout\)$/);
    expect(texts[1]).toMatch(/^— link back at \d\d:\d\d:\d\d\.\d{3}$/);
  });

  it('ends a partial line where the link dropped, and starts the next connection afresh', async () => {
    const r = await rig();
    await r.followers.follow(`ble:${NODE}`);
    r.central.current.notify(NUS_TX_UUID, Uint8Array.of(0x68, 0x61, 0x6c, 0x66, 0x20, 0xe2, 0x82));
    r.central.current.drop('device reset');
    await until('back', () => r.states.at(-1)?.problem === null);
    r.central.current.notify(NUS_TX_UUID, bytes('whole\n'));
    await until('the next line', () => r.lines.flat().some((line) => line.text === 'whole'));
    expect(r.lines.flat().map((line) => line.text).slice(0, 2)).toEqual(['half \ufffd', expect.stringMatching(/^— link lost at .* \(device reset\)$/)]);
  });

  it('unfollow turns notifications off, releases the hold so the link closes, and sends nothing more', async () => {
    const r = await rig();
    await r.followers.follow(`ble:${NODE}`);
    const link = r.central.current;
    link.notify(NUS_TX_UUID, bytes('no end yet'));
    const stopped = await r.followers.unfollow(`ble:${NODE}`);
    expect(stopped).toEqual({ deviceId: `ble:${NODE}`, following: false, log: false, problem: null });
    expect(r.states.at(-1)).toEqual(stopped);
    expect(link.subscribed.size).toBe(0);
    expect(r.central.open).toBe(0);
    expect(r.registry.get(`ble:${NODE}`).ble?.connected).toBe(false);
    // What was waiting went out with the stop, not after it.
    expect(r.lines.flat().map((line) => line.text)).toEqual(['no end yet']);
    const events = r.values.length + r.lines.length + r.states.length;
    await sleep(200);
    expect(r.values.length + r.lines.length + r.states.length).toBe(events);
    expect(await r.followers.unfollow(`ble:${NODE}`)).toEqual(stopped);
  });

  it('unfollow while reconnecting stops the retries and holds nothing', async () => {
    const r = await rig();
    await r.followers.follow(`ble:${NODE}`);
    r.central.failConnects = 1_000;
    r.central.current.drop('out of range');
    await until('a failed retry', () => r.states.some((state) => state.problem?.includes('next try in')));
    await r.followers.unfollow(`ble:${NODE}`);
    const attempts = r.central.connects.length;
    await sleep(300);
    expect(r.central.connects.length).toBe(attempts);
    // No hold is left behind: a read now connects, and its link closes after it.
    r.central.failConnects = 0;
    await r.registry.readDiagnostics(`ble:${NODE}`);
    expect(r.central.open).toBe(0);
  });

  it('shares the link: a diagnostics read while following uses the same connection and leaves it open', async () => {
    const r = await rig();
    await r.followers.follow(`ble:${NODE}`);
    const report = await r.registry.readDiagnostics(`ble:${NODE}`);
    expect(report.readings.length).toBeGreaterThan(0);
    expect(r.central.connects).toHaveLength(1);
    expect(r.central.open).toBe(1);
    expect(r.registry.get(`ble:${NODE}`).ble?.connected).toBe(true);
    await r.followers.unfollow(`ble:${NODE}`);
    expect(r.central.open).toBe(0);
  });

  it('a device that offers nothing to follow is still held, with a problem saying so', async () => {
    const r = await rig({ services: [{ uuid: DIS, characteristics: [{ uuid: canonicalBleUuid('2a24'), flags: ['read'] }] }] });
    const state = await r.followers.follow(`ble:${STRANGER}`);
    expect(state).toMatchObject({ following: true, log: false, problem: expect.stringMatching(/^nothing can be followed/) });
    expect(r.central.open).toBe(1);
  });

  it("names the profile's characteristics the device cannot notify, and follows the rest", async () => {
    const r = await rig({
      services: [
        { uuid: BATTERY, characteristics: [{ uuid: BATTERY_LEVEL, flags: ['read', 'notify'] }] },
        { uuid: SENSOR_SERVICE, characteristics: [{ uuid: TEMPERATURE, flags: ['read'] }] },
      ],
    });
    const state = await r.followers.follow(`ble:${NODE}`);
    expect(state.problem).toMatch(/Temperature cannot be followed: its characteristic does not notify/);
    expect(state.problem).toMatch(/UART log cannot be followed/);
    expect(state.log).toBe(false);
    expect([...r.central.current.subscribed]).toEqual([BATTERY_LEVEL]);
  });

  it('a device that cannot be reached fails the follow and holds nothing; following again tries afresh', async () => {
    const r = await rig();
    r.central.failConnects = 1;
    await expect(r.followers.follow(`ble:${NODE}`)).rejects.toThrow(/le-connection-abort-by-local/);
    expect(r.central.open).toBe(0);
    expect(await r.followers.unfollow(`ble:${NODE}`)).toMatchObject({ following: false });
    expect(await r.followers.follow(`ble:${NODE}`)).toMatchObject({ following: true });
  });

  it('refuses a serial device by name, an unknown one as not found, and unfollows a never-followed one quietly', async () => {
    const serial = { id: 'serial:/dev/ttyACM0', transport: 'serial', path: '/dev/ttyACM0' } as Device;
    const r = await rig({ otherDevice: serial });
    const wrong = await r.followers.follow(serial.id).catch((error: unknown) => error);
    expect(isFieldbenchError(wrong) && wrong.toShape()).toMatchObject({ code: 'invalid-request', device: '/dev/ttyACM0', step: 'follow', hint: expect.any(String) });
    const unknown = await r.followers.unfollow('ble:C0:FF:EE:00:00:77').catch((error: unknown) => error);
    expect(isFieldbenchError(unknown) && unknown.toShape()).toMatchObject({ code: 'not-found', device: 'ble:C0:FF:EE:00:00:77', hint: expect.any(String) });
    expect(await r.followers.unfollow(`ble:${NODE}`)).toEqual({ deviceId: `ble:${NODE}`, following: false, log: false, problem: null });
  });
});
