// A capture survives the app dying mid-stream. A real writer process appends numbered lines
// as fast as it can and prints how many records each flush handed to the kernel; it is
// killed with SIGKILL at a random point, several times over one capture file. Every record
// it reported (and possibly more) must be there on reopen, in order, with its exact text,
// and nothing half-written may show up as a line. A SIGKILL loses what the process held,
// not what the kernel has; power loss is what the periodic fdatasync covers, and no test
// here can pull the plug.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogCapture } from '../../src-main/core/logs/log-capture-file';
import { LogRecordFlag } from '../../src-main/core/logs/log-capture-format';
import { useCrashWriter } from '../helpers/crash-writer';

const ROUNDS = 6;
const WRITER_MAX_MS = 20_000;
/** As the writer (test/helpers/log-capture-writer.ts) opens it. */
const SESSION = 'crash';
const DEVICE = 'virtual sensor node';

const crash = useCrashWriter('log-capture-writer.ts', 'fieldbench-capture-crash-');

describe('log capture under SIGKILL', () => {
  it('keeps every record a flush reported, in order and intact, across repeated hard kills', async () => {
    const folder = join(crash.workDir(), 'captures');
    const baseSeed = Math.floor(Math.random() * 2 ** 31);
    let acknowledged = 0;

    for (let round = 0; round < ROUNDS; round += 1) {
      const seed = baseSeed + round;
      const killAfterAcks = 1 + Math.floor(Math.random() * (round % 2 === 0 ? 5 : 60));
      let roundHighest = acknowledged;
      const result = await crash.writer().run({
        dataDir: folder,
        seed,
        maxMs: WRITER_MAX_MS,
        killAfterAcks,
        onLine: (line) => {
          const [kind, count] = line.split(' ');
          if (kind !== 'flushed' || !count) return false;
          const flushed = Number(count);
          expect(flushed).toBeGreaterThan(roundHighest);
          roundHighest = flushed;
          return true;
        },
      });
      const context = `round ${round}, seed ${seed}, killed after ${result.acks} flushes`;
      expect(result.signal, `${context}: the writer ended on its own (stderr: ${result.stderr})`).toBe('SIGKILL');
      acknowledged = roundHighest;

      const capture = openLogCapture({ folder, session: SESSION, device: DEVICE });
      try {
        expect(capture.count, context).toBeGreaterThanOrEqual(acknowledged);
        for (let from = 0; from < capture.count; from += 5000) {
          for (const [i, record] of capture.readRange(from, 5000).entries()) {
            const seq = from + i;
            expect(record.seq, context).toBe(seq);
            if (record.flags & LogRecordFlag.mark) expect(record.text, context).toBe(`mark at ${seq}`);
            else expect(record.text, context).toBe(`line ${seq} ${'x'.repeat(seq % 97)}`);
          }
        }
        const last = capture.count - 1;
        const found = await capture.search({ text: `line ${last} ` }, { from: last });
        const lastIsMark = ((capture.readRange(last, 1)[0]?.flags ?? 0) & LogRecordFlag.mark) !== 0;
        if (!lastIsMark) expect(found.hits.map((h) => h.seq), context).toEqual([last]);
        acknowledged = capture.count;
      } finally {
        // A clean close leaves a sidecar index: the next writer starts from it, so both open paths run.
        capture.close();
      }
    }
  });
});
