// The bench station flashing a tray of eight units at once against one unit alone, at the same
// emulated link rate. Each unit is a virtual sensor node in a child process of its own, paced to
// a UART (8N1, baud / 10 bytes a second each way), on a real pseudo-terminal; the station runs in
// this process in a real core, reading the ports through the real serialport, and is driven
// only through the contract: devices.addPort, station.load of a copy of the shipped recipe (auto-
// start, nobody at the bench), the 'station.unit' events to the last verdict, station.runs.
//
// A unit's flash is link-bound (the upload at the line rate, the node's reboot and swap, the
// waits of the reset), so eight units should overlap almost fully: the figure is the speedup
// 8·T1/T8 against the 8 of perfect overlap. The same tray at parallelism 1 checks the scheduler
// (it should take 8·T1). Beside them: each unit's upload rate against the line rate and against
// the SMP wire limit, where a unit's time goes, and what the station's process spends.
//
// FIELDBENCH_STATION_BENCH_SCALE below 1 runs fewer repetitions for a quick look, without
// touching BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../src-main/core/station/recipe-file';
import { inspectImage } from '../src-main/firmware-images/inspect-image';
import { SensorNodeChildren, bundleSensorNodeProcess } from '../test/helpers/sensor-node-child';
import { makeTempDir } from '../test/helpers/temp-dir';
import { table, writeSection } from './report';
import { writeBenchRecipe } from './station-bench-recipe';
import type { ProcessUsage } from './station-process-usage';
import { runTray, type TrayRun, type TrayUnit } from './station-tray';
import { uploadOnTheWire } from './smp-upload-wire';

const scale = Number(process.env.FIELDBENCH_STATION_BENCH_SCALE ?? '1');
const fullSize = scale >= 1;
const REPETITIONS = Math.max(1, Math.round(3 * scale));
const TRAY = 8;
/** The most common console rate on these boards; with the 13 KB image a unit's upload takes about 1.5 s. */
const BAUD = 115_200;
const TARGET_SPEEDUP = 6;
/** The sensor node's MCUmgr buffer (its default, which the station reads from its parameters). */
const NODE_SMP_BUF_SIZE = 1024;
/** The profile's SMP line length (device-profiles/sensor-node.json, firmware.lineLength). */
const PROFILE_LINE_LENGTH = 127;

interface Config {
  key: 'one' | 'parallel' | 'serial';
  units: number;
  parallelism: number;
  title: string;
}
const CONFIGS: Config[] = [
  { key: 'one', units: 1, parallelism: TRAY, title: 'T1: one unit alone' },
  { key: 'parallel', units: TRAY, parallelism: TRAY, title: `T${TRAY}: ${TRAY} units, parallelism ${TRAY}` },
  { key: 'serial', units: TRAY, parallelism: 1, title: `T${TRAY}: ${TRAY} units, parallelism 1` },
];
const results = new Map<Config['key'], TrayRun[]>(CONFIGS.map((config) => [config.key, []]));

let nodes: SensorNodeChildren | null = null;
let work: ReturnType<typeof makeTempDir> | null = null;
const recipes = new Map<number, string>();
let loadAverage = '';

beforeAll(async () => {
  work = makeTempDir('station-bench');
  nodes = new SensorNodeChildren(await bundleSensorNodeProcess(work.path));
  for (const parallelism of new Set(CONFIGS.map((config) => config.parallelism))) {
    recipes.set(parallelism, writeBenchRecipe(work.path, { serialParallelism: parallelism, procedureId: null }));
  }
  loadAverage = (loadavg()[0] ?? 0).toFixed(1);
});

afterAll(() => {
  // A run cut short by the test timeout never reached its own stop.
  nodes?.killAll();
  work?.remove();
});

// ------------------------------------------------------------------ arithmetic

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const spread = (values: number[]) => `${seconds(median(values))} (${seconds(Math.min(...values))} – ${seconds(Math.max(...values))})`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const kib = (bytesPerSecond: number) => `${(bytesPerSecond / 1024).toFixed(2)} KiB/s`;
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

/** The first time a firmware job's step had the status, or its last time when `last`. */
function stepAt(unit: TrayUnit, step: string, status: string, last = false): number {
  const matching = unit.job.steps.filter((entry) => entry.step === step && entry.status === status);
  const entry = last ? matching.at(-1) : matching[0];
  if (!entry) throw new Error(`${unit.tile.label}: its firmware job has no '${step}' ${status} (${unit.job.steps.map((s) => `${s.step} ${s.status}`).join(', ')})`);
  return Date.parse(entry.at);
}

/** Where one unit's run went, in ms, from the record's start to its end. */
interface Phases {
  queued: number;
  beforeFlash: number;
  preflight: number;
  upload: number;
  testMark: number;
  reset: number;
  reconnect: number;
  verify: number;
  confirm: number;
  total: number;
}

function phasesOf(unit: TrayUnit): Phases {
  const runStart = Date.parse(unit.run.startedAt);
  const runEnd = Date.parse(unit.run.endedAt ?? '');
  const jobStart = Date.parse(unit.job.startedAt);
  const jobEnd = Date.parse(unit.job.finishedAt ?? '');
  const uploadStart = stepAt(unit, 'upload', 'started');
  const uploadEnd = stepAt(unit, 'upload', 'done', true);
  const resetStart = stepAt(unit, 'reset', 'started');
  const reconnectStart = stepAt(unit, 'reconnect', 'started');
  const reconnected = stepAt(unit, 'reconnect', 'done', true);
  const queuedAt = unit.changes.find((change) => change.state === 'queued')?.at;
  const flashingAt = unit.changes.find((change) => change.state === 'flashing')?.at;
  return {
    queued: queuedAt !== undefined && flashingAt !== undefined ? flashingAt - queuedAt : 0,
    beforeFlash: jobStart - runStart,
    preflight: uploadStart - jobStart,
    upload: uploadEnd - uploadStart,
    testMark: resetStart - uploadEnd,
    reset: reconnectStart - resetStart,
    reconnect: reconnected - reconnectStart,
    verify: jobEnd - reconnected,
    confirm: runEnd - jobEnd,
    total: runEnd - runStart,
  };
}

const PHASE_NAMES: [keyof Phases, string][] = [
  ['beforeFlash', 'record, identify (run start → firmware job)'],
  ['preflight', 'preflight (slots read, image checked against them)'],
  ['upload', 'upload'],
  ['testMark', 'mark the image for test'],
  ['reset', "reset (the command, then the job's wait before it looks for the device)"],
  ['reconnect', 'reconnect (reboot silence, MCUboot swap at flash speed, banner, port reopened, shell answers)'],
  ['verify', 'verify (slots read, job ends)'],
  ['confirm', 'confirm (job end → run end)'],
  ['total', "the unit's run"],
];

const unitsOf = (key: Config['key']) => (results.get(key) ?? []).flatMap((run) => run.units);
const medianPhase = (key: Config['key'], phase: keyof Phases) => median(unitsOf(key).map((unit) => phasesOf(unit)[phase]));
const wallsOf = (key: Config['key']) => (results.get(key) ?? []).map((run) => run.wallMs);
const usageOf = (key: Config['key'], pick: (usage: ProcessUsage) => number) => median((results.get(key) ?? []).map((run) => pick(run.usage)));

// ------------------------------------------------------------------ the report

function report(): string {
  const imageFile = parseRecipe(readFileSync(recipes.get(TRAY) ?? '', 'utf8'), 'bench recipe').recipe.firmware.file;
  const image = Uint8Array.from(readFileSync(imageFile));
  const sha = Uint8Array.from(createHash('sha256').update(image).digest());
  const version = inspectImage(image).version ?? 'unknown';
  const wire = uploadOnTheWire(image, sha, NODE_SMP_BUF_SIZE, PROFILE_LINE_LENGTH);
  const lineRate = BAUD / 10;
  const wireMs = (Math.max(wire.hostToDevice, wire.deviceToHost) * 1000) / lineRate;

  const t1 = median(wallsOf('one'));
  const t8 = median(wallsOf('parallel'));
  const t8Serial = median(wallsOf('serial'));
  const speedup = (TRAY * t1) / t8;
  const headline = [
    ['figure', 'repetitions', 'median (min – max)', 'ratio'],
    ['T1: one unit alone', wallsOf('one').length, spread(wallsOf('one')), '—'],
    [
      `T${TRAY}: ${TRAY} units at parallelism ${TRAY}`,
      wallsOf('parallel').length,
      spread(wallsOf('parallel')),
      `speedup ${TRAY}·T1 / T${TRAY} = **${speedup.toFixed(2)}** of ${TRAY} (target ≥ ${TARGET_SPEEDUP}); overlap ${percent(speedup / TRAY)}`,
    ],
    [
      `T${TRAY}: ${TRAY} units at parallelism 1`,
      wallsOf('serial').length,
      spread(wallsOf('serial')),
      `T${TRAY} / (${TRAY}·T1) = **${(t8Serial / (TRAY * t1)).toFixed(3)}** (1.0: the queue adds nothing between units)`,
    ],
  ];

  const uploadRow = (key: Config['key'], title: string) => {
    const uploads = unitsOf(key).map((unit) => phasesOf(unit).upload);
    const ms = median(uploads);
    const rate = (image.length * 1000) / ms;
    return [title, uploads.length, `${seconds(ms)} (${seconds(Math.min(...uploads))} – ${seconds(Math.max(...uploads))})`, kib(rate), (rate / lineRate).toFixed(3), (wireMs / ms).toFixed(3)];
  };
  const uploads = [
    ['tray', 'uploads', 'upload time, median (min – max)', 'image rate', 'ratio to the line rate (baud / 10)', 'ratio to the SMP wire limit'],
    uploadRow('one', 'one unit alone'),
    uploadRow('parallel', `${TRAY} at parallelism ${TRAY}`),
    uploadRow('serial', `${TRAY} at parallelism 1`),
  ];

  const phases = [
    ['phase (median over units and repetitions)', 'one unit alone', `${TRAY} at parallelism ${TRAY}`, `${TRAY} at parallelism 1`],
    ...PHASE_NAMES.map(([phase, name]) => [name, seconds(medianPhase('one', phase)), seconds(medianPhase('parallel', phase)), seconds(medianPhase('serial', phase))]),
    ['queued (tile queued → flashing)', seconds(medianPhase('one', 'queued')), seconds(medianPhase('parallel', 'queued')), seconds(medianPhase('serial', 'queued'))],
  ];

  const usageRow = (key: Config['key'], title: string, units: number) => {
    const cpuShare = usageOf(key, (usage) => usage.cpuMs / usage.wallMs);
    return [
      title,
      seconds(usageOf(key, (usage) => usage.wallMs)),
      `${percent(cpuShare)} of one core, ${percent(cpuShare / 2)} of the machine's 2`,
      `${(usageOf(key, (usage) => usage.cpuMs) / units).toFixed(0)} ms`,
      `${mib(usageOf(key, (usage) => usage.rssBeforeBytes))} → ${mib(usageOf(key, (usage) => usage.rssPeakBytes))}`,
      `${mib(usageOf(key, (usage) => usage.heapUsedBeforeBytes))} → ${mib(usageOf(key, (usage) => usage.heapUsedPeakBytes))}`,
      `${usageOf(key, (usage) => usage.loopDelayP99Ms).toFixed(1)} ms / ${usageOf(key, (usage) => usage.loopDelayMaxMs).toFixed(1)} ms`,
    ];
  };
  const usage = [
    ['tray', 'window (load → last verdict)', 'CPU', 'CPU per unit', 'RSS before → peak', 'heap used before → peak', 'event-loop delay p99 / max'],
    usageRow('one', 'one unit alone', 1),
    usageRow('parallel', `${TRAY} at parallelism ${TRAY}`, TRAY),
    usageRow('serial', `${TRAY} at parallelism 1`, TRAY),
  ];

  return (
    `## Bench station: ${TRAY} units in parallel against one\n\n` +
    `The station flashes the shipped recipe's image (${image.length} bytes, version ${version}, ECDSA P-256 signed MCUboot image) onto virtual ` +
    `sensor nodes over SMP on their serial consoles, with no test procedure (flash, boot on trial, confirm), auto-start on and nobody at ` +
    `the bench. Each node runs in a child process of its own, as a real board is not on the host's main thread, on a real ` +
    `pseudo-terminal paced to a UART at ${BAUD} baud (8N1: ${lineRate} bytes a second each way), with the simulated flash in real time ` +
    `(STM32WB55 datasheet erase and program times, the swap at boot included). The station runs in a real core on a fresh data folder, in ` +
    `the benchmark's own process, driven only through the contract: \`devices.addPort\` for each node's port, \`station.load\` of a copy ` +
    `of recipes/sensor-node-2.0.0.yaml (image path made absolute, procedure removed, operator not required, parallelism serial ${TRAY} ` +
    `or 1), the 'station.unit' events until every tile shows its verdict, then \`station.runs\`. Every unit must pass, or the run ` +
    `fails. **T** is from the first run's start to the last run's end in the production record; each figure is the median of ` +
    `${REPETITIONS} trays, each on new nodes and a new core, after one unit run first and not counted (load average ${loadAverage} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end: the machine is shared).\n\n` +
    `${table(headline)}\n\n` +
    `**Each unit's upload** (from the firmware job's upload start to its end, every upload of every tray), against the line rate ` +
    `(baud / 10 = ${kib(lineRate)}) and against the SMP wire limit: the image crosses the console as SMP serial frames, base64 in ` +
    `${PROFILE_LINE_LENGTH}-byte lines with a marker and a newline each, in ${wire.requests} requests of up to ${wire.chunk} bytes ` +
    `(buf_size ${NODE_SMP_BUF_SIZE}), so ${wire.hostToDevice} bytes go host → device (${wire.deviceToHost} bytes of answers come back, ` +
    `alongside, as a UART is full duplex): the framing alone costs ${percent(1 - image.length / wire.hostToDevice)} of the line, and ` +
    `the limit is ${seconds(wireMs)} (${kib((image.length * 1000) / wireMs)} of image, ${(image.length / wire.hostToDevice).toFixed(3)} of the line rate).\n\n` +
    `${table(uploads)}\n\n` +
    `**Where a unit's time goes**, from the firmware job's steps and the record:\n\n` +
    `${table(phases)}\n\n` +
    `**The station's process** (this one: the core, its serial ports, the capture worker; not the nodes' processes) from the load to the ` +
    `last verdict: CPU time of all its threads (process.cpuUsage) over the wall time, memory sampled every 100 ms, and how late ` +
    `the event loop ran timers (which every unit's port, SMP client and state machine share):\n\n` +
    `${table(usage)}\n\n` +
    limits(t1, t8, speedup)
  );
}

/** Per tray, from the record: the units' starts sorted, with each one's end. */
function runSpans(run: TrayRun): { start: number; end: number }[] {
  return run.units
    .map((unit) => ({ start: Date.parse(unit.run.startedAt), end: Date.parse(unit.run.endedAt ?? '') }))
    .sort((a, b) => a.start - b.start);
}

/** Median over the trays of a configuration of a figure of each tray. */
const perTray = (key: Config['key'], figure: (run: TrayRun) => number) => median((results.get(key) ?? []).map(figure));

/** In a tray run one after another: from one unit's end to the next one's start. */
function handOvers(run: TrayRun): number[] {
  const spans = runSpans(run);
  return spans.slice(1).map((span, index) => span.start - (spans[index]?.end ?? span.start));
}

/** What bounds the figures, in numbers from the same runs. */
function limits(t1: number, t8: number, speedup: number): string {
  const alone = (phase: keyof Phases) => medianPhase('one', phase);
  const together = (phase: keyof Phases) => medianPhase('parallel', phase);
  const waiting = (at: (phase: keyof Phases) => number) => at('upload') + at('testMark') + at('reset') + at('reconnect');
  const host = (at: (phase: keyof Phases) => number) => at('beforeFlash') + at('preflight') + at('verify') + at('confirm');
  const startSpread = perTray('parallel', (run) => {
    const spans = runSpans(run);
    return (spans.at(-1)?.start ?? 0) - (spans[0]?.start ?? 0);
  });
  const slowest = perTray('parallel', (run) => Math.max(...run.units.map((unit) => phasesOf(unit).total)));
  const handOver = median((results.get('serial') ?? []).flatMap(handOvers));
  const loop = (key: Config['key']) => `${usageOf(key, (usage) => usage.loopDelayP99Ms).toFixed(1)} ms`;
  const cpu = usageOf('parallel', (usage) => usage.cpuMs / usage.wallMs);
  return (
    `**What limits the ratio.** A unit alone (T1 ${seconds(t1)}) spends ${seconds(waiting(alone))} ` +
    `(${percent(waiting(alone) / alone('total'))} of its run) waiting on the link and the unit: the upload at the line rate, ` +
    `the test mark, the reset with the firmware job's fixed wait after it, and the reconnect (the node's reboot silence, MCUboot's ` +
    `swap at flash speed, the banner, the port reopened). That part overlaps freely across units. The rest, ` +
    `${seconds(host(alone))}, is host work: the record, the preflight's and the verify's slot reads, the confirm; with ${TRAY} ` +
    `units it all runs on the one event loop of the station's process. ` +
    `In the tray of ${TRAY} (T${TRAY} ${seconds(t8)}), the units' starts spread over ${seconds(startSpread)} and the slowest ` +
    `unit's run took ${seconds(slowest)}; a unit's run took ${seconds(together('total'))} (median) against ${seconds(alone('total'))} alone: ` +
    `the upload ${seconds(alone('upload'))} → ${seconds(together('upload'))}, the host work ${seconds(host(alone))} → ` +
    `${seconds(host(together))}, the reconnect ${seconds(alone('reconnect'))} → ${seconds(together('reconnect'))}, as ` +
    `${TRAY} SMP clients, their serial ports and the records share that loop (timers ran ${loop('one')} late at p99 alone, ` +
    `${loop('parallel')} with ${TRAY}). The station's process used ${percent(cpu)} of one core meanwhile, so neither of the ` +
    `machine's 2 cores was the bound; the loop's latency under the ${TRAY} units' bursts (and the machine's other load) is. ` +
    `Speedup ${speedup.toFixed(2)} = ${TRAY} × T1 / T${TRAY}. ` +
    `At parallelism 1 the queue hands the bus to the next unit ${seconds(handOver)} (median) after the last one's end.`
  );
}

// ------------------------------------------------------------------ the runs

describe('bench station: a tray in parallel against one unit', () => {
  let seed = 0x5a_7100;
  const trayDeadlineMs = (units: number) => 60_000 + units * 20_000;

  // The first tray in a process pays for loading and compiling the code paths it takes; that
  // is not a unit's cost, so one unit goes through first and is not counted.
  it('warm-up: one unit, not counted', async () => {
    if (!nodes) throw new Error('the node process was not bundled');
    const recipeFile = recipes.get(TRAY) ?? '';
    await runTray(nodes, { seeds: [seed++], lineRateBaud: BAUD, recipeFile, finishDeadlineMs: trayDeadlineMs(1) });
  });

  for (const config of CONFIGS) {
    it(`${config.title}, ${REPETITIONS} repetitions`, async () => {
      if (!nodes) throw new Error('the node process was not bundled');
      for (let repetition = 0; repetition < REPETITIONS; repetition++) {
        const seeds = Array.from({ length: config.units }, () => seed++);
        const recipeFile = recipes.get(config.parallelism);
        if (!recipeFile) throw new Error(`no recipe for parallelism ${config.parallelism}`);
        // Generous: a unit alone takes a few seconds; the serial tray takes eight of them.
        const run = await runTray(nodes, { seeds, lineRateBaud: BAUD, recipeFile, finishDeadlineMs: trayDeadlineMs(config.units) });
        expect(run.units).toHaveLength(config.units);
        results.get(config.key)?.push(run);
      }
    });
  }

  it(`speedup of ${TRAY} units in parallel over one, reported`, () => {
    const body = report();
    process.stdout.write(`\n${body}\n`);
    if (fullSize) writeSection('station-parallel', body);
    const speedup = (TRAY * median(wallsOf('one'))) / median(wallsOf('parallel'));
    expect(speedup).toBeGreaterThanOrEqual(TARGET_SPEEDUP);
  });
});
