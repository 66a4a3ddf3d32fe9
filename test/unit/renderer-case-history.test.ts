// A case's timeline in sentences, an attachment's bytes back as a file and a text preview,
// and a device's history by serial number, followed while its page is shown.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaseEvent, CaseSummary } from '../../src-main/api/schemas';
import { caseTimeline, eventSentence } from '../../src-renderer/stores/case-timeline';
import { base64ToBytes, isTextAttachment, textPreviewOf } from '../../src-renderer/stores/attachment-bytes';
import { createCasesStore } from '../../src-renderer/stores/cases-store';
import { createNoticesStore } from '../../src-renderer/stores/notices-store';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';
import { FakeRendererApi, deferred } from '../helpers/fake-renderer-api';

const CASE_ID = '11111111-1111-4111-8111-111111111111';

function event(kind: CaseEvent['kind'], summary: string, data: CaseEvent['data'], at = '2026-03-01T10:00:00.000Z'): CaseEvent {
  return { id: `00000000-0000-4000-8000-${String(Math.abs(summary.length)).padStart(12, '0')}`, caseId: CASE_ID, kind, at, summary, data };
}

describe('timeline sentences', () => {
  it('tells a field change from its details: what was set, changed, cleared, and which tags came and went', () => {
    const sentence = eventSentence(
      event('fields-changed', 'Changed severity (high), tags (+battery −radio), customer, asset id (cleared)', {
        changes: [
          { field: 'severity', from: null, to: 'high' },
          { field: 'tags', from: ['radio'], to: ['battery', 'brownout'] },
          { field: 'customer', from: 'Acme', to: 'Acme Field Services' },
          { field: 'assetId', from: 'A-1', to: null },
        ],
      }),
    );
    expect(sentence).toBe('Set severity to “high”; tags: added battery, brownout and removed radio; changed customer or site to “Acme Field Services”; cleared asset id');
  });

  it('cuts a long value to its first line and a bounded length', () => {
    const long = `${'x'.repeat(100)}\nsecond line`;
    const sentence = eventSentence(event('fields-changed', 'Changed symptom', { changes: [{ field: 'symptom', from: null, to: long }] }));
    expect(sentence).toBe(`Set symptom to “${'x'.repeat(59)}…”`);
  });

  it('names an attachment with its size and type', () => {
    const sentence = eventSentence(event('attachment-added', 'Attached uart.log (2 KiB, searchable)', { attachmentId: CASE_ID, fileName: 'uart.log', mediaType: 'text/plain', size: 2048, sha256: 'a'.repeat(64) }));
    expect(sentence).toBe('Attached uart.log (2 KiB, text/plain)');
  });

  it('keeps the core’s sentence for other kinds and for details of a shape it does not know', () => {
    expect(eventSentence(event('status-changed', 'Status set to resolved', { from: 'open', to: 'resolved' }))).toBe('Status set to resolved');
    expect(eventSentence(event('fields-changed', 'Changed severity', { changes: [{ field: 'severity', to: 42 }] }))).toBe('Changed severity');
    expect(eventSentence(event('fields-changed', 'Changed tags', null))).toBe('Changed tags');
    expect(eventSentence(event('attachment-added', 'Attached x', { fileName: 'x' }))).toBe('Attached x');
  });

  it('gives every entry of a case a sentence, the core’s events and notes in time order', () => {
    const entries = caseTimeline({
      timeline: [
        event('case-opened', 'Case opened', null, '2026-03-01T10:00:00.000Z'),
        event('fields-changed', 'Changed tags', { changes: [{ field: 'tags', from: [], to: ['battery'] }] }, '2026-03-01T10:05:00.000Z'),
      ],
      notes: [{ id: '33333333-3333-4333-8333-333333333333', caseId: CASE_ID, text: 'Checked the cell', revision: 1, createdAt: '2026-03-01T10:02:00.000Z', updatedAt: '2026-03-01T10:02:00.000Z' }],
    });
    expect(entries.map((e) => [e.kind, e.summary])).toEqual([
      ['case-opened', 'Case opened'],
      ['note', 'Note 1 written: “Checked the cell”'],
      ['fields-changed', 'Tags: added battery'],
    ]);
    for (const entry of entries) expect(entry.summary.length).toBeGreaterThan(0);
  });
});

describe('attachment bytes', () => {
  it('turns base64 back into the same bytes', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
  });

  it('previews the start of a text file, cutting a character in two without garbling what comes before', () => {
    const text = 'voltage 3.1 V — brownout';
    const bytes = new TextEncoder().encode(text);
    expect(textPreviewOf(bytes)).toEqual({ text, truncated: false });
    const dash = bytes.indexOf(0xe2);
    expect(textPreviewOf(bytes, dash + 1)).toEqual({ text: 'voltage 3.1 V ', truncated: true });
    expect(textPreviewOf(Uint8Array.of(0x66, 0xff, 0x6f)).text).toBe('f\uFFFDo');
  });

  it('offers a preview for what the store indexes as text and for text media types only', () => {
    expect(isTextAttachment({ mediaType: 'application/octet-stream', searchable: true })).toBe(true);
    expect(isTextAttachment({ mediaType: 'text/csv', searchable: false })).toBe(true);
    expect(isTextAttachment({ mediaType: 'image/png', searchable: false })).toBe(false);
  });
});

describe('device history', () => {
  function summary(id: string, title: string): CaseSummary {
    return { id, title, status: 'open', deviceModel: 'sensor-node', deviceSerial: 'SN-1', noteCount: 0, createdAt: '2026-03-01T10:00:00.000Z', updatedAt: '2026-03-01T10:00:00.000Z' };
  }

  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads a serial’s cases while watched, follows changes collapsed into one more request, and stops when unwatched', async () => {
    const api = new FakeRendererApi();
    const answers: ReturnType<typeof deferred<CaseSummary[]>>[] = [];
    api.handle('cases.deviceHistory', () => {
      const answer = deferred<CaseSummary[]>();
      answers.push(answer);
      return answer.promise;
    });
    const store = createCasesStore(api, createNoticesStore());
    const unwatch = store.watchHistory('SN-1');
    expect(api.callsTo('cases.deviceHistory')).toEqual([{ serial: 'SN-1' }]);
    for (let i = 0; i < 3; i += 1) api.emit('cases.changed', { caseId: CASE_ID });
    answers[0]!.resolve([summary(CASE_ID, 'First')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(answers).toHaveLength(2);
    answers[1]!.resolve([summary('22222222-2222-4222-8222-222222222222', 'Newer'), summary(CASE_ID, 'First')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().historyBySerial['SN-1']).toMatchObject({ loading: false, error: null });
    expect(store.getState().historyBySerial['SN-1']?.cases?.map((c) => c.title)).toEqual(['Newer', 'First']);

    unwatch();
    api.emit('cases.changed', { caseId: CASE_ID });
    expect(answers).toHaveLength(2);
    store.stop();
  });

  it('keeps the cases it has and says why a reload failed', async () => {
    const api = new FakeRendererApi();
    let fail = false;
    api.handle('cases.deviceHistory', () => {
      if (fail) throw new ApiRequestError({ code: 'store-error', message: 'database is locked', hint: 'Try again.' });
      return [summary(CASE_ID, 'First')];
    });
    const store = createCasesStore(api, createNoticesStore());
    await store.getState().loadHistory('SN-1');
    fail = true;
    await store.getState().loadHistory('SN-1');
    expect(store.getState().historyBySerial['SN-1']).toMatchObject({ cases: [{ title: 'First' }], error: { message: 'database is locked' } });
    store.stop();
  });
});
