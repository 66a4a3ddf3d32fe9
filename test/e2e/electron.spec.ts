// The same first session in the desktop window, through Playwright's _electron. It needs
// the Electron binary, which machines installed with ELECTRON_SKIP_BINARY_DOWNLOAD do not
// have: there it is reported as skipped, with the reason, and never counted as passed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { runBenchFlow } from './fixtures/bench-flow';
import { PageProblems, screenshot } from './fixtures/fieldbench-serve';

const appRoot = process.cwd();
const mainBundle = join(appRoot, 'out', 'main', 'index.js');

/**
 * Where the Electron binary is, without require('electron'): that module starts a
 * download when the binary is missing, which has no business inside a test run.
 */
function electronBinary(): string | null {
  const packageDir = join(appRoot, 'node_modules', 'electron');
  let relativePath: string | null = null;
  try {
    relativePath = readFileSync(join(packageDir, 'path.txt'), 'utf8').trim();
  } catch {
    relativePath = null;
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? join(override, relativePath ?? 'electron') : relativePath ? join(packageDir, 'dist', relativePath) : null;
  return candidate && existsSync(candidate) ? candidate : null;
}

const binary = electronBinary();
const SKIP_REASON = 'Electron binary not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD); this spec did not run';

test.describe('the desktop window', () => {
  // Playwright reads a test's fixtures from its first parameter, so it must be a pattern.
  // eslint-disable-next-line no-empty-pattern
  test('attach a virtual device, read diagnostics, keep a case note across a reload, resolve the case', async ({}, testInfo) => {
    if (!binary) {
      console.log(`[electron.spec] SKIPPED: ${SKIP_REASON}`);
      testInfo.annotations.push({ type: 'not run', description: SKIP_REASON });
      test.skip(true, SKIP_REASON);
      return;
    }
    // With a binary present, a missing build is a real failure: npm test builds first.
    expect(existsSync(mainBundle), `${mainBundle} is missing; run npm run build`).toBe(true);

    const dataDir = mkdtempSync(join(tmpdir(), 'fieldbench-electron-'));
    const app = await electron.launch({
      executablePath: binary,
      // The app folder (package.json "main" is out/main/index.js), so the shell finds
      // out/renderer, out/preload and device-profiles the way it does under npm start.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), appRoot],
      env: { ...process.env, FIELDBENCH_DATA_DIR: dataDir },
      timeout: 30_000,
    });
    try {
      const page = await app.firstWindow();
      const problems = new PageProblems(page);
      await page.setViewportSize({ width: 1280, height: 800 }).catch(() => undefined);
      await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
      await runBenchFlow(page, {
        reload: async (p) => {
          await p.reload();
          await expect(p.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
        },
        screenshot: (p, name) => screenshot(p, `electron-${name}`),
      });
      expect(problems.messages).toEqual([]);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
