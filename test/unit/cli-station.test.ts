// `fieldbench station`'s words and flags, its refusals (made before any core is opened), the
// lines it prints per unit event, and the answers it reads from standard input.
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StationCounts, StationPrompt, StationRecipe, StationUnit } from '../../src-main/api/station-schemas';
import { parseAnswerLine } from '../../src-main/cli/commands/station-answers';
import { requireOperator, stationActionOf, stationWords } from '../../src-main/cli/commands/station-args';
import { humanPromptLine, humanSummary, humanUnitLine, promptLine, stationLine, summaryLine, UnitChanges, unitLine, verdict } from '../../src-main/cli/commands/station-lines';
import { runCli } from '../../src-main/cli/main';
import { UsageError } from '../../src-main/cli/output';
import { captureIo } from '../helpers/captured-io';
import { stationRecipe, stationUnit } from '../helpers/renderer-station-fixtures';

const recipe = stationRecipe();

/** A unit half-way through its upload, changed field by field per test. */
function unit(overrides: Partial<StationUnit> = {}): StationUnit {
  return stationUnit('dev-1', {
    label: 'Sensor Node /dev/pts/4',
    serialNumber: 'SN-0042',
    state: 'flashing',
    step: 'upload',
    progress: 0.42,
    runId: 'run-1',
    firmwareJobId: 'job-1',
    startedAt: '2026-11-27T14:00:00.000Z',
    ...overrides,
  });
}

const prompt: StationPrompt = {
  procedureRunId: '6f1c1f0e-0d7b-4d43-9a55-6b1e0f2b9d10',
  stepId: 'status-led',
  title: 'Status LED',
  instructions: 'The green LED blinks once a second.',
  awaiting: 'confirm',
  unit: null,
  limit: null,
};

const counts: StationCounts = { waiting: 0, running: 0, passed: 2, failed: 1, unplugged: 0, aborted: 0 };

/** What the command reads from a command line, the way main reads it. */
function parse(argv: string[]) {
  const { values, tokens } = parseArgs({
    args: argv,
    options: {
      recipe: { type: 'string' },
      operator: { type: 'string' },
      virtual: { type: 'boolean' },
      'virtual-model': { type: 'string' },
      fault: { type: 'string', multiple: true },
      serial: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
    },
    allowPositionals: true,
    tokens: true,
  });
  const { words, virtualCount } = stationWords(tokens);
  return stationActionOf(words, { ...values, ...(virtualCount !== null ? { virtualCount: Number(virtualCount) } : {}) });
}

async function cli(...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io);
  return { code, stderr: io.stderr.join('\n') };
}

describe('fieldbench station: words and flags', () => {
  it('takes the count after --virtual wherever it stands, and sets each unit its knobs, values as JSON or text', () => {
    expect(stationWords(parseArgs({ args: ['station', '--virtual', '3', '--recipe', 'r.yaml'], options: { virtual: { type: 'boolean' }, recipe: { type: 'string' } }, allowPositionals: true, tokens: true }).tokens)).toEqual({
      words: [],
      virtualCount: '3',
    });
    const action = parse(['station', '--recipe', 'r.yaml', '--virtual', '3', '--fault', '2:failingSelftestPart=sensor', '--fault', '2:batteryVolts=3.1', '--fault', '3:dfuError={"status":"errWRITE"}']);
    expect(action).toEqual({
      action: 'run',
      recipeFile: 'r.yaml',
      operator: null,
      virtual: { model: 'sensor-node', units: [{}, { faults: { failingSelftestPart: 'sensor', batteryVolts: 3.1 } }, { faults: { dfuError: { status: 'errWRITE' } } }] },
      units: 3,
      answersFile: null,
      autoStart: true,
    });
    expect(parse(['station', 'runs', '--serial', 'SN-1', '--from', '2026-11-27'])).toEqual({ action: 'runs', serialNumber: 'SN-1', from: '2026-11-27T00:00:00.000Z', limit: 200 });
    expect(parse(['station', 'export', '--format', 'jsonl', '--out', 'log.jsonl'])).toEqual({ action: 'export', format: 'jsonl', out: 'log.jsonl' });
  });

  it.each([
    [['station'], /station needs --recipe FILE/],
    [['station', '--recipe', 'r.yaml', '--virtual'], /--virtual takes the number of virtual units/],
    [['station', '--recipe', 'r.yaml', '--virtual', '0'], /--virtual takes a whole number from 1 to 16, not '0'/],
    [['station', '--recipe', 'r.yaml', '--virtual=two'], /--virtual takes a whole number from 1 to 16, not 'two'/],
    [['log', '--virtual=2'], /unexpected argument '2' for log/],
    [['station', '--recipe', 'r.yaml', '--virtual', '17'], /--virtual takes a whole number from 1 to 16/],
    [['station', '--recipe', 'r.yaml', '--units', '0'], /--units takes a whole number from 1/],
    [['station', '--recipe', 'r.yaml', '--fault', '1:silent=true'], /--fault sets a knob of a virtual unit: give --virtual N too/],
    [['station', '--recipe', 'r.yaml', '--virtual', '2', '--fault', 'failingSelftestPart=sensor'], /--fault takes UNIT:KNOB=VALUE/],
    [['station', '--recipe', 'r.yaml', '--virtual', '2', '--fault', '3:silent=true'], /--fault 3:silent=true: there are 2 virtual units/],
    [['station', '--recipe', 'r.yaml', '--virtual', '2', '--fault', '1:failingSelftestPart=fuse'], /--fault for unit 1 has a bad knob: failingSelftestPart/],
    [['station', '--recipe', 'r.yaml', '--virtual', '2', '--fault', '1:warpDrive=1'], /--fault for unit 1 has a bad knob/],
    [['station', '--recipe', 'r.yaml', '--virtual', '2', '--virtual-model', 'toaster'], /--virtual-model takes sensor-node, stm32-dfu, dfu-gadget/],
    [['station', '--recipe', 'r.yaml', '--virtual-model', 'dfu-gadget'], /give --virtual N too/],
    [['station', '--recipe', 'r.yaml', '--serial', 'SN-1'], /--serial is not an option of station:/],
    [['station', 'runs', '--virtual', '2'], /--virtual is not an option of station runs/],
    [['station', 'runs', '--from', 'yesterday'], /--from takes an ISO 8601 date or time/],
    [['station', 'runs', '--limit', '0'], /--limit takes a whole number from 1 to 1000/],
    [['station', 'export', '--out', 'x.csv'], /station export needs --format csv or --format jsonl/],
    [['station', 'export', '--format', 'xml', '--out', 'x'], /--format csv or --format jsonl, not 'xml'/],
    [['station', 'export', '--format', 'csv'], /station export needs --out FILE/],
    [['station', 'recipes', 'extra'], /unexpected argument 'extra' for station recipes/],
    [['station', 'frobnicate'], /unknown station action 'frobnicate'/],
  ])('refuses %j as wrong usage, before opening anything', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });

  it('refuses a recipe that requires an operator without --operator, naming the flag', () => {
    expect(() => requireOperator({ id: 'sensor-node-production', operatorRequired: true }, 'recipes/a.yaml', null)).toThrow(UsageError);
    expect(() => requireOperator({ id: 'sensor-node-production', operatorRequired: true }, 'recipes/a.yaml', null)).toThrow(/sensor-node-production \(recipes\/a\.yaml\) requires an operator.*--operator NAME/);
    expect(() => requireOperator({ id: 'x', operatorRequired: true }, 'a.yaml', 'Dana')).not.toThrow();
    expect(() => requireOperator({ id: 'x', operatorRequired: false }, 'a.yaml', null)).not.toThrow();
  });

  it('lists the station commands in the help', async () => {
    const io = captureIo();
    expect(await runCli(['help'], io)).toBe(0);
    for (const text of ['station --recipe FILE', 'station runs [--serial SN]', 'station export --format csv|jsonl --out FILE', 'station recipes', '--fault I:KNOB=VALUE']) {
      expect(io.stdout.join('\n')).toContain(text);
    }
  });
});

describe('fieldbench station: lines', () => {
  const Line = {
    station: z.strictObject({ ...StationRecipe.shape, event: z.literal('station'), operator: z.string().nullable(), station: z.string(), autoStart: z.boolean() }),
    unit: z.strictObject({ ...StationUnit.shape, event: z.literal('unit') }),
    prompt: z.strictObject({ ...StationPrompt.shape, event: z.literal('prompt'), deviceId: z.string(), serialNumber: z.string().nullable() }),
    summary: z.strictObject({ event: z.literal('summary'), counts: StationCounts.strict(), runs: z.array(z.string()) }),
  };

  it('prints JSON lines of the contract shapes, one event each', () => {
    const lines = [stationLine(recipe, 'Dana', 'bench-3', true), unitLine(unit()), promptLine(unit({ state: 'testing', prompt }), prompt), summaryLine(counts, ['run-1', 'run-2'])];
    const parsed = lines.map((line) => JSON.parse(JSON.stringify(line)) as { event: keyof typeof Line });
    expect(parsed.map((line) => line.event)).toEqual(['station', 'unit', 'prompt', 'summary']);
    for (const line of parsed) expect(Line[line.event].safeParse(line).success, JSON.stringify(line)).toBe(true);
    expect(parsed[2]).toMatchObject({ deviceId: 'dev-1', serialNumber: 'SN-0042', stepId: 'status-led' });
  });

  it('prints a tile change once, and upload progress once per tenth', () => {
    const changes = new UnitChanges();
    const seen = [0, 0.02, 0.09, 0.1, 0.15, 0.2, 0.95, 1].map((progress) => changes.isNew(unit({ progress })));
    expect(seen).toEqual([true, false, false, true, false, true, true, true]);
    expect(changes.isNew(unit({ progress: 1 }))).toBe(false);
    expect(changes.isNew(unit({ state: 'testing', step: 'step 1 of 4: Model', progress: null }))).toBe(true);
    expect(changes.isNew(unit({ state: 'testing', step: 'step 2 of 4: Battery', progress: null }))).toBe(true);
    expect(changes.isNew(unit({ deviceId: 'dev-2', progress: 1 }))).toBe(true);
    // A run id arriving while queued is no new line: the next change carries it.
    expect(changes.isNew(unit({ deviceId: 'dev-3', state: 'queued', runId: null, progress: null }))).toBe(true);
    expect(changes.isNew(unit({ deviceId: 'dev-3', state: 'queued', runId: 'run-3', progress: null }))).toBe(false);
  });

  it('says what a unit does, and its verdict in capitals with the reason', () => {
    const at = new Date(2026, 10, 27, 14, 3, 7, 250);
    expect(humanUnitLine(unit(), at)).toBe('14:03:07.250  Sensor Node /dev/pts/4 SN-0042  flashing  upload  42%');
    expect(humanUnitLine(unit({ state: 'passed', step: null, progress: null }), at)).toBe('14:03:07.250  Sensor Node /dev/pts/4 SN-0042  PASS');
    const failed = unit({ state: 'failed', progress: null, failureStep: 'Self-test', reason: 'read FAIL sensor, expected PASS' });
    expect(humanUnitLine(failed, at)).toBe('14:03:07.250  Sensor Node /dev/pts/4 SN-0042  FAIL: read FAIL sensor, expected PASS [Self-test]');
    expect(humanUnitLine(unit({ state: 'unplugged', reason: 'the unit left during the upload', failureStep: null }), at)).toMatch(/ {2}UNPLUGGED: the unit left during the upload$/);
    expect(humanUnitLine(unit({ state: 'aborted', reason: null }), at)).toMatch(/ {2}ABORTED$/);
    expect(verdict(unit({ state: 'testing' }))).toBeNull();
    expect(humanUnitLine(unit({ label: '/tmp/fieldbench-virtual/SN-0042' }), at)).toBe('14:03:07.250  /tmp/fieldbench-virtual/SN-0042  flashing  upload  42%');
    expect(humanUnitLine(unit({ serialNumber: null, state: 'waiting', step: null, progress: null, note: 'no operator yet' }), at)).toBe('14:03:07.250  Sensor Node /dev/pts/4  waiting  (no operator yet)');
    expect(humanPromptLine(unit(), prompt, at)).toBe('14:03:07.250  Sensor Node /dev/pts/4 SN-0042  waits for the operator: Status LED — The green LED blinks once a second.');
  });

  it('ends with a table of the units that ran and the counts', () => {
    const summary = humanSummary(
      [unit({ state: 'passed', versionAfter: '2.0.0' }), unit({ deviceId: 'dev-2', serialNumber: 'SN-7', state: 'failed', reason: 'self-test' }), unit({ deviceId: 'dev-3', runId: null, state: 'waiting' })],
      counts,
    );
    const lines = summary.split('\n');
    expect(lines[0]).toMatch(/^UNIT +SERIAL +OUTCOME +FIRMWARE +RUN +REASON$/);
    expect(lines[1]).toMatch(/SN-0042 +PASS +1\.4\.2 → 2\.0\.0 +run-1 *$/);
    expect(lines[2]).toMatch(/SN-7 +FAIL +1\.4\.2 → \? +run-1 +self-test$/);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('3 units finished: 2 passed, 1 failed');
  });
});

describe('fieldbench station: answers on standard input', () => {
  it('reads an answer naming the unit by serial number or device id', () => {
    expect(parseAnswerLine('{"serialNumber":"SN-1","stepId":"idle-current","answer":"pass","value":4.2}')).toEqual({
      answer: { serialNumber: 'SN-1', stepId: 'idle-current', answer: 'pass', value: 4.2 },
    });
    expect(parseAnswerLine('{"deviceId":"dev-1","stepId":"status-led","answer":"fail","reason":"dark"}')).toEqual({ answer: { deviceId: 'dev-1', stepId: 'status-led', answer: 'fail', reason: 'dark' } });
  });

  it.each([
    ['{"serialNumber":"SN-1"', /not a JSON line/],
    ['{"stepId":"status-led","answer":"pass"}', /one of deviceId or serialNumber/],
    ['{"deviceId":"d","serialNumber":"SN-1","stepId":"status-led","answer":"pass"}', /one of deviceId or serialNumber/],
    ['{"serialNumber":"SN-1","stepId":"status-led","answer":"maybe"}', /answer:/],
    ['{"serialNumber":"SN-1","stepId":"status-led","answer":"pass","colour":"green"}', /colour|unrecognized/i],
    ['[1,2]', /\(line\)|expected object/],
  ])('refuses %s with an error that says how an answer looks', (text, message) => {
    const parsed = parseAnswerLine(text);
    expect('error' in parsed).toBe(true);
    if (!('error' in parsed)) return;
    expect(parsed.error.message).toMatch(message);
    expect(parsed.error.code).toBe('invalid-request');
    expect(parsed.error.hint).toMatch(/one JSON object per line/);
  });
});
