// What the station's process spends while a tray runs: CPU time (every thread of the
// process: the main loop, the capture worker, libuv's pool) over the wall time, memory at its
// peak, and how late the event loop ran timers, which every unit's serial port, SMP client and
// state machine share.
import { monitorEventLoopDelay } from 'node:perf_hooks';

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
}

/** Samples memory every `everyMs` from now until the returned stop is called. */
export function sampleProcessUsage(everyMs = 100): { stop(): ProcessUsage } {
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
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      loop.disable();
      const cpu = process.cpuUsage(cpuStart);
      return {
        wallMs: performance.now() - start,
        cpuMs: (cpu.user + cpu.system) / 1000,
        rssBeforeBytes: before.rss,
        rssPeakBytes: rssPeak,
        heapUsedBeforeBytes: before.heapUsed,
        heapUsedPeakBytes: heapPeak,
        samples,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
      };
    },
  };
}
