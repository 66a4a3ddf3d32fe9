// A small stand-in for the parts of Electron the shell and the preload use, so their real
// modules load under vitest with no Electron binary: `vi.mock('electron', () =>
// createFakeElectron())`. The fakes record what the code under test set up (window options,
// handlers, menus) and let a test fire the events Electron would fire.
import { EventEmitter } from 'node:events';

type AnyFunction = (...args: never[]) => unknown;

/** The event object Electron passes to listeners that may cancel the default action. */
export class FakeEvent {
  defaultPrevented = false;
  constructor(fields: Record<string, unknown> = {}) {
    Object.assign(this, fields);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebFrame {
  constructor(
    public url: string,
    public parent: FakeWebFrame | null = null,
  ) {}
}

let nextWebContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  readonly sent: unknown[][] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  mainFrame = new FakeWebFrame('about:blank');
  private destroyed = false;

  send(...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push(args);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  /** Fires an event the way Electron does, and says whether a listener cancelled it. */
  fire(name: string, fields: Record<string, unknown> = {}): FakeEvent {
    const event = new FakeEvent(fields);
    this.emit(name, event, fields.url);
    return event;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static readonly instances: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loadedFile: string | null = null;
  loadedUrl: string | null = null;
  shown = false;
  focused = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }
  loadFile(path: string): Promise<void> {
    this.loadedFile = path;
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {
    this.focused = true;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return this.webContents.isDestroyed();
  }
}

type BeforeRequestListener = (details: { url: string; resourceType: string }, callback: (response: { cancel?: boolean }) => void) => void;
type HeadersReceivedListener = (
  details: { url: string; resourceType: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { cancel?: boolean; responseHeaders?: Record<string, string | string[]> }) => void,
) => void;

export class FakeSession extends EventEmitter {
  beforeRequest: BeforeRequestListener | null = null;
  headersReceived: HeadersReceivedListener | null = null;
  permissionRequestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void) | null = null;
  permissionCheckHandler: ((contents: unknown, permission: string, origin: string, details: unknown) => boolean) | null = null;
  devicePermissionHandler: ((details: unknown) => boolean) | null = null;

  readonly webRequest = {
    onBeforeRequest: (listener: BeforeRequestListener) => {
      this.beforeRequest = listener;
    },
    onHeadersReceived: (listener: HeadersReceivedListener) => {
      this.headersReceived = listener;
    },
  };
  setPermissionRequestHandler(handler: FakeSession['permissionRequestHandler']): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['permissionCheckHandler']): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: FakeSession['devicePermissionHandler']): void {
    this.devicePermissionHandler = handler;
  }

  /** What the request filter decides for a URL: true when it cancels the request. */
  cancels(url: string, resourceType = 'xhr'): boolean {
    if (!this.beforeRequest) throw new Error('no onBeforeRequest listener installed');
    let cancel: boolean | undefined;
    this.beforeRequest({ url, resourceType }, (response) => {
      cancel = response.cancel;
    });
    return cancel === true;
  }
  /** The response headers after the header listener ran. */
  headersFor(url: string, responseHeaders: Record<string, string[]> = {}): Record<string, string | string[]> {
    if (!this.headersReceived) throw new Error('no onHeadersReceived listener installed');
    let headers: Record<string, string | string[]> | undefined;
    this.headersReceived({ url, resourceType: 'mainFrame', responseHeaders }, (response) => {
      headers = response.responseHeaders;
    });
    return headers ?? responseHeaders;
  }
  /** The permission request handler's answer, synchronously or not. */
  async requestPermission(permission: string): Promise<boolean> {
    const handler = this.permissionRequestHandler;
    if (!handler) throw new Error('no permission request handler installed');
    return new Promise((resolve) => handler(null, permission, resolve, {}));
  }
}

export class FakeIpcMain {
  readonly handlers = new Map<string, AnyFunction>();
  handle(channel: string, listener: AnyFunction): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Calls the handler as a renderer's invoke would reach it. */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel) as ((...all: unknown[]) => unknown) | undefined;
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }
}

export class FakeIpcRenderer extends EventEmitter {
  readonly invocations: unknown[][] = [];
  answer: (...args: unknown[]) => unknown = () => ({ ok: true, value: null });
  invoke(...args: unknown[]): Promise<unknown> {
    this.invocations.push(args);
    return Promise.resolve(this.answer(...args));
  }
  /** Delivers a message as the main process's webContents.send would. */
  deliver(channel: string, ...args: unknown[]): void {
    this.emit(channel, { sender: this, senderId: 0 }, ...args);
  }
}

export class FakeContextBridge {
  readonly exposed = new Map<string, unknown>();
  exposeInMainWorld(key: string, api: unknown): void {
    if (this.exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
    this.exposed.set(key, api);
  }
}

export class FakeApp extends EventEmitter {
  isPackaged = false;
  appPath = '/opt/fieldbench';
  paths: Record<string, string> = { userData: '/tmp/fieldbench-user-data' };
  singleInstance = true;
  sandboxEnabled = false;
  quitCalls = 0;
  exitCode: number | null = null;
  private readyResolve: (() => void) | null = null;
  private readonly ready = new Promise<void>((resolve) => {
    this.readyResolve = resolve;
  });

  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  enableSandbox(): void {
    this.sandboxEnabled = true;
  }
  getAppPath(): string {
    return this.appPath;
  }
  getPath(name: string): string {
    const path = this.paths[name];
    if (!path) throw new Error(`no fake path for ${name}`);
    return path;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  /** Makes whenReady() resolve, as Electron does once it has initialised. */
  becomeReady(): void {
    this.readyResolve?.();
    this.emit('ready');
  }
  quit(): void {
    this.quitCalls += 1;
    const event = new FakeEvent();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.emit('will-quit', new FakeEvent());
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
}

export interface FakeElectron {
  app: FakeApp;
  BrowserWindow: typeof FakeBrowserWindow;
  session: { defaultSession: FakeSession };
  ipcMain: FakeIpcMain;
  ipcRenderer: FakeIpcRenderer;
  contextBridge: FakeContextBridge;
  Menu: {
    applicationMenu: unknown;
    buildFromTemplate(template: unknown[]): { template: unknown[] };
    setApplicationMenu(menu: unknown): void;
  };
  dialog: { errors: { title: string; content: string }[]; showErrorBox(title: string, content: string): void };
}

/** A fresh fake Electron module; vi.mock('electron', ...) returns one per test file. */
export function createFakeElectron(): FakeElectron {
  const errors: { title: string; content: string }[] = [];
  const menu: FakeElectron['Menu'] = {
    applicationMenu: null,
    buildFromTemplate: (template) => ({ template }),
    setApplicationMenu(built) {
      menu.applicationMenu = built;
    },
  };
  const app = new FakeApp();
  // Electron announces every new web contents on the app; windows are where the shell gets them.
  class AnnouncedBrowserWindow extends FakeBrowserWindow {
    constructor(options: Record<string, unknown>) {
      super(options);
      app.emit('web-contents-created', new FakeEvent(), this.webContents);
    }
  }
  return {
    app,
    BrowserWindow: AnnouncedBrowserWindow,
    session: { defaultSession: new FakeSession() },
    ipcMain: new FakeIpcMain(),
    ipcRenderer: new FakeIpcRenderer(),
    contextBridge: new FakeContextBridge(),
    Menu: menu,
    dialog: {
      errors,
      showErrorBox(title, content) {
        errors.push({ title, content });
      },
    },
  };
}
