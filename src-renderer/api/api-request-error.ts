// The one error type the renderer shows. Every failure from either door arrives as an
// ApiErrorShape (code, message, device, step, hint); wrapping it in an Error subclass keeps
// stack traces for bugs while views read the shape's fields to tell a person what to do.
import type { ApiErrorShape, ErrorCode } from '../../src-main/api/errors';
import { errorCodes, FieldbenchError } from '../../src-main/api/errors';

export class ApiRequestError extends FieldbenchError {
  /** The contract channel the failing request went to, when there was one. */
  readonly channel?: string;

  constructor(shape: ApiErrorShape, channel?: string) {
    super(shape);
    this.name = 'ApiRequestError';
    if (channel !== undefined) this.channel = channel;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Turn anything a request can fail with into an ApiRequestError. A value that already has
 * the contract's error shape keeps its fields; anything else is a bug somewhere and is
 * reported as 'internal' with its own message, never swallowed.
 */
export function toApiRequestError(error: unknown, channel?: string): ApiRequestError {
  if (error instanceof ApiRequestError) return error;
  if (typeof error === 'object' && error !== null) {
    const candidate = error as Record<string, unknown>;
    if (isErrorCode(candidate.code) && typeof candidate.message === 'string') {
      const shape: ApiErrorShape = { code: candidate.code, message: candidate.message };
      const device = optionalString(candidate.device);
      const step = optionalString(candidate.step);
      const hint = optionalString(candidate.hint);
      if (device !== undefined) shape.device = device;
      if (step !== undefined) shape.step = step;
      if (hint !== undefined) shape.hint = hint;
      if (Array.isArray(candidate.issues)) shape.issues = candidate.issues as { path: string; message: string }[];
      return new ApiRequestError(shape, channel);
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  const shape: ApiErrorShape = { code: 'internal', message: message || 'unexpected failure' };
  if (channel !== undefined) shape.step = channel;
  return new ApiRequestError(shape, channel);
}
