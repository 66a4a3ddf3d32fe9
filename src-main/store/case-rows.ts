// What every reader and writer of the case tables shares: rows checked against the contract's
// schemas on the way out (a hand-edited or damaged row becomes a store-error naming the case,
// never a bad value travelling on to the renderer), SQLite's failures turned into store-errors
// with a hint for their cause, and the clock.
import type { z } from 'zod';
import { FieldbenchError, isFieldbenchError } from '../api/errors';
import { hintFor, sqliteCode, storeError } from './database';

export function checkedRow<S extends z.ZodType>(file: string, schema: S, value: unknown, caseId: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(row)'}: ${issue.message}`)
    .join('; ');
  throw damagedCase(file, caseId, `a stored value does not fit the case format (${problems})`);
}

export function parseStoredJson(file: string, json: string, caseId: string, column: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (error) {
    throw damagedCase(file, caseId, `its ${column} is not valid JSON (${(error as Error).message})`);
  }
}

export function damagedCase(file: string, caseId: string, reason: string): FieldbenchError {
  return new FieldbenchError({
    code: 'store-error',
    message: `case store ${file}: case ${caseId} is damaged: ${reason}`,
    step: `read case ${caseId}`,
    hint: 'The rest of the case store is unaffected. Keep the file for recovery and report this with the log file.',
  });
}

export function caseNotFound(caseId: string): FieldbenchError {
  return new FieldbenchError({
    code: 'not-found',
    message: `no case with id ${caseId}`,
    step: 'find case',
    hint: 'It may have been opened in another Fieldbench data folder; refresh the case list.',
  });
}

/** Our own errors pass through; SQLite's become store-errors with a hint for their cause. */
export function guarded<T>(file: string, step: string, caseId: string | undefined, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (isFieldbenchError(error) || sqliteCode(error) === null) throw error;
    const what = caseId === undefined ? step : `${step} (case ${caseId})`;
    throw storeError(file, what, error, hintFor(file, error));
  }
}

/** ISO 8601 in UTC of fixed width, so text order is time order in the tables. */
export function timestampOf(now: () => Date): string {
  const date = now();
  if (Number.isNaN(date.getTime())) throw new Error('the clock returned an invalid date');
  return date.toISOString();
}
