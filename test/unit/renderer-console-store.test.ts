// The console store against a fake API: opening a console, following the newest lines on
// progress (one tail fetch per frame, only the tail), holding still while paused or scrolled
// up, refetching when the filter changes, and a search jump that locates its hit in the view.
import { describe, expect, it } from 'vitest';
import type { ConsoleFilter, ConsoleLine, ConsoleSession } from '../../src-main/api/console-schemas';
import { PageCache } from '../../src-renderer/console/page-cache';
import { createConsoleStore, viewKeyOf } from '../../src-renderer/stores/console-store';
import { FakeRendererApi } from '../helpers/fake-renderer-api';

const CAPTURE = 'sensor-node-SN-0042-20260102T030405';
const DEVICE = 'serial:/dev/pts/7';
const CASE = '0b9a7c1e-3d2f-4a5b-8c6d-7e8f9a0b1c2d';
const T0 = Date.parse('2026-01-02T03:04:05.000Z');

function session(change: Partial<ConsoleSession> = {}): ConsoleSession {
  return {
    captureId: CAPTURE,
    deviceId: DEVICE,
    device: 'Sensor Node SN-0042',
    serialNumber: 'SN-0042',
    source: 'serial',
    settings: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
    lineEnding: 'crlf',
    state: 'open',
    stateDetail: null,
    startedAt: new Date(T0).toISOString(),
    endedAt: null,
    lines: 0,
    bytes: 0,
    sendRefusal: null,
    commands: ['device info'],
    history: [],
    caseId: null,
    ...change,
  };
}

/** Every tenth line is an error; the rest info. */
function captureLine(seq: number): ConsoleLine {
  const level = seq % 10 === 0 ? 'error' : 'info';
  const text = `<${level === 'error' ? 'err' : 'inf'}> app: line ${seq}`;
  return { seq, time: T0 + seq, kind: 'device', text, spans: [{ text }], level, deviceTime: null, binary: false, truncated: false, issues: [], reboot: false };
}

/** A capture the fake core reads from, growing as the test says; filters as the core would. */
class FakeCapture {
  lines = 0;
  private kept(filter?: ConsoleFilter): ConsoleLine[] {
    const all = Array.from({ length: this.lines }, (_, seq) => captureLine(seq));
    return all.filter((line) => (!filter?.levels || filter.levels.includes(line.level ?? 'none')) && (!filter?.text || line.text.includes(filter.text)));
  }
  install(api: FakeRendererApi): void {
    api.handle('console.sessions', () => [session({ lines: this.lines })]);
    api.handle('console.open', () => session({ lines: this.lines }));
    api.handle('console.flags', () => []);
    api.handle('console.read', ({ offset, count, filter }) => {
      const kept = this.kept(filter);
      return { total: kept.length, captured: this.lines, lines: kept.slice(offset, offset + count) };
    });
    api.handle('console.locate', ({ seq, filter }) => {
      const kept = this.kept(filter);
      const index = kept.findIndex((line) => line.seq >= seq);
      return { offset: index < 0 ? null : index, total: kept.length };
    });
  }
}

/** Animation frames run when the test says. */
class Frames {
  private queue: (() => void)[] = [];
  readonly request = (callback: () => void) => void this.queue.push(callback);
  get pending(): number {
    return this.queue.length;
  }
  run(): void {
    const now = this.queue;
    this.queue = [];
    for (const callback of now) callback();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function openedConsole(lines = 1000) {
  const api = new FakeRendererApi();
  const capture = new FakeCapture();
  capture.lines = lines;
  capture.install(api);
  const frames = new Frames();
  const cache = new PageCache(100, 20);
  const store = createConsoleStore(api, { frame: frames.request, cache });
  await store.getState().open(DEVICE, { baudRate: 921600 }, 'lf');
  await settle();
  store.getState().setViewport(lines - 30, lines, 20);
  await settle();
  return { api, capture, frames, cache, store };
}

describe('console store', () => {
  it('opens a console with the chosen settings and shows its newest rows', async () => {
    const { api, store } = await openedConsole(1000);
    expect(api.callsTo('console.open')).toEqual([{ deviceId: DEVICE, settings: { baudRate: 921600 }, lineEnding: 'lf' }]);
    const view = store.getState().view!;
    expect(view.captureId).toBe(CAPTURE);
    expect(view.pinned).toBe(true);
    expect(view.total).toBe(1000);
    // Only the tail pages were read, never the whole capture.
    const reads = api.callsTo('console.read');
    expect(reads.every((r) => r.offset >= 900)).toBe(true);
    expect(store.getState().rowAt(999)?.seq).toBe(999);
    expect(store.getState().rowAt(0)).toBeUndefined();
  });

  it('follows progress while pinned with one tail fetch per frame, reading only the tail', async () => {
    const { api, capture, frames, store } = await openedConsole(1000);
    const before = api.callsTo('console.read').length;
    capture.lines = 1150;
    api.emit('console.progress', { captureId: CAPTURE, deviceId: DEVICE, lines: 1100, bytes: 50_000, flags: [] });
    api.emit('console.progress', { captureId: CAPTURE, deviceId: DEVICE, lines: 1150, bytes: 57_000, flags: [] });
    expect(frames.pending).toBe(1);
    expect(api.callsTo('console.read').length).toBe(before);
    frames.run();
    await settle();
    const reads = api.callsTo('console.read').slice(before);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r.offset >= 1100)).toBe(true);
    expect(store.getState().view).toMatchObject({ total: 1150, captured: 1150, bytes: 57_000, unseen: 0 });
    expect(store.getState().rowAt(1149)?.seq).toBe(1149);
  });

  it('fetches nothing while paused, though the counts go on rising', async () => {
    const { api, capture, frames, store } = await openedConsole(1000);
    store.getState().togglePause();
    const before = api.calls.length;
    capture.lines = 1200;
    api.emit('console.progress', { captureId: CAPTURE, deviceId: DEVICE, lines: 1200, bytes: 60_000, flags: [] });
    frames.run();
    await settle();
    expect(api.calls.length).toBe(before);
    expect(store.getState().view).toMatchObject({ captured: 1200, total: 1000, pausedAt: 1000 });
    // Resumed: the view catches up with the capture.
    store.getState().togglePause();
    await settle();
    expect(store.getState().view).toMatchObject({ total: 1200, pausedAt: null });
    expect(store.getState().rowAt(1199)?.seq).toBe(1199);
  });

  it('counts new lines while scrolled up, and Jump to latest follows again', async () => {
    const { api, capture, frames, store } = await openedConsole(1000);
    store.getState().setViewport(100, 130, 20);
    store.getState().setPinned(false);
    await settle();
    capture.lines = 1040;
    api.emit('console.progress', { captureId: CAPTURE, deviceId: DEVICE, lines: 1040, bytes: 1, flags: [] });
    expect(frames.pending).toBe(0);
    expect(store.getState().view).toMatchObject({ pinned: false, unseen: 40, total: 1040 });
    store.getState().jumpToLatest();
    await settle();
    expect(store.getState().view).toMatchObject({ pinned: true, unseen: 0 });
    expect(store.getState().rowAt(1039)?.seq).toBe(1039);
  });

  it('refetches the view when the filter changes, with its own length', async () => {
    const { api, store } = await openedConsole(1000);
    const filter: ConsoleFilter = { levels: ['error'], text: 'line' };
    await store.getState().setFilter(filter);
    await settle();
    const view = store.getState().view!;
    expect(view.viewKey).toBe(viewKeyOf(filter));
    expect(view.total).toBe(100);
    const filteredReads = api.callsTo('console.read').filter((r) => r.filter !== undefined);
    expect(filteredReads.length).toBeGreaterThan(0);
    expect(filteredReads.every((r) => JSON.stringify(r.filter) === JSON.stringify(filter))).toBe(true);
    expect(store.getState().rowAt(99)?.seq).toBe(990);
    // Back to everything: the whole capture's rows again.
    await store.getState().setFilter({});
    await settle();
    expect(store.getState().view!.total).toBe(1000);
    expect(store.getState().rowAt(999)?.seq).toBe(999);
  });

  it('searches the whole capture and jumps to each hit where the filtered view has it', async () => {
    const { api, store } = await openedConsole(1000);
    await store.getState().setFilter({ levels: ['error'] });
    await settle();
    api.handle('console.search', () => ({
      hits: [
        { seq: 120, time: T0 + 120, text: '<err> app: line 120', matches: [{ start: 0, end: 5 }] },
        { seq: 450, time: T0 + 450, text: '<err> app: line 450', matches: [{ start: 0, end: 5 }] },
      ],
      scannedTo: 1000,
      complete: true,
      elapsedMs: 3,
    }));
    await store.getState().runSearch('<err>', { regex: false, ignoreCase: true });
    await settle();
    expect(api.callsTo('console.search')).toEqual([{ captureId: CAPTURE, query: '<err>', regex: false, ignoreCase: true, limit: 1000 }]);
    let view = store.getState().view!;
    expect(view.search).toMatchObject({ current: 0, complete: true });
    expect(api.callsTo('console.locate').at(-1)).toEqual({ captureId: CAPTURE, seq: 120, filter: { levels: ['error'] } });
    expect(view.pinned).toBe(false);
    expect(view.scrollTo?.offset).toBe(12);
    expect(store.getState().rowAt(12)?.seq).toBe(120);
    await store.getState().nextMatch();
    view = store.getState().view!;
    expect(view.search?.current).toBe(1);
    expect(view.scrollTo?.offset).toBe(45);
    // Previous wraps round to the last hit from the first.
    await store.getState().nextMatch(true);
    await store.getState().nextMatch(true);
    expect(store.getState().view!.search?.current).toBe(1);
  });

  it('says when a jump lands next to a line the filter hides', async () => {
    const { store } = await openedConsole(1000);
    await store.getState().setFilter({ levels: ['error'] });
    await settle();
    await store.getState().jumpToSeq(125);
    expect(store.getState().view).toMatchObject({ scrollTo: { offset: 13 }, jumpNote: expect.stringContaining('hidden by the filter') });
  });

  it('marks a moment into a chosen case and lists it; flags from progress are kept once', async () => {
    const { api, store } = await openedConsole(10);
    api.handle('console.mark', ({ label }) => ({ ...captureLine(10), kind: 'mark', text: label, spans: [{ text: label }], level: null }));
    expect(await store.getState().mark('fault reproduced here', CASE)).toBe(true);
    expect(api.callsTo('console.mark')).toEqual([{ captureId: CAPTURE, label: 'fault reproduced here', caseId: CASE }]);
    expect(store.getState().view!.marks.map((m) => [m.seq, m.text])).toEqual([[10, 'fault reproduced here']]);
    const flag = { seq: 4, time: T0 + 4, issueId: 'i2c-bus-error', title: 'I2C bus error', source: 'profile' as const, articleId: null, hint: 'Reseat the sensor.', text: 'i2c: bus error' };
    api.emit('console.progress', { captureId: CAPTURE, deviceId: DEVICE, lines: 11, bytes: 1, flags: [flag] });
    api.emit('console.progress', { captureId: CAPTURE, deviceId: DEVICE, lines: 11, bytes: 1, flags: [flag] });
    expect(store.getState().view!.flags).toEqual([flag]);
  });

  it('attaches and exports the selected range, or the whole capture', async () => {
    const { api, store } = await openedConsole(100);
    api.handle('console.attach', ({ caseId }) => ({
      id: '1b9a7c1e-3d2f-4a5b-8c6d-7e8f9a0b1c2d',
      caseId,
      fileName: 'capture.log',
      mediaType: 'text/plain',
      size: 10,
      sha256: 'a'.repeat(64),
      searchable: true,
      createdAt: new Date(T0).toISOString(),
    }) as never);
    api.handle('console.export', () => ({ fileName: 'capture.jsonl', mediaType: 'application/x-ndjson', contentBase64: '', lines: 0, size: 0 }));
    store.getState().selectRow(40, false);
    store.getState().selectRow(12, true);
    await store.getState().attachToCase(CASE, 'text', 'selection');
    await store.getState().exportCapture('jsonl', 'whole');
    expect(api.callsTo('console.attach')).toEqual([{ captureId: CAPTURE, caseId: CASE, format: 'text', range: { fromSeq: 12, toSeq: 40 } }]);
    expect(api.callsTo('console.export')).toEqual([{ captureId: CAPTURE, format: 'jsonl' }]);
    expect(store.getState().view!.outcome?.text).toContain('Exported');
  });

  it('shows a refused open with its hint and keeps no view', async () => {
    const api = new FakeRendererApi();
    api.handle('console.open', () => {
      throw { code: 'device-busy', message: 'The port is held by another program.', device: '/dev/ttyUSB0', step: 'open port', hint: 'Close the other program, then Open again.' };
    });
    const store = createConsoleStore(api, { frame: () => undefined });
    await store.getState().open(DEVICE, {}, 'crlf');
    expect(store.getState().view).toBeNull();
    expect(store.getState().openError).toMatchObject({ code: 'device-busy', hint: 'Close the other program, then Open again.' });
  });

  it('follows session events: reconnecting with its reason, then closed', async () => {
    const { api, store } = await openedConsole(10);
    api.emit('console.session', session({ state: 'reconnecting', stateDetail: 'port lost; waiting for SN-0042 to come back', lines: 12 }));
    expect(store.getState().view).toMatchObject({ session: { state: 'reconnecting', stateDetail: 'port lost; waiting for SN-0042 to come back' }, captured: 12 });
    api.emit('console.session', session({ state: 'closed', lines: 12 }));
    expect(store.getState().view?.session?.state).toBe('closed');
    expect(store.getState().sessions).toHaveLength(1);
  });

  it('joins the console already open on the device, and asks again after the connection comes back', async () => {
    const api = new FakeRendererApi();
    const capture = new FakeCapture();
    capture.lines = 300;
    capture.install(api);
    const store = createConsoleStore(api, { frame: () => undefined, cache: new PageCache(100, 20) });
    await store.getState().showDevice(DEVICE);
    await settle();
    expect(api.callsTo('console.open')).toEqual([]);
    expect(store.getState().view).toMatchObject({ captureId: CAPTURE, captured: 300, pinned: true });
    expect(store.getState().rowAt(299)?.seq).toBe(299);
    // Lines arrived while the connection was down: no progress event told of them.
    capture.lines = 420;
    await store.getState().resume();
    await settle();
    expect(store.getState().view).toMatchObject({ captured: 420, total: 420 });
    expect(store.getState().rowAt(419)?.seq).toBe(419);
    // Another device has no console: the page offers to open one.
    await store.getState().showDevice('serial:/dev/pts/9');
    expect(store.getState().view).toBeNull();
  });
});
