// Run in a child process by capture-engine-crash.test.ts: feeds numbered device lines to a
// CaptureEngine in random chunks as fast as it can (resuming the capture a killed run left),
// and after each batch prints how many lines the capture holds once its complete lines are
// with the kernel, until it is killed or its time is up. Arguments: the captures folder, a
// seed, the most milliseconds to run.
import { CaptureEngine } from '../../src-main/core/logs/capture-engine';
import { mulberry32 } from '../../src-main/virtual/seeded-random';

export const CAPTURE = 'engine-crash';
export const lineFor = (n: number): string => `[00:00:${String(n % 60).padStart(2, '0')}.000,000] <inf> app: line ${n} ${'é'.repeat(n % 7)}${'x'.repeat(n % 89)}`;

const [folder, seedText, maxMsText] = process.argv.slice(2);
if (folder && seedText && maxMsText) {
  const random = mulberry32(Number(seedText));
  const engine = new CaptureEngine({ folder });
  const options = {
    meta: { captureId: CAPTURE, deviceId: 'virtual', device: 'virtual sensor node', serialNumber: null, profileId: null, source: 'serial' as const, settings: null, startedAt: new Date().toISOString(), endedAt: null },
    levelPatterns: [],
    knownIssues: [],
    bootBanner: null,
  };
  await engine.resume(options);
  let next = (await engine.read(CAPTURE, 0, 0)).captured;
  const stopAt = Date.now() + Number(maxMsText);
  console.log('ready');
  const burst = async (): Promise<void> => {
    const lines = 1 + Math.floor(random() * 300);
    const bytes = Buffer.from(Array.from({ length: lines }, (_, i) => `${lineFor(next + i)}\r\n`).join(''), 'utf8');
    next += lines;
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * 700);
      engine.ingest(CAPTURE, Date.now(), bytes.subarray(at, at + size));
      at += size;
    }
    engine.flushToDisk(CAPTURE);
    console.log(`flushed ${(await engine.read(CAPTURE, 0, 0)).captured}`);
    if (Date.now() < stopAt) setImmediate(() => void burst());
    else process.exit(0);
  };
  void burst();
}
