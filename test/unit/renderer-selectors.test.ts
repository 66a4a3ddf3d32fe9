// Wording and routing shared by every screen: reading summaries and values, discovery
// notes, note and connection status lines, and the hash routes.
import { describe, expect, it } from 'vitest';
import type { DiscoveryStatus, Reading } from '../../src-main/api/schemas';
import { hrefFor, parseHash, sectionOf, type Route } from '../../src-renderer/router/routes';
import {
  connectionText,
  degradedDiscovery,
  describeReadingSummary,
  deviceName,
  deviceStateTone,
  formatReadingValue,
  noteStatusText,
  summarizeReadings,
} from '../../src-renderer/stores/selectors';

const reading = (status: Reading['status']): Reading => ({
  id: status,
  label: status,
  value: 1,
  unit: null,
  status,
  limits: null,
  message: null,
  readAt: '2026-01-01T00:00:00Z',
});

describe('readings', () => {
  it('counts statuses and finds the worst', () => {
    const summary = summarizeReadings(['ok', 'ok', 'warn', 'fail'].map((s) => reading(s as Reading['status'])));
    expect(summary).toEqual({ total: 4, counts: { ok: 2, warn: 1, fail: 1, error: 0 }, worst: 'fail' });
    expect(describeReadingSummary(summary)).toBe('4 readings: 2 OK, 1 warning, 1 fail');
    expect(describeReadingSummary(summarizeReadings([]))).toBe('No readings');
    expect(summarizeReadings([reading('error'), reading('fail')]).worst).toBe('error');
  });

  it('formats values with their units', () => {
    expect(formatReadingValue({ value: 3.91234, unit: 'V' })).toBe('3.912 V');
    expect(formatReadingValue({ value: 87, unit: '%' })).toBe('87%');
    expect(formatReadingValue({ value: 'PASS', unit: null })).toBe('PASS');
    expect(formatReadingValue({ value: true, unit: null })).toBe('Yes');
    expect(formatReadingValue({ value: null, unit: 'V' })).toBe('—');
  });
});

describe('devices', () => {
  it('names a device by profile and serial once identified, else by port', () => {
    expect(deviceName({ identity: { model: 'sensor-node', serialNumber: 'SN-1', firmwareVersion: '1' }, profileName: 'Sensor Node', path: '/dev/pts/1' })).toBe(
      'Sensor Node SN-1',
    );
    expect(deviceName({ identity: null, profileName: null, path: '/dev/ttyS0' })).toBe('/dev/ttyS0');
    expect(deviceStateTone('unresponsive')).toBe('fail');
    expect(deviceStateTone('identifying')).toBe('busy');
  });

  it('lists only the discovery transports that need a word', () => {
    const discovery: DiscoveryStatus[] = [
      { transport: 'serial', method: 'udev', available: true, note: null },
      { transport: 'usb', method: 'not available', available: false, note: 'No USB bus here.' },
      { transport: 'ble', method: 'scan', available: true, note: 'BlueZ is old.' },
    ];
    expect(degradedDiscovery(discovery).map((d) => d.transport)).toEqual(['usb', 'ble']);
  });
});

describe('status lines', () => {
  it('words the note status', () => {
    expect(noteStatusText({ kind: 'saving' })).toBe('Saving…');
    expect(noteStatusText({ kind: 'saved', revision: 2 })).toBe('Saved');
    expect(noteStatusText({ kind: 'failed', reason: 'not connected to Fieldbench', retryInMs: 1000, failures: 1 })).toBe(
      'Not saved — not connected to Fieldbench, retrying',
    );
  });

  it('words the connection, with a countdown while waiting to retry', () => {
    const base = { door: 'browser' as const, attempt: 1, reason: 'closed' };
    expect(connectionText({ ...base, status: 'open', retryAt: null }, 0)).toBe('Connected');
    expect(connectionText({ ...base, status: 'reconnecting', retryAt: 4_200 }, 1_000)).toBe('Disconnected — retrying in 4 s');
    expect(connectionText({ ...base, status: 'reconnecting', retryAt: null }, 0)).toBe('Reconnecting…');
    expect(connectionText({ ...base, status: 'closed', retryAt: null }, 0)).toBe('Disconnected');
  });
});

describe('hash routes', () => {
  it('round-trips every route, including ids with slashes and colons', () => {
    const routes: Route[] = [
      { name: 'devices' },
      { name: 'device', deviceId: 'serial:/dev/ttyUSB0' },
      { name: 'cases' },
      { name: 'case', caseId: '11111111-1111-4111-8111-111111111111' },
    ];
    for (const route of routes) expect(parseHash(hrefFor(route))).toEqual(route);
  });

  it('starts on the device list and reports unknown paths', () => {
    expect(parseHash('')).toEqual({ name: 'devices' });
    expect(parseHash('#/')).toEqual({ name: 'devices' });
    expect(parseHash('#/cases/')).toEqual({ name: 'cases' });
    expect(parseHash('#/nowhere')).toEqual({ name: 'not-found', path: '/nowhere' });
    expect(parseHash('#/devices/%E0%A4%A')).toMatchObject({ name: 'not-found' });
    expect(parseHash('#/cases/a/b')).toMatchObject({ name: 'not-found' });
    expect(sectionOf({ name: 'case', caseId: 'x' })).toBe('cases');
  });
});
