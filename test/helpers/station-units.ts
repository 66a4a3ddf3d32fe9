// Follows the bench station's tiles through its 'station.unit' events: the latest tile of each
// unit, every change seen, and how many units ran at once on each bus at any moment (a tile
// counts as running from the moment it leaves the queue until its verdict).
import type { StationUnit, StationUnitState } from '../../src-main/api/station-schemas';
import type { Transport } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { until } from './until';

const RUNNING: ReadonlySet<StationUnitState> = new Set(['flashing', 'testing', 'finishing']);
export const FINISHED: ReadonlySet<StationUnitState> = new Set(['passed', 'failed', 'unplugged', 'aborted']);

export interface StationWatcher {
  /** The latest tile of each unit seen, by device id. */
  tiles(): Map<string, StationUnit>;
  /** Every tile event in the order they came. */
  readonly seen: StationUnit[];
  /** The most units seen running at the same time on a bus. */
  peakRunning(transport: Transport): number;
  /** Resolves with the tiles once `test` holds for the latest ones (with a deadline). */
  until(what: string, test: (tiles: Map<string, StationUnit>) => boolean, deadlineMs: number): Promise<Map<string, StationUnit>>;
  stop(): void;
}

export function watchStation(core: Core): StationWatcher {
  const latest = new Map<string, StationUnit>();
  const seen: StationUnit[] = [];
  const peak = new Map<Transport, number>();
  const off = core.events.on('station.unit', (unit) => {
    seen.push(unit);
    latest.set(unit.deviceId, unit);
    const running = [...latest.values()].filter((u) => u.transport === unit.transport && RUNNING.has(u.state)).length;
    peak.set(unit.transport, Math.max(peak.get(unit.transport) ?? 0, running));
  });
  return {
    tiles: () => new Map(latest),
    seen,
    peakRunning: (transport) => peak.get(transport) ?? 0,
    until: (what, test, deadlineMs) =>
      until(what, () => (test(latest) ? new Map(latest) : null), deadlineMs, 20).catch((error: unknown) => {
        // Where each unit got to is what tells a hang from a slow unit.
        const where = [...latest.values()].map((u) => `${u.label}: ${u.state}${u.step ? ` (${u.step})` : ''}${u.reason ? `: ${u.reason}` : ''}`);
        throw new Error(`${error instanceof Error ? error.message : String(error)}; tiles: ${where.join('; ') || 'none seen'}`);
      }),
    stop: off,
  };
}

/** Every one of these units has a tile with a verdict. */
export function allFinished(deviceIds: readonly string[]) {
  return (tiles: Map<string, StationUnit>) => deviceIds.every((id) => {
    const tile = tiles.get(id);
    return tile !== undefined && FINISHED.has(tile.state);
  });
}
