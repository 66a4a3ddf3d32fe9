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
