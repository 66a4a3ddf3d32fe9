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
import { uploadWindow } from '../src-main/protocols/smp/smp-upload-window';
import { SMP_BUF_COUNT } from '../src-main/virtual/sensor-node/sensor-node-smp';
import { SensorNodeChildren, bundleSensorNodeProcess } from '../test/helpers/sensor-node-child';
import { makeTempDir } from '../test/helpers/temp-dir';
import { table, writeSection } from './report';
import { writeBenchRecipe } from './station-bench-recipe';
import type { MachineUsage } from './station-machine-usage';
import type { ProcessUsage } from './station-process-usage';
import { runTray, type TileChange, type TrayRun, type TrayUnit } from './station-tray';
import { uploadOnTheWire } from './smp-upload-wire';

const scale = Number(process.env.FIELDBENCH_STATION_BENCH_SCALE ?? '1');
const fullSize = scale >= 1;
/** Rounds of one unit, then a tray in parallel (without and with the test), taken in turn so a change in the machine's load falls on both. */
const ROUNDS = Math.max(1, Math.round(5 * scale));
/** Trays at parallelism 1: each takes eight units' time. */
const SERIAL_REPETITIONS = Math.max(1, Math.round(3 * scale));
const TRAY = 8;
/** The most common console rate on these boards; with the 13 KB image a unit's upload takes about 1.5 s. */
const BAUD = 115_200;
const TARGET_SPEEDUP = 6;
/** The sensor node's MCUmgr buffer (its default, which the station reads from its parameters). */
const NODE_SMP_BUF_SIZE = 1024;
/** The profile's SMP line length (device-profiles/sensor-node.json, firmware.lineLength). */
const PROFILE_LINE_LENGTH = 127;

interface Config {
  key: 'one' | 'parallel' | 'serial' | 'oneTested' | 'parallelTested';
  units: number;
  parallelism: number;
  /** The recipe's test procedure, run after the new image booted; null: flash and confirm only. */
  procedureId: string | null;
  title: string;
  /** As a column or row of the report. */
  label: string;
}
/** Fully automatic (model, battery, temperature, self-test over the shell), so nobody at the bench is needed. */
const PROCEDURE = 'production-check';
const CONFIGS: Config[] = [
  { key: 'one', units: 1, parallelism: TRAY, procedureId: null, title: 'T1: one unit alone', label: 'one unit alone' },
  { key: 'parallel', units: TRAY, parallelism: TRAY, procedureId: null, title: `T${TRAY}: ${TRAY} units, parallelism ${TRAY}`, label: `${TRAY} at parallelism ${TRAY}` },
  { key: 'serial', units: TRAY, parallelism: 1, procedureId: null, title: `T${TRAY}: ${TRAY} units, parallelism 1`, label: `${TRAY} at parallelism 1` },
  { key: 'oneTested', units: 1, parallelism: TRAY, procedureId: PROCEDURE, title: `T1 with ${PROCEDURE}: one unit alone`, label: `one unit alone, ${PROCEDURE}` },
  {
    key: 'parallelTested',
    units: TRAY,
    parallelism: TRAY,
    procedureId: PROCEDURE,
    title: `T${TRAY} with ${PROCEDURE}: ${TRAY} units, parallelism ${TRAY}`,
    label: `${TRAY} at parallelism ${TRAY}, ${PROCEDURE}`,
  },
];
const recipeKey = (config: Pick<Config, 'parallelism' | 'procedureId'>) => `${config.parallelism} ${config.procedureId ?? 'none'}`;
const results = new Map<Config['key'], TrayRun[]>(CONFIGS.map((config) => [config.key, []]));

let nodes: SensorNodeChildren | null = null;
let work: ReturnType<typeof makeTempDir> | null = null;
const recipes = new Map<string, string>();
let loadAverage = '';

beforeAll(async () => {
  work = makeTempDir('station-bench');
  nodes = new SensorNodeChildren(await bundleSensorNodeProcess(work.path));
  for (const config of CONFIGS) {
    if (!recipes.has(recipeKey(config))) {
      recipes.set(recipeKey(config), writeBenchRecipe(work.path, { serialParallelism: config.parallelism, procedureId: config.procedureId }));
    }
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
  test: number;
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
  const firstAt = (state: TileChange['state']) => unit.changes.find((change) => change.state === state)?.at;
  const queuedAt = firstAt('queued');
  const flashingAt = firstAt('flashing');
  const testingAt = firstAt('testing');
  const finishingAt = firstAt('finishing');
  const test = testingAt !== undefined && finishingAt !== undefined ? finishingAt - testingAt : 0;
  return {
    queued: queuedAt !== undefined && flashingAt !== undefined ? flashingAt - queuedAt : 0,
    beforeFlash: jobStart - runStart,
    preflight: uploadStart - jobStart,
    upload: uploadEnd - uploadStart,
    testMark: resetStart - uploadEnd,
    reset: reconnectStart - resetStart,
    reconnect: reconnected - reconnectStart,
    verify: jobEnd - reconnected,
    test,
    confirm: runEnd - jobEnd - test,
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
  ['test', `the recipe's procedure (tile testing → finishing)`],
  ['confirm', 'confirm (the rest, to the run\'s end)'],
  ['total', "the unit's run"],
];

const unitsOf = (key: Config['key']) => (results.get(key) ?? []).flatMap((run) => run.units);
const medianPhase = (key: Config['key'], phase: keyof Phases) => median(unitsOf(key).map((unit) => phasesOf(unit)[phase]));
const wallsOf = (key: Config['key']) => (results.get(key) ?? []).map((run) => run.wallMs);
const usageOf = (key: Config['key'], pick: (usage: ProcessUsage) => number) => median((results.get(key) ?? []).map((run) => pick(run.usage)));
/** 8·T1 / T8 of each round, T1 and T8 taken one after the other: the spread of the ratio itself. */
function pairedSpeedups(one: Config['key'], tray: Config['key']): string {
  const ones = wallsOf(one);
  const ratios = wallsOf(tray).map((wall, index) => (TRAY * (ones[index] ?? NaN)) / wall);
  return `${Math.min(...ratios).toFixed(2)} – ${Math.max(...ratios).toFixed(2)} (median ${median(ratios).toFixed(2)})`;
}
const machineOf = (key: Config['key'], pick: (machine: MachineUsage) => number) => median((results.get(key) ?? []).map((run) => pick(run.machine)));

// ------------------------------------------------------------------ the report

function report(): string {
  const imageFile = parseRecipe(readFileSync(recipes.get(recipeKey({ parallelism: TRAY, procedureId: null })) ?? '', 'utf8'), 'bench recipe').recipe.firmware.file;
  const image = Uint8Array.from(readFileSync(imageFile));
  const sha = Uint8Array.from(createHash('sha256').update(image).digest());
  const version = inspectImage(image).version ?? 'unknown';
  const wire = uploadOnTheWire(image, sha, NODE_SMP_BUF_SIZE, PROFILE_LINE_LENGTH);
  const lineRate = BAUD / 10;
  const wireMs = (Math.max(wire.hostToDevice, wire.deviceToHost) * 1000) / lineRate;
  const window = uploadWindow(SMP_BUF_COUNT);
  const windowWireMs = (window * (wire.hostToDevice / wire.requests) * 1000) / lineRate;

  const t1 = median(wallsOf('one'));
  const t8 = median(wallsOf('parallel'));
  const t8Serial = median(wallsOf('serial'));
  const speedup = (TRAY * t1) / t8;
  const speedupTested = (TRAY * median(wallsOf('oneTested'))) / median(wallsOf('parallelTested'));
  const headline = [
    ['figure', 'repetitions', 'median (min – max)', 'ratio'],
    ['T1: one unit alone', wallsOf('one').length, spread(wallsOf('one')), '—'],
    [
      `T${TRAY}: ${TRAY} units at parallelism ${TRAY}`,
      wallsOf('parallel').length,
      spread(wallsOf('parallel')),
      `speedup ${TRAY}·T1 / T${TRAY} = **${speedup.toFixed(2)}** of ${TRAY} (target ≥ ${TARGET_SPEEDUP}); overlap ${percent(speedup / TRAY)}; ` +
        `round by round ${pairedSpeedups('one', 'parallel')}`,
    ],
    [
      `T${TRAY}: ${TRAY} units at parallelism 1`,
      wallsOf('serial').length,
      spread(wallsOf('serial')),
      `T${TRAY} / (${TRAY}·T1) = **${(t8Serial / (TRAY * t1)).toFixed(3)}** (1.0: the queue adds nothing between units)`,
    ],
    [`T1 with ${PROCEDURE}: one unit alone`, wallsOf('oneTested').length, spread(wallsOf('oneTested')), '—'],
    [
      `T${TRAY} with ${PROCEDURE}: ${TRAY} units at parallelism ${TRAY}`,
      wallsOf('parallelTested').length,
      spread(wallsOf('parallelTested')),
      `speedup = **${speedupTested.toFixed(2)}** of ${TRAY}; overlap ${percent(speedupTested / TRAY)}; round by round ${pairedSpeedups('oneTested', 'parallelTested')}`,
    ],
  ];

  const uploadRow = (config: Config) => {
    const uploads = unitsOf(config.key).map((unit) => phasesOf(unit).upload);
    const ms = median(uploads);
    const rate = (image.length * 1000) / ms;
    return [config.label, uploads.length, `${seconds(ms)} (${seconds(Math.min(...uploads))} – ${seconds(Math.max(...uploads))})`, kib(rate), (rate / lineRate).toFixed(3), (wireMs / ms).toFixed(3)];
  };
  const uploads = [
    ['tray', 'uploads', 'upload time, median (min – max)', 'image rate', 'ratio to the line rate (baud / 10)', 'ratio to the SMP wire limit'],
    ...CONFIGS.map(uploadRow),
  ];

  const phases = [
    ['phase (median over units and repetitions)', ...CONFIGS.map((config) => config.label)],
    ...PHASE_NAMES.map(([phase, name]) => [name, ...CONFIGS.map((config) => seconds(medianPhase(config.key, phase)))]),
    ['queued (tile queued → flashing)', ...CONFIGS.map((config) => seconds(medianPhase(config.key, 'queued')))],
  ];

  const usageRow = (config: Config) => {
    const cpuShare = usageOf(config.key, (usage) => usage.cpuMs / usage.wallMs);
    return [
      config.label,
      seconds(usageOf(config.key, (usage) => usage.wallMs)),
      `${percent(cpuShare)} of one core, ${percent(cpuShare / 2)} of the machine's 2`,
      `${(usageOf(config.key, (usage) => usage.cpuMs) / config.units).toFixed(0)} ms`,
      `${mib(usageOf(config.key, (usage) => usage.rssBeforeBytes))} → ${mib(usageOf(config.key, (usage) => usage.rssPeakBytes))}`,
      `${mib(usageOf(config.key, (usage) => usage.heapUsedBeforeBytes))} → ${mib(usageOf(config.key, (usage) => usage.heapUsedPeakBytes))}`,
      `${usageOf(config.key, (usage) => usage.loopDelayP99Ms).toFixed(1)} ms / ${usageOf(config.key, (usage) => usage.loopDelayMaxMs).toFixed(1)} ms`,
      `${usageOf(config.key, (usage) => usage.idleThreadDelayP99Ms).toFixed(1)} ms / ${usageOf(config.key, (usage) => usage.idleThreadDelayMaxMs).toFixed(1)} ms`,
      `${percent(usageOf(config.key, (usage) => usage.loopLateMs / usage.wallMs))} / ${percent(usageOf(config.key, (usage) => usage.idleThreadLateMs / usage.wallMs))}`,
      percent(machineOf(config.key, (machine) => machine.busy)),
      percent(machineOf(config.key, (machine) => machine.treeCpuMs) / usageOf(config.key, (usage) => usage.wallMs)),
    ];
  };
  const usage = [
    [
      'tray',
      'window (load → last verdict)',
      'CPU',
      'CPU per unit',
      'RSS before → peak',
      'heap used before → peak',
      'event loop late p99 / max',
      'idle thread late p99 / max',
      'late in all, share of the window (loop / idle thread)',
      "machine's cores busy",
      "units' processes (of one core)",
    ],
    ...CONFIGS.map(usageRow),
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
    `${ROUNDS} rounds (one unit alone, then ${TRAY} at once, without and with the test, in turn, so a change in the machine's load falls on ` +
    `both sides of a ratio) and of ${SERIAL_REPETITIONS} trays at parallelism 1; every tray on new nodes and a new core, after one unit ` +
    `run first and not counted (load average ${loadAverage} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end: the machine is shared).\n\n` +
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
    limits(t1, t8, speedup, windowWireMs, window)
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
function limits(t1: number, t8: number, speedup: number, windowWireMs: number, window: number): string {
  const alone = (phase: keyof Phases) => medianPhase('one', phase);
  const together = (phase: keyof Phases) => medianPhase('parallel', phase);
  const waiting = (at: (phase: keyof Phases) => number) => at('upload') + at('testMark') + at('reset') + at('reconnect');
  const exchanges = (at: (phase: keyof Phases) => number) => at('beforeFlash') + at('preflight') + at('testMark') + at('verify') + at('confirm');
  const startSpread = perTray('parallel', (run) => {
    const spans = runSpans(run);
    return (spans.at(-1)?.start ?? 0) - (spans[0]?.start ?? 0);
  });
  const slowest = perTray('parallel', (run) => Math.max(...run.units.map((unit) => phasesOf(unit).total)));
  const handOver = median((results.get('serial') ?? []).flatMap(handOvers));
  const late = (key: Config['key']) =>
    `${usageOf(key, (usage) => usage.loopDelayP99Ms).toFixed(1)} ms at p99, ${usageOf(key, (usage) => usage.loopDelayMaxMs).toFixed(1)} ms at most`;
  const idle = (key: Config['key']) => `${usageOf(key, (usage) => usage.idleThreadDelayP99Ms).toFixed(1)} ms`;
  const lateShare = (key: Config['key']) => percent(usageOf(key, (usage) => usage.loopLateMs / usage.wallMs));
  const longestStall = Math.max(...(results.get('parallel') ?? []).map((run) => run.usage.loopDelayMaxMs));
  const cpu = usageOf('parallel', (usage) => usage.cpuMs / usage.wallMs);
  const busy = machineOf('parallel', (machine) => machine.busy);
  const unitsCpu = machineOf('parallel', (machine) => machine.treeCpuMs) / usageOf('parallel', (usage) => usage.wallMs);
  const stalls =
    longestStall < windowWireMs
      ? `No stall of the loop in any tray (${longestStall.toFixed(1)} ms the longest) came near the ${seconds(windowWireMs)} of wire ` +
        `an upload keeps in flight (${window} requests), so no unit's line went idle waiting on the loop during its upload. What grows ` +
        `instead is each exchange's turnaround, every answer queued behind the other units' work on the one loop (SMP decoding, ` +
        `the firmware journal's and the record's commits): the upload hides most of it behind its window, the one-request exchanges ` +
        `(slot reads, the test mark, the confirm) pay it in full.`
      : `The loop stalled for up to ${longestStall.toFixed(1)} ms, longer than the ${seconds(windowWireMs)} of wire an upload keeps ` +
        `in flight (${window} requests): during such a stall every unit's line goes idle at once.`;
  return (
    `**What limits the ratio.** A unit alone (T1 ${seconds(t1)}) spends ${seconds(waiting(alone))} ` +
    `(${percent(waiting(alone) / alone('total'))} of its run) in the upload at the line rate, the test mark, the reset with the ` +
    `firmware job's fixed wait after it, and the reconnect (the node's reboot silence, MCUboot's swap at flash speed, the banner, ` +
    `the port reopened): time spent waiting on the link and the unit, which overlaps freely across units. Its short exchanges and ` +
    `records (the record's start, the preflight's and the verify's slot reads, the test mark, the confirm) take ${seconds(exchanges(alone))}.\n\n` +
    `In the tray of ${TRAY} (T${TRAY} ${seconds(t8)}), the units' starts spread over ${seconds(startSpread)} and the slowest ` +
    `unit's run took ${seconds(slowest)}; a unit's run took ${seconds(together('total'))} (median) against ${seconds(alone('total'))} alone: ` +
    `the upload ${seconds(alone('upload'))} → ${seconds(together('upload'))}, the short exchanges ${seconds(exchanges(alone))} → ` +
    `${seconds(exchanges(together))}, the reset and reconnect ${seconds(alone('reset') + alone('reconnect'))} → ` +
    `${seconds(together('reset') + together('reconnect'))}. What stretches them is the station's one event loop, which all ${TRAY} ` +
    `SMP clients, serial ports, firmware journals and records share: its timers ran late by ${late('one')} with one unit and ` +
    `${late('parallel')} with ${TRAY} (late ${lateShare('one')} and ${lateShare('parallel')} of the window in all), against ` +
    `${idle('one')} and ${idle('parallel')} at p99 for an idle thread of the same process, which only needs a core to wake on: the ` +
    `difference is the station's own work holding up its loop. ${stalls} ` +
    `The station's process used ${percent(cpu)} of one core; the machine's 2 cores were ${percent(busy)} busy, the ${TRAY} units' ` +
    `own processes (node and socat each) taking ${percent(unitsCpu)} of one core and the rest other work on this shared machine, ` +
    `so the station's bursts of work also wait their turn for a core, which is why the figure moves with the machine's load. ` +
    `The ${PROCEDURE} procedure is made of such exchanges too (a shell command and its answer at a time): it took ` +
    `${seconds(medianPhase('oneTested', 'test'))} alone and ${seconds(medianPhase('parallelTested', 'test'))} with ${TRAY} at once, ` +
    `which is why the tested tray overlaps less.\n\n` +
    `**Where the loop's time goes**, traced once on the station's main thread (strace -T, two trays of ${TRAY} on a loaded machine, 2026-11-27): ` +
    `about 200 fsync calls per tray of ${TRAY}, 25 a unit (the case store runs SQLite in WAL mode with synchronous = FULL, and the ` +
    `firmware job's journal, every step and every second of progress, and the station's record each commit on their own), ` +
    `0.5 to 0.75 s blocked in fsync per tray plus 0.3 to 0.5 s in SQLite's writes and locks, all on the main thread: 12 to 20 % of a ` +
    `6 to 7 s tray in which no unit's port is served. Batching a unit's journal writes (progress kept in memory and written at ` +
    `the step's end), a connection with synchronous = NORMAL for the journal alone (WAL stays consistent after a crash; only its ` +
    `last progress entries may be lost, where notes keep FULL), or the store's writes moved off the main thread would give that ` +
    `time back to the units.\n\n` +
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
    const recipeFile = recipes.get(recipeKey({ parallelism: TRAY, procedureId: null })) ?? '';
    await runTray(nodes, { seeds: [seed++], lineRateBaud: BAUD, recipeFile, finishDeadlineMs: trayDeadlineMs(1) });
  });

  const runConfig = async (config: Config): Promise<void> => {
    if (!nodes) throw new Error('the node process was not bundled');
    const seeds = Array.from({ length: config.units }, () => seed++);
    const recipeFile = recipes.get(recipeKey(config));
    if (!recipeFile) throw new Error(`no recipe for ${config.title}`);
    const run = await runTray(nodes, { seeds, lineRateBaud: BAUD, recipeFile, finishDeadlineMs: trayDeadlineMs(config.units) });
    expect(run.units).toHaveLength(config.units);
    results.get(config.key)?.push(run);
  };

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round} of ${ROUNDS}: one unit, then ${TRAY} at once, without and with ${PROCEDURE}`, async () => {
      for (const config of CONFIGS.filter((candidate) => candidate.key !== 'serial')) await runConfig(config);
    });
  }

  it(`${TRAY} units at parallelism 1, ${SERIAL_REPETITIONS} times`, async () => {
    const serial = CONFIGS.find((config) => config.key === 'serial');
    if (!serial) throw new Error('no serial tray configured');
    for (let repetition = 0; repetition < SERIAL_REPETITIONS; repetition++) await runConfig(serial);
  });

  it(`speedup of ${TRAY} units in parallel over one, reported`, () => {
    const body = report();
    process.stdout.write(`\n${body}\n`);
    if (fullSize) writeSection('station-parallel', body);
    const speedup = (TRAY * median(wallsOf('one'))) / median(wallsOf('parallel'));
    expect(speedup).toBeGreaterThanOrEqual(TARGET_SPEEDUP);
  });
});
