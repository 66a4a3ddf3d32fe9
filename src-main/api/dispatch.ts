// The one place a request from any door meets the core: check the channel, check the
// payload against its schema, call the handler, and turn whatever happens into an envelope.
// Bindings (IPC, WebSocket, CLI) call dispatch(); none of them validates on its own.
import type { z } from 'zod';
import { FieldbenchError, isFieldbenchError, type ApiErrorShape } from './errors';
import {
  isRequestChannel,
  requests,
  type Envelope,
  type ParsedRequestOf,
  type RequestChannel,
  type ResponseOf,
} from './contract';

export type Handlers = {
  [C in RequestChannel]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>>;
};

/** Where a request came from, for logs; never used to grant anything. */
export type Door = 'ipc' | 'ws' | 'cli' | 'test';

export interface DispatchOptions {
  /** Also check what the core answers. On in development and tests: a wrong answer is a bug. */
  checkResponses?: boolean;
  /** Told about every error that is not a FieldbenchError, i.e. every bug. */
  onInternalError?: (channel: string, error: unknown) => void;
}

export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(payload)',
    message: issue.message,
  }));
}

export function toErrorShape(error: unknown): ApiErrorShape {
  if (isFieldbenchError(error)) return error.toShape();
  return {
    code: 'internal',
    message: error instanceof Error ? error.message : String(error),
    hint: 'This is a bug in Fieldbench. Please report it with the log file.',
  };
}

export function createDispatcher(handlers: Handlers, options: DispatchOptions = {}) {
  return async function dispatch(channel: unknown, payload: unknown): Promise<Envelope> {
    try {
      if (!isRequestChannel(channel)) {
        throw new FieldbenchError({
          code: 'unknown-channel',
          message: `no request named ${JSON.stringify(String(channel)).slice(0, 80)}`,
          hint: 'The client and the core are from different versions; restart Fieldbench.',
        });
      }
      const spec = requests[channel];
      const parsed = spec.request.safeParse(payload ?? {});
      if (!parsed.success) {
        const issues = zodIssues(parsed.error);
        throw new FieldbenchError({
          code: 'invalid-request',
          message: `${channel}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          step: channel,
          issues,
        });
      }
      const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
      const value = await handler(parsed.data);
      if (options.checkResponses) {
        const checked = spec.response.safeParse(value);
        if (!checked.success) {
          throw new Error(
            `${channel} answered outside its schema: ${zodIssues(checked.error)
              .map((i) => `${i.path}: ${i.message}`)
              .join('; ')}`,
          );
        }
      }
      return { ok: true, value };
    } catch (error) {
      if (!isFieldbenchError(error)) options.onInternalError?.(String(channel), error);
      return { ok: false, error: toErrorShape(error) };
    }
  };
}

export type Dispatch = ReturnType<typeof createDispatcher>;
