// The bench station: a loaded recipe, a tile per unit its profile matches, and the runs on
// them, bounded per bus. It follows the device list (a unit plugged in gets a tile and, with
// auto-start, a run; a USB unit re-enumerating keeps its tile), starts and aborts runs, and
// tells the doors every change. Each run is its own promise: one unit's failure, hang or
// unplug never reaches another.
import { FieldbenchError } from '../../api/errors';
import type { Device, Transport } from '../../api/schemas';
import type { StationCounts, StationRecipe, StationState, StationUnit } from '../../api/station-schemas';
import { INTERRUPTED_REASON, type StationRuns } from '../../store/station-runs';
import { isOperatorStep } from '../procedures/step-execution';
import type { ProfileRegistry } from '../profiles/profile-registry';
import { DEFAULT_REBOOT_TIMEOUT_MS } from '../firmware/update-session';
import { BusSlots } from './bus-slots';
import type { LoadedRecipe } from './load-recipe';
import type { StationOperations } from './station-operations';
import { DEFAULT_STATION_TIMING, runStationUnit, type StationTiming, type UnitStop } from './station-unit-run';
import { countUnits, isReadyToStart, isUnderWay, newTile, noRunYet, serialNumberOf, UnitPresence } from './station-units';

export interface StationDeps {
  operations: StationOperations;
  runs: StationRuns;
  profiles: ProfileRegistry;
  /** Reads and checks a recipe file (load-recipe's loadRecipe over the profiles). */
  loadRecipe(file: string): Promise<LoadedRecipe>;
  /** This host, as records name the station. */
  station: string;
  emitState(state: StationState): void;
  emitUnit(unit: StationUnit): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  timing?: Partial<StationTiming>;
  /** Least time between two progress-only events of one unit. */
  progressEveryMs?: number;
  /** How long close() waits for running units to stop before recording them itself; CLOSE_DEADLINE_MS unless a test asks for less. */
  closeDeadlineMs?: number;
}

/** How long close() waits for running units to stop before recording them itself. */
const CLOSE_DEADLINE_MS = 10_000;
const DEFAULT_PROGRESS_EVERY_MS = 250;

interface Tile {
  unit: StationUnit;
  presence: UnitPresence;
  /** The run under way (queued or running), with its stop. */
  active: { controller: AbortController; done: Promise<void> } | null;
  /** Progress-only changes wait here to be sent, at most every progressEveryMs. */
  lastEmit: number;
  /** The tile as last sent. */
  lastShown: string;
  pendingEmit: ReturnType<typeof setTimeout> | null;
}

type EndedCounts = Omit<StationCounts, 'waiting' | 'running'>;

export class Station {
  private loaded: LoadedRecipe | null = null;
  private loadedAt: string | null = null;
  private operator: string | null = null;
  private autoStartOverride: boolean | null = null;
  private readonly tiles = new Map<string, Tile>();
  private ended: EndedCounts = emptyCounts();
  /** Serial numbers (or device ids, for a unit that has none) that ran in this session, with how their last run ended. */
  private readonly ranThisSession = new Map<string, { outcome: string; at: string }>();
  /** Units taken out of the queue by the operator: they wait for Start rather than auto-start again. */
  private readonly heldBack = new Set<string>();
  private readonly slots: BusSlots<Transport>;
  private readonly timing: StationTiming;
  private readonly unsubscribe: () => void;
  private closing = false;
  /** close() has returned: a run still on its way to a safe point is no longer shown. */
  private closed = false;

  constructor(private readonly deps: StationDeps) {
    this.timing = { ...DEFAULT_STATION_TIMING, ...deps.timing };
    this.slots = new BusSlots<Transport>((bus) => this.loaded?.recipe.parallelism[bus] ?? 1);
    this.unsubscribe = deps.operations.onDevicesChanged((devices) => this.follow(devices));
  }

  // ---------------------------------------------------------------- requests

  state(): StationState {
    const recipe = this.loaded?.recipe;
    const units = [...this.tiles.values()].map((tile) => ({ ...tile.unit }));
    const bus = (transport: Transport) => ({ running: this.slots.running(transport), limit: recipe?.parallelism[transport] ?? 1 });
    return {
      recipe: this.loaded ? recipeView(this.loaded, this.deps.profiles) : null,
      station: this.deps.station,
      operator: this.operator,
      autoStart: this.autoStart,
      units,
      counts: countUnits(units, this.ended),
      buses: { serial: bus('serial'), usb: bus('usb'), ble: bus('ble') },
      loadedAt: this.loadedAt,
    };
  }

  async load(file: string): Promise<StationState> {
    this.refuseWhileRunning('load recipe', 'Abort the units under way, or wait for them to finish, then load the recipe.');
    const loaded = await this.deps.loadRecipe(file);
    // Checked again: a unit may have been started while the recipe was read.
    this.refuseWhileRunning('load recipe', 'Abort the units under way, or wait for them to finish, then load the recipe.');
    this.clearTiles();
    this.loaded = loaded;
    this.loadedAt = new Date().toISOString();
    this.autoStartOverride = null;
    this.ended = emptyCounts();
    this.ranThisSession.clear();
    this.heldBack.clear();
    for (const warning of loaded.warnings) this.deps.log('warn', `station: recipe ${loaded.recipe.id}: ${warning}`);
    this.deps.log('info', `station: loaded recipe ${loaded.recipe.id} ${loaded.recipe.revision} (${loaded.file}): ${loaded.checked.join('; ')}`);
    this.follow(this.deps.operations.devices(), false);
    this.emitState();
    this.autoStartWaiting();
    return this.state();
  }

  unload(): StationState {
    this.refuseWhileRunning('unload recipe', 'Abort the units under way, or wait for them to finish, then unload.');
    this.clearTiles();
    this.loaded = null;
    this.loadedAt = null;
    this.autoStartOverride = null;
    this.ended = emptyCounts();
    this.ranThisSession.clear();
    this.heldBack.clear();
    this.emitState();
    return this.state();
  }

  setOperator(operator: string): StationState {
    this.operator = operator.trim();
    for (const tile of this.tiles.values()) {
      if (tile.unit.state === 'waiting' && tile.unit.note === OPERATOR_NOTE) {
        tile.unit.note = null;
        this.emitUnit(tile, false);
      }
    }
    this.emitState();
    this.autoStartWaiting();
    return this.state();
  }

  setAutoStart(autoStart: boolean): StationState {
    this.autoStartOverride = autoStart;
    this.emitState();
    this.autoStartWaiting();
    return this.state();
  }

  /** Starts one unit (again, if it ran), or every waiting unit that has not run in this session. */
  start(deviceId?: string): StationState {
    const loaded = this.requireRecipe('start');
    this.refuseWithoutOperator(loaded);
    if (deviceId === undefined) {
      for (const tile of this.tiles.values()) {
        if (tile.unit.state === 'waiting' && tile.unit.present && !this.hasRun(tile.unit)) this.launch(tile);
      }
      return this.state();
    }
    const tile = this.tiles.get(deviceId);
    if (!tile) {
      const device = this.deps.operations.devices().find((d) => d.id === deviceId);
      throw new FieldbenchError({
        code: device ? 'invalid-request' : 'not-found',
        message: device ? `the recipe ${loaded.recipe.id} is for ${loaded.recipe.profile} devices, and this one is ${device.profileId ?? 'not recognised'}` : `no device ${deviceId} on the station`,
        ...(device ? { device: device.path } : {}),
        step: 'start unit',
        hint: device ? 'Start a unit the recipe is for, or load the recipe for this device.' : 'Look at the station for the units it shows; the device may have been unplugged.',
      });
    }
    if (isUnderWay(tile.unit)) {
      throw new FieldbenchError({ code: 'device-busy', message: `the unit is already ${tile.unit.state}`, device: tile.unit.label, step: 'start unit', hint: 'Wait for its run to end, or abort it first.' });
    }
    if (!tile.unit.present) {
      throw new FieldbenchError({ code: 'device-gone', message: 'the unit is not connected', device: tile.unit.label, step: 'start unit', hint: 'Plug it back in, then start it.' });
    }
    this.launch(tile);
    return this.state();
  }

  abort(deviceId: string, reason?: string): StationState {
    const tile = this.tiles.get(deviceId);
    if (!tile) {
      throw new FieldbenchError({ code: 'not-found', message: `no unit ${deviceId} on the station`, step: 'abort unit', hint: 'Look at the station for the units it shows.' });
    }
    if (!tile.active) {
      throw new FieldbenchError({ code: 'invalid-request', message: `the unit is not running (it is ${tile.unit.state})`, device: tile.unit.label, step: 'abort unit', hint: 'Only a queued or running unit can be aborted.' });
    }
    const by = `aborted by ${this.operator ?? 'the operator'}${reason ? `: ${reason}` : ''}`;
    tile.active.controller.abort({ reason: by, closing: false } satisfies UnitStop);
    return this.state();
  }

  /** Stops every run (recorded as aborted: Fieldbench stopped), bounded, and stops following the device list. */
  async close(): Promise<void> {
    this.closing = true;
    this.unsubscribe();
    const running = [...this.tiles.values()].filter((tile) => tile.active);
    for (const tile of running) tile.active!.controller.abort({ reason: INTERRUPTED_REASON, closing: true } satisfies UnitStop);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled(running.map((tile) => tile.active?.done)), new Promise((resolve) => (timer = setTimeout(resolve, this.deps.closeDeadlineMs ?? CLOSE_DEADLINE_MS)))]);
    clearTimeout(timer);
    for (const tile of this.tiles.values()) {
      if (tile.pendingEmit) clearTimeout(tile.pendingEmit);
      const runId = tile.unit.runId;
      if (!tile.active || runId === null) continue;
      // Still not stopped: record it ended here, so the record does not wait for the next start.
      try {
        this.deps.runs.finish(runId, { outcome: 'aborted', failureStep: tile.unit.state, failureReason: INTERRUPTED_REASON });
      } catch (error) {
        this.deps.log('warn', `station: could not close run ${runId}: ${String(error)}`);
      }
    }
    this.closed = true;
  }

  // ---------------------------------------------------------------- tiles

  /** The device list changed: tiles for new matching units, rebinding for a unit back under a new id, removal of idle tiles whose unit left. */
  private follow(devices: Device[], announce = true): void {
    if (!this.loaded || this.closing) return;
    const profileId = this.loaded.recipe.profile;
    const listed = new Map(devices.map((device) => [device.id, device]));
    let structural = false;
    for (const [deviceId, tile] of [...this.tiles]) {
      // Listed under its id is enough for a unit that has a tile: a USB board in its
      // bootloader is another product (and often another profile), but the same unit.
      const device = listed.get(deviceId);
      const present = device !== undefined;
      if (tile.unit.present !== present) {
        tile.unit.present = present;
        tile.presence.set(present);
        if (!present && !tile.active) {
          this.tiles.delete(deviceId);
          structural = true;
          continue;
        }
        if (device && !tile.active) this.backAfterRun(tile);
        if (device) this.refreshTile(tile, device);
        this.emitUnit(tile, false);
      } else if (device && !tile.active) {
        this.refreshTile(tile, device);
      }
    }
    for (const device of devices) {
      if (this.tiles.has(device.id)) continue;
      const serial = serialNumberOf(device);
      const absent = serial === null ? undefined : [...this.tiles.values()].find((tile) => !tile.unit.present && tile.unit.serialNumber === serial);
      if (absent) {
        this.rebind(absent, device);
      } else if (device.profileId === profileId && device.state !== 'unknown') {
        this.tiles.set(device.id, { unit: newTile(device), presence: new UnitPresence(), active: null, lastEmit: 0, lastShown: '', pendingEmit: null });
        structural = true;
      }
    }
    if (structural && announce) this.emitState();
    if (announce) this.autoStartWaiting();
  }

  /** A unit whose device came back under another id (a USB device re-enumerated): the tile and its run follow it. */
  private rebind(tile: Tile, device: Device): void {
    const oldId = tile.unit.deviceId;
    const entries = [...this.tiles].map(([id, t]): [string, Tile] => (id === oldId ? [device.id, t] : [id, t]));
    this.tiles.clear();
    for (const [id, t] of entries) this.tiles.set(id, t);
    tile.unit.deviceId = device.id;
    tile.unit.present = true;
    tile.presence.set(true);
    if (!tile.active) this.backAfterRun(tile);
    this.refreshTile(tile, device);
    this.deps.log('info', `station: unit ${tile.unit.serialNumber ?? oldId} is back as ${device.id} (was ${oldId})`);
    this.emitUnit(tile, false);
    this.emitState();
  }

  /** A unit whose run ended while it was away is back: it waits again, its last verdict in the note. */
  private backAfterRun(tile: Tile): void {
    if (tile.unit.state === 'waiting') return;
    Object.assign(tile.unit, { state: 'waiting', step: null, progress: null, prompt: null } satisfies Partial<StationUnit>);
  }

  private refreshTile(tile: Tile, device: Device): void {
    const serial = serialNumberOf(device);
    const label = device.path;
    if (serial === tile.unit.serialNumber && label === tile.unit.label) return;
    if (serial !== null) tile.unit.serialNumber = serial;
    tile.unit.label = label;
    this.emitUnit(tile, false);
  }

  private clearTiles(): void {
    for (const tile of this.tiles.values()) if (tile.pendingEmit) clearTimeout(tile.pendingEmit);
    this.tiles.clear();
  }

  // ---------------------------------------------------------------- runs

  private get autoStart(): boolean {
    return this.autoStartOverride ?? this.loaded?.recipe.autoStart ?? false;
  }

  private autoStartWaiting(): void {
    const loaded = this.loaded;
    if (!loaded || this.closing) return;
    const devices = new Map(this.deps.operations.devices().map((device) => [device.id, device]));
    for (const tile of this.tiles.values()) {
      if (tile.unit.state !== 'waiting' || !tile.unit.present) continue;
      const note = this.waitingNote(loaded, tile);
      this.setNote(tile, note);
      if (note !== null || !this.autoStart) continue;
      const device = devices.get(tile.unit.deviceId);
      if (device && isReadyToStart(device)) this.launch(tile);
      else if (device) this.setNote(tile, `starts once the unit is ready (it is ${device.state}${device.stateDetail ? `: ${device.stateDetail}` : ''})`);
    }
  }

  private setNote(tile: Tile, note: string | null): void {
    if (note === tile.unit.note) return;
    tile.unit.note = note;
    this.emitUnit(tile, false);
  }

  /** Why a waiting unit does not start by itself; null when nothing holds it. */
  private waitingNote(loaded: LoadedRecipe, tile: Tile): string | null {
    if (loaded.recipe.operatorRequired && this.operator === null) return OPERATOR_NOTE;
    const ran = this.ranThisSession.get(sessionKey(tile.unit));
    if (ran) return `${ran.outcome} at ${clockTime(ran.at)}; press Start to run it again`;
    if (this.heldBack.has(sessionKey(tile.unit))) return HELD_BACK_NOTE;
    return null;
  }

  private hasRun(unit: StationUnit): boolean {
    return this.ranThisSession.has(sessionKey(unit));
  }

  private launch(tile: Tile): void {
    const loaded = this.loaded!;
    const controller = new AbortController();
    this.heldBack.delete(sessionKey(tile.unit));
    Object.assign(tile.unit, noRunYet('queued', new Date().toISOString()));
    const bus = tile.unit.transport;
    const done = (async () => {
      let release: (() => void) | null = null;
      try {
        release = await this.slots.acquire(bus, controller.signal);
      } catch {
        // Left the queue before it ran: back to waiting, nothing recorded.
        this.heldBack.add(sessionKey(tile.unit));
        tile.active = null;
        Object.assign(tile.unit, { state: 'waiting', startedAt: null, note: HELD_BACK_NOTE } satisfies Partial<StationUnit>);
        this.emitUnit(tile, false);
        this.emitState();
        return;
      }
      try {
        this.emitState();
        const verdict = await runStationUnit({
          unit: tile.unit,
          loaded,
          operations: this.deps.operations,
          runs: this.deps.runs,
          station: this.deps.station,
          operator: this.operator,
          rebootTimeoutMs: this.rebootTimeoutMs(loaded),
          presence: tile.presence,
          signal: controller.signal,
          timing: this.timing,
          changed: (progressOnly) => this.emitUnit(tile, progressOnly),
          log: this.deps.log,
        });
        this.ended[verdict.outcome] += 1;
        this.ranThisSession.set(sessionKey(tile.unit), { outcome: verdict.outcome, at: tile.unit.endedAt ?? new Date().toISOString() });
        this.deps.log('info', `station: ${tile.unit.label} (${tile.unit.serialNumber ?? 'no serial number'}): ${verdict.outcome}${verdict.reason ? ` at ${verdict.failureStep}: ${verdict.reason}` : ''}`);
      } catch (error) {
        this.deps.log('error', `station: ${tile.unit.label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      } finally {
        release();
        tile.active = null;
      }
      if (this.closing) return;
      // A unit that left during its run keeps its tile, showing the verdict, until it is back or the recipe changes.
      this.emitUnit(tile, false);
      this.emitState();
    })();
    tile.active = { controller, done };
    this.emitUnit(tile, false);
    this.emitState();
  }

  private rebootTimeoutMs(loaded: LoadedRecipe): number {
    const firmware = this.deps.profiles.get(loaded.recipe.profile)?.firmware;
    return (firmware?.method === 'mcumgr-serial' ? firmware.rebootTimeoutMs : undefined) ?? DEFAULT_REBOOT_TIMEOUT_MS;
  }

  // ---------------------------------------------------------------- refusals

  private requireRecipe(step: string): LoadedRecipe {
    if (this.loaded) return this.loaded;
    throw new FieldbenchError({ code: 'invalid-request', message: 'no recipe is loaded', step, hint: 'Load a recipe first (station.load).' });
  }

  private refuseWithoutOperator(loaded: LoadedRecipe): void {
    if (!loaded.recipe.operatorRequired || this.operator !== null) return;
    throw new FieldbenchError({ code: 'invalid-request', message: `the recipe ${loaded.recipe.id} requires the operator's name before any unit starts`, step: 'start unit', hint: 'Enter who runs the station, then start.' });
  }

  private refuseWhileRunning(step: string, hint: string): void {
    const busy = [...this.tiles.values()].filter((tile) => tile.active);
    if (busy.length === 0) return;
    throw new FieldbenchError({
      code: 'device-busy',
      message: `${busy.length} unit${busy.length === 1 ? ' is' : 's are'} queued or running (${busy.map((tile) => tile.unit.serialNumber ?? tile.unit.label).join(', ')})`,
      device: busy[0]!.unit.label,
      step,
      hint,
    });
  }

  // ---------------------------------------------------------------- events

  private emitState(): void {
    if (this.closing) return;
    this.deps.emitState(this.state());
  }

  private emitUnit(tile: Tile, progressOnly: boolean): void {
    // Closing, only a running unit's end is still told; once closed, nothing.
    if (this.closed || (this.closing && (progressOnly || !tile.active))) return;
    const every = this.deps.progressEveryMs ?? DEFAULT_PROGRESS_EVERY_MS;
    const now = Date.now();
    if (progressOnly && now - tile.lastEmit < every) {
      tile.pendingEmit ??= setTimeout(() => {
        tile.pendingEmit = null;
        this.emitUnit(tile, false);
      }, every - (now - tile.lastEmit));
      return;
    }
    if (tile.pendingEmit) {
      clearTimeout(tile.pendingEmit);
      tile.pendingEmit = null;
    }
    tile.lastEmit = now;
    // Several parts of a run may report the same tile; the doors hear each state once.
    const shown = JSON.stringify(tile.unit);
    if (shown === tile.lastShown) return;
    tile.lastShown = shown;
    this.deps.emitUnit({ ...tile.unit });
  }
}

const OPERATOR_NOTE = 'Enter who runs the station to start';
const HELD_BACK_NOTE = 'taken out of the queue; press Start to run it';

function emptyCounts(): EndedCounts {
  return { passed: 0, failed: 0, unplugged: 0, aborted: 0 };
}

function sessionKey(unit: StationUnit): string {
  return unit.serialNumber ?? unit.deviceId;
}

/** "14:02:11", local time, as the operator's clock on the wall shows it. */
function clockTime(iso: string): string {
  const date = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

function recipeView(loaded: LoadedRecipe, profiles: ProfileRegistry): StationRecipe {
  const { recipe, image } = loaded;
  const profile = profiles.get(recipe.profile);
  const procedure = recipe.procedure ? profile?.procedures?.find((p) => p.id === recipe.procedure!.id) : undefined;
  return {
    file: loaded.file,
    id: recipe.id,
    name: recipe.name,
    description: recipe.description,
    revision: recipe.revision,
    recipeSha256: loaded.recipeSha256,
    profileId: recipe.profile,
    profileName: profile?.name ?? recipe.profile,
    method: profile?.firmware?.method === 'usb-dfu' ? 'usb-dfu' : 'mcumgr-serial',
    image: { fileName: image.fileName, sha256: image.sha256, bootloaderHash: image.bootloaderHash, version: image.version, size: image.size },
    procedure: recipe.procedure
      ? {
          id: recipe.procedure.id,
          name: procedure?.name ?? recipe.procedure.id,
          onFail: recipe.procedure.onFail,
          operatorSteps: procedure?.steps.filter(isOperatorStep).length ?? 0,
        }
      : null,
    onPass: recipe.onPass,
    onFail: recipe.onFail,
    parallelism: recipe.parallelism,
    operatorRequired: recipe.operatorRequired,
    checked: loaded.checked,
    warnings: loaded.warnings,
  };
}
