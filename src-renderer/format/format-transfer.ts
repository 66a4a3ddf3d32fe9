// Sizes, rates and waiting times as a person at the bench reads them. Binary units (KiB,
// MiB) because flash slots and images are sized in powers of two, and a rate in KiB/s is
// what an SMP upload over a serial line actually reaches.
const KIB = 1024;
const MIB = 1024 * 1024;

function trimmed(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

/** "512 B", "12.5 KiB", "1.25 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < KIB) return `${Math.round(bytes)} B`;
  if (bytes < MIB) return `${trimmed(bytes / KIB, bytes < 10 * KIB ? 2 : 1)} KiB`;
  return `${trimmed(bytes / MIB, 2)} MiB`;
}

/** "11.2 KiB/s"; below 1 KiB/s in bytes, so a stalled link does not read as "0.0 KiB/s". */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—';
  if (bytesPerSecond < KIB) return `${Math.round(bytesPerSecond)} B/s`;
  if (bytesPerSecond < MIB) return `${trimmed(bytesPerSecond / KIB, 1)} KiB/s`;
  return `${trimmed(bytesPerSecond / MIB, 2)} MiB/s`;
}

/** "45 s left", "3 min 05 s left", "1 h 02 min left"; null while the rate is not yet known. */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return 'time left not known yet';
  const whole = Math.ceil(seconds);
  if (whole <= 1) return 'about a second left';
  if (whole < 60) return `${whole} s left`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s left`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min left`;
}

/** Whole percent, never 100 before the last byte (a bar at 100% that is still working misleads). */
export function percentOf(done: number, total: number): number {
  if (total <= 0) return 0;
  if (done >= total) return 100;
  return Math.min(99, Math.max(0, Math.floor((done / total) * 100)));
}
