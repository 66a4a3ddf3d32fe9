// The desktop app's lifecycle, run for real over a fake Electron and a stand-in core:
// single instance, sandbox for every renderer, a hardened session before the first window,
// the secure window loading the built renderer, IPC bound to it, and quitting that waits
// for the core to close, but not forever.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IPC_INVOKE } from '../../src-main/api/contract';
import { createDispatcher, type Handlers } from '../../src-main/api/dispatch';
import type { Core, CoreOptions } from '../../src-main/core/core';
import { FakeBrowserWindow, FakeWebFrame, type FakeElectron } from '../helpers/fake-electron';

vi.mock('electron', async () => (await import('../helpers/fake-electron')).createFakeElectron());

const core = vi.hoisted(() => ({
  options: null as CoreOptions | null,
  close: null as null | (() => Promise<void>),
  closeCalls: 0,
}));

vi.mock('../../src-main/core/create-core', () => ({
  createCore: async (options: CoreOptions): Promise<Core> => {
    core.options = options;
    return {
      dispatch: createDispatcher({ 'system.info': async () => ({ version: 'test' }) } as unknown as Handlers),
      events: { on: () => () => undefined },
      ready: async () => undefined,
      close: () => {
        core.closeCalls += 1;
        return core.close ? core.close() : Promise.resolve();
      },
    };
  },
}));

const RESOURCES = '/opt/fieldbench/resources';
const processWithResources = process as unknown as { resourcesPath?: string };
const previousResourcesPath = processWithResources.resourcesPath;
processWithResources.resourcesPath = RESOURCES;
afterAll(() => {
  processWithResources.resourcesPath = previousResourcesPath;
});

// The shell logs what it blocks; the assertions below check the blocking itself.
vi.spyOn(console, 'warn').mockImplementation(() => undefined);

const electron = (await import('electron')) as unknown as FakeElectron;
electron.app.isPackaged = true;
electron.app.appPath = '/opt/fieldbench/resources/app.asar';
vi.stubEnv('ELECTRON_RENDERER_URL', 'https://evil.example/');
vi.stubEnv('FIELDBENCH_DATA_DIR', '');
const { closeCoreWithDeadline } = await import('../../src-main/shell/main');
const { resolveAppPaths } = await import('../../src-main/shell/app-paths');
electron.app.becomeReady();
await vi.waitFor(() => expect(FakeBrowserWindow.instances).toHaveLength(1));
const window = FakeBrowserWindow.instances[0]!;

describe('desktop app lifecycle', () => {
  it('takes the single-instance lock and sandboxes every renderer', () => {
    expect(electron.app.sandboxEnabled).toBe(true);
  });

  it('creates the core with the user data folder, packaged profiles and node_modules SQLite', () => {
    expect(core.options).toMatchObject({
      dataDir: '/tmp/fieldbench-user-data',
      profilesDir: `${RESOURCES}/device-profiles`,
      checkResponses: false,
    });
    expect(core.options?.sqliteNativeBinding).toBeUndefined();
  });

  it('opens one secure window on the built renderer, ignoring ELECTRON_RENDERER_URL in a package', () => {
    const prefs = window.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, devTools: false });
    expect(prefs.preload).toBe('/opt/fieldbench/resources/app.asar/out/preload/index.cjs');
    expect(window.loadedFile).toBe('/opt/fieldbench/resources/app.asar/out/renderer/index.html');
    expect(window.loadedUrl).toBeNull();
  });

  it('hardens the session and the window before any page loads', () => {
    const session = electron.session.defaultSession;
    expect(session.cancels('https://evil.example/')).toBe(true);
    expect(session.headersFor('file:///x')['Content-Security-Policy']).toBeDefined();
    expect(window.webContents.fire('will-navigate', { url: 'https://evil.example/' }).defaultPrevented).toBe(true);
    expect(window.webContents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });

  it('answers the window over IPC, and nobody else', async () => {
    const frame = new FakeWebFrame('file:///opt/fieldbench/resources/app.asar/out/renderer/index.html');
    const call = (sender: unknown) => electron.ipcMain.invoke(IPC_INVOKE, { sender, senderFrame: frame }, 'system.info', {});
    expect(await call(window.webContents)).toEqual({ ok: true, value: { version: 'test' } });
    expect(await call({ id: -1 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('installs a menu without developer tools', () => {
    expect(JSON.stringify(electron.Menu.applicationMenu)).not.toContain('toggleDevTools');
  });

  it('unbinds IPC when the window closes, and quits once the core has closed', async () => {
    window.emit('closed');
    expect(electron.ipcMain.handlers.size).toBe(0);
    let finishClose: () => void = () => undefined;
    core.close = () => new Promise<void>((resolve) => (finishClose = resolve));
    const willQuit = vi.fn();
    electron.app.on('will-quit', willQuit);
    electron.app.quit();
    electron.app.quit(); // a second request while closing waits for the same close
    expect(core.closeCalls).toBe(1);
    expect(willQuit).not.toHaveBeenCalled();
    finishClose();
    await vi.waitFor(() => expect(willQuit).toHaveBeenCalledTimes(1));
    expect(core.closeCalls).toBe(1);
  });
});

describe('closing the core on quit', () => {
  it('gives up at the deadline and says so', async () => {
    const log = vi.fn();
    const stuck = { close: () => new Promise<void>(() => undefined) } as unknown as Core;
    expect(await closeCoreWithDeadline(stuck, 20, log)).toBe('deadline');
    expect(log).toHaveBeenCalledWith('warn', expect.stringContaining('did not close within 20 ms'));
  });

  it('reports a failing close and still lets the app quit', async () => {
    const log = vi.fn();
    const failing = { close: () => Promise.reject(new Error('disk gone')) } as unknown as Core;
    expect(await closeCoreWithDeadline(failing, 1000, log)).toBe('closed');
    expect(log).toHaveBeenCalledWith('error', expect.stringContaining('disk gone'));
  });
});

describe('app paths in a checkout', () => {
  const input = {
    appPath: '/work/fieldbench',
    isPackaged: false,
    resourcesPath: '/unused',
    electronVersion: '45.5.0',
    platform: 'linux' as const,
    arch: 'x64',
  };
  const binding = '/work/fieldbench/.native/electron-45.5.0-linux-x64/better_sqlite3.node';

  it('loads profiles from the repository and SQLite from the Electron build in .native', () => {
    const paths = resolveAppPaths({ ...input, exists: (path) => path === binding });
    expect(paths).toEqual({
      rendererDir: '/work/fieldbench/out/renderer',
      preloadFile: '/work/fieldbench/out/preload/index.cjs',
      profilesDir: '/work/fieldbench/device-profiles',
      sqliteNativeBinding: binding,
      sqliteNativeProblem: undefined,
    });
  });

  it('says what to run when the Electron build of SQLite is missing', () => {
    const paths = resolveAppPaths({ ...input, exists: () => false });
    expect(paths.sqliteNativeBinding).toBeUndefined();
    expect(paths.sqliteNativeProblem).toContain('node scripts/native-modules.js electron');
  });
});
