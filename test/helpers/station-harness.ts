// A station under test: the real Station over the scriptable operations, a real production
// record in a temp SQLite file, real device profiles and real recipe files, and every event
// it sends checked against the contract and kept in order.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StationState, StationUnit } from '../../src-main/api/station-schemas';
import { events as contractEvents } from '../../src-main/api/contract';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { loadRecipe } from '../../src-main/core/station/load-recipe';
import { Station } from '../../src-main/core/station/station';
import type { StationTiming } from '../../src-main/core/station/station-unit-run';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { fixturePath } from './firmware-fixtures';
import { makeTempDir } from './temp-dir';
import { until } from './until';
import { FakeOperations } from './station-fake-operations';

const PROFILES = fileURLToPath(new URL('../../device-profiles', import.meta.url));

/** Short graces, so unplugs are seen in milliseconds; the station's logic is the same. */
export const TEST_TIMING: Partial<StationTiming> = { unplugGraceMs: 150, flashUnplugGraceMs: 150, flashGoneExtraMs: 100, identifyRetryMs: 10, cancelWaitMs: 500 };

export interface Harness {
  station: Station;
  operations: FakeOperations;
  store: CaseStore;
  profiles: ProfileRegistry;
  folder: string;
  /** Every 'station.unit' event, in order. */
  unitEvents: StationUnit[];
  stateEvents: StationState[];
  logs: string[];
  recipe(lines: Partial<Record<RecipeField, string | null>>, name?: string): string;
  tile(deviceId: string): StationUnit;
  untilState(deviceId: string, states: StationUnit['state'][], timeoutMs?: number): Promise<StationUnit>;
  close(): Promise<void>;
}

type RecipeField = 'profile' | 'image' | 'procedure' | 'onFail-procedure' | 'onPass' | 'onFail' | 'autoStart' | 'operatorRequired' | 'parallelism';

let profiles: ProfileRegistry | null = null;

export interface HarnessOptions {
  /** The sensor node profile's reboot timeout, for a test of what waits on it; the shipped profiles otherwise. */
  rebootTimeoutMs?: number;
  /** How long close() waits for running units, for a test of what it does once that is over. */
  closeDeadlineMs?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = makeTempDir('station');
  let loadedProfiles: ProfileRegistry;
  if (options.rebootTimeoutMs === undefined) {
    profiles ??= await ProfileRegistry.load(PROFILES);
    loadedProfiles = profiles;
  } else {
    const folder = join(dir.path, 'profiles');
    cpSync(PROFILES, folder, { recursive: true });
    const file = join(folder, 'sensor-node.json');
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { firmware: { rebootTimeoutMs?: number } };
    profile.firmware.rebootTimeoutMs = options.rebootTimeoutMs;
    writeFileSync(file, JSON.stringify(profile));
    loadedProfiles = await ProfileRegistry.load(folder);
    if (loadedProfiles.problems.length > 0) throw new Error(`the changed profile does not load: ${JSON.stringify(loadedProfiles.problems)}`);
  }
  const store = openCaseStore({ dataDir: dir.path });
  const operations = new FakeOperations();
  const unitEvents: StationUnit[] = [];
  const stateEvents: StationState[] = [];
  const logs: string[] = [];
  const station = new Station({
    operations,
    runs: store.stationRuns,
    profiles: loadedProfiles,
    loadRecipe: (file) => loadRecipe(file, loadedProfiles),
    station: 'bench-7',
    // Checked as the event bus checks them: a shape the contract refuses fails the test.
    emitState: (state) => stateEvents.push(contractEvents['station.state'].parse(state)),
    emitUnit: (unit) => unitEvents.push(contractEvents['station.unit'].parse(unit)),
    log: (level, message) => logs.push(`${level} ${message}`),
    timing: TEST_TIMING,
    ...(options.closeDeadlineMs !== undefined ? { closeDeadlineMs: options.closeDeadlineMs } : {}),
  });
  const tile = (deviceId: string) => {
    const found = station.state().units.find((u) => u.deviceId === deviceId);
    if (!found) throw new Error(`no tile for ${deviceId}`);
    return found;
  };
  return {
    station,
    operations,
    store,
    profiles: loadedProfiles,
    folder: dir.path,
    unitEvents,
    stateEvents,
    logs,
    recipe: (fields, name = 'recipe.yaml') => {
      const value = (field: RecipeField, fallback: string | null) => (field in fields ? fields[field]! : fallback);
      const dfu = value('profile', 'fieldbench-sensor-node') !== 'fieldbench-sensor-node';
      const image = value('image', dfu ? fixturePath('dfu', 'stm32-two-elements.dfu') : fixturePath('mcuboot', 'app-2.0.0-ecdsa-p256.bin'))!;
      const procedure = value('procedure', dfu ? null : 'bench-bring-up');
      const lines = [
        'format: fieldbench-recipe/1',
        'id: tray-flash',
        'name: Tray flash',
        'revision: "3"',
        `profile: ${value('profile', 'fieldbench-sensor-node')}`,
        'firmware:',
        `  file: ${relative(dir.path, image)}`,
        ...(procedure ? ['procedure:', `  id: ${procedure}`, `  onFail: ${value('onFail-procedure', 'continue')}`] : []),
        `onPass: ${value('onPass', dfu ? 'reset' : 'confirm')}`,
        `onFail: ${value('onFail', 'reset')}`,
        `autoStart: ${value('autoStart', 'true')}`,
        `operatorRequired: ${value('operatorRequired', 'false')}`,
        ...(value('parallelism', null) ? ['parallelism:', `  serial: ${fields.parallelism}`, `  usb: ${fields.parallelism}`] : []),
      ];
      const file = join(dir.path, name);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    },
    tile,
    untilState: (deviceId, states, timeoutMs = 5000) =>
      until(`${deviceId} to be ${states.join(' or ')}`, () => {
        const found = station.state().units.find((u) => u.deviceId === deviceId);
        return found && states.includes(found.state) ? found : null;
      }, timeoutMs),
    close: async () => {
      await station.close();
      store.close();
      dir.remove();
    },
  };
}
