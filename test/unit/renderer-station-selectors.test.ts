// How the station reads on screen: each tile state's words, verdict, detail and actions;
// the counts band; the upload percent; the record's rows; and the pure inputs of the forms
// (a tray of virtual units with faults, the export's date range).
import { describe, expect, it } from 'vitest';
import { StationRun, type StationUnitState } from '../../src-main/api/station-schemas';
import { hrefFor, parseHash, sectionOf } from '../../src-renderer/router/routes';
import { exportRange } from '../../src-renderer/station/export-range';
import { faultPresetsFor, faultProblem, parseTrayCount, trayUnits } from '../../src-renderer/station/virtual-tray';
import {
  abortQuestionOpen,
  anyUnderWay,
  countsView,
  operatorMissing,
  parallelismText,
  progressPercent,
  promptKey,
  runOf,
  runRow,
  shortHash,
  tileView,
  verdictOf,
  versionChangeText,
} from '../../src-renderer/stores/station-selectors';
import { stationRecipe, stationState, stationUnit, T0 } from '../helpers/renderer-station-fixtures';

const ALL_STATES: StationUnitState[] = ['waiting', 'queued', 'flashing', 'testing', 'finishing', 'passed', 'failed', 'unplugged', 'aborted'];

describe('station tile view', () => {
  it('gives every state words, and a verdict word only to finished runs', () => {
    const verdicts = Object.fromEntries(ALL_STATES.map((state) => [state, verdictOf(state)]));
    expect(verdicts).toEqual({
      waiting: null,
      queued: null,
      flashing: null,
      testing: null,
      finishing: null,
      passed: 'PASS',
      failed: 'FAIL',
      unplugged: 'UNPLUGGED',
      aborted: 'ABORTED',
    });
    for (const state of ALL_STATES) expect(tileView(stationUnit('a', { state })).stateText).not.toBe('');
    expect(tileView(stationUnit('a', { state: 'queued' })).stateText).toBe('Queued (bus busy)');
  });

  it('titles a tile by its serial number, or says it is unknown', () => {
    expect(tileView(stationUnit('a')).title).toBe('SN-a');
    const unknown = tileView(stationUnit('b', { serialNumber: null, label: '/dev/pts/7' }));
    expect(unknown).toMatchObject({ title: 'serial unknown', serialKnown: false, label: '/dev/pts/7' });
  });

  it('says what each state is about: the note, the step, the version, the failure', () => {
    expect(tileView(stationUnit('a', { note: 'passed at 14:02; press Start to run it again' })).detail).toBe('passed at 14:02; press Start to run it again');
    expect(tileView(stationUnit('a', { state: 'testing', step: 'step 3 of 6: Temperature' })).detail).toBe('step 3 of 6: Temperature');
    expect(tileView(stationUnit('a', { state: 'passed', versionAfter: '2.0.0' })).detail).toBe('version 2.0.0');
    expect(tileView(stationUnit('a', { state: 'failed', failureStep: 'Self-test', reason: 'sensor part failed' })).detail).toBe('Self-test: sensor part failed');
    expect(tileView(stationUnit('a', { state: 'failed', failureStep: null, reason: 'image refused' })).detail).toBe('image refused');
    expect(tileView(stationUnit('a', { state: 'unplugged', failureStep: 'upload', reason: 'device left' })).detail).toBe('at upload');
  });

  it('offers Start on waiting and finished units that are present, Abort on those under way, confirmed when running', () => {
    const actions = Object.fromEntries(
      ALL_STATES.map((state) => {
        const v = tileView(stationUnit('a', { state }));
        return [state, [v.canStart && v.startText, v.canAbort && (v.abortNeedsConfirm ? 'abort?' : 'abort')]];
      }),
    );
    expect(actions).toEqual({
      waiting: ['Start', false],
      queued: [false, 'abort'],
      flashing: [false, 'abort?'],
      testing: [false, 'abort?'],
      finishing: [false, 'abort?'],
      passed: ['Start again', false],
      failed: ['Start again', false],
      unplugged: ['Start again', false],
      aborted: ['Start again', false],
    });
    expect(tileView(stationUnit('a', { state: 'unplugged', present: false })).canStart).toBe(false);
  });

  it('keeps "Abort mid-run?" with the run it was asked about, never reopening it on the next run', () => {
    const first = stationUnit('a', { state: 'flashing', startedAt: T0 });
    const asked = runOf(first);
    expect(abortQuestionOpen(first, null)).toBe(false);
    expect(abortQuestionOpen(first, asked)).toBe(true);
    expect(abortQuestionOpen(stationUnit('a', { state: 'testing', startedAt: T0 }), asked)).toBe(true);
    // The run ended before the operator answered; the unit is started again.
    expect(abortQuestionOpen(stationUnit('a', { state: 'passed', startedAt: T0 }), asked)).toBe(false);
    expect(abortQuestionOpen(stationUnit('a', { state: 'flashing', startedAt: '2026-03-04T10:05:00.000Z' }), asked)).toBe(false);
    // A running tile the core gave no start time can still be asked about (and so aborted).
    const undated = stationUnit('b', { state: 'flashing', startedAt: null });
    expect(abortQuestionOpen(undated, runOf(undated))).toBe(true);
  });

  it('gives each operator step its own prompt form', () => {
    const prompt = { procedureRunId: '11111111-1111-4111-8111-111111111111', stepId: 'rail-3v3' };
    expect(promptKey(prompt)).not.toBe(promptKey({ ...prompt, stepId: 'rail-5v' }));
    expect(promptKey(prompt)).not.toBe(promptKey({ ...prompt, procedureRunId: '22222222-2222-4222-8222-222222222222' }));
  });

  it('shows a prompt only while the unit is testing', () => {
    const prompt = { procedureRunId: '11111111-1111-4111-8111-111111111111', stepId: 'led', title: 'Status LED', instructions: null, awaiting: 'confirm' as const, unit: null, limit: null };
    expect(tileView(stationUnit('a', { state: 'testing', prompt })).prompt).toEqual(prompt);
    expect(tileView(stationUnit('a', { state: 'failed', prompt })).prompt).toBeNull();
  });

  it('gives the upload as whole percent while flashing, never above 100 or below 0', () => {
    expect(progressPercent({ state: 'flashing', progress: 0.426 })).toBe(42);
    expect(progressPercent({ state: 'flashing', progress: 1 })).toBe(100);
    expect(progressPercent({ state: 'flashing', progress: 0 })).toBe(0);
    expect(progressPercent({ state: 'flashing', progress: null })).toBeNull();
    expect(progressPercent({ state: 'testing', progress: 0.5 })).toBeNull();
  });
});

describe('station counts and recipe facts', () => {
  it('takes verdict counts from the core and running and waiting from the tiles as they stand', () => {
    const units = [stationUnit('a', { state: 'queued' }), stationUnit('b', { state: 'flashing' }), stationUnit('c'), stationUnit('d', { state: 'passed' })];
    const counts = countsView({ waiting: 9, running: 9, passed: 3, failed: 1, unplugged: 2, aborted: 4 }, units);
    expect(counts.map((c) => [c.key, c.value])).toEqual([
      ['passed', 3],
      ['failed', 1],
      ['unplugged', 2],
      ['running', 2],
      ['waiting', 1],
    ]);
    expect(anyUnderWay(units)).toBe(true);
    expect(anyUnderWay([stationUnit('d', { state: 'passed' })])).toBe(false);
  });

  it('asks for an operator only when the recipe requires one and none is set', () => {
    expect(operatorMissing(stationState({ recipe: stationRecipe({ operatorRequired: true }), operator: null }))).toBe(true);
    expect(operatorMissing(stationState({ recipe: stationRecipe({ operatorRequired: true }), operator: 'Ana' }))).toBe(false);
    expect(operatorMissing(stationState({ recipe: stationRecipe({ operatorRequired: false }) }))).toBe(false);
    expect(operatorMissing(stationState({ recipe: null }))).toBe(false);
  });

  it('shortens a hash to 12 hex digits and spells parallelism and version changes out', () => {
    expect(shortHash('d0ffce7440e2274646447318297f71ecfd4822ac566151ce758391a15ab2bd87')).toBe('d0ffce7440e2');
    expect(parallelismText({ serial: 8, usb: 4, ble: 1 })).toBe('serial 8 · USB 4 · BLE 1');
    expect(versionChangeText('1.4.2', '2.0.0')).toBe('1.4.2 → 2.0.0');
    expect(versionChangeText('1.4.2', null)).toBe('1.4.2 → unknown');
    expect(versionChangeText(null, null)).toBe('—');
  });
});

describe('station record rows', () => {
  const run = (patch: Partial<StationRun>) =>
    StationRun.parse({
      id: 'r1',
      recipeId: 'quick',
      recipeRevision: '2.0.0-q1',
      recipeSha256: 'a'.repeat(64),
      profileId: 'fieldbench-sensor-node',
      station: 'bench-1',
      operator: null,
      deviceLabel: '/dev/pts/3',
      transport: 'serial',
      serialNumber: 'SN-1',
      imageSha256: 'b'.repeat(64),
      imageVersion: '2.0.0',
      versionBefore: '1.4.2',
      versionAfter: '1.4.2',
      procedureId: 'production-check',
      procedure: {
        procedureId: 'production-check',
        runId: null,
        state: 'failed',
        steps: [
          { id: 'battery', title: 'Battery', status: 'passed', reading: null, reason: null },
          { id: 'selftest', title: 'Self-test', status: 'failed', reading: null, reason: 'sensor failed' },
        ],
      },
      outcome: 'failed',
      failureStep: 'Self-test',
      failureReason: 'sensor failed',
      startedAt: T0,
      endedAt: T0,
      ...patch,
    });

  it('reads a failed run with its reason, versions and steps', () => {
    expect(runRow(run({}))).toEqual({
      id: 'r1',
      startedAt: T0,
      outcome: 'Failed',
      outcomeTone: 'fail',
      imageVersion: '2.0.0',
      versions: '1.4.2 → 1.4.2',
      reason: 'Self-test: sensor failed',
      operator: '—',
      station: 'bench-1',
      steps: [
        { id: 'battery', text: 'Pass · Battery' },
        { id: 'selftest', text: 'Fail · Self-test: sensor failed' },
      ],
    });
  });

  it('reads a run still under way, and one with no procedure', () => {
    expect(runRow(run({ outcome: null, procedure: null, failureStep: null, failureReason: null, operator: 'Ana' }))).toMatchObject({
      outcome: 'Under way',
      outcomeTone: 'busy',
      reason: '',
      operator: 'Ana',
      steps: [],
    });
  });
});

describe('virtual tray', () => {
  it('puts each chosen fault on its unit, combining two on one unit and leaving out those past the count', () => {
    const units = trayUnits('sensor-node', 3, [
      { unit: 2, preset: 'selftest-sensor' },
      { unit: 3, preset: 'refuse-image' },
      { unit: 3, preset: 'battery-flat' },
      { unit: 5, preset: 'stops-answering' },
    ]);
    expect(units).toEqual([{}, { faults: { failingSelftestPart: 'sensor' } }, { faults: { refuseImage: true, batteryVolts: 3 } }]);
  });

  it('says which chosen fault a smaller tray leaves out', () => {
    expect(faultProblem({ unit: 5, preset: 'refuse-image' }, 3)).toBe('Unit 5 is not in a tray of 3: this fault is left out.');
    expect(faultProblem({ unit: 3, preset: 'refuse-image' }, 3)).toBeNull();
  });

  it('ignores a preset the board does not have', () => {
    expect(trayUnits('dfu-gadget', 2, [{ unit: 1, preset: 'selftest-sensor' }])).toEqual([{}, {}]);
    expect(trayUnits('dfu-gadget', 1, [{ unit: 1, preset: 'flash-fails' }])).toEqual([{ faults: { dfuError: { status: 'errPROG' } } }]);
    expect(faultPresetsFor('stm32-dfu').map((p) => p.key)).not.toContain('selftest-sensor');
  });

  it('accepts a whole count from 1 to 16 and says why anything else is refused', () => {
    expect(parseTrayCount('3')).toEqual({ count: 3 });
    expect(parseTrayCount(' 16 ')).toEqual({ count: 16 });
    for (const bad of ['', '0', '17', '2.5', 'three', '-1']) expect(parseTrayCount(bad)).toEqual({ problem: expect.stringContaining('1 to 16') });
  });
});

describe('export date range', () => {
  it('turns local days into the contract range, the to day included', () => {
    const range = exportRange('2026-03-01', '2026-03-04');
    expect(range).toEqual({ filter: { from: new Date(2026, 2, 1).toISOString(), to: new Date(2026, 2, 5).toISOString() } });
    expect(exportRange('', '')).toEqual({ filter: {} });
    expect(exportRange('', '2026-12-31')).toEqual({ filter: { to: new Date(2027, 0, 1).toISOString() } });
  });

  it('refuses a day that does not exist, text that is not a date, and a range that ends before it starts', () => {
    expect(exportRange('2026-02-31', '')).toEqual({ problem: expect.stringContaining('2026-02-31') });
    expect(exportRange('', 'yesterday')).toEqual({ problem: expect.stringContaining('yesterday') });
    expect(exportRange('2026-03-04', '2026-03-01')).toEqual({ problem: expect.stringContaining('before') });
  });
});

describe('station route', () => {
  it('is #/station, its own header section', () => {
    expect(parseHash('#/station')).toEqual({ name: 'station' });
    expect(hrefFor({ name: 'station' })).toBe('#/station');
    expect(sectionOf({ name: 'station' })).toBe('station');
  });
});
