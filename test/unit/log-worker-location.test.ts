import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_WORKER_ENV, locateLogWorker } from '../../src-main/core/logs/log-worker-location';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

describe('locateLogWorker', () => {
  const dirs: { remove(): void }[] = [];
  const tempDir = (): string => {
    const dir = makeTempDir('log-worker-location');
    dirs.push(dir);
    return dir.path;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

  it('takes the file the environment names, resolved to an absolute path', () => {
    const dir = tempDir();
    const file = join(dir, 'worker.mjs');
    writeFileSync(file, '');
    const bundleDir = join(dir, 'out', 'main');
    mkdirSync(bundleDir, { recursive: true });
    writeFileSync(join(bundleDir, 'log-worker.js'), '');
    // The environment wins over a built worker next to the bundle.
    expect(locateLogWorker({ env: { [LOG_WORKER_ENV]: file }, bundleUrl: pathToFileURL(join(bundleDir, 'index.js')).href })).toBe(file);
  });

  it('refuses an environment variable naming a missing file, instead of falling back quietly', () => {
    const missing = join(tempDir(), 'nope.mjs');
    const error = fieldbenchErrorFrom(() => locateLogWorker({ env: { [LOG_WORKER_ENV]: missing } }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain(missing);
    expect(error.step).toBe('start capture worker');
    expect(error.hint).toContain(LOG_WORKER_ENV);
  });

  it('finds log-worker.js next to the running bundle, for the app and the CLI alike', () => {
    const dir = tempDir();
    for (const [folder, entry] of [
      ['main', 'index.js'],
      ['cli', 'fieldbench.js'],
    ] as const) {
      const bundleDir = join(dir, 'out', folder);
      mkdirSync(bundleDir, { recursive: true });
      writeFileSync(join(bundleDir, 'log-worker.js'), '');
      expect(locateLogWorker({ env: {}, bundleUrl: pathToFileURL(join(bundleDir, entry)).href })).toBe(join(bundleDir, 'log-worker.js'));
    }
  });

  it('says the worker is not built, and to build it, when nothing is found', () => {
    const dir = tempDir();
    const error = fieldbenchErrorFrom(() => locateLogWorker({ env: {}, bundleUrl: pathToFileURL(join(dir, 'index.js')).href }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('not built');
    expect(error.message).toContain(join(dir, 'log-worker.js'));
    expect(error.device).toBe('capture worker');
    expect(error.hint).toContain('npm run build');
  });

  it('relies on the environment alone when the bundle has no file URL', () => {
    const error = fieldbenchErrorFrom(() => locateLogWorker({ env: {}, bundleUrl: 'data:text/javascript,', exists: () => true }));
    expect(error.message).toBe('the capture worker is not built');
  });
});
