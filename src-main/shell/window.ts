// The one application window. It is created hidden and shown once its first page has
// painted, so the user never sees a blank white frame; pages load only after the IPC
// binding is in place (see main.ts), so the first request always finds its handler.
import { BrowserWindow, dialog } from 'electron';
import { rendererEntryUrl, type RendererLocation } from './renderer-location';
import { secureWebPreferences, type ShellLog } from './security';
import { askBeforeLeavingUnsaved } from './unsaved-changes';

export interface MainWindowOptions {
  preloadFile: string;
  isDev: boolean;
  log: ShellLog;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    title: 'Fieldbench',
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences(options.preloadFile, { devTools: options.isDev }),
  });
  window.once('ready-to-show', () => window.show());
  askBeforeLeavingUnsaved(window, window.webContents, dialog);
  window.webContents.on('render-process-gone', (_event, details) => {
    options.log('error', `the window's renderer stopped (${details.reason}, exit code ${details.exitCode})`);
  });
  return window;
}

export function loadRenderer(window: BrowserWindow, location: RendererLocation, log: ShellLog): void {
  const loading = location.kind === 'file' ? window.loadFile(location.indexFile) : window.loadURL(rendererEntryUrl(location));
  loading.catch((error: unknown) => {
    const where = location.kind === 'file' ? location.indexFile : location.url;
    log('error', `could not load the window from ${where}: ${String(error)}`);
  });
}
