// The renderer's side of test procedures: the store that follows runs (events and answers
// in any order), the run the device page shows, and procedure results on the case timeline.
import { describe, expect, it } from 'vitest';
import type { CaseEvent, ProcedureRun } from '../../src-main/api/schemas';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { caseTimeline } from '../../src-renderer/stores/case-timeline';
import { createProcedureStore, shownRun } from '../../src-renderer/stores/procedure-store';
import { procedureRecordLines } from '../../src-renderer/stores/procedure-words';
import { deferred, FakeRendererApi } from '../helpers/fake-renderer-api';

const RUN_ID = '6f1c2b1e-8a4f-4d55-9a38-0c6c0f1b2a11';
const OLD_RUN_ID = '0a2d8c0e-1b1f-4f5e-8a9b-5d3e2c1b0a99';

function run(change: Partial<ProcedureRun> = {}): ProcedureRun {
  return {
    id: RUN_ID,
    deviceId: 'serial:/dev/ttyACM0',
    device: { label: '/dev/ttyACM0', transport: 'serial', model: 'sensor-node', serialNumber: 'SN-1', firmwareVersion: '1.4.2' },
    profileId: 'fieldbench-sensor-node',
    procedureId: 'bench-bring-up',
    procedureName: 'Bench bring-up',
    caseId: null,
    operator: 'Ana',
    onFail: 'ask',
    state: 'running',
    stateReason: null,
    currentStep: 0,
    steps: [],
    startedAt: '2026-11-27T09:00:00.000Z',
    updatedAt: '2026-11-27T09:00:00.000Z',
    finishedAt: null,
    ...change,
  };
}

describe('the procedure store', () => {
  it('loads a device’s procedures, runs and cases, and shows the run still going before a newer finished one', async () => {
    const api = new FakeRendererApi();
    const paused = run({ id: OLD_RUN_ID, state: 'paused', stateReason: 'Fieldbench stopped during step 6 (Idle current)', currentStep: 5 });
    const finished = run({ state: 'passed', finishedAt: '2026-11-27T09:05:00.000Z', updatedAt: '2026-11-27T09:05:00.000Z', currentStep: null });
    api.handle('procedures.list', () => [{ id: 'bench-bring-up', name: 'Bench bring-up', description: null, steps: [] }]);
    api.handle('procedures.runs', () => [finished, paused]);
    api.handle('cases.list', () => []);
    const store = createProcedureStore(api);
    await store.getState().load('serial:/dev/ttyACM0', 'SN-1');
    expect(api.callsTo('cases.list')).toEqual([{ deviceSerial: 'SN-1', limit: 20 }]);
    // By serial number: a run paused under the id the device had before a restart is found too.
    expect(api.callsTo('procedures.runs')).toEqual([{ serial: 'SN-1', limit: 10 }]);
    expect(store.getState().byDevice['serial:/dev/ttyACM0']?.procedures?.map((p) => p.id)).toEqual(['bench-bring-up']);
    expect(shownRun(store.getState(), 'serial:/dev/ttyACM0')?.id).toBe(OLD_RUN_ID);
    store.stop();
  });

  it('keeps the newest word about a run, whether it came in an answer or an event', async () => {
    const api = new FakeRendererApi();
    const answer = deferred<ProcedureRun>();
    api.handle('procedures.control', () => answer.promise);
    const store = createProcedureStore(api);
    api.emit('procedures.run', run());
    const pausing = store.getState().control(RUN_ID, 'pause', '  lunch ');
    expect(store.getState().pending[RUN_ID]).toBe(true);
    api.emit('procedures.run', run({ state: 'paused', updatedAt: '2026-11-27T09:01:00.000Z' }));
    answer.resolve(run({ state: 'waiting', updatedAt: '2026-11-27T09:00:30.000Z' }));
    await pausing;
    expect(api.callsTo('procedures.control')).toEqual([{ runId: RUN_ID, action: 'pause', reason: 'lunch' }]);
    expect(store.getState().runs[RUN_ID]?.state).toBe('paused');
    expect(store.getState().pending[RUN_ID]).toBe(false);
    expect(store.getState().byDevice['serial:/dev/ttyACM0']?.runIds).toEqual([RUN_ID]);
    answer.resolve(run({ state: 'running', deviceId: 'serial:/dev/ttyACM1', updatedAt: '2026-11-27T09:02:00.000Z' }));
    await store.getState().control(RUN_ID, 'resume', undefined, 'serial:/dev/ttyACM1');
    expect(api.callsTo('procedures.control').at(-1)).toEqual({ runId: RUN_ID, action: 'resume', deviceId: 'serial:/dev/ttyACM1' });
    store.stop();
  });

  it('keeps a refusal with the run, and clears it on the next request', async () => {
    const api = new FakeRendererApi();
    api.handle('procedures.answer', () => {
      throw new ApiRequestError({ code: 'invalid-request', message: 'a failed step needs a reason' });
    });
    const store = createProcedureStore(api);
    await store.getState().answer(RUN_ID, 'status-led', { answer: 'fail' });
    expect(store.getState().errors[RUN_ID]).toMatchObject({ code: 'invalid-request', message: 'a failed step needs a reason' });
    api.handle('procedures.answer', () => run({ state: 'running' }));
    await store.getState().answer(RUN_ID, 'status-led', { answer: 'fail', reason: 'dark' });
    expect(store.getState().errors[RUN_ID]).toBeNull();
    expect(api.callsTo('procedures.answer').at(-1)).toEqual({ runId: RUN_ID, stepId: 'status-led', answer: 'fail', reason: 'dark' });
    store.stop();
  });
});

describe('procedure results on the case timeline', () => {
  const event: CaseEvent = {
    id: '9b0c1d2e-3f40-4a51-8b62-7c83d94ea5f6',
    caseId: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
    kind: 'procedure',
    at: '2026-11-27T09:05:00.000Z',
    summary: 'Procedure Bench bring-up failed: 1 passed, 1 failed, 1 not run (by Ana)',
    data: {
      steps: [
        { title: 'Battery voltage', status: 'passed', reason: '3.92 V is within 3.3 to 4.25 V' },
        { title: 'Idle current', status: 'failed', reason: '40 mA is above the maximum 15 mA' },
        { title: 'Self-test', status: 'pending', reason: null },
      ],
    },
  };

  it('lists every step with its result under the summary', () => {
    const [entry] = caseTimeline({ timeline: [event], notes: [] });
    expect(entry).toMatchObject({ kind: 'procedure', summary: event.summary });
    expect(entry?.details).toEqual(['Pass · Battery voltage: 3.92 V is within 3.3 to 4.25 V', 'Fail · Idle current: 40 mA is above the maximum 15 mA', 'Not run · Self-test']);
  });

  it('shows the summary alone for details of a shape it does not know', () => {
    expect(procedureRecordLines({ steps: [{ title: 'x', status: 'exploded' }] })).toEqual([]);
    expect(procedureRecordLines(null)).toEqual([]);
    const [entry] = caseTimeline({ timeline: [{ ...event, data: { steps: 'many' } }], notes: [] });
    expect(entry).toEqual({ key: event.id, at: event.at, kind: 'procedure', summary: event.summary });
  });
});
