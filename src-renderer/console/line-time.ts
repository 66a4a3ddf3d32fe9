// A console line's times: the host's clock when it arrived (HH:MM:SS.mmm, local time) and how
// long after the capture began (+mm:ss.mmm, with hours once there are any).
import { formatLogTime } from '../live-log/log-line';

export function formatClock(ms: number): string {
  return formatLogTime(new Date(ms).toISOString());
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

export function formatRelative(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  const abs = Math.round(Math.abs(ms));
  const millis = abs % 1000;
  const seconds = Math.floor(abs / 1000) % 60;
  const minutes = Math.floor(abs / 60_000) % 60;
  const hours = Math.floor(abs / 3_600_000);
  const tail = `${pad(minutes)}:${pad(seconds)}.${pad(millis, 3)}`;
  return hours > 0 ? `${sign}${hours}:${tail}` : `${sign}${tail}`;
}
