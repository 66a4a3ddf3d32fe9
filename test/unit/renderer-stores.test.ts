// The renderer's stores against a fake FieldbenchApi: live device list, diagnostics,
// the case list, and a case whose notes are saved as they are typed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventChannel, EventOf, FieldbenchApi, RequestChannel, RequestOf, ResponseOf } from '../../src-main/api/contract';
import type { CaseDetail, Device, DiagnosticsReport, FirmwareJob, FirmwareJobStep, ImageInspection, ImageSlot, Note } from '../../src-main/api/schemas';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { createConnectionSource, type ConnectionState } from '../../src-renderer/api/connection-state';
import { mergeNoteOrder } from '../../src-renderer/stores/case-detail-store';
import { currentJob, type FileSource } from '../../src-renderer/stores/firmware-store';
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
    firmware: { method: 'mcumgr-serial', slotSize: 393216, signatureRequired: false },
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
    fields: { customer: null, assetId: null, symptom: null, severity: null, tags: [], resolution: null, rootCause: null, revision: 1 },
    device: null,
    snapshot: null,
    notes,
    attachments: [],
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

// ------------------------------------------------------------------ firmware and SMP

const JOB_ID = '44444444-4444-4444-8444-444444444444';
const LATER = '2026-01-02T03:05:00.000Z';

function firmwareJob(patch: Partial<FirmwareJob> = {}): FirmwareJob {
  return {
    id: JOB_ID,
    deviceId: '1',
    device: { deviceId: '1', transport: 'serial', path: '/dev/pts/1', profileId: 'fieldbench-sensor-node', identity: null },
    caseId: null,
    image: { fileName: 'app.bin', sha256: 'a'.repeat(64), version: '1.5.0+0', size: 1000 },
    options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' },
    state: 'running',
    cancellable: true,
    outcome: null,
    reason: null,
    versionBefore: '1.4.2+0',
    versionAfter: null,
    uploaded: 0,
    startedAt: NOW,
    updatedAt: NOW,
    finishedAt: null,
    steps: [],
    ...patch,
  };
}

const jobStep = (step: FirmwareJobStep['step'], status: FirmwareJobStep['status'], detail: string | null = null): FirmwareJobStep => ({ step, status, at: NOW, detail });

function imageSlot(version: string, patch: Partial<ImageSlot> = {}): ImageSlot {
  return { image: 0, slot: 0, version, hash: 'b'.repeat(64), bootable: true, pending: false, confirmed: true, active: true, permanent: false, ...patch };
}

function inspectionOf(fileName: string, patch: Partial<ImageInspection> = {}): ImageInspection {
  return {
    fileName,
    format: 'mcuboot',
    fileSize: 1000,
    version: '1.5.0+0',
    headerSize: 512,
    imageSize: 400,
    loadAddress: 0,
    flags: 0,
    flagNames: [],
    sha256: 'a'.repeat(64),
    hashOk: true,
    hashes: [],
    tlvs: [],
    securityCounter: null,
    segments: [],
    startAddress: null,
    keys: [],
    dfu: null,
    warnings: ['the image is not signed'],
    ...patch,
  };
}

function fileOf(name: string, bytes: Uint8Array, read?: () => Promise<ArrayBuffer>): FileSource {
  return { name, size: bytes.length, arrayBuffer: read ?? (async () => bytes.slice().buffer) };
}

function withFirmware() {
  const ctx = setup();
  let slots = [imageSlot('1.4.2+0')];
  ctx.api.handlers['firmware.inspect'] = (p) => inspectionOf((p as { fileName: string }).fileName);
  ctx.api.handlers['firmware.slots'] = () => slots;
  ctx.api.handlers['cases.list'] = () => [caseDetail([])];
  return { ...ctx, setSlots: (next: ImageSlot[]) => (slots = next) };
}

describe('firmware store', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);

  it('inspects a picked file, flashes it with the chosen options and case, follows it to the end and reads the slots before and after', async () => {
    const { api, stores, setSlots } = withFirmware();
    const fw = () => stores.firmware.getState().byDevice['1']!;
    await stores.firmware.getState().chooseFile('1', fileOf('app.bin', bytes));
    expect(api.callsTo('firmware.inspect')).toEqual([{ fileName: 'app.bin', contentBase64: Buffer.from(bytes).toString('base64') }]);
    expect(fw()).toMatchObject({ file: { name: 'app.bin', size: 1000 }, preparing: null, inspecting: false, inspection: { version: '1.5.0+0' }, fileError: null });

    await stores.firmware.getState().loadCases('1', 'SN-1');
    expect(api.callsTo('cases.list')).toContainEqual({ status: 'open', deviceSerial: 'SN-1' });
    expect(fw().caseId).toBe(CASE_ID); // the newest open case of the device
    stores.firmware.getState().setChoice('1', 'doNotConfirm', true);
    stores.firmware.getState().setChoice('1', 'allowDowngrade', true);

    // The core tells listeners about the job before its answer to the request arrives.
    api.handlers['firmware.flash'] = () => {
      api.emit('firmware.job', firmwareJob({ steps: [jobStep('preflight', 'started')] }));
      return firmwareJob();
    };
    await stores.firmware.getState().flash('1');
    expect(api.callsTo('firmware.flash')).toEqual([
      {
        deviceId: '1',
        fileName: 'app.bin',
        contentBase64: Buffer.from(bytes).toString('base64'),
        options: { uploadOnly: false, allowDowngrade: true, confirm: 'never' },
        caseId: CASE_ID,
      },
    ]);
    expect(fw()).toMatchObject({ starting: false, jobId: JOB_ID, slotsBefore: [{ version: '1.4.2+0' }] });
    expect(currentJob(stores.firmware.getState(), '1')?.steps).toHaveLength(1); // the answer did not undo the newer event

    api.emit('firmware.progress', { jobId: JOB_ID, step: 'upload', sent: 500, total: 1000, bytesPerSecond: 2048, secondsLeft: 0.25 });
    expect(stores.firmware.getState().progress[JOB_ID]).toMatchObject({ sent: 500 });

    setSlots([imageSlot('1.4.2+0'), imageSlot('1.5.0+0', { slot: 1, active: false, confirmed: false })]);
    api.emit('firmware.job', firmwareJob({ state: 'finished', outcome: 'reverted', reason: 'asked not to confirm the new image', versionAfter: '1.4.2+0', updatedAt: LATER }));
    expect(stores.firmware.getState().progress[JOB_ID]).toBeUndefined();
    expect(fw().readingSlotsAfter).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(fw()).toMatchObject({ readingSlotsAfter: false, slotsAfter: [{ version: '1.4.2+0' }, { version: '1.5.0+0' }] });
    // The device page's SMP slot table follows the update too.
    expect(stores.smp.getState().byDevice['1']?.slots).toHaveLength(2);

    // Late words change nothing: an older running copy, or progress after the end.
    api.emit('firmware.job', firmwareJob({ steps: [jobStep('preflight', 'started'), jobStep('preflight', 'done')] }));
    api.emit('firmware.progress', { jobId: JOB_ID, step: 'upload', sent: 1000, total: 1000, bytesPerSecond: 2048, secondsLeft: 0 });
    expect(currentJob(stores.firmware.getState(), '1')).toMatchObject({ state: 'finished', outcome: 'reverted' });
    expect(stores.firmware.getState().progress[JOB_ID]).toBeUndefined();
    expect(api.callsTo('firmware.slots')).toHaveLength(2);
  });

  it('cancels a running job, and keeps the error when the core refuses because the device is switching images', async () => {
    const { api, stores } = withFirmware();
    api.emit('firmware.job', firmwareJob({ steps: [jobStep('upload', 'started')] }));
    api.handlers['firmware.cancel'] = () => firmwareJob({ steps: [jobStep('upload', 'started')], updatedAt: LATER });
    await stores.firmware.getState().cancel('1');
    expect(api.callsTo('firmware.cancel')).toEqual([{ jobId: JOB_ID }]);
    expect(stores.firmware.getState().byDevice['1']).toMatchObject({ cancelling: false, cancelError: null });

    api.handlers['firmware.cancel'] = () => {
      throw new ApiRequestError({
        code: 'device-busy',
        message: 'the update can no longer be cancelled: the device is switching images',
        step: 'cancel firmware update',
        hint: 'Wait a few seconds for it to finish.',
      });
    };
    await stores.firmware.getState().cancel('1');
    expect(stores.firmware.getState().byDevice['1']?.cancelError).toEqual({
      code: 'device-busy',
      message: 'the update can no longer be cancelled: the device is switching images',
      step: 'cancel firmware update',
      hint: 'Wait a few seconds for it to finish.',
    });

    api.emit('firmware.job', firmwareJob({ state: 'finished', outcome: 'cancelled', reason: 'cancelled during upload', updatedAt: LATER }));
    await stores.firmware.getState().cancel('1'); // nothing left to cancel
    expect(api.callsTo('firmware.cancel')).toHaveLength(2);
  });

  it('keeps each failure with the contract’s fields where the person is looking', async () => {
    const { api, stores } = withFirmware();
    const fw = () => stores.firmware.getState().byDevice['1']!;
    api.handlers['firmware.inspect'] = () => {
      throw new ApiRequestError({ code: 'invalid-request', message: 'truncated: the file ends at 40', step: 'read MCUboot header', hint: 'Get the file again.' });
    };
    await stores.firmware.getState().chooseFile('1', fileOf('cut.bin', bytes));
    expect(fw()).toMatchObject({ inspection: null, inspecting: false, fileError: { code: 'invalid-request', step: 'read MCUboot header', hint: 'Get the file again.' } });

    await stores.firmware.getState().chooseFile('1', fileOf('gone.bin', bytes, () => Promise.reject(new Error('the file was moved'))));
    expect(fw()).toMatchObject({ preparing: null, fileError: { code: 'internal', message: 'the file was moved' } });
    expect(api.callsTo('firmware.inspect')).toHaveLength(1);

    // The image is refused by the core; slots that cannot be read first do not stop the request.
    api.handlers['firmware.inspect'] = (p) => inspectionOf((p as { fileName: string }).fileName);
    await stores.firmware.getState().chooseFile('1', fileOf('unsigned.bin', bytes));
    api.handlers['firmware.slots'] = () => {
      throw new ApiRequestError({ code: 'device-error', message: 'SMP not supported' });
    };
    api.handlers['firmware.flash'] = () => {
      throw new ApiRequestError({
        code: 'invalid-request',
        message: 'the image is not signed with a key this device accepts (release.pem)',
        device: '/dev/pts/1',
        step: 'firmware preflight',
        hint: 'Flash an image signed with the release key.',
      });
    };
    await stores.firmware.getState().flash('1');
    expect(fw()).toMatchObject({
      starting: false,
      jobId: null,
      slotsBefore: null,
      startError: { code: 'invalid-request', device: '/dev/pts/1', step: 'firmware preflight', hint: 'Flash an image signed with the release key.' },
    });
    expect(stores.smp.getState().byDevice['1']?.slotsError).toMatchObject({ code: 'device-error' });
    expect(stores.notices.getState().notices).toEqual([]); // shown in the panel, not as app alerts
  });

  it('ignores a slow read of a file the person already replaced', async () => {
    const { api, stores } = withFirmware();
    let release: () => void = () => undefined;
    const slow = fileOf('old.bin', bytes, () => new Promise<ArrayBuffer>((resolve) => (release = () => resolve(bytes.slice().buffer))));
    const first = stores.firmware.getState().chooseFile('1', slow);
    await stores.firmware.getState().chooseFile('1', fileOf('new.bin', bytes));
    release();
    await first;
    expect(stores.firmware.getState().byDevice['1']).toMatchObject({ file: { name: 'new.bin' }, inspection: { fileName: 'new.bin' } });
    expect(api.callsTo('firmware.inspect').map((p) => (p as { fileName: string }).fileName)).toEqual(['new.bin']);
  });

  it('keeps the case the person chose, and asks again with public keys for their verdicts', async () => {
    const { api, stores } = withFirmware();
    await stores.firmware.getState().chooseFile('1', fileOf('app.bin', bytes));
    stores.firmware.getState().setCase('1', null);
    await stores.firmware.getState().loadCases('1', 'SN-1');
    expect(stores.firmware.getState().byDevice['1']?.caseId).toBeNull();

    await stores.firmware.getState().chooseKeys('1', [{ name: 'release.pem', text: async () => '-----BEGIN PUBLIC KEY-----' }]);
    expect(stores.firmware.getState().byDevice['1']?.keyNames).toEqual(['release.pem']);
    expect(api.callsTo('firmware.inspect').at(-1)).toMatchObject({ fileName: 'app.bin', keys: [{ name: 'release.pem', pem: '-----BEGIN PUBLIC KEY-----' }] });
  });

  it('asks the core about running jobs again after a reconnect, since events were missed', async () => {
    const { api, stores, setStatus } = withFirmware();
    setStatus('open');
    await vi.advanceTimersByTimeAsync(0);
    api.emit('firmware.job', firmwareJob({ steps: [jobStep('upload', 'started')] }));
    api.handlers['firmware.job'] = () => firmwareJob({ state: 'finished', outcome: 'confirmed', versionAfter: '1.5.0+0', updatedAt: LATER });
    setStatus('reconnecting');
    setStatus('open');
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('firmware.job')).toEqual([{ jobId: JOB_ID }]);
    expect(currentJob(stores.firmware.getState(), '1')).toMatchObject({ outcome: 'confirmed' });
    // The core reads the device's identity again after an update; the renderer does not ask.
    expect(api.callsTo('devices.identify')).toEqual([]);
    stores.stop();
  });
});

describe('SMP store', () => {
  it('reads info and slots, and keeps a device’s refusal as information', async () => {
    const { api, stores } = withFirmware();
    api.handlers['smp.info'] = () => ({ params: { bufSize: 2048, bufCount: 4 }, os: 'Zephyr', bootloader: 'MCUboot', bootloaderMode: 3 });
    await stores.smp.getState().read('1');
    expect(stores.smp.getState().byDevice['1']).toMatchObject({
      reading: false,
      info: { os: 'Zephyr', bootloaderMode: 3 },
      slots: [{ version: '1.4.2+0' }],
      infoError: null,
      slotsError: null,
      slotsReadAt: expect.any(String),
    });

    const noSmp = new ApiRequestError({ code: 'timeout', message: 'no SMP answer in 2000 ms', device: '/dev/pts/1', step: 'SMP info' });
    api.handlers['smp.info'] = () => {
      throw noSmp;
    };
    api.handlers['firmware.slots'] = () => {
      throw noSmp;
    };
    await stores.smp.getState().read('1');
    expect(stores.smp.getState().byDevice['1']).toMatchObject({
      reading: false,
      info: null,
      infoError: { code: 'timeout', step: 'SMP info' },
      slotsError: { code: 'timeout' },
      slots: [{ version: '1.4.2+0' }], // the last slots read stay, with their time
    });
    expect(stores.notices.getState().notices).toEqual([]);
  });
});

// ------------------------------------------------------------------ USB DFU

function stm32(mode: 'runtime' | 'dfu', patch: Partial<Device> = {}): Device {
  const dfuMode = mode === 'dfu';
  return device('usb:3276384B3339', {
    transport: 'usb',
    path: dfuMode ? 'usb 0483:df11 (virtual)' : 'usb 0483:5740 (virtual)',
    profileId: dfuMode ? 'stm32-system-bootloader' : 'stm32-dfu-runtime-board',
    profileName: dfuMode ? 'STM32 system bootloader' : 'STM32 board',
    identity: null,
    usb: {
      vendorId: '0483',
      productId: dfuMode ? 'df11' : '5740',
      serialNumber: '3276384B3339',
      product: dfuMode ? 'STM32  BOOTLOADER' : 'Sensor board',
      dfu: {
        mode,
        dfuse: dfuMode,
        functional: { canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: true, detachTimeoutMs: 255, transferSize: 2048, dfuVersion: dfuMode ? '011a' : '0110' },
        alts: dfuMode
          ? [
              {
                interfaceNumber: 0,
                alternateSetting: 0,
                name: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg',
                layout: {
                  name: 'Internal Flash',
                  regions: [
                    { address: 0x08000000, size: 65536, pageSize: 16384, pageCount: 4, readable: true, erasable: true, writable: true },
                    { address: 0x08010000, size: 65536, pageSize: 65536, pageCount: 1, readable: true, erasable: true, writable: true },
                  ],
                },
              },
              { interfaceNumber: 0, alternateSetting: 1, name: '@Option Bytes  /0x1FFFC000/01*016 e', layout: { name: 'Option Bytes', regions: [{ address: 0x1fffc000, size: 16, pageSize: 16, pageCount: 1, readable: true, erasable: true, writable: false }] } },
            ]
          : [{ interfaceNumber: 2, alternateSetting: 0, name: null, layout: null }],
      },
    },
    firmware: { method: 'usb-dfu', dfuse: dfuMode, canVerify: true, mode },
    ...patch,
  });
}

describe('devices store with USB boards', () => {
  it('attaches the chosen virtual board where asked, sending a start only when it is not the application', async () => {
    const { api, stores, setStatus } = setup();
    setStatus('open');
    await vi.advanceTimersByTimeAsync(0);
    api.handlers['devices.attachVirtual'] = () => stm32('dfu');
    await stores.devices.getState().attachVirtual('stm32-dfu', 'bootloader');
    await stores.devices.getState().attachVirtual('dfu-gadget', 'application');
    expect(api.callsTo('devices.attachVirtual')).toEqual([{ model: 'stm32-dfu', startIn: 'bootloader' }, { model: 'dfu-gadget' }]);
    expect(stores.devices.getState().devices.map((d) => d.id)).toContain('usb:3276384B3339');
  });

  it('enters DFU mode: marks the device while it waits, takes the device back in DFU mode, and keeps why it failed', async () => {
    const { api, stores, setStatus } = setup();
    api.handlers['devices.list'] = () => [stm32('runtime')];
    setStatus('open');
    await vi.advanceTimersByTimeAsync(0);
    let answer!: (d: Device) => void;
    api.handlers['devices.enterDfu'] = () => new Promise<Device>((resolve) => (answer = resolve));
    const entering = stores.devices.getState().enterDfu('usb:3276384B3339');
    expect(stores.devices.getState().enteringDfu).toEqual(['usb:3276384B3339']);
    await expect(stores.devices.getState().enterDfu('usb:3276384B3339')).resolves.toBeNull(); // one at a time
    answer(stm32('dfu'));
    await entering;
    expect(api.callsTo('devices.enterDfu')).toEqual([{ deviceId: 'usb:3276384B3339' }]);
    expect(stores.devices.getState()).toMatchObject({ enteringDfu: [], enterDfuErrors: {} });
    expect(stores.devices.getState().devices.find((d) => d.id === 'usb:3276384B3339')?.usb?.dfu?.mode).toBe('dfu');

    api.handlers['devices.enterDfu'] = () => {
      throw new ApiRequestError({ code: 'timeout', message: 'the bootloader did not appear within 10 s', device: '0483:5740 serial 3276384B3339', step: 'enter DFU mode', hint: 'Unplug and replug it while holding BOOT0.' });
    };
    await stores.devices.getState().enterDfu('usb:3276384B3339');
    expect(stores.devices.getState().enterDfuErrors['usb:3276384B3339']).toMatchObject({ code: 'timeout', step: 'enter DFU mode', hint: 'Unplug and replug it while holding BOOT0.' });
    // A new try clears the old error while it runs.
    api.handlers['devices.enterDfu'] = () => stm32('dfu');
    await stores.devices.getState().enterDfu('usb:3276384B3339');
    expect(stores.devices.getState().enterDfuErrors).toEqual({});
  });
});

describe('firmware store with a USB DFU device', () => {
  const bytes = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);

  function withDfuDevice(target: Device, inspection: Partial<ImageInspection>) {
    const ctx = setup();
    ctx.api.handlers['devices.list'] = () => [target];
    ctx.api.handlers['firmware.inspect'] = (p) => inspectionOf((p as { fileName: string }).fileName, { version: null, hashOk: null, warnings: [], ...inspection });
    ctx.api.handlers['firmware.slots'] = () => {
      throw new ApiRequestError({ code: 'unavailable', message: 'a USB DFU device has no image slots' });
    };
    ctx.setStatus('open');
    return ctx;
  }

  it('prefills the start of the alt’s flash for a raw binary, sends the DFU options, reads no slots, and takes a verified end', async () => {
    const { api, stores } = withDfuDevice(stm32('dfu'), { format: 'raw' });
    await vi.advanceTimersByTimeAsync(0);
    const fw = () => stores.firmware.getState().byDevice['usb:3276384B3339']!;
    await stores.firmware.getState().chooseFile('usb:3276384B3339', fileOf('app.bin', bytes));
    expect(fw().dfu).toMatchObject({ addressText: '0x08000000', leave: true, readUnprotect: false });
    stores.firmware.getState().setDfuChoice('usb:3276384B3339', { massErase: true, ignoreIdMismatch: true });

    const dfuJob = firmwareJob({ deviceId: 'usb:3276384B3339', device: { deviceId: 'usb:3276384B3339', transport: 'usb', path: 'usb 0483:df11 (virtual)', profileId: null, identity: null } });
    api.handlers['firmware.flash'] = () => dfuJob;
    await stores.firmware.getState().flash('usb:3276384B3339');
    // No id mismatch for a raw binary, so the stale tick is not sent.
    expect(api.callsTo('firmware.flash')).toEqual([
      expect.objectContaining({ options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu: { leave: true, address: 0x08000000, massErase: true } } }),
    ]);
    api.emit('firmware.job', { ...dfuJob, state: 'finished', outcome: 'verified', updatedAt: LATER });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsTo('firmware.slots')).toEqual([]);
    expect(fw()).toMatchObject({ slotsBefore: null, slotsAfter: null, readingSlotsAfter: false });
  });

  it('does not start with a start address that is not hex, and says so', async () => {
    const { api, stores } = withDfuDevice(stm32('dfu'), { format: 'raw' });
    await vi.advanceTimersByTimeAsync(0);
    await stores.firmware.getState().chooseFile('usb:3276384B3339', fileOf('app.bin', bytes));
    stores.firmware.getState().setDfuChoice('usb:3276384B3339', { addressText: '0x0800zz00' });
    api.handlers['firmware.flash'] = () => firmwareJob();
    await stores.firmware.getState().flash('usb:3276384B3339');
    expect(api.callsTo('firmware.flash')).toEqual([]);
    expect(stores.firmware.getState().byDevice['usb:3276384B3339']?.startError).toMatchObject({ code: 'invalid-request', hint: expect.stringContaining('0x08000000') });
  });

  it('prefills no address for a DfuSe file, which carries its own', async () => {
    const { stores } = withDfuDevice(stm32('dfu'), { format: 'dfuse', dfu: { suffix: { idVendor: 0x0483, idProduct: 0xdf11, bcdDevice: 0, bcdDFU: 0x011a, crc: '0x00000000', crcOk: true }, targets: [{ alt: 0, name: 'ST...', elements: [] }] } });
    await vi.advanceTimersByTimeAsync(0);
    await stores.firmware.getState().chooseFile('usb:3276384B3339', fileOf('two.dfu', bytes));
    expect(stores.firmware.getState().byDevice['usb:3276384B3339']?.dfu.addressText).toBe('');
  });
});
