// A capture taken by the capture engine survives the process dying mid-stream: a real child
// process feeds numbered lines in random chunks and is killed with SIGKILL at a random point,
// several times over one capture, each run resuming the capture the last one left. Every line
// it reported on disk (and possibly more) reads back in order with its exact text, and
// nothing half-written shows up as a line.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureEngine } from '../../src-main/core/logs/capture-engine';
import { CAPTURE, lineFor } from '../helpers/capture-engine-writer';
import { useCrashWriter } from '../helpers/crash-writer';

const ROUNDS = 4;
const WRITER_MAX_MS = 20_000;

const crash = useCrashWriter('capture-engine-writer.ts', 'fieldbench-engine-crash-');

describe('capture engine under SIGKILL', () => {
  it('reads every reported line back, in order and intact, across repeated hard kills and resumes', async () => {
    const folder = join(crash.workDir(), 'captures');
    const baseSeed = Math.floor(Math.random() * 2 ** 31);
    let acknowledged = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const seed = baseSeed + round;
      const killAfterAcks = 1 + Math.floor(Math.random() * 40);
      const result = await crash.writer().run({
        dataDir: folder,
        seed,
        maxMs: WRITER_MAX_MS,
        killAfterAcks,
        onLine: (line) => {
          const [kind, count] = line.split(' ');
          if (kind !== 'flushed' || !count) return false;
          acknowledged = Math.max(acknowledged, Number(count));
          return true;
        },
      });
      const context = `round ${round}, seed ${seed}, killed after ${result.acks} reports`;
      expect(result.signal, `${context}: the writer ended on its own (stderr: ${result.stderr})`).toBe('SIGKILL');

      const reader = new CaptureEngine({ folder });
      try {
        const total = (await reader.read(CAPTURE, 0, 0)).captured;
        expect(total, context).toBeGreaterThanOrEqual(acknowledged);
        for (let offset = 0; offset < total; offset += 2000) {
          const page = await reader.read(CAPTURE, offset, 2000);
          page.lines.forEach((line, i) => {
            expect(line.seq, context).toBe(offset + i);
            expect(line.text, context).toBe(lineFor(offset + i));
          });
        }
        acknowledged = total;
      } finally {
        await reader.close();
      }
    }
  });
});
