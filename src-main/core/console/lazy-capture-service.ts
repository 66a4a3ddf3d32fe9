// The capture service, started with the first console rather than with the core: the worker
// thread behind it costs a thread and a few megabytes, and most runs of Fieldbench (a CLI
// one-shot, a diagnostics read) never open a console. Reads of captures on disk start it too.
import type { CaptureProgress, CaptureService } from '../logs/capture-service';

export function lazyCaptureService(start: () => CaptureService): CaptureService {
  let service: CaptureService | null = null;
  const listeners = new Set<(progress: CaptureProgress) => void>();
  const started = (): CaptureService => {
    if (!service) {
      service = start();
      service.onProgress((progress) => {
        for (const listener of listeners) listener(progress);
      });
    }
    return service;
  };
  return {
    open: (options) => started().open(options),
    ingest: (captureId, time, bytes) => started().ingest(captureId, time, bytes),
    endPartialLine: (captureId) => started().endPartialLine(captureId),
    note: (captureId, kind, text, time) => started().note(captureId, kind, text, time),
    finish: (captureId, endedAt) => started().finish(captureId, endedAt),
    read: (captureId, offset, count, filter) => started().read(captureId, offset, count, filter),
    locate: (captureId, seq, filter) => started().locate(captureId, seq, filter),
    search: (captureId, request) => started().search(captureId, request),
    export: (captureId, format, range, maxBytes) => started().export(captureId, format, range, maxBytes),
    flags: (captureId) => started().flags(captureId),
    list: () => started().list(),
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      await service?.close();
    },
  };
}
