// Vitest global setup: tests run from source, but a worker thread runs a file, so the capture
// worker is bundled from src-main before any test starts and named in FIELDBENCH_LOG_WORKER,
// which the test workers inherit (they are started after this runs). Several test runs may
// share this checkout at once: each bundles to a file of its own and renames it into place,
// so a run never starts a worker from a half-written file.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOG_WORKER_ENV } from '../../src-main/core/logs/log-worker-location';
import { bundleForNode } from '../helpers/node-bundle';

export default async function buildLogWorker(): Promise<void> {
  // A worker named outright (a built out/cli/log-worker.js, say) is what the run is about.
  if (process.env[LOG_WORKER_ENV]) return;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const folder = join(root, 'node_modules', '.cache', 'fieldbench');
  mkdirSync(folder, { recursive: true });
  const target = join(folder, 'log-worker.mjs');
  const building = join(folder, `log-worker.${process.pid}.tmp.mjs`);
  try {
    await bundleForNode(join(root, 'src-main', 'core', 'logs', 'log-worker.ts'), building);
    renameSync(building, target);
  } finally {
    rmSync(building, { force: true });
  }
  process.env[LOG_WORKER_ENV] = target;
}
