// What the station's process spends while a tray runs: CPU time (every thread of the
// process: the main loop, the capture worker, libuv's pool) over the wall time, memory at its
// peak, and how late the event loop ran timers, which every unit's serial port, SMP client and
// state machine share.
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

export interface ProcessUsage {
  wallMs: number;
  /** User + system CPU time over the window. */
  cpuMs: number;
  rssBeforeBytes: number;
  rssPeakBytes: number;
  heapUsedBeforeBytes: number;
  heapUsedPeakBytes: number;
  samples: number;
  /** Timer lateness on the event loop over the window. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /**
   * The same on an idle worker thread of this process: it runs nothing but its timers, so its
   * lateness is the wait for a core, not the station's work blocking its loop.
   */
  idleThreadDelayP99Ms: number;
  idleThreadDelayMaxMs: number;
  /** Every timer's lateness added up: about how long the loop could not run anything. */
  loopLateMs: number;
  idleThreadLateMs: number;
}

/**
 * The histograms' timer fires every this many ms; what they record is the time between two
 * firings, so the lateness is what lies beyond it.
 */
const RESOLUTION_MS = 10;

const lateness = (betweenFiringsMs: number) => Math.max(0, betweenFiringsMs - RESOLUTION_MS);

/** An idle thread's own timer lateness, reported when asked. */
const IDLE_PROBE = `
const { parentPort } = require('node:worker_threads');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const delay = monitorEventLoopDelay({ resolution: ${RESOLUTION_MS} });
delay.enable();
parentPort.once('message', () => {
  delay.disable();
  parentPort.postMessage({ p99: delay.percentile(99) / 1e6, max: delay.max / 1e6, mean: delay.mean / 1e6, count: delay.count });
});
`;
/** The probe answers at once; a thread that cannot answer in this time is itself a finding. */
const PROBE_ANSWER_MS = 10_000;

/**
 * Samples memory every `everyMs` from now until the returned stop is called. The probe thread
 * is running before the baseline is read, so its own memory is not counted as the station's.
 */
export async function sampleProcessUsage(everyMs = 100): Promise<{ stop(): Promise<ProcessUsage> }> {
  const probe = new Worker(IDLE_PROBE, { eval: true });
  await Promise.race([
    once(probe, 'online'),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`the idle probe thread did not start in ${PROBE_ANSWER_MS} ms`)), PROBE_ANSWER_MS).unref()),
  ]);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const before = process.memoryUsage();
  let rssPeak = before.rss;
  let heapPeak = before.heapUsed;
  let samples = 0;
  const sample = () => {
    const now = process.memoryUsage();
    rssPeak = Math.max(rssPeak, now.rss);
    heapPeak = Math.max(heapPeak, now.heapUsed);
    samples += 1;
  };
  const timer = setInterval(sample, everyMs);
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  return {
    stop: async () => {
      clearInterval(timer);
      sample();
      loop.disable();
      const cpu = process.cpuUsage(cpuStart);
      const wallMs = performance.now() - start;
      let answerTimer: NodeJS.Timeout | undefined;
      const idle = await new Promise<{ p99: number; max: number; mean: number; count: number }>((resolve, reject) => {
        probe.once('message', resolve);
        probe.once('error', reject);
        answerTimer = setTimeout(() => reject(new Error(`the idle probe thread did not answer in ${PROBE_ANSWER_MS} ms`)), PROBE_ANSWER_MS);
        probe.postMessage('stop');
      }).finally(() => {
        clearTimeout(answerTimer);
        void probe.terminate();
      });
      return {
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        rssBeforeBytes: before.rss,
        rssPeakBytes: rssPeak,
        heapUsedBeforeBytes: before.heapUsed,
        heapUsedPeakBytes: heapPeak,
        samples,
        loopDelayP99Ms: lateness(loop.percentile(99) / 1e6),
        loopDelayMaxMs: lateness(loop.max / 1e6),
        idleThreadDelayP99Ms: lateness(idle.p99),
        idleThreadDelayMaxMs: lateness(idle.max),
        loopLateMs: lateness(loop.mean / 1e6) * loop.count,
        idleThreadLateMs: lateness(idle.mean) * idle.count,
      };
    },
  };
}
