// A capture's meta file: replaced whole, read back with its rules, and a capture whose meta
// is missing or broken still listed from its file.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureIds, readCaptureMeta, readCaptureMetaFile, sortNewestFirst, summariseFinishedCapture, UNKNOWN_DEVICE, writeCaptureMeta } from '../../src-main/core/logs/capture-meta';
import type { CaptureMeta } from '../../src-main/core/logs/capture-service';
import { openLogCapture } from '../../src-main/core/logs/log-capture-file';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'fieldbench-capture-meta-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const meta = (captureId: string, startedAt: string): CaptureMeta => ({
  captureId,
  deviceId: 'serial:/dev/ttyACM0',
  device: 'Sensor Node SN-0042',
  serialNumber: 'SN-0042',
  profileId: 'sensor-node',
  source: 'serial',
  settings: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
  startedAt,
  endedAt: null,
});

function writeLines(captureId: string, times: number[]): void {
  const capture = openLogCapture({ folder, session: captureId, device: 'test' });
  for (const time of times) capture.append(`line at ${time}`, { time });
  capture.close();
}

describe('capture meta', () => {
  it('replaces the file whole and reads back the meta and its rules', () => {
    const first = meta('a', '2026-11-27T10:00:00.000Z');
    const rules = { levelPatterns: [{ regex: '^E ', level: 'error' as const }], knownIssues: [{ id: 'x', title: 'X', regex: 'x', source: 'profile' as const }], bootBanner: 'Booting' };
    writeCaptureMeta(folder, first, rules);
    writeCaptureMeta(folder, { ...first, endedAt: '2026-11-27T11:00:00.000Z' }, rules);
    expect(readCaptureMeta(folder, 'a')).toEqual({ ...first, endedAt: '2026-11-27T11:00:00.000Z' });
    expect(readCaptureMetaFile(folder, 'a')?.rules).toEqual(rules);
    // No temporary file is left behind.
    expect(readdirSync(folder)).toEqual(['a.json']);
  });

  it('reads a missing, broken or foreign meta as none', () => {
    expect(readCaptureMeta(folder, 'none')).toBeNull();
    writeFileSync(join(folder, 'half.json'), '{"captureId": "half", "device');
    expect(readCaptureMeta(folder, 'half')).toBeNull();
    writeFileSync(join(folder, 'other.json'), JSON.stringify({ ...meta('someone-else', '2026-11-27T10:00:00.000Z') }));
    expect(readCaptureMeta(folder, 'other')).toBeNull();
  });

  it('lists a capture with broken meta, or a damaged file, from what can be known', () => {
    writeLines('good', [Date.parse('2026-11-27T09:00:00.000Z')]);
    writeCaptureMeta(folder, { ...meta('good', '2026-11-27T09:00:00.000Z'), endedAt: '2026-11-27T09:30:00.000Z' }, { levelPatterns: [], knownIssues: [], bootBanner: null });
    writeLines('lost-meta', [Date.parse('2026-11-27T10:00:00.000Z'), Date.parse('2026-11-27T10:00:01.000Z')]);
    writeFileSync(join(folder, 'lost-meta.json'), 'not json');
    writeFileSync(join(folder, 'garbage.fblog'), 'this is not a capture');

    expect(captureIds(folder).sort()).toEqual(['garbage', 'good', 'lost-meta']);
    const summaries = sortNewestFirst(captureIds(folder).map((id) => summariseFinishedCapture(folder, id)));
    expect(summaries.map((s) => s.captureId)).toEqual(['garbage', 'lost-meta', 'good']);
    const lost = summaries.find((s) => s.captureId === 'lost-meta')!;
    expect(lost).toMatchObject({ device: UNKNOWN_DEVICE, lines: 2, startedAt: '2026-11-27T10:00:00.000Z', live: false });
    expect(summaries.find((s) => s.captureId === 'good')).toMatchObject({ device: 'Sensor Node SN-0042', lines: 1, endedAt: '2026-11-27T09:30:00.000Z' });
    expect(summaries.find((s) => s.captureId === 'garbage')).toMatchObject({ lines: 0, fileBytes: 21 });
    expect(existsSync(join(folder, 'garbage.fblog'))).toBe(true);
  });

  it('lists nothing for a folder not made yet', () => {
    expect(captureIds(join(folder, 'missing'))).toEqual([]);
  });
});
