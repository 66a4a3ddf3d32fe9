// Telling a reboot from the uptime: a device restarted between two readings when its uptime
// is less than it would be had it kept running, not merely less than the reading before.
// A reboot soon after power-up leaves an uptime barely lower, or even higher, than the
// one read just before the reset, so elapsed time must be counted in.

/** An uptime reading in seconds, and when it was taken (epoch ms). */
export interface UptimeSample {
  seconds: number;
  at: number;
}

/** Seconds per unit an uptime diagnostic may be given in. */
const SECONDS_PER_UNIT: Record<string, number> = { ms: 0.001, s: 1, min: 60, h: 3600 };

/** The reading's value in seconds, or null when it is not a number in a unit of time. */
export function uptimeSeconds(value: unknown, unit: string | null): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const factor = SECONDS_PER_UNIT[unit ?? 's'];
  return factor === undefined ? null : value * factor;
}

export function restartedBetween(earlier: UptimeSample, later: UptimeSample): boolean {
  // Whole seconds (a GATT uptime) can lag by up to one; finer readings by the read's own time.
  const slack = Number.isInteger(earlier.seconds) && Number.isInteger(later.seconds) ? 1 : 0.25;
  return later.seconds + slack < earlier.seconds + (later.at - earlier.at) / 1000;
}

/** "uptime 12.3 s → 0.05 s" */
export function describeRestart(earlier: UptimeSample, later: UptimeSample): string {
  return `uptime ${round(earlier.seconds)} s → ${round(later.seconds)} s`;
}

function round(seconds: number): number {
  return Number(seconds.toPrecision(4));
}
