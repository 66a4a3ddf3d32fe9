// Runs a writer script in a child process and kills it with SIGKILL after it has
// acknowledged a chosen number of writes: the part every case-store crash test shares.
// The writer prints "ready", then one line per acknowledged write; the caller says which
// lines count as acknowledgements.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { bundleForNode } from './node-bundle';

const READY_DEADLINE_MS = 10_000;
const EXIT_DEADLINE_MS = 5_000;

export interface Round {
  acks: number;
  lines: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
  exitCode: number | null;
}

/** Bundles a writer from test/helpers into `outDir`. */
export async function bundleWriter(helperFile: string, outDir: string): Promise<string> {
  const entry = fileURLToPath(new URL(`./${helperFile}`, import.meta.url));
  return bundleForNode(entry, join(outDir, helperFile.replace(/\.ts$/u, '.mjs')));
}

export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class CrashWriter {
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly script: string) {}

  /**
   * Runs the writer until `onLine` has reported `killAfterAcks` acknowledgements, then kills it
   * and reads its output to the end: a line written just before the kill is still an answer
   * the user saw. The writer stops by itself after `maxMs`, in case the kill never comes.
   */
  async run(args: { dataDir: string; seed: number; maxMs: number; killAfterAcks: number; onLine: (line: string) => boolean }): Promise<Round> {
    const { dataDir, seed, maxMs, killAfterAcks, onLine } = args;
    const child = spawn(process.execPath, [this.script, dataDir, String(seed), String(maxMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );

    const lines: string[] = [];
    let acks = 0;
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    let reached!: () => void;
    const reachedTarget = new Promise<void>((resolve) => (reached = resolve));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line === 'ready') ready();
      else if (onLine(line)) {
        acks += 1;
        if (acks >= killAfterAcks) reached();
      }
    });

    try {
      await deadline(isReady, READY_DEADLINE_MS, `writer round seed ${seed}: ready`);
      await deadline(reachedTarget, maxMs, `writer round seed ${seed}: ${killAfterAcks} acks`);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\nstderr: ${stderr}`);
    }
    child.kill('SIGKILL');
    const { code, signal } = await deadline(exited, EXIT_DEADLINE_MS, `writer round seed ${seed}: exit after SIGKILL`);
    return { acks, lines, stderr, signal, exitCode: code };
  }

  /** Kills any writer still running (a test that failed half-way). */
  killAll(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.children.clear();
  }
}

/**
 * A crash test file's writer: bundled once into a temporary folder before the tests, its
 * children killed after each test, the folder removed at the end. The getters are for use
 * inside tests, once beforeAll has run.
 */
export function useCrashWriter(helperFile: string, dirPrefix: string): { writer(): CrashWriter; workDir(): string } {
  let workDir = '';
  let writer: CrashWriter | null = null;
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), dirPrefix));
    writer = new CrashWriter(await bundleWriter(helperFile, workDir));
  });
  afterEach(() => writer?.killAll());
  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });
  return {
    writer: () => writer!,
    workDir: () => workDir,
  };
}
