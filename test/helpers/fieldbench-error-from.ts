// The FieldbenchError some work throws, failing the test if it throws anything else or
// nothing at all: the one shape every refusal of bad input must take.
import { expect } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';

export function fieldbenchErrorFrom(work: () => unknown): FieldbenchError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(FieldbenchError);
    return error as FieldbenchError;
  }
  throw new Error('expected a FieldbenchError, but the work succeeded');
}

/** The same for a promise: the FieldbenchError it rejects with. */
export async function fieldbenchErrorOf(promise: Promise<unknown>): Promise<FieldbenchError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(FieldbenchError);
  return outcome.error as FieldbenchError;
}
