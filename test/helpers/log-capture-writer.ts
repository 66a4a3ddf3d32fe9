// Run in a child process by log-capture-crash.test.ts: appends numbered lines to a capture as
// fast as it can (marks now and then) and prints how many records each flush handed to the
// kernel, until it is killed or its time is up. Lengths vary so records straddle batch and
// chunk edges. Arguments: the capture folder, a seed, the most milliseconds to run.
import { openLogCapture } from '../../src-main/core/logs/log-capture-file';
import { mulberry32 } from '../../src-main/virtual/seeded-random';

const [folder, seedText, maxMsText] = process.argv.slice(2);
const random = mulberry32(Number(seedText));
const capture = openLogCapture({ folder: folder!, session: 'crash', device: 'virtual sensor node', flushIntervalMs: 5, flushBytes: 16 * 1024 });
const lineFor = (seq: number): string => `line ${seq} ${'x'.repeat(seq % 97)}`;
let reported = capture.flushedCount;
const stopAt = Date.now() + Number(maxMsText);
console.log('ready');

function burst(): void {
  const n = 1 + Math.floor(random() * 400);
  for (let i = 0; i < n; i += 1) {
    if (random() < 0.001) capture.mark(`mark at ${capture.count}`);
    else capture.append(lineFor(capture.count));
  }
  if (capture.flushedCount !== reported) {
    reported = capture.flushedCount;
    console.log(`flushed ${reported}`);
  }
  if (Date.now() < stopAt) setImmediate(burst);
  else process.exit(0);
}
burst();
