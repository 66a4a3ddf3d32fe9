// The capture worker thread: hosts one CaptureEngine and runs the calls log-worker-client.ts
// sends, in the order they arrive (each engine method is entered in order; what it awaits
// runs on from there, as it would in-process). Every message is checked first: a malformed
// one is answered with an error and the worker goes on.
//
// Acknowledgements: every `ackIntervalMs` the worker hands each capture's complete lines to
// the kernel and tells the client how many of the bytes it received for that capture are in
// the file. Those survive this thread dying; the rest (lines still in memory, a partial line
// waiting for its end) are what the client counts as possibly missing in its gap note.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CaptureEngine } from './capture-engine';
import { errorShapeOf, LogWorkerData, parseToWorker, type CallArgs, type CallMessage, type FromWorker, type ToWorker } from './log-worker-protocol';

if (isMainThread || !parentPort) throw new Error('log-worker.js runs as a worker thread, started by the capture service');
const port = parentPort;
const data = LogWorkerData.parse(workerData);

// No partial-line timer here: this thread cannot tell a quiet port from a main thread that
// stalled before passing bytes on, so the console that reads the port says when to write one.
const engine = new CaptureEngine({
  folder: data.folder,
  partialLineMs: null,
  ...(data.progressIntervalMs !== undefined && { progressIntervalMs: data.progressIntervalMs }),
});

const lastRefusal = new Map<string, number>();

/** Bytes received per live capture since this worker started, and how many of them were last acknowledged. */
const received = new Map<string, { bytes: number; acked: number }>();

function post(message: FromWorker): void {
  port.postMessage(message);
}

engine.onProgress((progress) => {
  post({ type: 'progress', captureId: progress.captureId, progress, ackedBytes: received.get(progress.captureId)?.acked ?? 0 });
});

const ackTimer = setInterval(acknowledge, data.ackIntervalMs);
ackTimer.unref();

function acknowledge(): void {
  for (const [captureId, count] of received) {
    if (count.acked === count.bytes) continue;
    try {
      const onDisk = count.bytes - engine.flushToDisk(captureId);
      if (onDisk === count.acked) continue;
      count.acked = onDisk;
      post({ type: 'progress', captureId, progress: null, ackedBytes: onDisk });
    } catch (error) {
      // Not acknowledged, so the client counts these bytes as possibly missing if this worker dies.
      post({ type: 'problem', captureId, error: errorShapeOf(error, `write capture ${captureId}`) });
    }
  }
}

port.on('message', (raw: unknown) => {
  const parsed = parseToWorker(raw);
  if (!parsed.ok) {
    const error = parsed.error.toShape();
    if (parsed.id !== null) post({ type: 'result', id: parsed.id, ok: false, error });
    else post({ type: 'problem', captureId: null, error });
    return;
  }
  handle(parsed.message);
});
port.postMessage({ type: 'ready' });

function handle(message: ToWorker): void {
  if (message.type === 'ingest') {
    try {
      engine.ingest(message.captureId, message.time, message.bytes);
      const count = received.get(message.captureId);
      if (count) count.bytes += message.bytes.byteLength;
    } catch (error) {
      // Every chunk of a stream for a capture that is gone fails alike: say so once a second, not per chunk.
      const now = performance.now();
      if (now - (lastRefusal.get(message.captureId) ?? -Infinity) >= 1000) {
        lastRefusal.set(message.captureId, now);
        post({ type: 'problem', captureId: message.captureId, error: errorShapeOf(error, `capture ${message.captureId}`) });
      }
    }
  } else if (message.type === 'end-partial-line') {
    try {
      engine.endPartialLine(message.captureId);
    } catch (error) {
      post({ type: 'problem', captureId: message.captureId, error: errorShapeOf(error, `capture ${message.captureId}`) });
    }
  } else if (message.type === 'call') {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(run(message));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => post({ type: 'result', id: message.id, ok: true, value }),
      (error: unknown) => post({ type: 'result', id: message.id, ok: false, error: errorShapeOf(error, message.method) }),
    );
  } else if (!data.debug) {
    post({
      type: 'problem',
      captureId: null,
      error: { code: 'invalid-request', message: 'the capture worker ignores debug messages', device: 'capture worker', step: 'receive message', hint: 'Fault injection is for tests only' },
    });
  } else if (message.action === 'block') {
    // A hang as a stuck regex or a tight loop would make one: nothing else runs meanwhile.
    const until = Date.now() + message.ms;
    while (Date.now() < until) {
      /* spin */
    }
  } else if (message.action === 'exit') {
    process.exit(message.code);
  } else {
    setImmediate(() => {
      throw new Error('fault injected by a test');
    });
  }
}

function run(message: CallMessage): unknown {
  const args = message.args;
  switch (message.method) {
    case 'open':
    case 'resume': {
      const [options] = args as CallArgs<'open'>;
      const captureId = options.meta.captureId;
      if (message.method === 'open' && received.has(captureId)) return engine.open(options); // refused: the id is taken
      // Counted from now: ingest right behind this call must be counted as the client counts it.
      const count = { bytes: 0, acked: 0 };
      received.set(captureId, count);
      const opened = message.method === 'open' ? engine.open(options) : engine.resume(options);
      return opened.catch((error: unknown) => {
        if (received.get(captureId) === count) received.delete(captureId);
        throw error;
      });
    }
    case 'note':
      return engine.note(...(args as CallArgs<'note'>));
    case 'finish': {
      const [captureId, endedAt] = args as CallArgs<'finish'>;
      return engine.finish(captureId, endedAt).then((summary) => {
        received.delete(captureId);
        return summary;
      });
    }
    case 'read':
      return engine.read(...(args as CallArgs<'read'>));
    case 'locate':
      return engine.locate(...(args as CallArgs<'locate'>));
    case 'search':
      return engine.search(...(args as CallArgs<'search'>));
    case 'export':
      return engine.export(...(args as CallArgs<'export'>));
    case 'flags':
      return engine.flags(...(args as CallArgs<'flags'>));
    case 'list':
      return engine.list();
    case 'close':
      clearInterval(ackTimer);
      return engine.close();
    case 'ping':
      return 'pong';
  }
}
