// A filtered view grown record by record keeps exactly what a filter over the whole capture
// keeps, and both agree with a plain reading of what was written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleFilter, ConsoleLevel } from '../../src-main/api/console-schemas';
import { CaptureFilterIndex, canonicalFilterKey, FilterIndexCache } from '../../src-main/core/logs/capture-filter-index';
import { packDeviceFlags, packOwnFlags } from '../../src-main/core/logs/capture-record-flags';
import { openLogCapture } from '../../src-main/core/logs/log-capture-file';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'fieldbench-filter-index-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

type Entry = { kind: 'device'; text: string; level: ConsoleLevel | null; flagged: boolean } | { kind: 'mark' | 'note'; text: string };

const words = ['Sensor', 'sensor', 'SENSOR', 'i2c', 'nack', 'Ärger', 'ärger', 'naïve', '€', 'ok', ' ', '-', 'σ', 'Σ'];
const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('device' as const), text: fc.array(fc.constantFrom(...words), { maxLength: 6 }).map((w) => w.join('')), level: fc.constantFrom(null, 'error', 'warn', 'info', 'debug', 'trace' as const), flagged: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('mark' as const, 'note' as const), text: fc.constantFrom('mark here', 'port lost') }) },
);
const filter: fc.Arbitrary<ConsoleFilter> = fc.record(
  {
    levels: fc.uniqueArray(fc.constantFrom('none', 'error', 'warn', 'info', 'debug', 'trace' as const), { minLength: 1, maxLength: 6 }),
    text: fc.constantFrom('sensor', 'Ärger', 'ärger', 'σ', 'i2c', 'nack', 'ok'),
    regex: fc.boolean(),
    ignoreCase: fc.boolean(),
    flaggedOnly: fc.boolean(),
  },
  { requiredKeys: [] },
);

function keeps(f: ConsoleFilter, e: Entry): boolean {
  if (e.kind !== 'device') return true;
  if (f.levels && !f.levels.includes(e.level ?? 'none')) return false;
  if (f.flaggedOnly && !e.flagged) return false;
  if (f.text === undefined) return true;
  if (f.regex) return new RegExp(f.text, f.ignoreCase ? 'i' : '').test(e.text);
  return f.ignoreCase ? new RegExp(f.text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&'), 'iu').test(e.text) : e.text.includes(f.text);
}

describe('capture filter index', () => {
  it('grown as the capture grows equals a filter from scratch and a plain model', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 120 }), fc.array(fc.nat(120), { maxLength: 6 }), filter, (entries, stops, f) => {
        const session = `p${run++}`;
        const capture = openLogCapture({ folder, session, device: 'test', indexEvery: 8 });
        try {
          const growing = new CaptureFilterIndex(f, 'test');
          entries.forEach((e, i) => {
            if (e.kind === 'device') capture.append(e.text, { time: i, flags: packDeviceFlags(e.level, e.flagged, false, false) });
            else if (e.kind === 'mark') capture.mark(e.text, i);
            else capture.append(e.text, { time: i, flags: packOwnFlags('note') });
            if (stops.includes(i)) growing.extend(capture);
          });
          growing.extend(capture);
          const scratch = new CaptureFilterIndex(f, 'test');
          scratch.extend(capture);
          const expected = entries.flatMap((e, seq) => (keeps(f, e) ? [seq] : []));
          expect([...growing.slice(0, growing.total)]).toEqual(expected);
          expect([...scratch.slice(0, scratch.total)]).toEqual(expected);
          for (const seq of [0, Math.floor(entries.length / 2), entries.length]) {
            const at = growing.offsetOf(seq);
            const first = expected.findIndex((s) => s >= seq);
            expect(at).toBe(first === -1 ? null : first);
          }
        } finally {
          capture.close();
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('caches by the filter, in any key or level order, within its bounds', () => {
    const cache = new FilterIndexCache(1 << 20, 2);
    const a = cache.get('c', { levels: ['warn', 'error'], text: 'x' }, 'test');
    expect(cache.get('c', { text: 'x', levels: ['error', 'warn'] }, 'test')).toBe(a);
    expect(canonicalFilterKey({ text: 'x', regex: false })).toBe(canonicalFilterKey({ text: 'x' }));
    cache.get('c', { text: 'y' }, 'test');
    cache.get('c', { text: 'z' }, 'test');
    // Three filters of one capture with room for two: the least recently used went.
    expect(cache.get('c', { levels: ['error', 'warn'], text: 'x' }, 'test')).not.toBe(a);
  });
});
