// The firmware panel's wording and arithmetic: sizes, rates and time left, the step list
// paired from the journal, when Cancel is still safe, the final result in words, the
// case timeline, and base64 of multi-megabyte images in slices that never freeze the page.
import { describe, expect, it } from 'vitest';
import type { CaseDetail, FirmwareJob, FirmwareJobStep, ImageSlot } from '../../src-main/api/schemas';
import { bytesToBase64, sliceToBase64 } from '../../src-renderer/firmware/bytes-to-base64';
import { formatBytes, formatRate, formatTimeLeft, percentOf } from '../../src-renderer/format/format-transfer';
import { caseTimeline } from '../../src-renderer/stores/case-timeline';
import {
  bootloaderModeText,
  flashBlocker,
  outcomeView,
  progressView,
  slotFlags,
  stepRows,
} from '../../src-renderer/stores/firmware-selectors';
import { isNewerWord, jobOptions } from '../../src-renderer/stores/firmware-store';

const T0 = '2026-01-02T03:04:05.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const step = (name: FirmwareJobStep['step'], status: FirmwareJobStep['status'], detail: string | null = null, seconds = 0): FirmwareJobStep => ({
  step: name,
  status,
  at: at(seconds),
  detail,
});

function job(patch: Partial<FirmwareJob>): FirmwareJob {
  return {
    id: '44444444-4444-4444-8444-444444444444',
    deviceId: '1',
    device: { deviceId: '1', transport: 'serial', path: '/dev/pts/1', profileId: 'p', identity: null },
    caseId: null,
    image: { fileName: 'app.bin', sha256: 'a'.repeat(64), version: '1.5.0+0', size: 1000 },
    options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' },
    state: 'finished',
    cancellable: false,
    outcome: null,
    reason: null,
    versionBefore: '1.4.2+0',
    versionAfter: null,
    uploaded: 1000,
    startedAt: T0,
    updatedAt: T0,
    finishedAt: T0,
    steps: [],
    ...patch,
  };
}

describe('sizes, rates and time left', () => {
  it('reads as a person at the bench would say them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4608)).toBe('4.5 KiB');
    expect(formatBytes(290_816)).toBe('284 KiB');
    expect(formatBytes(3 * 1024 * 1024 + 512 * 1024)).toBe('3.5 MiB');
    expect(formatRate(11_468.8)).toBe('11.2 KiB/s');
    expect(formatRate(300)).toBe('300 B/s');
    expect(formatRate(0)).toBe('—');
    expect(formatRate(Number.NaN)).toBe('—');
    expect(formatTimeLeft(null)).toBe('time left not known yet');
    expect(formatTimeLeft(0.2)).toBe('about a second left');
    expect(formatTimeLeft(44.1)).toBe('45 s left');
    expect(formatTimeLeft(185)).toBe('3 min 05 s left');
    expect(formatTimeLeft(3725)).toBe('1 h 02 min left');
  });

  it('never shows 100% before the last byte', () => {
    expect(percentOf(0, 0)).toBe(0);
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(1000, 1000)).toBe(100);
    expect(progressView({ sent: 145_408, total: 290_816, bytesPerSecond: 11_468.8, secondsLeft: 12.7 })).toEqual({
      percent: 50,
      phase: 'Uploading',
      text: '50% · 142 KiB of 284 KiB · 11.2 KiB/s · 13 s left',
    });
    expect(progressView({ sent: 10, total: 10, bytesPerSecond: 5, secondsLeft: 0 }).text).toBe('100% · 10 B of 10 B · 5 B/s');
  });
});

describe('the step list', () => {
  it('pairs each start with its end, also for steps that run twice', () => {
    const rows = stepRows({
      state: 'finished',
      steps: [
        step('preflight', 'started'),
        step('preflight', 'done', 'image ok'),
        step('upload', 'started', '1000 bytes'),
        step('upload', 'done'),
        step('reset', 'started'),
        step('reset', 'done'),
        step('revert', 'started', 'asked not to confirm'),
        step('reset', 'started'),
        step('reset', 'done', 'back'),
        step('revert', 'done', 'runs 1.4.2+0 again'),
      ],
    });
    expect(rows.map((r) => [r.step, r.status, r.detail, r.nested])).toEqual([
      ['preflight', 'done', 'image ok', false],
      ['upload', 'done', '1000 bytes', false],
      ['reset', 'done', null, false],
      ['revert', 'done', 'runs 1.4.2+0 again', false],
      ['reset', 'done', 'back', true], // part of the revert
    ]);
  });

  it('shows a step cut short by the end of the job as stopped, and a lone end as its own row', () => {
    const rows = stepRows({ state: 'finished', steps: [step('upload', 'started'), step('confirm', 'skipped', 'upload only')] });
    expect(rows.map((r) => [r.step, r.status])).toEqual([
      ['upload', 'stopped'],
      ['confirm', 'skipped'],
    ]);
    expect(stepRows({ state: 'running', steps: [step('upload', 'started')] })[0]?.status).toBe('running');
  });

});

describe('the final result', () => {
  it('says what the device runs now, unmistakably, for every outcome', () => {
    expect(outcomeView(job({ state: 'running' }))).toBeNull();
    expect(outcomeView(job({ outcome: 'confirmed', versionAfter: '1.5.0+0' }))).toMatchObject({
      tone: 'ok',
      title: 'Confirmed: the device runs 1.5.0+0',
      lines: ['Updated from 1.4.2+0 to 1.5.0+0; the new image is confirmed and stays after a reset.'],
    });
    expect(outcomeView(job({ outcome: 'reverted', versionAfter: '1.4.2+0', reason: 'health check failed: Battery 2.9 V (fail)' }))).toMatchObject({
      tone: 'warn',
      title: 'Reverted: the device runs 1.4.2+0 again',
      lines: ['Reason: health check failed: Battery 2.9 V (fail)', '1.5.0+0 is not running; MCUboot went back to the image it had before.'],
    });
    expect(outcomeView(job({ outcome: 'uploaded', versionAfter: '1.4.2+0' }))?.title).toBe('Uploaded: 1.5.0+0 waits in the secondary slot');
    expect(
      outcomeView(job({ outcome: 'failed', reason: 'upload failed: no answer', versionAfter: '1.4.2+0', steps: [step('upload', 'started'), step('upload', 'failed', 'no answer')] })),
    ).toMatchObject({ tone: 'fail', title: 'Failed at “Upload”', lines: ['Reason: upload failed: no answer', 'The device runs 1.4.2+0.'] });
    expect(outcomeView(job({ outcome: 'cancelled', reason: 'cancelled during upload' }))).toMatchObject({
      tone: 'neutral',
      title: 'Cancelled',
      lines: ['Reason: cancelled during upload', 'Which image the device runs now is not known; read the slots.'],
    });
  });

  it('keeps the newest word about a job, whichever order the answer and the events came in', () => {
    const running = job({ state: 'running', steps: [step('preflight', 'started')] });
    expect(isNewerWord(job({ state: 'running' }), running)).toBe(false);
    expect(isNewerWord(job({ state: 'running', steps: [...running.steps, step('preflight', 'done')] }), running)).toBe(true);
    expect(isNewerWord(running, job({ outcome: 'confirmed' }))).toBe(false);
    expect(isNewerWord(job({ outcome: 'confirmed' }), running)).toBe(true);
    expect(jobOptions({ uploadOnly: false, allowDowngrade: true, doNotConfirm: true })).toEqual({ uploadOnly: false, allowDowngrade: true, confirm: 'never' });
  });
});

describe('slots, images and SMP readings', () => {
  it('words slot flags and bootloader modes', () => {
    const slot: ImageSlot = { image: 0, slot: 1, version: '1.5.0+0', hash: 'ab', bootable: true, pending: true, confirmed: false, active: false, permanent: false };
    expect(slotFlags(slot)).toEqual(['pending (test)']);
    expect(slotFlags({ ...slot, active: true, confirmed: true, pending: false })).toEqual(['active', 'confirmed']);
    expect(slotFlags({ ...slot, bootable: false, pending: false })).toEqual(['not bootable']);
    expect(bootloaderModeText(3)).toBe('swap using move (3)');
    expect(bootloaderModeText(42)).toBe('mode 42');
    expect(bootloaderModeText(null)).toBe('Not reported');
  });

  it('holds back Flash for files that cannot be MCUboot updates', () => {
    const base = { format: 'mcuboot' as const, hashOk: true };
    expect(flashBlocker(base as never)).toBeNull();
    expect(flashBlocker({ ...base, format: 'ihex' } as never)).toMatch(/^This is an Intel HEX file, not an MCUboot image/);
    expect(flashBlocker({ ...base, hashOk: false } as never)).toMatch(/hash does not match/);
  });
});

describe('case timeline', () => {
  it('lists events oldest first with each note slotted in at its creation', () => {
    const caseId = '11111111-1111-4111-8111-111111111111';
    const event = (id: string, kind: CaseDetail['timeline'][number]['kind'], seconds: number, summary: string) => ({
      id: `00000000-0000-4000-8000-00000000000${id}`,
      caseId,
      kind,
      at: at(seconds),
      summary,
      data: null,
    });
    const note = (id: string, seconds: number, text: string) => ({
      id: `00000000-0000-4000-8000-10000000000${id}`,
      caseId,
      text,
      revision: 1,
      createdAt: at(seconds),
      updatedAt: at(seconds + 100),
    });
    const entries = caseTimeline({
      timeline: [event('1', 'case-opened', 0, 'Case opened'), event('2', 'snapshot', 0, '7 readings'), event('3', 'firmware', 60, 'Firmware update confirmed')],
      notes: [note('2', 90, ''), note('1', 30, `Battery low at night.\nSecond line. ${'x'.repeat(100)}`)],
    });
    expect(entries.map((e) => [e.kind, e.summary])).toEqual([
      ['case-opened', 'Case opened'],
      ['snapshot', '7 readings'],
      ['note', 'Note 2 written: “Battery low at night.”'],
      ['firmware', 'Firmware update confirmed'],
      ['note', 'Note 1 started'],
    ]);
  });
});

describe('base64 of large images', () => {
  const image = (length: number) => {
    const bytes = new Uint8Array(length);
    let x = 0x12345678;
    for (let i = 0; i < length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    return bytes;
  };

  it('encodes a few megabytes in slices, pausing between them, exactly as Node does', async () => {
    const bytes = image(5 * 1024 * 1024 + 1); // not a multiple of 3: the last slice pads
    let pauses = 0;
    const seen: number[] = [];
    const text = await bytesToBase64(bytes, {
      yieldToEventLoop: async () => {
        pauses += 1;
      },
      onProgress: (done) => seen.push(done),
    });
    expect(text).toBe(Buffer.from(bytes).toString('base64'));
    const slices = Math.ceil(bytes.length / (3 * 64 * 1024));
    expect(pauses).toBe(slices - 1);
    expect(seen).toHaveLength(slices);
    expect(seen.at(-1)).toBe(bytes.length);
  });

  it('converts one slice far above any argument-count limit, and every short length', async () => {
    const big = image(3 * 1024 * 1024);
    expect(sliceToBase64(big)).toBe(Buffer.from(big).toString('base64'));
    for (let length = 0; length <= 12; length++) {
      const bytes = image(length);
      expect(await bytesToBase64(bytes, { sliceBytes: 3, yieldToEventLoop: async () => undefined })).toBe(Buffer.from(bytes).toString('base64'));
    }
  });

  it('refuses a slice size that would break the text, and stops when aborted', async () => {
    await expect(bytesToBase64(image(10), { sliceBytes: 4 })).rejects.toThrow(/multiple of 3/);
    const controller = new AbortController();
    controller.abort();
    await expect(bytesToBase64(image(10), { signal: controller.signal })).rejects.toThrow();
  });
});
