import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { errorShapeOf, parseFromWorker, parseToWorker } from '../../src-main/core/logs/log-worker-protocol';

const meta = {
  captureId: 'cap-1',
  deviceId: 'dev-1',
  device: 'Sensor Node SN-1',
  serialNumber: null,
  profileId: null,
  source: 'serial',
  settings: null,
  startedAt: '2026-11-27T11:00:00.000Z',
  endedAt: null,
};
const openOptions = { meta, levelPatterns: [{ regex: '^E ', level: 'error' }], knownIssues: [], bootBanner: null };

describe('capture worker protocol', () => {
  it('accepts every call as the client sends it', () => {
    const calls: [string, unknown[]][] = [
      ['open', [openOptions]],
      ['resume', [openOptions]],
      ['note', ['cap-1', 'mark', 'fault here', 1]],
      ['finish', ['cap-1', '2026-11-27T11:05:00.000Z']],
      ['read', ['cap-1', 0, 100, undefined]],
      ['read', ['cap-1', 0, 100, { levels: ['error', 'none'], text: 'i2c', ignoreCase: true }]],
      ['locate', ['cap-1', 5, undefined]],
      ['search', ['cap-1', { query: 'x', regex: true, limit: 10 }]],
      ['export', ['cap-1', 'jsonl', { fromSeq: 1 }, 1000]],
      ['flags', ['cap-1']],
      ['list', []],
      ['close', []],
      ['ping', []],
    ];
    calls.forEach(([method, args], id) => {
      const parsed = parseToWorker({ type: 'call', id, method, args });
      expect(parsed.ok, `${method}: ${parsed.ok ? '' : JSON.stringify(parsed.error.issues)}`).toBe(true);
    });
    expect(parseToWorker({ type: 'ingest', captureId: 'cap-1', time: 1, bytes: new Uint8Array(3) }).ok).toBe(true);
    expect(parseToWorker({ type: 'end-partial-line', captureId: 'cap-1' })).toEqual({ ok: true, message: { type: 'end-partial-line', captureId: 'cap-1' } });
    expect(parseToWorker({ type: 'end-partial-line', captureId: '../cap' }).ok).toBe(false);
    expect(parseToWorker({ type: 'end-partial-line', captureId: 'cap-1', bytes: new Uint8Array(1) }).ok).toBe(false);
    expect(parseToWorker({ type: 'debug', action: 'block', ms: 10 }).ok).toBe(true);
  });

  it('refuses bad arguments with the call id to answer and the field at fault', () => {
    const parsed = parseToWorker({ type: 'call', id: 7, method: 'read', args: ['cap-1', -1, 10] });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.id).toBe(7);
    expect(parsed.error).toBeInstanceOf(FieldbenchError);
    expect(parsed.error.code).toBe('invalid-request');
    expect(parsed.error.issues?.map((issue) => issue.path)).toEqual(['1']);
  });

  it('never throws on any input, and answers what it cannot read with an error', () => {
    const shapes = fc.oneof(
      fc.anything(),
      fc.record({ type: fc.constantFrom('call', 'ingest', 'end-partial-line', 'debug', 'result'), id: fc.anything(), method: fc.anything(), args: fc.anything() }),
      fc.record({ type: fc.constant('call'), id: fc.nat(), method: fc.constantFrom('open', 'read', 'search', 'export', 'note'), args: fc.array(fc.anything(), { maxLength: 5 }) }),
    );
    fc.assert(
      fc.property(shapes, (message) => {
        const parsed = parseToWorker(message);
        if (!parsed.ok) expect(parsed.error.code).toBe('invalid-request');
        expect(() => parseFromWorker(message)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('checks what the worker sends back', () => {
    expect(parseFromWorker({ type: 'result', id: 1, ok: true, value: { any: 'thing' } })).not.toBeNull();
    expect(parseFromWorker({ type: 'result', id: 1, ok: false, error: { code: 'timeout', message: 'late' } })).not.toBeNull();
    expect(parseFromWorker({ type: 'result', id: 1, ok: false, error: { code: 'no-such-code', message: 'x' } })).toBeNull();
    expect(parseFromWorker({ type: 'progress', captureId: 'c', progress: null, ackedBytes: -1 })).toBeNull();
    expect(parseFromWorker({ type: 'ready' })).toEqual({ type: 'ready' });
  });

  it('sends a FieldbenchError as it is and anything else as an internal error naming the step', () => {
    const shape = { code: 'not-found' as const, message: 'no capture x', device: 'x', step: 'read capture', hint: 'List the captures' };
    expect(errorShapeOf(new FieldbenchError(shape), 'read')).toEqual(shape);
    expect(errorShapeOf(new TypeError('boom'), 'search')).toMatchObject({ code: 'internal', message: 'the capture worker failed: boom', step: 'search' });
  });
});
