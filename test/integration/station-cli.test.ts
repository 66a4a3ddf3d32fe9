// `fieldbench station` in-process through the real core and station, on trays of virtual sensor
// nodes on real pseudo-terminals, with a real production record: a tray with a faulty board,
// the record read back and exported, operator steps answered from a file and from stdin, and
// an interrupted run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { StationCounts, StationPrompt, StationRecipe, StationRun, StationUnit } from '../../src-main/api/station-schemas';
import { stationRunCommand } from '../../src-main/cli/commands/station';
import { runCli } from '../../src-main/cli/main';
import type { Io } from '../../src-main/cli/output';
import { captureIo } from '../helpers/captured-io';
import { readCsv } from '../helpers/station-csv';
import { makeTempDir } from '../helpers/temp-dir';

const QUICK = 'recipes/sensor-node-2.0.0-quick.yaml';
const WITH_OPERATOR = 'recipes/sensor-node-2.0.0.yaml';

const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((dir) => dir.remove()));

function dataDir(name: string): string {
  const dir = makeTempDir(name);
  dirs.push(dir);
  return dir.path;
}

/** An Io that also calls `onLine` with each stdout line as it is printed. */
function watchedIo(onLine: (line: string) => void = () => undefined): Io & { stdout: string[]; stderr: string[] } {
  const io = captureIo();
  return { ...io, out: (text) => (io.out(text), onLine(text)) };
}

async function cli(dir: string, argv: string[], options: { signal?: AbortSignal; io?: ReturnType<typeof watchedIo> } = {}) {
  const io = options.io ?? watchedIo();
  const code = await runCli([...argv, '--data-dir', dir], io, options.signal);
  return { code, stdout: io.stdout, stderr: io.stderr.join('\n') };
}

const Line = z.discriminatedUnion('event', [
  z.strictObject({ ...StationRecipe.shape, event: z.literal('station'), operator: z.string().nullable(), station: z.string(), autoStart: z.boolean() }),
  z.strictObject({ ...StationUnit.shape, event: z.literal('unit') }),
  z.strictObject({ ...StationPrompt.shape, event: z.literal('prompt'), deviceId: z.string(), serialNumber: z.string().nullable() }),
  z.strictObject({ event: z.literal('summary'), counts: StationCounts.strict(), runs: z.array(z.string()) }),
]);
type Line = z.infer<typeof Line>;

function jsonLines(stdout: string[]): Line[] {
  return stdout.map((text) => Line.parse(JSON.parse(text)));
}

/** Each unit's last line: its verdict. */
function lastOfEachUnit(lines: Line[]): Extract<Line, { event: 'unit' }>[] {
  const last = new Map<string, Extract<Line, { event: 'unit' }>>();
  for (const line of lines) if (line.event === 'unit') last.set(line.deviceId, line);
  return [...last.values()];
}

describe('fieldbench station', () => {
  const tray = dataDir('station-cli-tray');

  it('runs a recipe on three virtual units, one with a failing self-test: two PASS, one FAIL with the reason, exit 1', async () => {
    const { code, stdout, stderr } = await cli(tray, ['station', '--recipe', QUICK, '--virtual', '3', '--fault', '2:failingSelftestPart=sensor', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = jsonLines(stdout);
    expect(lines[0]).toMatchObject({ event: 'station', id: 'sensor-node-production-quick', revision: '2.0.0-q1', operator: null, autoStart: true });
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary', counts: { passed: 2, failed: 1, unplugged: 0, aborted: 0, running: 0 } });
    expect(lines.filter((line) => line.event === 'station' || line.event === 'summary')).toHaveLength(2);

    const verdicts = lastOfEachUnit(lines);
    expect(verdicts.map((unit) => unit.state).sort()).toEqual(['failed', 'passed', 'passed']);
    const failed = verdicts.find((unit) => unit.state === 'failed')!;
    expect(`${failed.failureStep} ${failed.reason}`).toMatch(/self-test/i);
    expect(failed.reason).toMatch(/'FAIL' is not 'PASS'/);
    const imageVersion = lines[0]!.event === 'station' ? lines[0]!.image.version : null;
    expect(imageVersion).toMatch(/^2\.0\.0/);
    // As the unit reports it (2.0.0), the form the version before has; the image header says 2.0.0+0.
    for (const passed of verdicts.filter((unit) => unit.state === 'passed')) expect(`${passed.versionAfter}+0`).toBe(imageVersion);
    expect(summary.event === 'summary' && [...summary.runs].sort()).toEqual(verdicts.map((unit) => unit.runId).sort());

    // Progress is printed per tenth at most: within a step, a unit's lines never repeat a tenth.
    for (const unit of verdicts) {
      const tenths = lines.flatMap((line) => (line.event === 'unit' && line.deviceId === unit.deviceId && line.progress !== null ? [`${line.step} ${Math.floor(line.progress * 10)}`] : []));
      expect(tenths.length).toBeGreaterThan(0);
      expect(new Set(tenths).size).toBe(tenths.length);
    }

    // The record holds the failed unit under its serial number, with the reason.
    const runs = await cli(tray, ['station', 'runs', '--serial', failed.serialNumber!, '--json']);
    expect(runs.code).toBe(0);
    const record = z.array(StationRun).parse(JSON.parse(runs.stdout[0]!));
    expect(record).toHaveLength(1);
    expect(record[0]).toMatchObject({ id: failed.runId, outcome: 'failed', recipeId: 'sensor-node-production-quick', serialNumber: failed.serialNumber });
    const table = await cli(tray, ['station', 'runs']);
    expect(table.stdout[0]!.split('\n')[0]).toMatch(/^STARTED +SERIAL +RECIPE +REV +IMAGE +FIRMWARE +OUTCOME +REASON$/);
    expect(table.stdout[0]!.split('\n')).toHaveLength(4);
  });

  it('exports the production log as CSV, and never over an existing file', async () => {
    const out = join(tray, 'production.csv');
    const exported = await cli(tray, ['station', 'export', '--format', 'csv', '--out', out]);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toEqual([`Wrote 3 runs to ${out} (CSV)`]);
    const written = readFileSync(out, 'utf8');
    expect(readCsv(written)).toHaveLength(4);

    const again = await cli(tray, ['station', 'export', '--format', 'jsonl', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*new file name/);
    expect(readFileSync(out, 'utf8')).toBe(written);
  });

  it('refuses a recipe that requires an operator without --operator, before any unit starts', async () => {
    const dir = dataDir('station-cli-no-operator');
    const { code, stderr } = await cli(dir, ['station', '--recipe', WITH_OPERATOR, '--virtual', '1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/requires an operator.*give --operator NAME/);
    expect((await cli(dir, ['station', 'runs', '--json'])).stdout).toEqual(['[]']);
  });

  it('refuses a broken recipe with its line and column', async () => {
    const dir = dataDir('station-cli-broken');
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, readFileSync(QUICK, 'utf8').replace('onFail: reset', 'onFail: confirm').replace('autoStart: true', 'autoStart: true\nspeed: fast'));
    const { code, stderr } = await cli(dir, ['station', '--recipe', file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/speed \(line \d+, column \d+\): unknown field 'speed'/);
  });

  it('answers operator steps from an --answers file on every unit, and prints the prompts', async () => {
    const dir = dataDir('station-cli-answers');
    const answers = join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ 'status-led': { answer: 'pass', reason: 'blinks' }, 'idle-current': { answer: 'pass', value: 4.1 } }));
    const { code, stdout, stderr } = await cli(dir, ['station', '--recipe', WITH_OPERATOR, '--virtual', '2', '--operator', 'Dana', '--answers', answers]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const text = stdout.join('\n');
    expect(text).toMatch(/^Station .*: Sensor Node 2\.0\.0 production flash \(sensor-node-production 2\.0\.0-r1\)/);
    expect(text).toContain('operator Dana');
    expect(text.match(/waits for the operator: Status LED/g)).toHaveLength(2);
    expect(text.match(/waits for the operator: Idle current \(limit 0\.5 to 15 mA\)/g)).toHaveLength(2);
    expect(text.match(/^\d\d:\d\d:\d\d\.\d{3} {2}\S+(?: \S+)? {2}PASS$/gm)).toHaveLength(2);
    expect(stdout.at(-1)).toMatch(/\n2 units finished: 2 passed$/);

    const runs = z.array(StationRun).parse(JSON.parse((await cli(dir, ['station', 'runs', '--json'])).stdout[0]!));
    expect(runs.map((run) => [run.operator, run.outcome])).toEqual([
      ['Dana', 'passed'],
      ['Dana', 'passed'],
    ]);
    const idle = runs[0]!.procedure!.steps.find((step) => step.id === 'idle-current');
    expect(idle?.reading).toMatchObject({ value: 4.1 });
  });

  it('with --json reads the answers the file lacks from stdin as JSON lines, and reports a bad line without stopping', async () => {
    const dir = dataDir('station-cli-stdin');
    const answers = join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ 'status-led': { answer: 'pass' } }));
    const stdin = new PassThrough();
    const io = watchedIo((text) => {
      const line = JSON.parse(text) as { event: string; stepId?: string; serialNumber?: string };
      if (line.event !== 'prompt' || line.stepId !== 'idle-current') return;
      stdin.write('{"serialNumber": 42, "stepId": "idle-current", "answer": "pass"}\n');
      stdin.write(`${JSON.stringify({ serialNumber: line.serialNumber, stepId: 'idle-current', answer: 'fail', value: 31, reason: 'draws too much' })}\n`);
    });
    const options = { recipeFile: WITH_OPERATOR, operator: 'Dana', virtual: { model: 'sensor-node' as const, units: [{}] }, units: 1, answersFile: answers, autoStart: true };
    const code = await stationRunCommand({ dataDir: dir, io, verbose: false }, options, true, new AbortController().signal, stdin);
    stdin.end();
    expect(code).toBe(1);
    const errors = io.stderr.map((text) => JSON.parse(text) as { error: { code: string; message: string } });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toMatchObject({ code: 'invalid-request' });
    expect(errors[0]!.error.message).toMatch(/answer ignored: serialNumber/);
    const lines = jsonLines(io.stdout);
    const verdict = lastOfEachUnit(lines)[0]!;
    expect(verdict.state).toBe('failed');
    expect(verdict.reason).toMatch(/draws too much/);
    expect(lines.filter((line) => line.event === 'prompt').map((line) => line.event === 'prompt' && line.stepId)).toEqual(['status-led', 'idle-current']);
  });

  it('on the terminal asks each operator step in turn, naming the unit, and asks again for a value that is not a number', async () => {
    const dir = dataDir('station-cli-terminal');
    const stdin = new PassThrough();
    const typed: string[] = [];
    const type = (text: string) => {
      typed.push(text);
      stdin.write(`${text}\n`);
    };
    const io = watchedIo((text) => {
      if (/Status LED: pass or fail\? \[p\/f\] $/.test(text)) type('p');
      else if (/Idle current in mA \(limit 0\.5 to 15 mA\), or f to fail: $/.test(text)) type(typed.includes('lots') ? '4.2' : 'lots');
    });
    const options = { recipeFile: WITH_OPERATOR, operator: 'Dana', virtual: { model: 'sensor-node' as const, units: [{}] }, units: 1, answersFile: null, autoStart: true };
    const code = await stationRunCommand({ dataDir: dir, io, verbose: false }, options, false, new AbortController().signal, stdin);
    stdin.end();
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(typed).toEqual(['p', 'lots', '4.2']);
    const text = io.stdout.join('\n');
    expect(text).toContain("'lots' is not a number.");
    expect(text).toMatch(/\n\S+(?: \S+)?: Status LED\n {2}Look at the board/);
    const runs = z.array(StationRun).parse(JSON.parse((await cli(dir, ['station', 'runs', '--json'])).stdout[0]!));
    expect(runs[0]?.procedure?.steps.find((step) => step.id === 'idle-current')?.reading).toMatchObject({ value: 4.2 });
  });

  it('with --no-auto-start starts every unit once at the start: virtual USB DFU gadgets, one failing to write', async () => {
    vi.stubEnv('FIELDBENCH_VIRTUAL_TIME_SCALE', '0.05');
    try {
      const dir = dataDir('station-cli-dfu');
      const argv = ['station', '--recipe', 'recipes/dfu-gadget-1.00.yaml', '--virtual', '2', '--virtual-model', 'dfu-gadget', '--fault', '2:dfuError={"status":"errWRITE"}', '--no-auto-start', '--json'];
      const { code, stdout, stderr } = await cli(dir, argv);
      expect(stderr).toBe('');
      expect(code).toBe(1);
      const lines = jsonLines(stdout);
      expect(lines[0]).toMatchObject({ event: 'station', id: 'dfu-gadget-production', method: 'usb-dfu', autoStart: false });
      const verdicts = lastOfEachUnit(lines);
      expect(verdicts.map((unit) => unit.state).sort()).toEqual(['failed', 'passed']);
      expect(verdicts.find((unit) => unit.state === 'failed')?.reason).toMatch(/errWRITE/);
      expect(lines.at(-1)).toMatchObject({ event: 'summary', counts: { passed: 1, failed: 1 } });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('stops at Ctrl-C: running units are aborted and recorded so, and the summary is printed', async () => {
    const dir = dataDir('station-cli-interrupt');
    const stop = new AbortController();
    const io = watchedIo((text) => {
      const line = JSON.parse(text) as { event: string; state?: string; progress?: number | null };
      if (line.event === 'unit' && line.state === 'flashing' && (line.progress ?? 0) > 0) stop.abort();
    });
    const { code } = await cli(dir, ['station', '--recipe', QUICK, '--virtual', '2', '--json'], { signal: stop.signal, io });
    expect(io.stderr).toEqual([]);
    expect(code).toBe(1);
    const lines = jsonLines(io.stdout);
    const summary = lines.at(-1)!;
    expect(summary.event).toBe('summary');
    const verdicts = lastOfEachUnit(lines);
    expect(verdicts.some((unit) => unit.state === 'aborted')).toBe(true);
    for (const unit of verdicts) expect(['aborted', 'passed', 'failed']).toContain(unit.state);
    const aborted = verdicts.filter((unit) => unit.state === 'aborted');
    expect(aborted.every((unit) => /interrupted from the terminal/.test(unit.reason ?? ''))).toBe(true);
    if (summary.event === 'summary') expect(summary.counts.aborted).toBe(aborted.length);

    const runs = z.array(StationRun).parse(JSON.parse((await cli(dir, ['station', 'runs', '--json'])).stdout[0]!));
    expect(runs.filter((run) => run.outcome === 'aborted').map((run) => run.id).sort()).toEqual(aborted.map((unit) => unit.runId).sort());
    expect(existsSync(dir)).toBe(true);
  });

  it('with --no-auto-start, Ctrl-C while the units are still being shown starts none of them', async () => {
    const dir = dataDir('station-cli-interrupt-early');
    const stop = new AbortController();
    const io = watchedIo((text) => {
      const line = JSON.parse(text) as { event: string; state?: string };
      // The first tile is out, the station has not started the units yet.
      if (line.event === 'unit' && line.state === 'waiting') stop.abort();
    });
    const { code } = await cli(dir, ['station', '--recipe', QUICK, '--virtual', '2', '--no-auto-start', '--json'], { signal: stop.signal, io });
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const lines = jsonLines(io.stdout);
    expect(stop.signal.aborted).toBe(true);
    expect(lines.filter((line) => line.event === 'unit').every((line) => line.state === 'waiting')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ event: 'summary', runs: [] });
    const runs = z.array(StationRun).parse(JSON.parse((await cli(dir, ['station', 'runs', '--json'])).stdout[0]!));
    expect(runs).toEqual([]);
  });

  it('lists the shipped recipes', async () => {
    const dir = dataDir('station-cli-recipes');
    const { code, stdout } = await cli(dir, ['station', 'recipes']);
    expect(code).toBe(0);
    expect(stdout[0]).toMatch(/^SOURCE +ID +REV +PROFILE +NAME +FILE/);
    expect(stdout[0]).toMatch(/shipped +sensor-node-production-quick +2\.0\.0-q1 +fieldbench-sensor-node/);
  });
});
