// A capture exported as text or JSON lines, byte for byte, and the size bound that refuses a
// range too big while naming one that fits.
import { describe, expect, it } from 'vitest';
import type { ConsoleLine } from '../../src-main/api/console-schemas';
import { isFieldbenchError } from '../../src-main/api/errors';
import { relativeTime, renderCaptureExport } from '../../src-main/core/logs/capture-export';
import type { CaptureMeta } from '../../src-main/core/logs/capture-service';

const start = Date.parse('2026-11-27T11:38:00.000Z');
const meta: CaptureMeta = {
  captureId: 'sn-0042-20261127',
  deviceId: 'serial:/dev/ttyACM0',
  device: 'Sensor Node SN-0042',
  serialNumber: 'SN-0042',
  profileId: 'sensor-node',
  source: 'serial',
  settings: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
  startedAt: new Date(start).toISOString(),
  endedAt: null,
};

function line(seq: number, at: number, kind: ConsoleLine['kind'], text: string, extra: Partial<ConsoleLine> = {}): ConsoleLine {
  return { seq, time: start + at, kind, text, spans: [{ text }], level: null, deviceTime: null, binary: false, truncated: false, issues: [], reboot: false, ...extra };
}

const lines: ConsoleLine[] = [
  line(0, 123, 'device', '*** Booting Zephyr OS ***', { reboot: true }),
  line(1, 62_345, 'device', '[00:01:02.000,000] <wrn> bat: low', { level: 'warn', deviceTime: '00:01:02.000,000', issues: ['low-battery'] }),
  line(2, 62_400, 'sent', 'kernel uptime'),
  line(3, 3_723_004, 'mark', 'before unplug'),
  line(4, 3_723_005, 'gap', 'port lost'),
  line(5, 3_723_006, 'note', 'settings changed to 9600 8N1'),
];

describe('capture export', () => {
  it('renders text with a header and one prefixed line per record', () => {
    const out = renderCaptureExport(lines, 'text', meta, 1 << 20);
    expect(out.lines).toBe(6);
    expect(Buffer.from(out.bytes).toString('utf8')).toBe(
      [
        '# Fieldbench log capture sn-0042-20261127',
        '# Device: Sensor Node SN-0042 (serial number SN-0042)',
        '# Source: serial port, 115200 baud, 8N1, no flow control',
        '# Started: 2026-11-27T11:38:00.000Z',
        '# Columns: host time (UTC), time since the start, [level], text',
        '2026-11-27 11:38:00.123 +00:00:00.123 *** Booting Zephyr OS ***  ⟨reboot⟩',
        '2026-11-27 11:39:02.345 +00:01:02.345 [warn] [00:01:02.000,000] <wrn> bat: low  ⟨known issue low-battery⟩',
        '2026-11-27 11:39:02.400 +00:01:02.400 › kernel uptime',
        '2026-11-27 12:40:03.004 +01:02:03.004 ⚑ MARK before unplug',
        '2026-11-27 12:40:03.005 +01:02:03.005 … GAP port lost',
        '2026-11-27 12:40:03.006 +01:02:03.006 • NOTE settings changed to 9600 8N1',
        '',
      ].join('\n'),
    );
  });

  it('renders JSON lines, one object per record', () => {
    const out = renderCaptureExport(lines.slice(0, 2), 'jsonl', meta, 1 << 20);
    const rows = Buffer.from(out.bytes).toString('utf8').split('\n');
    expect(rows.pop()).toBe('');
    expect(rows.map((row) => JSON.parse(row) as unknown)).toEqual([
      { seq: 0, time: '2026-11-27T11:38:00.123Z', relMs: 123, kind: 'device', level: null, deviceTime: null, text: '*** Booting Zephyr OS ***', issues: [], reboot: true, truncated: false },
      {
        seq: 1,
        time: '2026-11-27T11:39:02.345Z',
        relMs: 62345,
        kind: 'device',
        level: 'warn',
        deviceTime: '00:01:02.000,000',
        text: '[00:01:02.000,000] <wrn> bat: low',
        issues: ['low-battery'],
        reboot: false,
        truncated: false,
      },
    ]);
  });

  it('refuses past maxBytes, naming how many lines fit, and that many do fit', () => {
    const many = Array.from({ length: 100 }, (_, i) => line(i, i, 'device', `line ${i} ${'x'.repeat(i % 13)}`));
    const limit = 2000;
    let error: unknown;
    try {
      renderCaptureExport(many, 'jsonl', meta, limit);
    } catch (e) {
      error = e;
    }
    expect(isFieldbenchError(error) && error.code).toBe('invalid-request');
    const fit = Number(/at most (\d+) lines/u.exec((error as Error & { hint: string }).hint)?.[1]);
    expect(fit).toBeGreaterThan(0);
    expect(renderCaptureExport(many.slice(0, fit), 'jsonl', meta, limit).bytes.length).toBeLessThanOrEqual(limit);
    expect(() => renderCaptureExport(many.slice(0, fit + 1), 'jsonl', meta, limit)).toThrow();
  });

  it('writes relative times of any length', () => {
    expect(relativeTime(0)).toBe('+00:00:00.000');
    expect(relativeTime(-1500)).toBe('-00:00:01.500');
    expect(relativeTime(100 * 3_600_000 + 1)).toBe('+100:00:00.001');
    expect(relativeTime(Number.NaN)).toBe('+??:??:??.???');
  });
});
