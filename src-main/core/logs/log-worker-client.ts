// The capture service the main process uses: the CaptureEngine runs in a worker thread
// (log-worker.ts), so splitting, parsing, matching and searching never hold up the main
// process, and this client speaks to it through log-worker-protocol.ts.
//
// What the client promises on top of the engine's own work:
// - Every call has a deadline and fails with a timeout that names the capture and the step.
//   A call that times out makes the client ping the worker; a worker that does not answer
//   the ping either is hung, and is stopped and started again.
// - Ingest is one-way, but never lost silently. The worker acknowledges the bytes of each
//   capture that are on disk; when it dies (a crash, an exit, a hang), the client starts a
//   new one (a few times a minute at most), opens each live capture again for writing (the
//   capture file cuts a torn tail by itself) and writes a gap note there counting the bytes
//   that were posted but never acknowledged, plus any that arrived while no worker ran.
// - Calls pending in a worker that died fail at once, saying so and to retry.
import { Worker } from 'node:worker_threads';
import type { CaptureFormat, CaptureRange, CaptureSummary, ConsoleFilter, ConsoleFlag, ConsoleLine, ConsoleRead, ConsoleSearchResult } from '../../api/console-schemas';
import { FieldbenchError } from '../../api/errors';
import type {
  CaptureNoteKind,
  CaptureOpenOptions,
  CaptureProgress,
  CaptureSearchRequest,
  CaptureService,
  CaptureServiceOptions,
} from './capture-service';
import { locateLogWorker } from './log-worker-location';
import { parseFromWorker, type CallMethod, type DebugMessage, type FromWorker, type LogWorkerData, type ToWorker } from './log-worker-protocol';

const WORKER = 'capture worker';

export interface LogWorkerDeadlines {
  /** open, note, finish, read, locate, flags, list (default 10 s). */
  readMs: number;
  searchMs: number;
  exportMs: number;
  /** How long a worker that missed a deadline has to answer a ping before it counts as hung. */
  pingMs: number;
  /** For close() to finish every live capture. */
  closeMs: number;
  /** For a new worker to load and say it is ready; calls' deadlines count from then. */
  startMs: number;
}

export const DEFAULT_LOG_WORKER_DEADLINES: LogWorkerDeadlines = { readMs: 10_000, searchMs: 30_000, exportMs: 60_000, pingMs: 2_000, closeMs: 15_000, startMs: 10_000 };

/** No partialLineMs: the worker writes a partial line only when told (endPartialLine). */
export interface LogWorkerClientOptions extends Omit<CaptureServiceOptions, 'partialLineMs'> {
  /** The built worker; found by locateLogWorker() when not given. */
  workerFile?: string;
  deadlines?: Partial<LogWorkerDeadlines>;
  /** At most `restarts` restarts within `windowMs` (default 3 a minute); past that the worker stays down until the window allows another. */
  restartLimit?: { restarts: number; windowMs: number };
  /** How often the worker acknowledges ingested bytes on disk (default 100 ms). */
  ackIntervalMs?: number;
  /** Something one-way failed: an ingest refused, a worker that stopped and was restarted (or could not be). */
  onProblem?: (error: FieldbenchError) => void;
  /** Let tests inject faults into the worker (debug messages). Never set outside tests. */
  debug?: boolean;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Armed once the worker is ready: loading it is not its answering late. */
  timer: NodeJS.Timeout | null;
  arm(): void;
  worker: Worker;
}

interface LiveCapture {
  options: CaptureOpenOptions;
  /** Open in the current worker (its open or resume was sent): ingest goes there. */
  opened: boolean;
  /** Bytes posted to the current worker, and how many of them it acknowledged as on disk. */
  posted: number;
  acked: number;
  /** Bytes that arrived while no worker ran. */
  dropped: number;
}

interface CallSpec {
  captureId: string | null;
  deadlineMs: number;
  step: string;
}

export type LogWorkerClient = CaptureService & Pick<LogWorkerCaptureService, 'unacknowledged' | 'debug'>;

export function createLogWorkerClient(options: LogWorkerClientOptions): LogWorkerClient {
  return new LogWorkerCaptureService(options);
}

class LogWorkerCaptureService implements CaptureService {
  private readonly workerFile: string;
  private readonly deadlines: LogWorkerDeadlines;
  private readonly restartLimit: { restarts: number; windowMs: number };
  private readonly now: () => number;
  private worker: Worker | null = null;
  private workerReady = false;
  /** Why the last worker stopped: said in the gap notes and errors. */
  private stopReason = '';
  private readonly restartTimes: number[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, PendingCall>();
  private readonly live = new Map<string, LiveCapture>();
  /** Device names of captures seen, so a time-out names the device, not only the capture id. */
  private readonly devices = new Map<string, string>();
  private readonly listeners = new Set<(progress: CaptureProgress) => void>();
  private pinging = false;
  /** close() has begun: no restarts, no pings. */
  private closing = false;
  private closed = false;
  /** When the current worker last sent anything (monotonic ms): a worker silent with bytes to acknowledge may be hung. */
  private lastHeard = 0;
  private readonly watchdog: NodeJS.Timeout;

  constructor(private readonly options: LogWorkerClientOptions) {
    this.workerFile = options.workerFile ?? locateLogWorker();
    this.deadlines = { ...DEFAULT_LOG_WORKER_DEADLINES, ...options.deadlines };
    this.restartLimit = options.restartLimit ?? { restarts: 3, windowMs: 60_000 };
    this.now = options.now ?? Date.now;
    this.start();
    // Ingest alone never times out, so a worker that hangs while only bytes flow would go
    // unnoticed: its silence, with bytes waiting for an acknowledgement, counts as a missed deadline.
    this.watchdog = setInterval(() => this.checkSilence(), Math.max(50, Math.min(this.deadlines.pingMs, this.deadlines.readMs) / 2));
    this.watchdog.unref();
  }

  async open(openOptions: CaptureOpenOptions): Promise<CaptureSummary> {
    const { captureId, device } = openOptions.meta;
    this.devices.set(captureId, device);
    if (this.live.has(captureId)) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `capture ${captureId} is already open for writing`,
        device,
        step: 'open capture',
        hint: 'Choose a new capture id, or finish the open capture first',
      });
    }
    const entry: LiveCapture = { options: openOptions, opened: false, posted: 0, acked: 0, dropped: 0 };
    this.live.set(captureId, entry);
    try {
      const summary = await this.call<CaptureSummary>('open', [openOptions], { captureId, deadlineMs: this.deadlines.readMs, step: 'open capture' });
      entry.opened = true;
      return summary;
    } catch (error) {
      if (this.live.get(captureId) === entry) this.live.delete(captureId);
      throw error;
    }
  }

  ingest(captureId: string, time: number, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const entry = this.live.get(captureId);
    if (this.closed) {
      this.report(
        new FieldbenchError({
          code: 'unavailable',
          message: `${bytes.byteLength} bytes arrived after the capture service closed and were not captured`,
          device: this.deviceOf(captureId),
          step: `capture ${captureId}`,
          hint: 'Close the console before closing the capture service',
        }),
      );
      return;
    }
    const worker = this.worker ?? this.restartIfAllowed();
    if (!worker) {
      if (entry) entry.dropped += bytes.byteLength;
      return;
    }
    // A copy of our own to transfer: the caller's chunk may be a view into a buffer it (or
    // another listener on the same port) still uses, and transferring would detach it.
    const copy = new Uint8Array(bytes);
    const message: ToWorker = { type: 'ingest', captureId, time, bytes: copy };
    worker.postMessage(message, [copy.buffer]);
    if (entry) entry.posted += bytes.byteLength;
  }

  endPartialLine(captureId: string): void {
    // Without a worker there is no partial line to write: a restarted one resumes the capture without it.
    if (this.closed || !this.worker || !this.live.has(captureId)) return;
    const message: ToWorker = { type: 'end-partial-line', captureId };
    this.worker.postMessage(message);
  }

  async note(captureId: string, kind: CaptureNoteKind, text: string, time: number): Promise<ConsoleLine> {
    return this.call<ConsoleLine>('note', [captureId, kind, text, time], { captureId, deadlineMs: this.deadlines.readMs, step: `write ${kind} note` });
  }

  async finish(captureId: string, endedAt: string): Promise<CaptureSummary> {
    const summary = await this.call<CaptureSummary>('finish', [captureId, endedAt], { captureId, deadlineMs: this.deadlines.readMs, step: 'finish capture' });
    this.live.delete(captureId);
    return summary;
  }

  read(captureId: string, offset: number, count: number, filter?: ConsoleFilter): Promise<ConsoleRead> {
    return this.call('read', [captureId, offset, count, filter], { captureId, deadlineMs: this.deadlines.readMs, step: 'read capture' });
  }

  locate(captureId: string, seq: number, filter?: ConsoleFilter): Promise<{ offset: number | null; total: number }> {
    return this.call('locate', [captureId, seq, filter], { captureId, deadlineMs: this.deadlines.readMs, step: 'locate line' });
  }

  search(captureId: string, request: CaptureSearchRequest): Promise<ConsoleSearchResult> {
    return this.call('search', [captureId, request], { captureId, deadlineMs: this.deadlines.searchMs, step: 'search capture' });
  }

  export(captureId: string, format: CaptureFormat, range: CaptureRange, maxBytes: number): Promise<{ bytes: Uint8Array; lines: number }> {
    return this.call('export', [captureId, format, range, maxBytes], { captureId, deadlineMs: this.deadlines.exportMs, step: 'export capture' });
  }

  flags(captureId: string): Promise<ConsoleFlag[]> {
    return this.call('flags', [captureId], { captureId, deadlineMs: this.deadlines.readMs, step: 'read known-issue flags' });
  }

  async list(): Promise<CaptureSummary[]> {
    const summaries = await this.call<CaptureSummary[]>('list', [], { captureId: null, deadlineMs: this.deadlines.readMs, step: 'list captures' });
    for (const summary of summaries) this.devices.set(summary.captureId, summary.device);
    return summaries;
  }

  /** Bytes of a live capture posted to the worker and not yet confirmed on disk: what a crash now could lose. */
  unacknowledged(captureId: string): number {
    const entry = this.live.get(captureId);
    return entry ? entry.posted - entry.acked + entry.dropped : 0;
  }

  onProgress(listener: (progress: CaptureProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    let failure: unknown = null;
    if (this.worker) {
      try {
        await this.call('close', [], { captureId: null, deadlineMs: this.deadlines.closeMs, step: 'finish live captures' });
      } catch (error) {
        failure = error;
      }
    }
    this.closed = true;
    clearInterval(this.watchdog);
    const worker = this.worker;
    this.worker = null;
    this.live.clear();
    if (worker) await worker.terminate();
    this.failPending(null, 'the capture service closed');
    if (failure) throw failure;
  }

  /** Test-only faults; the worker refuses them unless the client was created with `debug`. */
  debug(message: DebugMessage): void {
    this.worker?.postMessage(message);
  }

  private start(): Worker {
    const workerData: LogWorkerData = {
      folder: this.options.folder,
      ackIntervalMs: this.options.ackIntervalMs ?? 100,
      ...(this.options.progressIntervalMs !== undefined && { progressIntervalMs: this.options.progressIntervalMs }),
      ...(this.options.debug && { debug: true }),
    };
    const worker = new Worker(this.workerFile, { workerData });
    this.worker = worker;
    this.workerReady = false;
    this.lastHeard = performance.now();
    let crash: Error | null = null;
    const startTimer = setTimeout(() => this.replace(worker, `it did not start within ${this.deadlines.startMs} ms`), this.deadlines.startMs);
    worker.on('message', (message: unknown) => {
      if (worker !== this.worker) return;
      if (!this.workerReady && isReady(message)) {
        clearTimeout(startTimer);
        this.workerReady = true;
        this.lastHeard = performance.now();
        for (const call of this.pending.values()) if (call.worker === worker && !call.timer) call.arm();
        return;
      }
      this.receive(worker, message);
    });
    worker.on('error', (error) => (crash = error));
    worker.on('exit', (code) => {
      clearTimeout(startTimer);
      this.stopped(worker, crash ? `it failed: ${crash.message}` : `it exited with code ${code}`);
    });
    return worker;
  }

  private checkSilence(): void {
    const worker = this.worker;
    if (!worker || !this.workerReady || performance.now() - this.lastHeard < this.deadlines.readMs) return;
    for (const entry of this.live.values()) {
      if (entry.posted > entry.acked) {
        this.checkAlive(worker);
        return;
      }
    }
  }

  private receive(worker: Worker, raw: unknown): void {
    this.lastHeard = performance.now();
    const message = parseFromWorker(raw);
    if (!message) {
      this.report(protocolError('a message the protocol does not know'));
      return;
    }
    this.handle(worker, message);
  }

  private handle(worker: Worker, message: FromWorker): void {
    if (message.type === 'result') {
      const call = this.pending.get(message.id);
      if (!call || call.worker !== worker) return; // it timed out already
      this.pending.delete(message.id);
      if (call.timer) clearTimeout(call.timer);
      if (message.ok) call.resolve(message.value);
      else call.reject(new FieldbenchError(message.error));
    } else if (message.type === 'progress') {
      const entry = this.live.get(message.captureId);
      if (entry) entry.acked = Math.max(entry.acked, message.ackedBytes);
      if (message.progress) for (const listener of this.listeners) listener(message.progress);
    } else if (message.type === 'problem') {
      this.report(new FieldbenchError(message.error));
    }
  }

  private call<T>(method: CallMethod, args: unknown[], spec: CallSpec): Promise<T> {
    if (this.closed) return Promise.reject(this.unavailable(spec, 'the capture service is closed', 'Open the console again'));
    const worker = this.worker ?? this.restartIfAllowed();
    if (!worker) {
      return Promise.reject(
        this.unavailable(spec, `the capture worker is down: ${this.stopReason}; it stopped ${this.restartLimit.restarts + 1} times within ${this.restartLimit.windowMs / 1000} s`, 'Wait a minute and retry; if it keeps stopping, restart Fieldbench'),
      );
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const call: PendingCall = {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: null,
        worker,
        arm: () => {
          call.timer = setTimeout(() => {
            this.pending.delete(id);
            reject(
              new FieldbenchError({
                code: 'timeout',
                message: `the capture worker did not answer in ${spec.deadlineMs} ms`,
                device: this.deviceOf(spec.captureId),
                step: stepOf(spec),
                hint: 'Try again; a very large capture may need a smaller range',
              }),
            );
            this.checkAlive(worker);
          }, spec.deadlineMs);
        },
      };
      this.pending.set(id, call);
      if (this.workerReady) call.arm();
      const message: ToWorker = { type: 'call', id, method, args };
      worker.postMessage(message);
    });
  }

  /** A call missed its deadline: a worker that cannot answer a ping either is hung, and is replaced. */
  private checkAlive(worker: Worker): void {
    if (this.pinging || this.closing || worker !== this.worker) return;
    this.pinging = true;
    const ms = this.deadlines.pingMs;
    this.call('ping', [], { captureId: null, deadlineMs: ms, step: 'check the capture worker' })
      .catch((error: unknown) => {
        // A worker still sending (progress of a backlog of ingest it works through) is busy, not hung.
        const silent = performance.now() - this.lastHeard >= ms;
        if (error instanceof FieldbenchError && error.code === 'timeout' && silent) this.replace(worker, `it did not answer for ${ms} ms and was stopped`);
      })
      .finally(() => (this.pinging = false));
  }

  /** Stops a worker that is hung or never started, and goes on as if it had died. */
  private replace(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    // Its exit handler will see a worker that is no longer current; its work is done here.
    this.worker = null;
    void worker.terminate();
    this.stopped(worker, reason, true);
  }

  private stopped(worker: Worker, reason: string, replaced = false): void {
    if (worker !== this.worker && !replaced) return;
    this.stopReason = reason;
    this.worker = null;
    this.failPending(worker, `the capture worker stopped (${this.stopReason}) before answering`);
    if (this.closing || this.closed) return;
    this.report(
      new FieldbenchError({
        code: 'internal',
        message: `the capture worker stopped: ${this.stopReason}`,
        device: WORKER,
        step: 'capture',
        hint: 'It is started again and each live capture gets a gap note; report this if it repeats',
      }),
    );
    if (this.restartIfAllowed()) return;
    this.report(
      new FieldbenchError({
        code: 'unavailable',
        message: `the capture worker stopped ${this.restartLimit.restarts + 1} times within ${this.restartLimit.windowMs / 1000} s and is not started again for now`,
        device: WORKER,
        step: 'capture',
        hint: 'Bytes arriving meanwhile are counted, and noted as a gap once a worker runs again; if this repeats, restart Fieldbench',
      }),
    );
  }

  private restartIfAllowed(): Worker | null {
    if (this.worker || this.closing || this.closed) return this.worker;
    const now = this.now();
    while (this.restartTimes.length > 0 && now - this.restartTimes[0]! >= this.restartLimit.windowMs) this.restartTimes.shift();
    if (this.restartTimes.length >= this.restartLimit.restarts) return null;
    this.restartTimes.push(now);
    const worker = this.start();
    for (const [captureId, entry] of this.live) {
      if (!entry.opened) continue;
      const missing = entry.posted - entry.acked + entry.dropped;
      entry.posted = 0;
      entry.acked = 0;
      entry.dropped = 0;
      const onFailure = (error: unknown): void => this.report(asFieldbenchError(error, captureId, this.deviceOf(captureId)));
      this.call('resume', [entry.options], { captureId, deadlineMs: this.deadlines.readMs, step: 'reopen capture after the capture worker stopped' }).catch((error: unknown) => {
        entry.opened = false; // not reopened again by the next restart
        onFailure(error);
      });
      const text =
        missing > 0
          ? `the capture worker stopped (${this.stopReason}) and was restarted: up to ${missing} bytes received while it was down may be missing here`
          : `the capture worker stopped (${this.stopReason}) and was restarted: every byte received before was on disk`;
      this.note(captureId, 'gap', text, now).catch(onFailure);
    }
    return worker;
  }

  private failPending(worker: Worker | null, reason: string): void {
    for (const [id, call] of this.pending) {
      if (worker && call.worker !== worker) continue;
      this.pending.delete(id);
      if (call.timer) clearTimeout(call.timer);
      call.reject(new FieldbenchError({ code: 'unavailable', message: reason, device: WORKER, step: 'capture', hint: 'Retry: a new capture worker is started' }));
    }
  }

  private unavailable(spec: CallSpec, message: string, hint: string): FieldbenchError {
    return new FieldbenchError({ code: 'unavailable', message, device: this.deviceOf(spec.captureId), step: stepOf(spec), hint });
  }

  private deviceOf(captureId: string | null): string {
    return (captureId && this.devices.get(captureId)) ?? WORKER;
  }

  private report(error: FieldbenchError): void {
    this.options.onProblem?.(error);
  }
}

function isReady(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}

function stepOf(spec: CallSpec): string {
  return spec.captureId ? `${spec.step} ${spec.captureId}` : spec.step;
}

function asFieldbenchError(error: unknown, captureId: string, device: string): FieldbenchError {
  if (error instanceof FieldbenchError) return error;
  return new FieldbenchError({
    code: 'internal',
    message: error instanceof Error ? error.message : String(error),
    device,
    step: `reopen capture ${captureId}`,
    hint: 'Close the console and open it again',
  });
}

function protocolError(what: string): FieldbenchError {
  return new FieldbenchError({
    code: 'internal',
    message: `the capture worker sent ${what}`,
    device: WORKER,
    step: 'receive message',
    hint: 'This is a bug in Fieldbench: the message was ignored',
  });
}
