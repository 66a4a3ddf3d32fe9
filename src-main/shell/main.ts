// The desktop app's entry point: app lifecycle around one core and one window. Everything
// the app does goes through the core; this file only decides when things start and stop.
import { resolve } from 'node:path';
import { app, dialog, session, type BrowserWindow } from 'electron';
import { toErrorShape } from '../api/dispatch';
import { formatError } from '../api/errors';
import type { Core } from '../core/core';
import { createCore } from '../core/create-core';
import { resolveAppPaths } from './app-paths';
import { bindWindowIpc } from './ipc-binding';
import { installAppMenu } from './menu';
import { rendererLocation } from './renderer-location';
import { hardenAllWebContents, hardenSession, type ShellLog } from './security';
import { createMainWindow, loadRenderer } from './window';

/** How long quitting waits for the core to close ports and the case store before giving up. */
export const CORE_CLOSE_DEADLINE_MS = 5_000;

const log: ShellLog = (level, message) => {
  const line = `[fieldbench] ${level}: ${message}`;
  if (level === 'info') console.log(line);
  else if (level === 'warn') console.warn(line);
  else console.error(line);
};

/** Resolves 'closed', or 'deadline' if the core took too long; never rejects. */
export async function closeCoreWithDeadline(core: Core, deadlineMs: number, report: ShellLog): Promise<'closed' | 'deadline'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((done) => {
    timer = setTimeout(() => done('deadline'), deadlineMs);
  });
  const closing = core.close().then(
    () => 'closed' as const,
    (error: unknown) => {
      report('error', `closing the core failed: ${formatError(toErrorShape(error))}`);
      return 'closed' as const;
    },
  );
  const outcome = await Promise.race([closing, deadline]);
  clearTimeout(timer);
  if (outcome === 'deadline') report('warn', `the core did not close within ${deadlineMs} ms; quitting anyway`);
  return outcome;
}

function failToStart(message: string): void {
  log('error', message);
  dialog.showErrorBox('Fieldbench could not start', message);
  app.exit(1);
}

function runDesktopApp(): void {
  // A second window on the same case store would fight the first over ports and notes.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();

  const isDev = !app.isPackaged;
  const paths = resolveAppPaths({
    appPath: app.getAppPath(),
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    electronVersion: process.versions.electron ?? 'unknown',
    platform: process.platform,
    arch: process.arch,
  });
  const location = rendererLocation({
    rendererDir: paths.rendererDir,
    devServerUrl: process.env.ELECTRON_RENDERER_URL,
    isPackaged: app.isPackaged,
  });
  hardenAllWebContents(app, location, log);

  let core: Core | null = null;
  let window: BrowserWindow | null = null;
  let quitting: 'no' | 'closing-core' | 'core-closed' = 'no';

  function openWindow(current: Core): void {
    const opened = createMainWindow({ preloadFile: paths.preloadFile, isDev, log });
    const unbind = bindWindowIpc({
      contents: opened.webContents,
      dispatch: current.dispatch,
      events: current.events,
      location,
      log,
    });
    opened.on('closed', () => {
      unbind();
      if (window === opened) window = null;
    });
    window = opened;
    loadRenderer(opened, location, log);
  }

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (core && !window) openWindow(core);
  });

  app.on('before-quit', (event) => {
    if (!core || quitting === 'core-closed') return;
    event.preventDefault();
    if (quitting === 'closing-core') return;
    quitting = 'closing-core';
    void closeCoreWithDeadline(core, CORE_CLOSE_DEADLINE_MS, log).then(() => {
      quitting = 'core-closed';
      app.quit();
    });
  });

  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession, location, log);
    installAppMenu({ isDev, platform: process.platform });
    if (paths.sqliteNativeProblem) {
      failToStart(paths.sqliteNativeProblem);
      return;
    }
    try {
      core = await createCore({
        // The CLI reads the same folder, so `fieldbench cases` lists what the window wrote.
        dataDir: process.env.FIELDBENCH_DATA_DIR ? resolve(process.env.FIELDBENCH_DATA_DIR) : app.getPath('userData'),
        profilesDir: paths.profilesDir,
        ...(paths.sqliteNativeBinding ? { sqliteNativeBinding: paths.sqliteNativeBinding } : {}),
        checkResponses: isDev,
        log,
      });
    } catch (error) {
      failToStart(formatError(toErrorShape(error)));
      return;
    }
    if (quitting !== 'no') return;
    openWindow(core);
  });
}

runDesktopApp();
