// One tray through the bench station, as a bench runs it: virtual sensor nodes, each in a
// process of its own and paced to the same UART line rate, added to a real core by their ports;
// the recipe loaded with auto-start, so every unit starts as the recipe says; the wait ends when
// the last tile shows its verdict. The station's process is this one, measured from the load
// to the last verdict; the units' processes are not in its figures.
import type { StationRun, StationUnit, StationUnitState } from '../src-main/api/station-schemas';
import type { FirmwareJob } from '../src-main/api/schemas';
import type { Core } from '../src-main/core/core';
import { createCore } from '../src-main/core/create-core';
import { ok, PROFILES_DIR } from '../test/helpers/core-fixture';
import { deadline } from '../test/helpers/crash-writer';
import type { SensorNodeChild, SensorNodeChildren } from '../test/helpers/sensor-node-child';
import { makeTempDir } from '../test/helpers/temp-dir';
import { sampleMachineUsage, type MachineUsage } from './station-machine-usage';
import { sampleProcessUsage, type ProcessUsage } from './station-process-usage';

/** A core's start and close, a port's identification, a request: none of them waits on a flash. */
const STEP_DEADLINE_MS = 30_000;
const VERDICTS: ReadonlySet<StationUnitState> = new Set(['passed', 'failed', 'unplugged', 'aborted']);

export interface TrayChoice {
  /** One unit per seed; the seed also gives the unit its serial number. */
  seeds: number[];
  lineRateBaud: number;
  recipeFile: string;
  /** For the whole tray, from the load to the last verdict. */
  finishDeadlineMs: number;
}

/** A tile's state as it changed, with this host's time of the event (ms since the epoch). */
export interface TileChange {
  state: StationUnitState;
  step: string | null;
  at: number;
}

export interface TrayUnit {
  /** The tile as it ended. */
  tile: StationUnit;
  changes: TileChange[];
  run: StationRun;
  job: FirmwareJob;
}

export interface TrayRun {
  units: TrayUnit[];
  /** First run's start to the last run's end, from the production record. */
  wallMs: number;
  /** The station's process from the load to the last verdict. */
  usage: ProcessUsage;
  /** The machine over the same window; the tree is the units' processes (node and socat). */
  machine: MachineUsage;
}

export async function runTray(nodes: SensorNodeChildren, choice: TrayChoice): Promise<TrayRun> {
  const data = makeTempDir('station-bench');
  const started: SensorNodeChild[] = [];
  let core: Core | null = null;
  const unsubscribe: (() => void)[] = [];
  let stuck: PromiseRejectedResult | undefined;
  let result: TrayRun;
  try {
    const launches = await Promise.allSettled(choice.seeds.map((seed) => nodes.start({ seed, lineRateBaud: choice.lineRateBaud })));
    for (const launch of launches) if (launch.status === 'fulfilled') started.push(launch.value);
    const refused = launches.find((launch): launch is PromiseRejectedResult => launch.status === 'rejected');
    if (refused) throw refused.reason;

    const opened = await createCore({ dataDir: data.path, profilesDir: PROFILES_DIR, discoveryIntervalMs: -1 });
    core = opened;
    await deadline(opened.ready(), STEP_DEADLINE_MS, 'core ready');
    const devices = await Promise.all(
      started.map((node) => deadline(ok(opened, 'devices.addPort', { path: node.hostPath }), STEP_DEADLINE_MS, `add port ${node.hostPath}`)),
    );
    const unrecognised = devices.filter((device) => device.profileId !== 'fieldbench-sensor-node');
    if (unrecognised.length > 0) {
      throw new Error(`not recognised as sensor nodes: ${unrecognised.map((device) => `${device.path} (${device.state}${device.stateDetail ? `: ${device.stateDetail}` : ''})`).join(', ')}`);
    }

    const changes = new Map<string, TileChange[]>();
    const tiles = new Map<string, StationUnit>();
    const jobs = new Map<string, FirmwareJob>();
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    unsubscribe.push(
      opened.events.on('station.unit', (unit) => {
        const seen = changes.get(unit.deviceId) ?? [];
        const last = seen.at(-1);
        if (last?.state !== unit.state || last.step !== unit.step) seen.push({ state: unit.state, step: unit.step, at: Date.now() });
        changes.set(unit.deviceId, seen);
        tiles.set(unit.deviceId, unit);
        if ([...tiles.values()].filter((tile) => VERDICTS.has(tile.state)).length === started.length) allDone();
      }),
      opened.events.on('firmware.job', (job) => void jobs.set(job.id, job)),
    );

    const sampler = await sampleProcessUsage();
    const machineSampler = sampleMachineUsage(started.map((node) => node.pid));
    let usage: ProcessUsage;
    let machine: MachineUsage;
    try {
      const state = await deadline(ok(opened, 'station.load', { file: choice.recipeFile }), STEP_DEADLINE_MS, 'station.load');
      if (state.units.length !== started.length) {
        throw new Error(`the station shows ${state.units.length} tiles for ${started.length} units: ${state.units.map((unit) => `${unit.label} ${unit.state}`).join(', ')}`);
      }
      await deadline(done, choice.finishDeadlineMs, `verdicts of ${started.length} units`);
    } finally {
      machine = machineSampler.stop();
      usage = await sampler.stop();
    }

    const runs = await deadline(ok(opened, 'station.runs', { limit: 1000 }), STEP_DEADLINE_MS, 'station.runs');
    const units = [...tiles.values()].map((tile): TrayUnit => {
      const run = runs.find((candidate) => candidate.id === tile.runId);
      const job = tile.firmwareJobId ? jobs.get(tile.firmwareJobId) : undefined;
      if (!run || !job) throw new Error(`${tile.label}: no ${run ? 'firmware job' : 'record'} for its run`);
      return { tile, changes: changes.get(tile.deviceId) ?? [], run, job };
    });
    // A benchmark of units that did not pass measures something other than a production flash.
    const notPassed = units.filter((unit) => unit.run.outcome !== 'passed');
    if (notPassed.length > 0) {
      throw new Error(`units that did not pass: ${notPassed.map((unit) => `${unit.tile.label}: ${unit.run.outcome} at ${unit.run.failureStep}: ${unit.run.failureReason}`).join('; ')}`);
    }
    const starts = units.map((unit) => Date.parse(unit.run.startedAt));
    const ends = units.map((unit) => Date.parse(unit.run.endedAt ?? ''));
    result = { units, wallMs: Math.max(...ends) - Math.min(...starts), usage, machine };
  } finally {
    for (const off of unsubscribe) off();
    if (core) await deadline(core.close(), STEP_DEADLINE_MS, 'core close');
    const stops = await Promise.allSettled(started.map((node) => node.stop()));
    data.remove();
    stuck = stops.find((stop): stop is PromiseRejectedResult => stop.status === 'rejected');
  }
  // Reached only when the tray itself went well: a node that would not stop is then the failure.
  if (stuck) throw stuck.reason;
  return result;
}
