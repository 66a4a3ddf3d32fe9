// The console manager over the real capture engine (in-process), the real device registry on
// in-memory links to the simulated sensor node, and a real case store in a temp folder:
// opening, joining and refusing, sending, refusals during a firmware update, marks on the case
// timeline, attachments, and following a device that drops off and comes back.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLine, ConsoleProgress, ConsoleSession } from '../../src-main/api/console-schemas';
import type { Transport } from '../../src-main/api/schemas';
import { withCommand } from '../../src-main/core/console/console-history';
import { completionCommands } from '../../src-main/core/console/console-profile-knowledge';
import { ConsoleSessions } from '../../src-main/core/console/console-sessions';
import { CaptureEngine } from '../../src-main/core/logs/capture-engine';
import { BleRegistry } from '../../src-main/core/ble/ble-registry';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { isSerialProfile } from '../../src-main/core/profiles/profile-types';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { PROFILES_DIR } from '../helpers/core-fixture';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { firmwareUpdateUnderWay } from '../helpers/firmware-update-under-way';
import { memorySerialBench, type MemorySerialBench } from '../helpers/memory-serial-bench';
import { makeTempDir } from '../helpers/temp-dir';
import { until } from '../helpers/until';

const PORT = '/dev/ttyACM0';
const DEVICE = `serial:${PORT}`;
const USB_SERIAL = 'E66138935F4B';

let profiles: ProfileRegistry;
beforeAll(async () => {
  profiles = await ProfileRegistry.load(PROFILES_DIR);
});

interface Rig {
  bench: MemorySerialBench;
  engine: CaptureEngine;
  consoles: ConsoleSessions;
  store: CaseStore;
  simulator: SensorNodeSimulator;
  sessions: ConsoleSession[];
  progress: ConsoleProgress[];
  changedCases: string[];
  foreign: Map<string, Transport>;
  close(): Promise<void>;
}

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

async function makeRig(options: { reconnectDeadlineMs?: number } = {}): Promise<Rig> {
  const dir = makeTempDir('console-sessions');
  const bench = memorySerialBench(profiles);
  const simulator = new SensorNodeSimulator({ seed: 21 });
  bench.plug(PORT, simulator, USB_SERIAL);
  await bench.registry.poll();
  await bench.registry.settled();
  const engine = new CaptureEngine({ folder: `${dir.path}/captures`, partialLineMs: 20, progressIntervalMs: 10 });
  const store = openCaseStore({ dataDir: dir.path });
  const sessions: ConsoleSession[] = [];
  const progress: ConsoleProgress[] = [];
  const changedCases: string[] = [];
  const foreign = new Map<string, Transport>();
  const consoles = new ConsoleSessions({
    capture: engine,
    registry: bench.registry,
    // No radio here: the BLE list stays empty (consoles over BLE: console-nus.test.ts).
    ble: new BleRegistry({
      profiles,
      central: () => {
        throw new Error('this test has no Bluetooth radio');
      },
      now: () => new Date(),
      onChange: () => undefined,
      emitAdverts: () => undefined,
      virtualTimeScale: 0,
      log: () => undefined,
    }),
    transportOf: (deviceId) => foreign.get(deviceId) ?? null,
    knowledgePatterns: () => [],
    cases: store.cases,
    attachments: store.attachments,
    emitSession: (session) => sessions.push(session),
    emitProgress: (p) => progress.push(p),
    caseChanged: (caseId) => changedCases.push(caseId),
    now: () => new Date(),
    log: () => undefined,
    reconnectIntervalMs: 20,
    ...(options.reconnectDeadlineMs !== undefined ? { reconnectDeadlineMs: options.reconnectDeadlineMs } : {}),
  });
  rig = {
    bench,
    engine,
    consoles,
    store,
    simulator,
    sessions,
    progress,
    changedCases,
    foreign,
    close: async () => {
      await consoles.shutdown();
      await bench.close();
      store.close();
      dir.remove();
    },
  };
  return rig;
}

async function linesOf(r: Rig, captureId: string): Promise<ConsoleLine[]> {
  return (await r.engine.read(captureId, 0, 2000)).lines;
}

/** Waits until the capture has a line matching the pattern, and returns it. */
function lineMatching(r: Rig, captureId: string, pattern: RegExp, kind: ConsoleLine['kind'] = 'device'): Promise<ConsoleLine> {
  return until(`a ${kind} line matching ${pattern}`, async () => (await linesOf(r, captureId)).find((line) => line.kind === kind && pattern.test(line.text)));
}

describe('ConsoleSessions', () => {
  it('opens with the profile’s settings and completion, sends a command and captures the answer after it', async () => {
    const r = await makeRig();
    const session = await r.consoles.open({ deviceId: DEVICE });
    expect(session).toMatchObject({
      deviceId: DEVICE,
      source: 'serial',
      state: 'open',
      settings: { baudRate: 115_200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
      lineEnding: 'crlf',
      sendRefusal: null,
      caseId: null,
    });
    expect(session.serialNumber).toMatch(/^SN-|^E66138935F4B$/);
    expect(session.commands).toEqual(expect.arrayContaining(['device info', 'kernel uptime', 'battery']));
    expect(new Set(session.commands).size).toBe(session.commands.length);

    const sent = await r.consoles.send(session.captureId, 'kernel uptime');
    expect(sent.bytes).toBe('kernel uptime\r\n'.length);
    const answer = await lineMatching(r, session.captureId, /^Uptime: \d+ ms$/);
    const lines = await linesOf(r, session.captureId);
    const sentLine = lines.find((line) => line.seq === sent.seq);
    expect(sentLine).toMatchObject({ kind: 'sent', text: 'kernel uptime' });
    expect(answer.seq).toBeGreaterThan(sent.seq);
    expect(answer.time).toBeGreaterThanOrEqual(sentLine?.time ?? Infinity);
    await until('progress naming the device', () => r.progress.find((p) => p.captureId === session.captureId && p.deviceId === DEVICE && p.lines > 0));
  });

  it('keeps a history of sent commands, newest last, without repeats in a row', async () => {
    const r = await makeRig();
    const { captureId } = await r.consoles.open({ deviceId: DEVICE });
    for (const command of ['battery', 'battery', 'sensor temp', 'battery']) await r.consoles.send(captureId, command);
    expect(r.consoles.sessions()[0]?.history).toEqual(['battery', 'sensor temp', 'battery']);
    expect(r.sessions.at(-1)?.history).toEqual(['battery', 'sensor temp', 'battery']);

    const many = Array.from({ length: 250 }, (_, i) => `cmd ${i}`).reduce<string[]>((history, command) => withCommand(history, command), []);
    expect(many).toHaveLength(200);
    expect(many[0]).toBe('cmd 50');
    expect(many.at(-1)).toBe('cmd 249');
    expect(withCommand(['a'], '   ')).toEqual(['a']);
  });

  it('joins a console opened with the same settings or none, and refuses other settings saying how to change them', async () => {
    const r = await makeRig();
    const first = await r.consoles.open({ deviceId: DEVICE });
    expect((await r.consoles.open({ deviceId: DEVICE })).captureId).toBe(first.captureId);
    expect((await r.consoles.open({ deviceId: DEVICE, settings: { baudRate: 115_200, parity: 'none' }, lineEnding: 'crlf' })).captureId).toBe(first.captureId);

    const otherRate = await fieldbenchErrorOf(r.consoles.open({ deviceId: DEVICE, settings: { baudRate: 9_600 } }));
    expect(otherRate.code).toBe('device-busy');
    expect(otherRate.message).toContain('already open on this device at 115200 8N1, no flow control');
    expect(otherRate.message).toContain('9600 8N1');
    expect(otherRate.hint).toContain('console.configure');
    expect(otherRate.device).toContain(PORT);

    const otherEnding = await fieldbenchErrorOf(r.consoles.open({ deviceId: DEVICE, lineEnding: 'lf' }));
    expect(otherEnding).toMatchObject({ code: 'device-busy', step: 'open console' });
    expect(otherEnding.message).toContain('line ending LF');
    expect(r.consoles.sessions()).toHaveLength(1);
  });

  it('changes settings by opening the port again, and notes the change in the capture', async () => {
    const r = await makeRig();
    const { captureId } = await r.consoles.open({ deviceId: DEVICE });
    const changed = await r.consoles.configure({ captureId, settings: { baudRate: 230_400, parity: 'even' }, lineEnding: 'cr' });
    expect(changed.settings).toMatchObject({ baudRate: 230_400, parity: 'even' });
    expect(changed.lineEnding).toBe('cr');
    expect(r.bench.opened.at(-1)?.options).toMatchObject({ baudRate: 230_400, parity: 'even', dataBits: 8, stopBits: 1 });
    const notes = (await linesOf(r, captureId)).filter((line) => line.kind === 'note').map((line) => line.text);
    expect(notes).toEqual(['serial settings changed: 115200 8N1, no flow control → 230400 8E1, no flow control', 'line ending changed: CR LF → CR']);
    expect(r.sessions.at(-1)).toMatchObject({ captureId, lineEnding: 'cr', settings: { baudRate: 230_400 } });
    // The line ending is what follows a command now.
    expect((await r.consoles.send(captureId, 'battery')).bytes).toBe('battery\r'.length);
  });

  it('while a firmware update runs, the console shows its traffic and refuses to send, saying why', async () => {
    const r = await makeRig();
    const { captureId } = await r.consoles.open({ deviceId: DEVICE });
    const endUpdate = await firmwareUpdateUnderWay(r.bench.registry, DEVICE, { text: 'hwinfo reset_cause\r\n', when: 'first' });
    const reason = 'a firmware update is writing to the port; sending now would corrupt it — wait until it ends';
    expect(r.consoles.sessions()[0]?.sendRefusal).toBe(reason);
    expect(r.sessions.at(-1)?.sendRefusal).toBe(reason);
    const refused = await fieldbenchErrorOf(r.consoles.send(captureId, 'battery'));
    expect(refused).toMatchObject({ code: 'device-busy', message: reason, step: 'send command' });
    expect(refused.hint).toBeTruthy();
    await lineMatching(r, captureId, /^reset cause: /);
    await endUpdate();
    expect(r.sessions.at(-1)?.sendRefusal).toBeNull();
    await r.consoles.send(captureId, 'battery');
    await lineMatching(r, captureId, /^voltage: /);
    // The refused command was never noted as sent.
    expect((await linesOf(r, captureId)).filter((line) => line.kind === 'sent').map((line) => line.text)).toEqual(['battery']);
  });

  it('a mark goes into the capture and onto the case timeline; a wrong case leaves no mark', async () => {
    const r = await makeRig();
    const opened = r.store.cases.open({ title: 'Node resets under load', device: null, snapshot: null });
    const { captureId } = await r.consoles.open({ deviceId: DEVICE, caseId: opened.id });
    const mark = await r.consoles.mark({ captureId, label: 'fault reproduced here' });
    expect(mark).toMatchObject({ kind: 'mark', text: 'fault reproduced here' });
    const timeline = r.store.cases.get(opened.id).timeline.filter((event) => event.kind === 'log-mark');
    expect(timeline).toHaveLength(1);
    expect(timeline[0]?.data).toMatchObject({ captureId, seq: mark.seq, label: 'fault reproduced here', at: new Date(mark.time).toISOString() });
    expect(String(timeline[0]?.data?.device)).toContain(PORT);
    expect(timeline[0]?.summary).toContain('fault reproduced here');
    expect(r.changedCases).toContain(opened.id);

    const missing = await fieldbenchErrorOf(r.consoles.mark({ captureId, label: 'elsewhere', caseId: '00000000-0000-4000-8000-000000000000' }));
    expect(missing.code).toBe('not-found');
    expect((await linesOf(r, captureId)).filter((line) => line.kind === 'mark').map((line) => line.text)).toEqual(['fault reproduced here']);
  });

  it('attaches the capture (whole or a range, text or JSON lines) to a case, and it reads back', async () => {
    const r = await makeRig();
    const opened = r.store.cases.open({ title: 'Battery reading wrong', device: null, snapshot: null });
    const session = await r.consoles.open({ deviceId: DEVICE });
    await r.consoles.send(session.captureId, 'battery');
    const answer = await lineMatching(r, session.captureId, /^charge: \d+ %$/);
    await r.consoles.mark({ captureId: session.captureId, label: 'after battery' });

    const whole = await r.consoles.attach({ captureId: session.captureId, caseId: opened.id, format: 'text' });
    expect(whole.fileName).toMatch(/^console-[A-Za-z0-9._-]+-\d{8}-\d{6}\.log$/);
    const text = Buffer.from(r.store.attachments.get(opened.id, whole.id).contentBase64, 'base64').toString('utf8');
    expect(text).toContain('battery');
    expect(text).toContain(answer.text);
    expect(text).toContain('after battery');
    expect(r.store.cases.get(opened.id).attachments.map((a) => a.id)).toContain(whole.id);
    expect(r.changedCases).toContain(opened.id);

    const ranged = await r.consoles.attach({ captureId: session.captureId, caseId: opened.id, format: 'jsonl', range: { fromSeq: answer.seq, toSeq: answer.seq } });
    expect(ranged.fileName).toMatch(/\.jsonl$/);
    const records = Buffer.from(r.store.attachments.get(opened.id, ranged.id).contentBase64, 'base64')
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { seq?: number; text?: string });
    const withSeq = records.filter((record) => record.seq !== undefined);
    expect(withSeq.map((record) => record.seq)).toEqual([answer.seq]);
    expect(withSeq[0]?.text).toBe(answer.text);

    const exported = await r.consoles.export({ captureId: session.captureId, format: 'text' });
    expect(Buffer.from(exported.contentBase64, 'base64').toString('utf8')).toBe(text);
    expect(exported).toMatchObject({ fileName: whole.fileName, mediaType: 'text/plain', size: whole.size });
  });

  it('follows the device to another port with the same serial number, marks the gap and captures what follows', async () => {
    const r = await makeRig();
    const session = await r.consoles.open({ deviceId: DEVICE });
    await r.bench.unplug(PORT);
    const lost = await until('the console to lose its port', () => r.sessions.find((s) => s.state === 'reconnecting'));
    expect(lost.stateDetail).toMatch(/^port lost: .+; waiting for .+ to come back$/);
    await expect(r.consoles.send(session.captureId, 'battery')).rejects.toMatchObject({ code: 'device-gone' });

    // The same board, re-enumerated under another name.
    r.bench.plug('/dev/ttyACM1', r.simulator, USB_SERIAL);
    await r.bench.registry.poll();
    const back = await until('the console to come back', () => r.sessions.find((s) => s.state === 'open' && s.deviceId === 'serial:/dev/ttyACM1'));
    expect(back.captureId).toBe(session.captureId);
    expect(r.consoles.sessions()).toHaveLength(1);

    const gap = await lineMatching(r, session.captureId, /./, 'gap');
    expect(gap.text).toMatch(/^port lost \d\d:\d\d:\d\d\.\d{3} \(.+\), back \d\d:\d\d:\d\d\.\d{3} on \/dev\/ttyACM1: \d+\.\d\d s without data$/);
    await r.consoles.send(session.captureId, 'sensor temp');
    const after = await lineMatching(r, session.captureId, /^temperature: /);
    expect(after.seq).toBeGreaterThan(gap.seq);
  });

  it('follows the device back to the same port', async () => {
    const r = await makeRig();
    const session = await r.consoles.open({ deviceId: DEVICE });
    const before = r.bench.opened.length;
    // The port vanishes and reappears between two discovery passes, as a quick replug does.
    await r.bench.unplug(PORT);
    r.bench.plug(PORT, r.simulator, USB_SERIAL);
    await until('the console to come back', () => r.sessions.some((s) => s.state === 'reconnecting') && r.sessions.at(-1)?.state === 'open');
    expect(r.bench.opened.length).toBeGreaterThan(before);
    expect(r.consoles.sessions()[0]?.deviceId).toBe(DEVICE);
    await lineMatching(r, session.captureId, new RegExp(` on ${PORT}: `), 'gap');
  });

  it('gives up after its deadline and closes, saying why; the capture stays readable', async () => {
    const r = await makeRig({ reconnectDeadlineMs: 150 });
    const session = await r.consoles.open({ deviceId: DEVICE });
    await r.bench.unplug(PORT);
    const closed = await until('the console to give up', () => r.sessions.find((s) => s.state === 'closed'));
    expect(closed.stateDetail).toMatch(/^the device did not come back within 0\.15 s after its port was lost \(.+\)$/);
    expect(closed.endedAt).not.toBeNull();
    expect(r.consoles.sessions()).toEqual([]);
    const captures = await r.consoles.captures({ limit: 10 });
    expect(captures.find((c) => c.captureId === session.captureId)).toMatchObject({ live: false });
    const note = await lineMatching(r, session.captureId, /^console closed: the device did not come back/, 'note');
    expect(note.kind).toBe('note');
  });

  it('refuses a USB DFU device with a reason, and a device that is not there (serial or BLE)', async () => {
    const r = await makeRig();
    r.foreign.set('usb:1-2', 'usb');
    r.foreign.set('ble:AA:BB', 'ble');
    expect(await fieldbenchErrorOf(r.consoles.open({ deviceId: 'usb:1-2' }))).toMatchObject({ code: 'unavailable', step: 'open console' });
    expect(await fieldbenchErrorOf(r.consoles.open({ deviceId: 'ble:AA:BB' }))).toMatchObject({ code: 'not-found', device: 'ble:AA:BB', hint: expect.stringContaining('Scan') });
    expect((await fieldbenchErrorOf(r.consoles.open({ deviceId: 'serial:/dev/ttyNOPE' }))).code).toBe('not-found');
  });

  it('closing lets the port go and finishes the capture, which stays readable; a closed console refuses sends', async () => {
    const r = await makeRig();
    const session = await r.consoles.open({ deviceId: DEVICE });
    await r.consoles.send(session.captureId, 'device info');
    await lineMatching(r, session.captureId, /^model: sensor-node$/);
    const closed = await r.consoles.close(session.captureId);
    expect(closed).toMatchObject({ state: 'closed', captureId: session.captureId });
    expect(closed.endedAt).not.toBeNull();
    expect(r.consoles.sessions()).toEqual([]);
    expect((await fieldbenchErrorOf(r.consoles.send(session.captureId, 'battery'))).code).toBe('not-found');
    expect((await r.consoles.read(session.captureId, 0, 100)).lines.some((line) => line.text === 'model: sensor-node')).toBe(true);
    // The port is free for a new console.
    const again = await r.consoles.open({ deviceId: DEVICE });
    expect(again.captureId).not.toBe(session.captureId);
  });
});

describe('completionCommands', () => {
  it('offers the profile’s console commands, then identity and diagnostics commands, each once', () => {
    const profile = profiles.serialProfiles().find((p) => p.id === 'fieldbench-sensor-node');
    expect(profile && isSerialProfile(profile)).toBe(true);
    const commands = completionCommands(profile ?? null);
    expect(commands).toContain(profile?.identity.command);
    for (const spec of profile?.diagnostics ?? []) expect(commands).toContain(spec.command);
    expect(new Set(commands).size).toBe(commands.length);
    expect(completionCommands(null)).toEqual([]);
  });
});
