// The renderer's stores against a fake FieldbenchApi: live device list, diagnostics,
// the case list, and a case whose notes are saved as they are typed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventChannel, EventOf, FieldbenchApi, RequestChannel, RequestOf, ResponseOf } from '../../src-main/api/contract';
import type { CaseDetail, Device, DiagnosticsReport, Note } from '../../src-main/api/schemas';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { createConnectionSource, type ConnectionState } from '../../src-renderer/api/connection-state';
import { mergeNoteOrder } from '../../src-renderer/stores/case-detail-store';
import { createRendererStores } from '../../src-renderer/stores/renderer-stores';

type Handler = (payload: unknown) => unknown;

class FakeApi implements FieldbenchApi {
  readonly calls: { channel: string; payload: unknown }[] = [];
  handlers: Partial<Record<RequestChannel, Handler>> = {};
  private listeners = new Map<string, Set<(payload: unknown) => void>>();

  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
    this.calls.push({ channel, payload });
    const handler = this.handlers[channel];
    if (!handler) return Promise.reject(new ApiRequestError({ code: 'unknown-channel', message: `no fake for ${channel}` }));
    try {
      return Promise.resolve(handler(payload) as ResponseOf<C>);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const wrapped = (p: unknown) => listener(p as EventOf<E>);
    set.add(wrapped);
    return () => set.delete(wrapped);
  }
  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    this.listeners.get(event)?.forEach((l) => l(payload));
  }
  callsTo(channel: RequestChannel) {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.payload);
  }
}

const NOW = '2026-01-02T03:04:05.000Z';
const CASE_ID = '11111111-1111-4111-8111-111111111111';
const NOTE_ID = '22222222-2222-4222-8222-222222222222';
const NEW_NOTE_ID = '33333333-3333-4333-8333-333333333333';

function device(id: string, patch: Partial<Device> = {}): Device {
  return {
    id,
    transport: 'serial',
    path: `/dev/pts/${id}`,
    virtual: true,
    profileId: 'fieldbench-sensor-node',
    profileName: 'Sensor Node',
    identity: { model: 'sensor-node', serialNumber: `SN-${id}`, firmwareVersion: '1.4.2' },
    state: 'ready',
    seenAt: NOW,
    ...patch,
  };
}

function report(deviceId: string): DiagnosticsReport {
  return {
    deviceId,
    profileId: 'fieldbench-sensor-node',
    identity: null,
    readings: [{ id: 'battery', label: 'Battery', value: 3.9, unit: 'V', status: 'ok', limits: null, message: null, readAt: NOW }],
    startedAt: NOW,
    finishedAt: NOW,
  };
}

function note(text: string, revision: number, id = NOTE_ID): Note {
  return { id, caseId: CASE_ID, text, revision, createdAt: NOW, updatedAt: NOW };
}

function caseDetail(notes: Note[], patch: Partial<CaseDetail> = {}): CaseDetail {
  return {
    id: CASE_ID,
    title: 'Battery drains',
    status: 'open',
    deviceModel: 'sensor-node',
    deviceSerial: 'SN-1',
    noteCount: notes.length,
    createdAt: NOW,
    updatedAt: NOW,
    device: null,
    snapshot: null,
    notes,
    timeline: [],
    ...patch,
  };
}

function setup() {
  const api = new FakeApi();
  api.handlers['devices.list'] = () => [device('1')];
  api.handlers['system.info'] = () => ({
    version: '0.1.0',
    dataDir: '/tmp',
    discovery: [{ transport: 'serial', method: 'scan of /dev', available: true, note: 'udevadm is missing; scanning /dev' }],
    profiles: { loaded: 1, problems: [] },
  });
  api.handlers['cases.list'] = () => [];
  const connection = createConnectionSource({ status: 'connecting', door: 'browser', attempt: 0, retryAt: null, reason: null });
  const stores = createRendererStores(api, connection, {
    caseDetail: { newNoteId: () => NEW_NOTE_ID, autosave: { debounceMs: 300, retryDelaysMs: [1000] } },
  });
  const setStatus = (status: ConnectionState['status']) => connection.set({ ...connection.get(), status });
  return { api, stores, setStatus };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('devices store', () => {
  it('loads the list and discovery status when the connection opens, then follows devices.changed', async () => {
    const { api, stores, setStatus } = setup();
    expect(stores.devices.getState().loaded).toBe(false);
    setStatus('open');
    await vi.advanceTimersByTimeAsync(0);
    const state = stores.devices.getState();
    expect(state.loaded).toBe(true);
    expect(state.devices.map((d) => d.id)).toEqual(['1']);
    expect(state.discovery[0]?.note).toMatch(/udevadm/);

    api.emit('devices.changed', [device('1'), device('2', { state: 'identifying', identity: null })]);
    expect(stores.devices.getState().devices.map((d) => d.id)).toEqual(['1', '2']);
  });

  it('puts an attached virtual device in the list at once, and reports a failure in the notices', async () => {
    const { api, stores } = setup();
    api.handlers['devices.attachVirtual'] = () => device('9');
    await expect(stores.devices.getState().attachVirtual()).resolves.toMatchObject({ id: '9' });
    expect(stores.devices.getState().devices.map((d) => d.id)).toContain('9');
    expect(api.callsTo('devices.attachVirtual')).toEqual([{ model: 'sensor-node' }]);

    api.handlers['devices.attachVirtual'] = () => {
      throw new ApiRequestError({ code: 'unavailable', message: 'socat is missing', step: 'attach virtual device', hint: 'Install socat.' });
    };
    await expect(stores.devices.getState().attachVirtual()).resolves.toBeNull();
    expect(stores.notices.getState().notices).toEqual([
      { id: expect.any(Number), action: 'Attach virtual device', error: { code: 'unavailable', message: 'socat is missing', step: 'attach virtual device', hint: 'Install socat.' } },
    ]);
    expect(stores.devices.getState().attaching).toBe(false);
  });

  it('adds a port by its trimmed path and detaches devices', async () => {
    const { api, stores } = setup();
    api.handlers['devices.addPort'] = (p) => device('5', { path: (p as { path: string }).path });
    api.handlers['devices.detach'] = () => ({});
    await stores.devices.getState().addPort('  /dev/pts/7 ');
    expect(api.callsTo('devices.addPort')).toEqual([{ path: '/dev/pts/7' }]);
    await expect(stores.devices.getState().detach('5')).resolves.toBe(true);
    expect(stores.devices.getState().devices.find((d) => d.id === '5')).toBeUndefined();
    expect(await stores.devices.getState().addPort('   ')).toBeNull();
  });
});

describe('diagnostics store', () => {
  it('marks a read as running, keeps the report, and keeps the error shape on failure', async () => {
    const { api, stores } = setup();
    let answer: (value: DiagnosticsReport) => void = () => undefined;
    api.handlers['diagnostics.read'] = () => new Promise<DiagnosticsReport>((resolve) => (answer = resolve));
    const reading = stores.diagnostics.getState().refresh('1');
    expect(stores.diagnostics.getState().byDevice['1']).toMatchObject({ reading: true, error: null });
    answer(report('1'));
    await reading;
    expect(stores.diagnostics.getState().byDevice['1']).toMatchObject({ reading: false, report: { deviceId: '1' } });

    api.handlers['diagnostics.read'] = () => {
      throw new ApiRequestError({ code: 'timeout', message: 'no answer in 2000 ms', device: 'Sensor Node SN-1', step: 'read diagnostics: battery', hint: 'Check the cable.' });
    };
    await stores.diagnostics.getState().refresh('1');
    expect(stores.diagnostics.getState().byDevice['1']).toMatchObject({
      reading: false,
      report: { deviceId: '1' }, // the last good report stays on screen
      error: { code: 'timeout', device: 'Sensor Node SN-1', step: 'read diagnostics: battery', hint: 'Check the cable.' },
    });
  });
});

describe('cases store', () => {
  it('asks for the filtered list, and for everything under All', async () => {
    const { api, stores } = setup();
    await stores.cases.getState().load();
    await stores.cases.getState().setFilter('resolved');
    await stores.cases.getState().setFilter('all');
    expect(api.callsTo('cases.list')).toEqual([{ status: 'open' }, { status: 'resolved' }, {}]);
    expect(stores.cases.getState().loadedFilter).toBe('all');
  });

  it('follows cases.changed only while watched, and collapses a burst into one more load', async () => {
    const { api, stores } = setup();
    api.emit('cases.changed', { caseId: CASE_ID });
    expect(api.callsTo('cases.list')).toHaveLength(0);
    const unwatch = stores.cases.watch();
    for (let i = 0; i < 5; i++) api.emit('cases.changed', { caseId: CASE_ID });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('cases.list')).toHaveLength(2);
    unwatch();
    api.emit('cases.changed', { caseId: CASE_ID });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('cases.list')).toHaveLength(2);
  });

  it('opens a case for a device with a trimmed title', async () => {
    const { api, stores } = setup();
    api.handlers['cases.open'] = () => caseDetail([]);
    await expect(stores.cases.getState().openCase('  Battery drains ', '1')).resolves.toMatchObject({ id: CASE_ID });
    expect(api.callsTo('cases.open')).toEqual([{ title: 'Battery drains', deviceId: '1' }]);
  });
});

describe('case detail store', () => {
  function withCase(notes: Note[]) {
    const ctx = setup();
    let stored = notes;
    let revision = Math.max(0, ...notes.map((n) => n.revision));
    ctx.api.handlers['cases.get'] = () => caseDetail(stored);
    ctx.api.handlers['cases.saveNote'] = (p) => {
      const { noteId, text } = p as { noteId: string; text: string };
      revision += 1;
      const saved = note(text, revision, noteId);
      stored = [...stored.filter((n) => n.id !== noteId), saved];
      return saved;
    };
    return ctx;
  }

  it('loads a case with its notes marked saved', async () => {
    const { stores } = withCase([note('first visit', 3)]);
    await stores.caseDetail.getState().load(CASE_ID);
    const state = stores.caseDetail.getState();
    expect(state.detail?.title).toBe('Battery drains');
    expect(state.noteIds).toEqual([NOTE_ID]);
    expect(state.notes[NOTE_ID]).toEqual({ id: NOTE_ID, text: 'first visit', status: { kind: 'saved', revision: 3 } });
  });

  it('keeps each keystroke in the store and saves the full text under the client-chosen id', async () => {
    const { api, stores } = withCase([]);
    await stores.caseDetail.getState().load(CASE_ID);
    const id = stores.caseDetail.getState().addNote();
    expect(id).toBe(NEW_NOTE_ID);
    expect(stores.caseDetail.getState().notes[id]?.status).toEqual({ kind: 'new' });

    stores.caseDetail.getState().editNote(id, 'R');
    stores.caseDetail.getState().editNote(id, 'Re');
    expect(stores.caseDetail.getState().notes[id]).toMatchObject({ text: 'Re', status: { kind: 'saving' } });
    await vi.advanceTimersByTimeAsync(300);
    expect(api.callsTo('cases.saveNote')).toEqual([{ caseId: CASE_ID, noteId: NEW_NOTE_ID, text: 'Re' }]);
    expect(stores.caseDetail.getState().notes[id]?.status).toEqual({ kind: 'saved', revision: 1 });
    expect(stores.caseDetail.hasUnsavedNotes()).toBe(false);
  });

  it('refreshing on cases.changed never replaces text still being typed', async () => {
    const { api, stores } = withCase([note('old', 1)]);
    await stores.caseDetail.getState().load(CASE_ID);
    stores.caseDetail.getState().editNote(NOTE_ID, 'old and new');
    api.emit('cases.changed', { caseId: CASE_ID }); // e.g. another window saved something
    await vi.advanceTimersByTimeAsync(0);
    expect(stores.caseDetail.getState().notes[NOTE_ID]?.text).toBe('old and new');
    await vi.advanceTimersByTimeAsync(300);
    expect(stores.caseDetail.getState().notes[NOTE_ID]).toMatchObject({ text: 'old and new', status: { kind: 'saved', revision: 2 } });
  });

  it('shows newer text stored by another window when nothing is pending here', async () => {
    const { api, stores } = withCase([note('mine', 1)]);
    await stores.caseDetail.getState().load(CASE_ID);
    api.handlers['cases.get'] = () => caseDetail([note('theirs', 2)]);
    api.emit('cases.changed', { caseId: CASE_ID });
    await vi.advanceTimersByTimeAsync(0);
    expect(stores.caseDetail.getState().notes[NOTE_ID]).toMatchObject({ text: 'theirs', status: { kind: 'saved', revision: 2 } });
  });

  it('flushAll sends pending text at once; a failed save says why and retries', async () => {
    const { api, stores } = withCase([]);
    await stores.caseDetail.getState().load(CASE_ID);
    const id = stores.caseDetail.getState().addNote();
    const save = api.handlers['cases.saveNote']!;
    api.handlers['cases.saveNote'] = () => {
      throw new ApiRequestError({ code: 'unavailable', message: 'not connected to Fieldbench' });
    };
    stores.caseDetail.getState().editNote(id, 'before unload');
    await stores.caseDetail.getState().flushAll();
    expect(api.callsTo('cases.saveNote')).toHaveLength(1);
    expect(stores.caseDetail.getState().notes[id]?.status).toMatchObject({ kind: 'failed', reason: 'not connected to Fieldbench' });
    expect(stores.caseDetail.hasUnsavedNotes()).toBe(true);

    api.handlers['cases.saveNote'] = save;
    await vi.advanceTimersByTimeAsync(1000);
    expect(stores.caseDetail.getState().notes[id]?.status).toMatchObject({ kind: 'saved' });
  });

  it('sets the status and takes the summary back', async () => {
    const { api, stores } = withCase([]);
    api.handlers['cases.setStatus'] = () => ({ ...caseDetail([]), status: 'resolved', notes: undefined, device: undefined, snapshot: undefined });
    await stores.caseDetail.getState().load(CASE_ID);
    await stores.caseDetail.getState().setStatus('resolved');
    expect(api.callsTo('cases.setStatus')).toEqual([{ caseId: CASE_ID, status: 'resolved' }]);
    expect(stores.caseDetail.getState().detail?.status).toBe('resolved');
  });

  it('keeps the error of a case that cannot be loaded', async () => {
    const { api, stores } = setup();
    api.handlers['cases.get'] = () => {
      throw new ApiRequestError({ code: 'not-found', message: 'no case 1111' });
    };
    await stores.caseDetail.getState().load(CASE_ID);
    expect(stores.caseDetail.getState()).toMatchObject({ detail: null, loading: false, error: { code: 'not-found' } });
  });

  it('orders notes as the core lists them, then notes started here', () => {
    expect(mergeNoteOrder([note('a', 1, 'x'), note('b', 1, 'y')], ['z', 'x'])).toEqual(['x', 'y', 'z']);
  });
});

describe('after a reconnect', () => {
  it('refetches the device list, clears connection errors and resends unsaved notes', async () => {
    const { api, stores, setStatus } = setup();
    api.handlers['cases.get'] = () => caseDetail([]);
    let up = true;
    api.handlers['cases.saveNote'] = (p) => {
      if (!up) throw new ApiRequestError({ code: 'unavailable', message: 'not connected to Fieldbench' });
      return note((p as { text: string }).text, 1, NEW_NOTE_ID);
    };
    setStatus('open');
    await stores.caseDetail.getState().load(CASE_ID);
    const id = stores.caseDetail.getState().addNote();

    setStatus('reconnecting');
    up = false;
    stores.notices.getState().report('Load the case list', new ApiRequestError({ code: 'unavailable', message: 'not connected to Fieldbench' }));
    stores.caseDetail.getState().editNote(id, 'typed while offline');
    await vi.advanceTimersByTimeAsync(300);
    expect(stores.caseDetail.getState().notes[id]?.status.kind).toBe('failed');

    const listsBefore = api.callsTo('devices.list').length;
    up = true;
    setStatus('open');
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('devices.list').length).toBe(listsBefore + 1);
    expect(stores.notices.getState().notices).toEqual([]);
    expect(stores.caseDetail.getState().notes[id]?.status.kind).toBe('saved');
    stores.stop();
  });
});
