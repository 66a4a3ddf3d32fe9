// How Bluetooth LE reads in the renderer and how its stores behave: service names, signal
// bars, the scan countdown, manufacturer data, the follow line; the live log's bounded buffer,
// levels, escape codes, times, auto-scroll and pause; and the scan and live stores against a
// fake API, including that a follow never outlives the page that asked for it.
import { describe, expect, it } from 'vitest';
import type { EventChannel, EventOf, FieldbenchApi, RequestChannel, RequestOf, ResponseOf } from '../../src-main/api/contract';
import type { BleFollowState, BleScanState, Device, Reading } from '../../src-main/api/schemas';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { appendToLog, clearLog, droppedText, EMPTY_LOG, type LogBuffer } from '../../src-renderer/live-log/log-buffer';
import { formatLogTime, logLevelOf, withoutTerminalCodes } from '../../src-renderer/live-log/log-line';
import { afterLinesShown, afterUserScroll, capturedSincePause, isAtBottom, pauseLog, PINNED } from '../../src-renderer/live-log/log-view-state';
import { createBleLiveStore, mergeReadings } from '../../src-renderer/stores/ble-live-store';
import { createBleScanStore } from '../../src-renderer/stores/ble-scan-store';
import {
  bleConnectionText,
  bleServiceLabel,
  followView,
  manufacturerDataText,
  parseScanSeconds,
  rssiBars,
  rssiText,
  scanStatus,
  shortBleUuid,
  txPowerText,
} from '../../src-renderer/stores/ble-selectors';
import { createDevicesStore } from '../../src-renderer/stores/devices-store';
import { createNoticesStore } from '../../src-renderer/stores/notices-store';
import { deviceName } from '../../src-renderer/stores/selectors';
import { startsFor, virtualChoices } from '../../src-renderer/stores/usb-selectors';

const DEVICE = 'ble:C0:FF:EE:12:34:56';
const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A request answered by hand: the test decides when and how each one settles. */
interface PendingCall {
  channel: RequestChannel;
  payload: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

class ManualApi implements FieldbenchApi {
  readonly pending: PendingCall[] = [];
  readonly sent: { channel: RequestChannel; payload: unknown }[] = [];
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
    this.sent.push({ channel, payload });
    return new Promise((resolve, reject) => this.pending.push({ channel, payload, resolve: resolve as (value: unknown) => void, reject }));
  }
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    const wrapped = (payload: unknown) => listener(payload as EventOf<E>);
    set.add(wrapped);
    return () => set.delete(wrapped);
  }
  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    this.listeners.get(event)?.forEach((listener) => listener(payload));
  }
  /** The oldest unanswered request, which must go to `channel`. */
  next(channel: RequestChannel): PendingCall {
    const call = this.pending.shift();
    expect(call?.channel).toBe(channel);
    return call!;
  }
  channels(): RequestChannel[] {
    return this.sent.map((call) => call.channel);
  }
}

/** Lets queued promise callbacks run, so requests chained after an answer go out. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const followState = (following: boolean, patch: Partial<BleFollowState> = {}): BleFollowState => ({ deviceId: DEVICE, following, log: following, problem: null, ...patch });

function reading(id: string, value: number, at: number, patch: Partial<Reading> = {}): Reading {
  return { id, label: id, value, unit: null, status: 'ok', limits: null, message: null, readAt: iso(at), ...patch };
}

function lines(count: number, from = 0): { at: string; text: string }[] {
  return Array.from({ length: count }, (_, index) => ({ at: iso(T0 + from + index), text: `line ${from + index}` }));
}

describe('BLE wording', () => {
  it('names known services from their canonical 128-bit UUID, and shortens the rest', () => {
    expect(bleServiceLabel('0000180A-0000-1000-8000-00805F9B34FB')).toEqual({
      uuid: '0000180a-0000-1000-8000-00805f9b34fb',
      short: '180a',
      name: 'Device Information',
    });
    expect(bleServiceLabel('0000180f-0000-1000-8000-00805f9b34fb')).toMatchObject({ short: '180f', name: 'Battery' });
    expect(bleServiceLabel('8D53DC1D-1DB7-4CD3-868B-8A527460AA84')).toMatchObject({ short: '8d53dc1d…', name: 'SMP (MCUmgr)' });
    expect(bleServiceLabel('6e400001-b5a3-f393-e0a9-e50e24dcca9e')).toMatchObject({ short: '6e400001…', name: 'Nordic UART' });
    // The sensor node's own service is known to its profile, not to the renderer.
    expect(bleServiceLabel('5f0a0001-6a63-4f6b-9c55-0d1e5b2e7c11').name).toBeNull();
    expect(bleServiceLabel('5f0a0001-6a63-4f6b-9c55-0d1e5b2e7c11').short).toBe('5f0a0001…');
    // A 16-bit-looking vendor UUID that is not on the base UUID is not a SIG number.
    expect(shortBleUuid('0000180a-0000-1000-8000-00805f9b34fc')).toBe('0000180a…');
  });

  it('turns RSSI into 0–4 bars at −60, −70, −80 and −90 dBm, and says when it was not heard', () => {
    expect([-30, -60, -61, -70, -71, -80, -81, -90, -91, -127].map(rssiBars)).toEqual([4, 4, 3, 3, 2, 2, 1, 1, 0, 0]);
    expect(rssiBars(null)).toBeNull();
    expect(rssiText(-62)).toBe('−62 dBm (good)');
    expect(rssiText(null)).toBe('not heard lately');
    expect(txPowerText(4)).toBe('4 dBm');
    expect(txPowerText(-8)).toBe('−8 dBm');
    expect(txPowerText(null)).toBe('—');
  });

  it('writes manufacturer data as company id in hex and the data, cut after 12 bytes', () => {
    expect(manufacturerDataText({ companyId: 0x59, dataHex: '0102' })).toBe('0x0059: 0102');
    expect(manufacturerDataText({ companyId: 0xffff, dataHex: '' })).toBe('0xffff: (no data)');
    const long = '00112233445566778899aabbccddeeff';
    expect(manufacturerDataText({ companyId: 0x0059, dataHex: long })).toBe(`0x0059: ${long.slice(0, 24)}…`);
  });

  it('counts the scan down from endsAt, then says it finished or why it stopped', () => {
    const running: BleScanState = { scanning: true, showAll: false, endsAt: iso(T0 + 7_000), problem: null };
    expect(scanStatus(running, T0, true)).toEqual({ phase: 'scanning', text: 'Scanning… 7 s left' });
    expect(scanStatus(running, T0 + 6_100, true).text).toBe('Scanning… 1 s left');
    expect(scanStatus(running, T0 + 7_000, true).text).toBe('Scanning… finishing');
    const done: BleScanState = { scanning: false, showAll: false, endsAt: null, problem: null };
    expect(scanStatus(done, T0, true)).toEqual({ phase: 'finished', text: 'Scan finished' });
    expect(scanStatus(null, T0, false)).toEqual({ phase: 'idle', text: 'Not scanning' });
    expect(scanStatus({ ...done, problem: 'the adapter was powered off' }, T0, true)).toEqual({
      phase: 'failed',
      text: 'Scan stopped: the adapter was powered off',
    });
  });

  it('takes scan seconds as whole numbers from 1 to 60 only', () => {
    expect(['1', ' 10 ', '60'].map(parseScanSeconds)).toEqual([1, 10, 60]);
    expect(['0', '61', '2.5', '', 'ten', '-3'].map(parseScanSeconds)).toEqual([null, null, null, null, null, null]);
  });

  it('says how the link stands and how a follow is doing, the core’s problem first', () => {
    expect(bleConnectionText({ connected: true, mtu: 247 })).toBe('Connected · MTU 247');
    expect(bleConnectionText({ connected: false, mtu: null })).toBe('Not connected');
    expect(followView(null, null)).toEqual({ tone: 'neutral', text: 'Not following' });
    expect(followView(null, 'follow').tone).toBe('busy');
    expect(followView(followState(true), null)).toEqual({ tone: 'ok', text: 'Following live: values and the device log' });
    expect(followView(followState(true, { log: false }), null).text).toBe('Following live: values');
    const dropped = followState(true, { problem: 'the link dropped (out of range); reconnecting' });
    expect(followView(dropped, null)).toEqual({ tone: 'warn', text: 'the link dropped (out of range); reconnecting' });
    expect(followView(followState(true), 'unfollow')).toEqual({ tone: 'busy', text: 'Stopping…' });
  });

  it('names a BLE device by profile or advertised name and address until it is read, then by its identity', () => {
    const ble = { address: 'C0:FF:EE:12:34:56', addressType: 'random' as const, name: 'SensorNode-3456', rssi: -60, connected: false, mtu: null, serviceUuids: [] };
    const path = 'ble C0:FF:EE:12:34:56';
    expect(deviceName({ identity: null, profileName: 'Sensor Node', path, ble })).toBe('Sensor Node (C0:FF:EE:12:34:56)');
    expect(deviceName({ identity: null, profileName: null, path, ble })).toBe('SensorNode-3456 (C0:FF:EE:12:34:56)');
    expect(deviceName({ identity: null, profileName: null, path, ble: { ...ble, name: null } })).toBe('Bluetooth LE device (C0:FF:EE:12:34:56)');
    const identity = { model: 'sensor-node', serialNumber: 'SN-1', firmwareVersion: '1.4.2' };
    expect(deviceName({ identity, profileName: 'Sensor Node', path, ble })).toBe('Sensor Node SN-1');
  });

  it('offers the sensor node over serial or BLE, and only its application over BLE', () => {
    const node = virtualChoices.find((choice) => choice.model === 'sensor-node')!;
    expect(node.transports).toEqual(['serial', 'ble']);
    expect(startsFor(node, 'serial')).toEqual(['application', 'serial-recovery']);
    expect(startsFor(node, 'ble')).toEqual(['application']);
  });
});

describe('live log lines', () => {
  it('strips terminal colour and cursor codes, including a cut one, and keeps the text', () => {
    expect(withoutTerminalCodes('\u001b[1;31mfailed\u001b[0m')).toBe('failed');
    expect(withoutTerminalCodes('\u001b[2K\ruart:~$ ')).toBe('\ruart:~$ ');
    expect(withoutTerminalCodes('\u001b]0;title\u0007text')).toBe('text');
    expect(withoutTerminalCodes('cut \u001b')).toBe('cut ');
    expect(withoutTerminalCodes('plain <inf> text [1;2]')).toBe('plain <inf> text [1;2]');
  });

  it('finds the Zephyr level of a line', () => {
    expect(logLevelOf('[00:00:01.234,567] <err> sensor: read failed')).toBe('err');
    expect(logLevelOf('[00:00:01.234,567] <wrn> bt: slow')).toBe('wrn');
    expect(logLevelOf('<inf> main: up')).toBe('inf');
    expect(logLevelOf('<dbg> x')).toBe('dbg');
    expect(logLevelOf('uart:~$ device info')).toBeNull();
  });

  it('prints the host time of arrival to the millisecond', () => {
    const at = new Date(2026, 0, 2, 9, 5, 7, 42).toISOString();
    expect(formatLogTime(at)).toBe('09:05:07.042');
    expect(formatLogTime('not a time')).toBe('not a time');
  });

  it('keeps the newest lines up to its capacity and counts those it let go', () => {
    let buffer: LogBuffer = EMPTY_LOG;
    buffer = appendToLog(buffer, lines(3), 5);
    expect(buffer.entries.map((e) => e.text)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(buffer.dropped).toBe(0);
    buffer = appendToLog(buffer, lines(4, 3), 5);
    expect(buffer.entries.map((e) => e.text)).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    expect(buffer).toMatchObject({ captured: 7, dropped: 2 });
    // A batch larger than the whole buffer keeps only its own tail.
    buffer = appendToLog(buffer, lines(12, 7), 5);
    expect(buffer.entries.map((e) => e.text)).toEqual(['line 14', 'line 15', 'line 16', 'line 17', 'line 18']);
    expect(buffer).toMatchObject({ captured: 19, dropped: 14 });
    expect(droppedText(buffer.dropped)).toBe('14 older lines dropped from view');
    expect(droppedText(1)).toBe('1 older line dropped from view');
    expect(droppedText(0)).toBeNull();
  });

  it('cleans and classifies lines as they arrive, and never reuses a key after a clear', () => {
    let buffer = appendToLog(EMPTY_LOG, [{ at: iso(T0), text: '\u001b[1;31m<err> app: boom\u001b[0m' }]);
    expect(buffer.entries[0]).toMatchObject({ seq: 0, text: '<err> app: boom', level: 'err' });
    buffer = clearLog(buffer);
    expect(buffer).toMatchObject({ entries: [], captured: 0, dropped: 0 });
    buffer = appendToLog(buffer, lines(1));
    expect(buffer.entries[0]!.seq).toBe(1);
    // Nothing new: the same buffer, so nothing re-renders.
    expect(appendToLog(buffer, [])).toBe(buffer);
  });

  it('stays on the newest line until scrolled up, then counts what arrives until back at the bottom', () => {
    expect(isAtBottom({ scrollTop: 600, scrollHeight: 1000, clientHeight: 400 })).toBe(true);
    expect(isAtBottom({ scrollTop: 580, scrollHeight: 1000, clientHeight: 400 })).toBe(true);
    expect(isAtBottom({ scrollTop: 500, scrollHeight: 1000, clientHeight: 400 })).toBe(false);

    expect(afterLinesShown(PINNED, 5)).toBe(PINNED);
    let state = afterUserScroll(PINNED, false);
    expect(state).toEqual({ pinned: false, unseen: 0 });
    state = afterLinesShown(state, 3);
    state = afterLinesShown(state, 2);
    expect(state).toEqual({ pinned: false, unseen: 5 });
    // Scrolling about above the bottom keeps the count.
    expect(afterUserScroll(state, false)).toBe(state);
    expect(afterUserScroll(state, true)).toEqual(PINNED);
  });

  it('holds a paused view still while capture goes on counting', () => {
    const before = appendToLog(EMPTY_LOG, lines(4), 5);
    const paused = pauseLog(before);
    const after = appendToLog(before, lines(6, 4), 5);
    expect(paused.entries.map((e) => e.text)).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
    expect(capturedSincePause(after, paused)).toBe(6);
    expect(capturedSincePause(clearLog(after), paused)).toBe(0);
  });
});

describe('BLE scan store', () => {
  it('keeps the scan state and adverts the core sends, and notes that a scan ran', async () => {
    const api = new ManualApi();
    const store = createBleScanStore(api);
    const start = store.getState().startScan(5, true);
    expect(store.getState().requesting).toBe(true);
    expect(api.sent).toEqual([{ channel: 'ble.scan', payload: { seconds: 5, showAll: true } }]);
    // A second press while the first is on its way sends nothing.
    await store.getState().startScan(5, true);
    expect(api.sent).toHaveLength(1);
    const state: BleScanState = { scanning: true, showAll: true, endsAt: iso(T0 + 5000), problem: null };
    api.next('ble.scan').resolve(state);
    await start;
    expect(store.getState()).toMatchObject({ state, ranOnce: true, requesting: false, error: null });

    const advert = { address: 'C0:FF:EE:12:34:56', name: 'sensor', rssi: -60, serviceUuids: [], manufacturerData: [], txPower: null, seenAt: iso(T0), profileId: null };
    api.emit('ble.adverts', { state: { ...state, scanning: false, endsAt: null }, adverts: [advert] });
    expect(store.getState().adverts).toEqual([advert]);
    expect(store.getState().state?.scanning).toBe(false);
    store.stop();
  });

  it('keeps a refused scan’s error, with its hint, for the scan panel', async () => {
    const api = new ManualApi();
    const store = createBleScanStore(api);
    const start = store.getState().startScan(10, false);
    api.next('ble.scan').reject(
      new ApiRequestError({ code: 'unavailable', message: 'Bluetooth LE is not available here', step: 'scan', hint: 'Start bluetoothd.' }),
    );
    await start;
    expect(store.getState()).toMatchObject({ ranOnce: false, requesting: false, state: null });
    expect(store.getState().error).toMatchObject({ code: 'unavailable', hint: 'Start bluetoothd.' });
    store.stop();
  });
});

describe('BLE live store', () => {
  it('follows and unfollows, keeping the core’s state', async () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    const following = store.getState().follow(DEVICE);
    await settle();
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: true, pending: 'follow' });
    api.next('ble.follow').resolve(followState(true));
    await following;
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: true, active: true, pending: null, follow: { following: true } });

    const stopping = store.getState().unfollow(DEVICE);
    await settle();
    api.next('ble.unfollow').resolve(followState(false));
    await stopping;
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: false, active: false, follow: { following: false } });
    expect(api.channels()).toEqual(['ble.follow', 'ble.unfollow']);
    store.stop();
  });

  it('sends the unfollow after the follow answers when the page is left mid-request, so no follow is left running', async () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    const following = store.getState().follow(DEVICE);
    await settle();
    const leaving = store.getState().unfollow(DEVICE);
    await settle();
    // Only the follow is out; the unfollow waits for its answer rather than racing it.
    expect(api.channels()).toEqual(['ble.follow']);
    api.next('ble.follow').resolve(followState(true));
    await following;
    await settle();
    expect(api.channels()).toEqual(['ble.follow', 'ble.unfollow']);
    api.next('ble.unfollow').resolve(followState(false));
    await leaving;
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: false, active: false, pending: null });
    store.stop();
  });

  it('collapses quick toggling into what is wanted at the end', async () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    const first = store.getState().unfollow(DEVICE);
    const second = store.getState().follow(DEVICE);
    const third = store.getState().unfollow(DEVICE);
    await Promise.all([first, second, third]);
    // Never followed and not wanted at the end: nothing to ask the core.
    expect(api.sent).toEqual([]);
    store.stop();
  });

  it('leaves the toggle off with the reason when the core refuses a follow', async () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    const following = store.getState().follow(DEVICE);
    await settle();
    api.next('ble.follow').reject(new ApiRequestError({ code: 'device-gone', message: 'not heard', device: DEVICE, hint: 'Scan again.' }));
    await following;
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: false, active: false, pending: null, error: { code: 'device-gone', hint: 'Scan again.' } });
    store.stop();
  });

  it('tries a refused unfollow again once the connection is back, and follows again what is wanted', async () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    const other = 'ble:C0:FF:EE:00:00:01';
    const a = store.getState().follow(DEVICE);
    const b = store.getState().follow(other);
    await settle();
    api.next('ble.follow').resolve(followState(true));
    api.next('ble.follow').resolve({ ...followState(true), deviceId: other });
    await Promise.all([a, b]);
    const stopping = store.getState().unfollow(DEVICE);
    await settle();
    api.next('ble.unfollow').reject(new ApiRequestError({ code: 'unavailable', message: 'connection lost' }));
    await stopping;
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: false, active: true });

    api.sent.length = 0;
    store.getState().resume();
    await settle();
    expect(api.sent).toEqual([
      { channel: 'ble.unfollow', payload: { deviceId: DEVICE } },
      { channel: 'ble.follow', payload: { deviceId: other } },
    ]);
    store.stop();
  });

  it('stops every follow it asked for when the page goes away', async () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    const following = store.getState().follow(DEVICE);
    await settle();
    api.next('ble.follow').resolve(followState(true));
    await following;
    store.getState().unfollowAll();
    await settle();
    expect(api.channels()).toEqual(['ble.follow', 'ble.unfollow']);
    store.stop();
  });

  it('keeps the newest value of each characteristic and the time of the last', () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    api.emit('ble.values', { deviceId: DEVICE, readings: [reading('battery-level', 90, T0), reading('temperature', 21.5, T0 + 10)] });
    api.emit('ble.values', { deviceId: DEVICE, readings: [reading('temperature', 21.7, T0 + 1010)] });
    const live = store.getState().byDevice[DEVICE]!;
    expect(live.readings.map((r) => [r.id, r.value])).toEqual([
      ['battery-level', 90],
      ['temperature', 21.7],
    ]);
    expect(live.lastValueAt).toBe(iso(T0 + 1010));
    expect(mergeReadings([], [reading('a', 1, T0), reading('a', 2, T0)])).toEqual([reading('a', 2, T0)]);
    store.stop();
  });

  it('captures log lines per device, bounded, and clears them on request', () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    api.emit('logs.lines', { deviceId: DEVICE, source: 'nus', lines: lines(3) });
    api.emit('logs.lines', { deviceId: 'ble:C0:FF:EE:00:00:01', source: 'nus', lines: lines(1) });
    expect(store.getState().byDevice[DEVICE]!.log.captured).toBe(3);
    store.getState().clearLog(DEVICE);
    expect(store.getState().byDevice[DEVICE]!.log.entries).toEqual([]);
    expect(store.getState().byDevice['ble:C0:FF:EE:00:00:01']!.log.captured).toBe(1);
    store.stop();
  });

  it('turns the toggle off when the core ends a follow by itself, but not under a request of its own', async () => {
    const api = new ManualApi();
    const store = createBleLiveStore(api);
    const following = store.getState().follow(DEVICE);
    await settle();
    // The core's event for a follow on its way does not flip the toggle back.
    api.emit('ble.follow', followState(false));
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: true });
    api.next('ble.follow').resolve(followState(true));
    await following;
    api.emit('ble.follow', followState(true, { problem: 'the link dropped (out of range); reconnecting' }));
    expect(store.getState().byDevice[DEVICE]!.follow?.problem).toMatch(/reconnecting/);
    api.emit('ble.follow', followState(false));
    expect(store.getState().byDevice[DEVICE]).toMatchObject({ wanted: false, active: false });
    store.stop();
  });
});

describe('attaching a virtual sensor node over BLE', () => {
  it('asks for transport ble, and sends no start away from the application', async () => {
    const api = new ManualApi();
    const store = createDevicesStore(api, createNoticesStore());
    const attaching = store.getState().attachVirtual('sensor-node', 'application', 'ble');
    expect(api.sent).toEqual([{ channel: 'devices.attachVirtual', payload: { model: 'sensor-node', transport: 'ble' } }]);
    const device = { id: DEVICE, transport: 'ble', path: 'ble C0:FF:EE:12:34:56' } as Device;
    api.next('devices.attachVirtual').resolve(device);
    expect(await attaching).toBe(device);
    // Over serial the request stays as it always was.
    void store.getState().attachVirtual('sensor-node', 'serial-recovery', 'serial');
    expect(api.sent[1]).toEqual({ channel: 'devices.attachVirtual', payload: { model: 'sensor-node', startIn: 'serial-recovery' } });
    store.stop();
  });
});
