import type { Io } from '../../src-main/cli/output';

/** An Io for running the CLI in-process: what it prints to stdout and stderr, line by line. */
export function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
}
