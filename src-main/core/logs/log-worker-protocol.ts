// The messages between the main thread (log-worker-client.ts) and the capture worker
// (log-worker.ts). Both sides check what they receive: a message the other side should never
// send is answered with an error (or reported), never trusted, so a bug on one side cannot
// crash the other or write nonsense into a capture.
//
// main → worker: `call` (a CaptureService method by name, answered by one `result` with the
// same id), `ingest` (one-way; the bytes travel as a transferred ArrayBuffer), `end-partial-line`
// (one-way, in order with ingest: the port went quiet, write the partial line) and `debug`
// (fault injection, honoured only by a worker started with `debug: true` in its workerData).
// worker → main: `ready` (once, when it can take calls), `result`, `progress` (a capture's progress and how many of its ingested
// bytes are on disk — the acknowledgement that tells the client what a crash could lose),
// and `problem` (something one-way failed: an ingest refused, a malformed message).
import { z } from 'zod';
import { CaptureFormat, CaptureId, CaptureRange, ConsoleFilter, ConsoleFlag, SerialSettings } from '../../api/console-schemas';
import { FieldbenchError, type ApiErrorShape } from '../../api/errors';
import { ApiError } from '../../api/schemas';
import { logLevels } from './log-levels';
import type { CaptureProgress } from './capture-service';

/** What the worker is started with (workerData). */
export interface LogWorkerData {
  folder: string;
  progressIntervalMs?: number;
  /** How often the worker hands complete lines to the kernel and acknowledges their bytes. */
  ackIntervalMs: number;
  /** Honour `debug` messages. Only tests set it. */
  debug?: boolean;
}

export const LogWorkerData = z
  .object({
    folder: z.string().min(1),
    progressIntervalMs: z.number().int().min(1).optional(),
    ackIntervalMs: z.number().int().min(1),
    debug: z.boolean().optional(),
  })
  .strict();

const CaptureMetaShape = z
  .object({
    captureId: CaptureId,
    deviceId: z.string().min(1),
    device: z.string().min(1),
    serialNumber: z.string().nullable(),
    profileId: z.string().nullable(),
    source: z.enum(['serial', 'nus']),
    settings: SerialSettings.nullable(),
    startedAt: z.string().min(1),
    endedAt: z.string().nullable(),
  })
  .strict();

const OpenOptionsShape = z
  .object({
    meta: CaptureMetaShape,
    levelPatterns: z.array(z.object({ regex: z.string(), level: z.enum(logLevels) }).strict()),
    knownIssues: z.array(
      z
        .object({
          id: z.string().min(1),
          title: z.string(),
          regex: z.string(),
          source: z.enum(['profile', 'knowledge-base']),
          articleId: z.string().optional(),
          hint: z.string().optional(),
        })
        .strict(),
    ),
    bootBanner: z.string().nullable(),
  })
  .strict();

const SearchRequestShape = z
  .object({
    query: z.string().min(1),
    regex: z.boolean().optional(),
    ignoreCase: z.boolean().optional(),
    fromSeq: z.number().int().min(0).optional(),
    toSeq: z.number().int().min(0).optional(),
    limit: z.number().int().min(1),
  })
  .strict();

const count = z.number().int().min(0);
const time = z.number().finite();

/** Each method's arguments, as the CaptureService signature has them (plus the worker's own). */
export const callArgs = {
  open: z.tuple([OpenOptionsShape]),
  /** Open a live capture again for writing after the worker that wrote it stopped. */
  resume: z.tuple([OpenOptionsShape]),
  note: z.tuple([CaptureId, z.enum(['sent', 'mark', 'gap', 'note']), z.string(), time]),
  finish: z.tuple([CaptureId, z.string().min(1)]),
  read: z.tuple([CaptureId, count, count, ConsoleFilter.optional()]),
  locate: z.tuple([CaptureId, count, ConsoleFilter.optional()]),
  search: z.tuple([CaptureId, SearchRequestShape]),
  export: z.tuple([CaptureId, CaptureFormat, CaptureRange, z.number().int().min(1)]),
  flags: z.tuple([CaptureId]),
  list: z.tuple([]),
  close: z.tuple([]),
  /** Answered at once: tells a busy worker from a hung one. */
  ping: z.tuple([]),
} as const;

export type CallMethod = keyof typeof callArgs;
export const callMethods = Object.keys(callArgs) as CallMethod[];
export type CallArgs<M extends CallMethod> = z.infer<(typeof callArgs)[M]>;

export interface CallMessage {
  type: 'call';
  id: number;
  method: CallMethod;
  args: unknown[];
}

export interface IngestMessage {
  type: 'ingest';
  captureId: string;
  time: number;
  bytes: Uint8Array;
}

export interface EndPartialLineMessage {
  type: 'end-partial-line';
  captureId: string;
}

/** Faults for tests: block the event loop (a hang), or end the thread as a crash would. */
export type DebugMessage = { type: 'debug'; action: 'block'; ms: number } | { type: 'debug'; action: 'exit'; code: number } | { type: 'debug'; action: 'throw' };

export type ToWorker = CallMessage | IngestMessage | EndPartialLineMessage | DebugMessage;

export type ResultMessage = { type: 'result'; id: number; ok: true; value: unknown } | { type: 'result'; id: number; ok: false; error: ApiErrorShape };

export interface ProgressMessage {
  type: 'progress';
  captureId: string;
  /** Null when the message only acknowledges bytes. */
  progress: CaptureProgress | null;
  /** Bytes of this capture's ingest, counted from the worker's start, that are on disk (in the kernel's hands). */
  ackedBytes: number;
}

export interface ProblemMessage {
  type: 'problem';
  /** The capture an ingest was for, when the problem is about one. */
  captureId: string | null;
  error: ApiErrorShape;
}

/** Sent once the worker has loaded and can take calls. */
export interface ReadyMessage {
  type: 'ready';
}

export type FromWorker = ReadyMessage | ResultMessage | ProgressMessage | ProblemMessage;

const CallEnvelope = z.object({ type: z.literal('call'), id: z.number().int().min(0), method: z.enum(callMethods as [CallMethod, ...CallMethod[]]), args: z.array(z.unknown()) }).strict();
const IngestEnvelope = z.object({ type: z.literal('ingest'), captureId: CaptureId, time, bytes: z.instanceof(Uint8Array) }).strict();
const EndPartialLineEnvelope = z.object({ type: z.literal('end-partial-line'), captureId: CaptureId }).strict();
const DebugEnvelope = z.discriminatedUnion('action', [
  z.object({ type: z.literal('debug'), action: z.literal('block'), ms: z.number().int().min(0).max(600_000) }).strict(),
  z.object({ type: z.literal('debug'), action: z.literal('exit'), code: z.number().int() }).strict(),
  z.object({ type: z.literal('debug'), action: z.literal('throw') }).strict(),
]);

const ProgressShape = z.object({ captureId: z.string(), lines: count, bytes: count, flags: z.array(ConsoleFlag) });
const FromWorkerEnvelope = z.union([
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('result'), id: z.number().int().min(0), ok: z.literal(true), value: z.unknown() }),
  z.object({ type: z.literal('result'), id: z.number().int().min(0), ok: z.literal(false), error: ApiError }),
  z.object({ type: z.literal('progress'), captureId: z.string(), progress: ProgressShape.nullable(), ackedBytes: count }),
  z.object({ type: z.literal('problem'), captureId: z.string().nullable(), error: ApiError }),
]);

const WORKER = 'capture worker';

/**
 * A message for the worker, checked; a malformed one comes back as a FieldbenchError, with the
 * id to answer when the message had a usable one.
 */
export function parseToWorker(message: unknown): { ok: true; message: ToWorker } | { ok: false; id: number | null; error: FieldbenchError } {
  const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  const schema = type === 'call' ? CallEnvelope : type === 'ingest' ? IngestEnvelope : type === 'end-partial-line' ? EndPartialLineEnvelope : type === 'debug' ? DebugEnvelope : null;
  const rawId = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
  const id = type === 'call' && typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId >= 0 ? rawId : null;
  if (!schema) return { ok: false, id, error: malformed(`a message of type ${JSON.stringify(type) ?? 'undefined'}`, []) };
  const parsed = schema.safeParse(message);
  if (!parsed.success) return { ok: false, id, error: malformed(`a malformed ${String(type)} message`, parsed.error.issues) };
  if (parsed.data.type !== 'call') return { ok: true, message: parsed.data as ToWorker };
  const args = callArgs[parsed.data.method].safeParse(parsed.data.args);
  if (!args.success) return { ok: false, id, error: malformed(`bad arguments for ${parsed.data.method}`, args.error.issues) };
  return { ok: true, message: { ...parsed.data, args: args.data as unknown[] } };
}

/** A message from the worker, checked; null when it is not one the protocol knows. */
export function parseFromWorker(message: unknown): FromWorker | null {
  const parsed = FromWorkerEnvelope.safeParse(message);
  return parsed.success ? (parsed.data as FromWorker) : null;
}

/** Any error as the shape that crosses the thread boundary: a FieldbenchError as it is, anything else as internal. */
export function errorShapeOf(error: unknown, step: string): ApiErrorShape {
  if (error instanceof FieldbenchError) return error.toShape();
  const reason = error instanceof Error ? error.message : String(error);
  return {
    code: 'internal',
    message: `the capture worker failed: ${reason}`,
    device: WORKER,
    step,
    hint: 'This is a bug in Fieldbench; try again, and report it with the steps that led here if it repeats',
  };
}

function malformed(what: string, issues: readonly z.core.$ZodIssue[]): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    message: `the capture worker refused ${what}`,
    device: WORKER,
    step: 'receive message',
    hint: 'This is a bug in Fieldbench: the message was ignored and the capture goes on',
    issues: issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  });
}
