// The capture engine end to end over real capture files: bytes in random chunks come back as
// the lines they were, once each and in order; notes fall between them where they were made;
// a finished capture reopened by another engine reads the same, and its known-issue flags
// are rebuilt from the file; a capture cut short by a crash reads up to the cut.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsoleFilter, ConsoleLine } from '../../src-main/api/console-schemas';
import { isFieldbenchError } from '../../src-main/api/errors';
import { CaptureEngine } from '../../src-main/core/logs/capture-engine';
import type { CaptureMeta, CaptureOpenOptions, CaptureProgress } from '../../src-main/core/logs/capture-service';
import { mulberry32 } from '../../src-main/virtual/seeded-random';

let folder: string;
const engines: CaptureEngine[] = [];

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'fieldbench-capture-engine-'));
});
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  rmSync(folder, { recursive: true, force: true });
});

function engine(options: { partialLineMs?: number | null; progressIntervalMs?: number } = {}): CaptureEngine {
  const e = new CaptureEngine({ folder, ...options });
  engines.push(e);
  return e;
}

const DEVICE = 'Sensor Node SN-0042';
const meta = (captureId: string): CaptureMeta => ({
  captureId,
  deviceId: 'serial:/dev/ttyACM0',
  device: DEVICE,
  serialNumber: 'SN-0042',
  profileId: 'sensor-node',
  source: 'serial',
  settings: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
  startedAt: '2026-11-27T11:00:00.000Z',
  endedAt: null,
});
const openOptions = (captureId: string): CaptureOpenOptions => ({
  meta: meta(captureId),
  levelPatterns: [],
  knownIssues: [
    { id: 'i2c-nack', title: 'I2C sensor not answering', regex: 'i2c.*nack', source: 'knowledge-base', articleId: 'kb-i2c', hint: 'Reseat the sensor' },
    { id: 'bad', title: 'Broken pattern', regex: '(x+)+', source: 'profile' },
  ],
  bootBanner: '^\\*\\*\\* Booting Zephyr',
});

const LEVELS = ['err', 'wrn', 'inf', 'dbg'] as const;
const LEVEL_NAMES = { err: 'error', wrn: 'warn', inf: 'info', dbg: 'debug' } as const;

/** Line n of a device's log: Zephyr format, some coloured, some flagged, a boot banner now and then. */
function deviceLine(n: number): { raw: string; text: string; level: ConsoleLine['level']; flagged: boolean; reboot: boolean } {
  if (n % 97 === 0) return { raw: '*** Booting Zephyr OS build v3.7.0 ***', text: '*** Booting Zephyr OS build v3.7.0 ***', level: null, flagged: false, reboot: true };
  const level = LEVELS[n % LEVELS.length]!;
  const flagged = n % 31 === 5;
  const message = flagged ? `i2c read ${n} got NACK` : `sample ${n} é€ ok`;
  const text = `[00:00:${String(n % 60).padStart(2, '0')}.000,000] <${level}> app: ${message}`;
  const raw = n % 3 === 0 ? `\u001b[1;33m${text}\u001b[0m` : text;
  return { raw, text, level: LEVEL_NAMES[level], flagged, reboot: false };
}

async function readAll(e: CaptureEngine, captureId: string, filter?: ConsoleFilter): Promise<ConsoleLine[]> {
  const lines: ConsoleLine[] = [];
  for (let offset = 0; ; offset += 333) {
    const page = await e.read(captureId, offset, 333, filter);
    lines.push(...page.lines);
    if (page.lines.length < 333) {
      expect(lines.length).toBe(page.total);
      return lines;
    }
  }
}

describe('capture engine', () => {
  it('reads back every line once, in order, with notes where they were made; reopened it reads the same', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const random = mulberry32(seed);
    const e = engine();
    const progress: CaptureProgress[] = [];
    e.onProgress((p) => progress.push(p));
    await e.open(openOptions('run'));

    const model: { kind: ConsoleLine['kind']; text: string; time: number; level: ConsoleLine['level']; flagged: boolean; reboot: boolean }[] = [];
    const endings = ['\n', '\r', '\r\n'];
    const parts: Buffer[] = [];
    const starts: number[] = [];
    let length = 0;
    for (let n = 0; n < 3000; n++) {
      const line = deviceLine(n);
      starts.push(length);
      parts.push(Buffer.from(line.raw + endings[Math.floor(random() * 3)]!, 'utf8'));
      length += parts.at(-1)!.length;
      model.push({ kind: 'device', text: line.text, time: 0, level: line.level, flagged: line.flagged, reboot: line.reboot });
    }
    const stream = Buffer.concat(parts);
    // Cut the stream anywhere (inside CRLFs and characters too); a note goes in only between lines.
    let at = 0;
    let time = 1_000_000;
    let lineIndex = 0;
    const expected: typeof model = [];
    while (at < stream.length) {
      const size = 1 + Math.floor(random() * 300);
      const end = Math.min(stream.length, at + size);
      // Every line starting in this chunk arrives at this chunk's time.
      while (lineIndex < starts.length && starts[lineIndex]! < end) {
        expected.push({ ...model[lineIndex]!, time });
        lineIndex++;
      }
      e.ingest('run', time, stream.subarray(at, end));
      at = end;
      const boundary = lineIndex < starts.length ? starts[lineIndex] === at : true;
      // After a lone CR the LF may still come: a note there would split a CRLF, so wait for a clean end.
      if (boundary && stream[at - 1] === 0x0a && random() < 0.05) {
        const kind = (['sent', 'mark', 'gap', 'note'] as const)[Math.floor(random() * 4)]!;
        const note = await e.note('run', kind, `${kind} after ${lineIndex}`, time);
        expect(note).toMatchObject({ kind, text: `${kind} after ${lineIndex}`, seq: expected.length });
        expected.push({ kind, text: note.text, time, level: null, flagged: false, reboot: false });
      }
      time += 1;
    }
    const context = `seed ${seed}`;
    const live = await readAll(e, 'run');
    expect(live.map((l) => [l.seq, l.kind, l.text, l.time, l.level, l.issues.length > 0, l.reboot]), context).toEqual(
      expected.map((m, seq) => [seq, m.kind, m.text, m.time, m.level, m.flagged, m.reboot]),
    );
    expect(live.find((l) => l.issues.length > 0)?.issues).toEqual(['i2c-nack']);
    expect(live.find((l) => l.text.includes('\u001b'))).toBeUndefined();
    expect(live.some((l) => l.spans.some((s) => s.fg === 'yellow' && s.bold))).toBe(true);

    const liveFlags = await e.flags('run');
    expect(liveFlags.map((f) => f.seq)).toEqual(expected.flatMap((m, seq) => (m.flagged ? [seq] : [])));
    expect(liveFlags[0]).toMatchObject({ issueId: 'i2c-nack', source: 'knowledge-base', articleId: 'kb-i2c', hint: 'Reseat the sensor' });
    const summary = await e.finish('run', '2026-11-27T12:00:00.000Z');
    // Progress is paced, and finishing reports what was still waiting: every flag is told once.
    expect(progress.flatMap((p) => p.flags).map((f) => f.seq)).toEqual(liveFlags.map((f) => f.seq));
    expect(progress.at(-1)?.lines).toBe(expected.length);
    expect(summary).toMatchObject({ captureId: 'run', lines: expected.length, live: false, endedAt: '2026-11-27T12:00:00.000Z' });

    const other = engine();
    expect(await readAll(other, 'run')).toEqual(live);
    expect(await other.flags('run')).toEqual(liveFlags);
    const errorsAndMarks = await readAll(other, 'run', { levels: ['error'] });
    expect(errorsAndMarks.map((l) => l.seq)).toEqual(live.filter((l) => l.level === 'error' || l.kind !== 'device').map((l) => l.seq));
    const located = await other.locate('run', 1500, { levels: ['error'] });
    expect(errorsAndMarks[located.offset!]!.seq).toBe(errorsAndMarks.find((l) => l.seq >= 1500)!.seq);
    const found = await other.search('run', { query: 'I2C READ', ignoreCase: true, limit: 1000 });
    expect(found.hits.map((h) => h.seq)).toEqual(liveFlags.map((f) => f.seq));
    expect((await other.list()).map((c) => [c.captureId, c.lines, c.live])).toEqual([['run', expected.length, false]]);
  });

  it('writes a line without its end after the idle time, timed by its first byte', async () => {
    const e = engine({ partialLineMs: 20 });
    await e.open(openOptions('prompt'));
    e.ingest('prompt', 5, Buffer.from('uart:~$ '));
    const deadline = Date.now() + 5000;
    let read = await e.read('prompt', 0, 10);
    while (read.total === 0 && Date.now() < deadline) {
      await sleep(10);
      read = await e.read('prompt', 0, 10);
    }
    expect(read.lines.map((l) => [l.text, l.time])).toEqual([['uart:~$ ', 5]]);
    e.ingest('prompt', 6, Buffer.from('kernel\n'));
    expect((await e.read('prompt', 1, 10)).lines.map((l) => l.text)).toEqual(['kernel']);
  });

  it('with its own timer off, writes a line without its end only when told the port went quiet', async () => {
    const e = engine({ partialLineMs: null });
    await e.open(openOptions('told'));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    try {
      e.ingest('told', 5, Buffer.from('uart:~$ '));
      vi.advanceTimersByTime(60_000);
      expect(e.flushToDisk('told')).toBe(8);
      expect((await e.read('told', 0, 10)).total).toBe(0);
      e.endPartialLine('told');
      expect(e.flushToDisk('told')).toBe(0);
      e.endPartialLine('told');
      e.ingest('told', 6, Buffer.from('kernel\nver'));
      vi.advanceTimersByTime(60_000);
      expect((await e.read('told', 0, 10)).lines.map((l) => [l.text, l.time])).toEqual([
        ['uart:~$ ', 5],
        ['kernel', 6],
      ]);
      expect(e.flushToDisk('told')).toBe(3);
    } finally {
      vi.useRealTimers();
    }
    expect(() => e.endPartialLine('missing')).toThrow(/no live capture/u);
  });

  it('refuses a taken id, unknown captures and bad searches with errors that name the device and step', async () => {
    const e = engine();
    await e.open(openOptions('taken'));
    await expect(e.open(openOptions('taken'))).rejects.toMatchObject({ code: 'invalid-request', device: DEVICE, step: 'open capture' });
    await expect(e.read('missing', 0, 10)).rejects.toMatchObject({ code: 'not-found', step: 'read capture' });
    expect(() => e.ingest('missing', 0, Buffer.from('x'))).toThrow(/no live capture/u);
    await expect(e.search('taken', { query: '(a+)+', regex: true, limit: 10 })).rejects.toMatchObject({ code: 'invalid-request', device: DEVICE });
    await expect(e.search('taken', { query: '(', regex: true, limit: 10 })).rejects.toMatchObject({ code: 'invalid-request', step: 'search capture' });
    await expect(e.read('taken', 0, 10, { text: '(', regex: true })).rejects.toSatisfy((error: unknown) => isFieldbenchError(error) && error.step === 'filter log view');
    await e.finish('taken', '2026-11-27T12:00:00.000Z');
    await expect(e.note('taken', 'mark', 'late', 1)).rejects.toMatchObject({ code: 'invalid-request', step: 'add mark to capture' });
  });

  it('reads a capture cut short by a crash up to the cut', async () => {
    const e = engine();
    await e.open(openOptions('crashed'));
    for (let n = 0; n < 500; n++) e.ingest('crashed', n, Buffer.from(`${deviceLine(n).raw}\n`));
    e.ingest('crashed', 500, Buffer.from('half a li'));
    expect(e.flushToDisk('crashed')).toBe('half a li'.length);
    // What a process killed inside a write leaves: the start of a record, never finished.
    appendFileSync(join(folder, 'crashed.fblog'), Buffer.from([40, 0, 0, 0, 1, 2, 3]));
    const after = engine();
    const lines = await readAll(after, 'crashed');
    expect(lines.map((l) => l.text)).toEqual(Array.from({ length: 500 }, (_, n) => deviceLine(n).text));
    const listed = (await after.list()).find((c) => c.captureId === 'crashed');
    expect(listed).toMatchObject({ lines: 500, live: false, device: DEVICE });
  });

  it('exports a range and refuses one too big, saying how much fits', async () => {
    const e = engine();
    await e.open(openOptions('exp'));
    for (let n = 1; n <= 200; n++) e.ingest('exp', 1_795_000_000_000 + n, Buffer.from(`${deviceLine(n).raw}\r\n`));
    const out = await e.export('exp', 'text', { fromSeq: 10, toSeq: 19 }, 1 << 20);
    expect(out.lines).toBe(10);
    const rows = Buffer.from(out.bytes).toString('utf8').trimEnd().split('\n');
    expect(rows.filter((r) => !r.startsWith('#'))).toHaveLength(10);
    expect(rows.at(-1)).toContain(deviceLine(20).text);
    await expect(e.export('exp', 'jsonl', {}, 4000)).rejects.toMatchObject({ code: 'invalid-request', hint: expect.stringMatching(/at most \d+ lines/u) });
  });
});
