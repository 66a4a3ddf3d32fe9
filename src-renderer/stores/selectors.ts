// Derived views of store state, kept out of components so they can be tested under Node
// and so every screen words things the same way.
import type { CaseStatus, CaseSummary, Device, DiscoveryStatus, Reading, ReadingStatus } from '../../src-main/api/schemas';
import type { ConnectionState } from '../api/connection-state';
import type { NoteSaveStatus } from './note-autosave';

export const readingStatusLabel: Record<ReadingStatus, string> = {
  ok: 'OK',
  warn: 'Warning',
  fail: 'Fail',
  error: 'Error',
};

export const caseStatusLabel: Record<CaseStatus, string> = { open: 'Open', waiting: 'Waiting', resolved: 'Resolved' };

export const deviceStateLabel: Record<Device['state'], string> = {
  present: 'Present',
  identifying: 'Identifying…',
  ready: 'Ready',
  busy: 'Busy',
  unresponsive: 'Not answering',
  unknown: 'Not recognised',
  recovery: 'In bootloader (recovery)',
  error: 'Error',
};

/** How the state should look: good, working, warning or bad. */
export function deviceStateTone(state: Device['state']): 'ok' | 'busy' | 'warn' | 'fail' {
  switch (state) {
    case 'ready':
      return 'ok';
    case 'present':
    case 'identifying':
    case 'busy':
      return 'busy';
    case 'unknown':
    case 'recovery':
      return 'warn';
    case 'unresponsive':
    case 'error':
      return 'fail';
  }
}

export const transportLabel: Record<Device['transport'], string> = { serial: 'Serial', usb: 'USB', ble: 'Bluetooth LE' };

/** What a person calls this device: its model and serial once known, else its port. */
export function deviceName(device: Pick<Device, 'identity' | 'profileName' | 'path'> & { usb?: Device['usb']; ble?: Device['ble'] }): string {
  if (device.identity) return `${device.profileName ?? device.identity.model} ${device.identity.serialNumber}`;
  // A BLE device is known by what it advertises until it is read; its address is what stays.
  const ble = device.ble;
  if (ble) return `${device.profileName ?? ble.name ?? 'Bluetooth LE device'} (${ble.address})`;
  // A USB device names itself in its descriptors; its serial number outlives a re-enumeration, its path does not.
  const usb = device.usb;
  if (usb) return `${device.profileName ?? usb.product ?? 'USB device'} ${usb.serialNumber ?? `${usb.vendorId}:${usb.productId}`}`;
  if (device.profileName) return `${device.profileName} on ${device.path}`;
  return device.path;
}

export interface ReadingSummary {
  total: number;
  counts: Record<ReadingStatus, number>;
  /** The worst status present, or null with no readings. */
  worst: ReadingStatus | null;
}

const severity: Record<ReadingStatus, number> = { ok: 0, warn: 1, fail: 2, error: 3 };

export function summarizeReadings(readings: readonly Reading[]): ReadingSummary {
  const counts: Record<ReadingStatus, number> = { ok: 0, warn: 0, fail: 0, error: 0 };
  let worst: ReadingStatus | null = null;
  for (const reading of readings) {
    counts[reading.status] += 1;
    if (worst === null || severity[reading.status] > severity[worst]) worst = reading.status;
  }
  return { total: readings.length, counts, worst };
}

/** "7 readings: 5 OK, 1 warning, 1 fail" — the line above a diagnostics table. */
export function describeReadingSummary(summary: ReadingSummary): string {
  if (summary.total === 0) return 'No readings';
  const parts: string[] = [];
  if (summary.counts.ok) parts.push(`${summary.counts.ok} OK`);
  if (summary.counts.warn) parts.push(`${summary.counts.warn} ${summary.counts.warn === 1 ? 'warning' : 'warnings'}`);
  if (summary.counts.fail) parts.push(`${summary.counts.fail} fail`);
  if (summary.counts.error) parts.push(`${summary.counts.error} ${summary.counts.error === 1 ? 'error' : 'errors'}`);
  return `${summary.total} ${summary.total === 1 ? 'reading' : 'readings'}: ${parts.join(', ')}`;
}

/** A reading's value with its unit, as read off a bench meter. */
export function formatReadingValue(reading: Pick<Reading, 'value' | 'unit'>): string {
  const { value, unit } = reading;
  if (value === null) return '—';
  let text: string;
  if (typeof value === 'boolean') text = value ? 'Yes' : 'No';
  else if (typeof value === 'number') text = Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
  else text = value;
  if (!unit) return text;
  return unit === '%' ? `${text}${unit}` : `${text} ${unit}`;
}

/** "(scan of /dev)", "(udev), not available", or just "not available" when that is the method. */
export function discoveryMethodText(status: Pick<DiscoveryStatus, 'method' | 'available'>): string {
  if (status.available) return `(${status.method})`;
  return status.method === 'not available' ? 'not available' : `(${status.method}), not available`;
}

/** Discovery transports the device list must warn about. */
export function degradedDiscovery(discovery: readonly DiscoveryStatus[]): DiscoveryStatus[] {
  return discovery.filter((d) => !d.available || d.note !== null);
}

export function noteStatusText(status: NoteSaveStatus): string {
  switch (status.kind) {
    case 'new':
      return 'Not saved yet — start typing';
    case 'saving':
      return 'Saving…';
    case 'saved':
      return 'Saved';
    case 'failed':
      return `Not saved — ${status.reason}, retrying`;
  }
}

export function connectionText(state: ConnectionState, now: number): string {
  switch (state.status) {
    case 'open':
      return 'Connected';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting': {
      if (state.retryAt === null) return 'Reconnecting…';
      const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      return seconds > 0 ? `Disconnected — retrying in ${seconds} s` : 'Reconnecting…';
    }
    case 'closed':
      return 'Disconnected';
  }
}

export function casesWithStatus(cases: readonly CaseSummary[], filter: CaseStatus | 'all'): CaseSummary[] {
  return filter === 'all' ? [...cases] : cases.filter((c) => c.status === filter);
}
