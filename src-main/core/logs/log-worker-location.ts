// Where the capture worker's built file is. A worker thread runs a file, not a module of the
// bundle that starts it, so each build writes log-worker.js next to its entry: out/main/ for
// the app (electron-vite, build and dev alike), out/cli/ for the CLI. Tests, which run from
// source, bundle the worker themselves and name it in FIELDBENCH_LOG_WORKER.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FieldbenchError } from '../../api/errors';

export const LOG_WORKER_ENV = 'FIELDBENCH_LOG_WORKER';
const WORKER_FILE = './log-worker.js';

export interface LogWorkerLocation {
  env?: NodeJS.ProcessEnv;
  /** The running bundle's URL; this module's own when not given. */
  bundleUrl?: string;
  exists?: (path: string) => boolean;
}

export function locateLogWorker(where: LogWorkerLocation = {}): string {
  const env = where.env ?? process.env;
  const exists = where.exists ?? existsSync;
  const named = env[LOG_WORKER_ENV];
  if (named) {
    const path = resolve(named);
    if (exists(path)) return path;
    throw new FieldbenchError({
      code: 'unavailable',
      message: `${LOG_WORKER_ENV} names ${path}, which does not exist`,
      device: 'capture worker',
      step: 'start capture worker',
      hint: `Point ${LOG_WORKER_ENV} at a built log-worker.js, or unset it to use the one built with Fieldbench`,
    });
  }
  // A variable, not a literal, so bundlers leave the URL alone instead of treating it as an asset.
  const beside = besideBundle(where.bundleUrl ?? import.meta.url);
  if (beside && exists(beside)) return beside;
  throw new FieldbenchError({
    code: 'unavailable',
    message: `the capture worker is not built${beside ? ` (no ${beside})` : ''}`,
    device: 'capture worker',
    step: 'start capture worker',
    hint: 'Run `npm run build` in the Fieldbench folder, then start again',
  });
}

function besideBundle(bundleUrl: string): string | null {
  try {
    return fileURLToPath(new URL(WORKER_FILE, bundleUrl));
  } catch {
    return null; // not a file: URL (a CommonJS bundle has none): only the environment can say
  }
}
