// The capture file against a plain in-memory model: what goes in comes back, a torn or
// flipped record is never shown as a line, and range reads and searches agree with a
// brute-force scan of the model.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFieldbenchError } from '../../src-main/api/errors';
import { openLogCapture, type LogCapture, type OpenLogCaptureOptions } from '../../src-main/core/logs/log-capture-file';
import { LogRecordFlag, MAX_LINE_BYTES } from '../../src-main/core/logs/log-capture-format';
import { mulberry32 } from '../../src-main/virtual/seeded-random';

let folder: string;
const open: LogCapture[] = [];

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'fieldbench-capture-'));
});

afterEach(() => {
  for (const capture of open.splice(0)) capture.close();
  rmSync(folder, { recursive: true, force: true });
});

function capture(options: Partial<OpenLogCaptureOptions> = {}): LogCapture {
  const c = openLogCapture({ folder, session: 's1', device: 'Sensor Node SN-0042', ...options });
  open.push(c);
  return c;
}

function closeAll(): void {
  for (const c of open.splice(0)) c.close();
}

const file = (): string => join(folder, 's1.fblog');

interface ModelRecord {
  seq: number;
  time: number;
  flags: number;
  text: string;
}

function fill(c: LogCapture, lines: string[], time0 = 1_700_000_000_000): ModelRecord[] {
  return lines.map((text, i) => {
    const time = time0 + i * 3;
    const seq = c.append(text, { time });
    return { seq, time, flags: 0, text };
  });
}

describe('log capture file', () => {
  it('gives back every line, mark and flag after a close and reopen, with and without the sidecar index', () => {
    const c = capture({ indexEvery: 4 });
    const model = fill(c, ['boot', 'héllo wörld ✓', '', '<err> i2c: nack', 'x'.repeat(1000)]);
    model.push({ seq: c.mark('fault reproduced here', 1_800_000_000_000), time: 1_800_000_000_000, flags: LogRecordFlag.mark, text: 'fault reproduced here' });
    model.push({ seq: c.append(Buffer.from([0x41, 0x42]), { time: 5, flags: 0x04 }), time: 5, flags: 0x04, text: 'AB' });
    expect(c.readRange(0, 100)).toEqual(model);
    closeAll();

    const again = capture({ indexEvery: 4 });
    expect(again.opened.usedSidecar).toBe(true);
    expect(again.count).toBe(model.length);
    expect(again.readRange(0, 100)).toEqual(model);
    // Appending after a reopen continues the sequence.
    expect(again.append('after reopen', { time: 9 })).toBe(model.length);
    closeAll();

    rmSync(`${file()}.idx`);
    const scanned = capture({ indexEvery: 4, readOnly: true });
    expect(scanned.opened.usedSidecar).toBe(false);
    expect(scanned.readRange(model.length, 1)[0]?.text).toBe('after reopen');
    expect(scanned.readRange(0, model.length)).toEqual(model);
  });

  it('cuts an over-long line on a character boundary and flags it', () => {
    const c = capture();
    const line = `${'a'.repeat(MAX_LINE_BYTES - 1)}é tail`;
    c.append(line, { time: 1 });
    const [record] = c.readRange(0, 1);
    expect(record?.flags).toBe(LogRecordFlag.truncated);
    expect(record?.text).toBe('a'.repeat(MAX_LINE_BYTES - 1));
  });

  it('refuses flag bits the capture reserves for marks and truncation', () => {
    const c = capture();
    expect(() => c.append('x', { flags: LogRecordFlag.mark })).toThrow(/reserves/u);
  });

  it('batches writes: nothing reaches the file before the flush interval, everything after it', async () => {
    const c = capture({ flushIntervalMs: 30, flushBytes: 1 << 20 });
    c.append('one', { time: 1 });
    c.append('two', { time: 2 });
    expect(c.flushedCount).toBe(0);
    const before = statSync(file()).size;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(c.flushedCount).toBe(2);
    expect(statSync(file()).size).toBeGreaterThan(before);
  });

  it('flushes once a batch reaches the byte threshold, without waiting for the timer', () => {
    const c = capture({ flushIntervalMs: 60_000, flushBytes: 4096 });
    for (let i = 0; i < 200; i += 1) c.append(`line ${i} ${'.'.repeat(40)}`, { time: i });
    expect(c.flushedCount).toBeGreaterThan(0);
    expect(c.flushedCount).toBeLessThanOrEqual(200);
  });

  it('cuts a torn last record at every possible length and keeps every record before it', () => {
    const c = capture({ indexEvery: 2 });
    const model = fill(c, ['alpha', 'beta', 'gamma', 'delta ✓']);
    c.flush();
    const lastStart = statSync(file()).size;
    c.append('the record being written when the power went', { time: 99 });
    closeAll();
    const whole = readFileSync(file());
    for (let cut = lastStart; cut < whole.length; cut += 1) {
      writeFileSync(file(), whole.subarray(0, cut));
      rmSync(`${file()}.idx`, { force: true });
      const reopened = capture({ indexEvery: 2 });
      expect(reopened.count, `cut at ${cut}`).toBe(model.length);
      expect(reopened.opened.tornBytes, `cut at ${cut}`).toBe(cut - lastStart);
      expect(reopened.readRange(0, 10)).toEqual(model);
      expect(statSync(file()).size).toBe(lastStart);
      expect(reopened.append('next', { time: 100 })).toBe(model.length);
      closeAll();
    }
  });

  it('treats zeros after the last record (a file system after a power cut) as a torn tail', () => {
    const c = capture();
    const model = fill(c, ['a', 'b']);
    closeAll();
    rmSync(`${file()}.idx`);
    writeFileSync(file(), Buffer.concat([readFileSync(file()), Buffer.alloc(300)]));
    const reopened = capture();
    expect(reopened.opened.tornBytes).toBe(300);
    expect(reopened.readRange(0, 10)).toEqual(model);
  });

  describe('a flipped bit', () => {
    function damagedCapture(): { model: ModelRecord[]; offsets: number[] } {
      const c = capture({ indexEvery: 2 });
      const offsets: number[] = [];
      const model: ModelRecord[] = [];
      for (const [i, text] of ['first', 'second', 'third', 'fourth', 'fifth'].entries()) {
        c.flush();
        offsets.push(statSync(file()).size);
        model.push(...fill(c, [text], 1000 + i).map((r) => ({ ...r, seq: i })));
      }
      closeAll();
      return { model, offsets };
    }

    function flip(at: number): void {
      const bytes = readFileSync(file());
      bytes[at] = (bytes[at] ?? 0) ^ 0x10;
      writeFileSync(file(), bytes);
    }

    it('in the middle of a capture is refused on open, and repair keeps the records before it', () => {
      const { model, offsets } = damagedCapture();
      rmSync(`${file()}.idx`);
      flip((offsets[2] ?? 0) + 26);
      let error: unknown;
      try {
        capture();
      } catch (e) {
        error = e;
      }
      expect(isFieldbenchError(error) && error.code).toBe('store-error');
      expect(isFieldbenchError(error) && error.step).toBe('open log capture');
      expect(isFieldbenchError(error) && error.hint).toMatch(/repair/u);

      const repaired = capture({ repair: true });
      expect(repaired.readRange(0, 10)).toEqual(model.slice(0, 2));
    });

    it('in the last record is a torn tail', () => {
      const { model, offsets } = damagedCapture();
      rmSync(`${file()}.idx`);
      flip((offsets[4] ?? 0) + 27);
      const reopened = capture();
      expect(reopened.readRange(0, 10)).toEqual(model.slice(0, 4));
    });

    it('in a part the sidecar vouched for is caught when that record is read', () => {
      const { offsets } = damagedCapture();
      flip((offsets[0] ?? 0) + 26);
      const reopened = capture({ indexEvery: 2 });
      expect(reopened.opened.usedSidecar).toBe(true);
      expect(() => reopened.readRange(0, 1)).toThrow(/damaged/u);
      expect(reopened.readRange(4, 1)[0]?.text).toBe('fifth');
    });
  });

  it('refuses a file that is not a capture', () => {
    writeFileSync(file(), 'hello, not a capture');
    expect(() => capture()).toThrow(/not a Fieldbench log capture/u);
  });

  it('refuses a session name that could leave the folder', () => {
    expect(() => capture({ session: '../escape' })).toThrow(/not a capture session name/u);
    expect(existsSync(join(folder, '..', 'escape.fblog'))).toBe(false);
  });

  it('agrees with a brute-force model on range reads, time lookups and searches', async () => {
    const random = mulberry32(0x5eed);
    const words = ['<inf>', '<err>', 'i2c', 'nack', 'BOOT', 'boot', 'ÄÖ', '✓', 'rssi=-70', 'id', 'idx'];
    const c = capture({ indexEvery: 7, flushBytes: 512 });
    const model: ModelRecord[] = [];
    let time = 1000;
    for (let i = 0; i < 1500; i += 1) {
      time += Math.floor(random() * 5) - 1; // a host clock that sometimes steps back
      const n = Math.floor(random() * 6);
      const text = Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(' ');
      if (random() < 0.02) model.push({ seq: c.mark(text, time), time, flags: LogRecordFlag.mark, text });
      else model.push({ seq: c.append(text, { time }), time, flags: 0, text });
    }

    for (let round = 0; round < 60; round += 1) {
      const from = Math.floor(random() * 1600);
      const count = Math.floor(random() * 40);
      expect(c.readRange(from, count), `readRange(${from}, ${count})`).toEqual(model.slice(from, from + count));
      const t = 1000 + Math.floor(random() * (time - 1000 + 10));
      const expected = model.findIndex((r) => r.time >= t);
      expect(c.seqAtTime(t), `seqAtTime(${t})`).toBe(expected === -1 ? model.length : expected);
    }

    const queries = [
      { query: { text: 'nack' }, find: (s: string) => all(s, /nack/gu) },
      { query: { text: 'id' }, find: (s: string) => all(s, /id/gu) },
      { query: { text: '✓' }, find: (s: string) => all(s, /✓/gu) },
      { query: { text: 'boot', ignoreCase: true }, find: (s: string) => all(s, /boot/giu) },
      { query: { regex: /<(err|inf)> i2c/u }, find: (s: string) => all(s, /<(err|inf)> i2c/gu) },
      { query: { regex: /x*/u }, find: (s: string) => all(s, /x*/gu) },
    ];
    for (const { query, find } of queries) {
      for (let round = 0; round < 15; round += 1) {
        const from = Math.floor(random() * 1500);
        const to = from + Math.floor(random() * 600);
        const limit = 1 + Math.floor(random() * 80);
        const result = await c.search(query, { from, to, limit });
        const expected = model
          .slice(from, Math.min(to, model.length))
          .map((r) => ({ ...r, matches: find(r.text) }))
          .filter((r) => r.matches.length > 0);
        const context = `${JSON.stringify(query)} from ${from} to ${to} limit ${limit}`;
        expect(result.hits, context).toEqual(expected.slice(0, limit));
        if (expected.length < limit) expect(result.complete, context).toBe(true);
        if (expected.length > limit) expect(result.complete, context).toBe(false);
        // Stopped by the limit: a follow-up search starts right after the last hit.
        if (!result.complete) expect(result.scannedTo, context).toBe((expected[limit - 1]?.seq ?? 0) + 1);
      }
    }
  });
});

function all(text: string, regex: RegExp): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const m of text.matchAll(regex)) {
    if (m[0].length === 0 && out.length > 0 && out[out.length - 1]?.start === m.index) continue;
    out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** A real collection before each heap reading, so the bound measures what is kept, not what is not yet collected. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('log capture at 1,000,000 lines', () => {
  it('keeps memory flat while appending, and searches the whole capture', async () => {
    const c = capture({ session: 'big' });
    const lines = 1_000_000;
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    for (let i = 0; i < lines; i += 1) c.append(`[00:00:${i % 60}] <inf> sensor: sample ${i} ok`, { time: 1_700_000_000_000 + i });
    c.flush();
    const appendMs = performance.now() - started;
    collectGarbage();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    // The sparse index is about 1,000 entries; keeping the lines would take well over 50 MiB.
    expect(heapGrowth).toBeLessThan(4 * 1024 * 1024);
    expect(c.count).toBe(lines);

    const searchStarted = performance.now();
    const result = await c.search({ text: 'sample 999999 ' }, { limit: 10 });
    const searchMs = performance.now() - searchStarted;
    expect(result.hits.map((h) => h.seq)).toEqual([999_999]);
    const regexStarted = performance.now();
    const byRegex = await c.search({ regex: /sample 99999[0-9] ok$/u }, { limit: 100 });
    const regexMs = performance.now() - regexStarted;
    expect(byRegex.hits.map((h) => h.seq)).toEqual([999_990, 999_991, 999_992, 999_993, 999_994, 999_995, 999_996, 999_997, 999_998, 999_999]);
    expect(c.readRange(500_000, 2).map((r) => r.text)).toEqual(['[00:00:20] <inf> sensor: sample 500000 ok', '[00:00:21] <inf> sensor: sample 500001 ok']);
    console.info(
      `log capture: ${lines} lines appended in ${appendMs.toFixed(0)} ms (${Math.round(lines / (appendMs / 1000))} lines/s), ` +
        `heap +${(heapGrowth / 1048576).toFixed(1)} MiB, ${(statSync(join(folder, 'big.fblog')).size / 1048576).toFixed(1)} MiB on disk, ` +
        `text search over all lines ${searchMs.toFixed(0)} ms, regex search ${regexMs.toFixed(0)} ms`,
    );
  }, 60_000);
});
