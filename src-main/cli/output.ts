// How the CLI speaks: results on stdout (JSON when asked, one object or one line per
// event), problems on stderr as one readable line each, never a stack trace.
import { formatError, type ApiErrorShape } from '../api/errors';
import { toErrorShape } from '../api/dispatch';

export class UsageError extends Error {}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value));
}

/** Report a failure: JSON on stderr for --json callers, a sentence otherwise. */
export function printFailure(io: Io, error: unknown, json: boolean): number {
  if (error instanceof UsageError) {
    io.err(`fieldbench: ${error.message}\nRun 'fieldbench help' for usage.`);
    return EXIT_USAGE;
  }
  const shape: ApiErrorShape = toErrorShape(error);
  io.err(json ? JSON.stringify({ error: shape }) : `fieldbench: ${formatError(shape)}`);
  return EXIT_FAILED;
}

/** Columns padded to their widest cell, for people reading a terminal. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}
