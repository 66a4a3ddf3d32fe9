// The window's security policy, checked on the real shell modules over a fake Electron.
import { describe, expect, it, vi } from 'vitest';
import { PRODUCTION_CSP } from '../../src-main/api/content-security-policy';
import { FakeApp, FakeSession, FakeWebContents, type FakeElectron } from '../helpers/fake-electron';

vi.mock('electron', async () => (await import('../helpers/fake-electron')).createFakeElectron());

const electron = (await import('electron')) as unknown as FakeElectron;
const {
  contentSecurityPolicy,
  hardenAllWebContents,
  hardenSession,
  hardenWebContents,
  isAllowedRequest,
  secureWebPreferences,
  withContentSecurityPolicy,
} = await import('../../src-main/shell/security');
const { isAppUrl, rendererEntryUrl, rendererLocation } = await import('../../src-main/shell/renderer-location');
const { appMenuTemplate } = await import('../../src-main/shell/menu');
const { createMainWindow } = await import('../../src-main/shell/window');

const ROOT = '/opt/fieldbench/out/renderer';
const production = rendererLocation({ rendererDir: ROOT, isPackaged: true, devServerUrl: 'http://localhost:5173/' });
const development = rendererLocation({ rendererDir: ROOT, isPackaged: false, devServerUrl: 'http://localhost:5173/' });
const INDEX_URL = 'file:///opt/fieldbench/out/renderer/index.html';

function quietLog() {
  return vi.fn<(level: 'info' | 'warn' | 'error', message: string) => void>();
}

function cspDirectives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe('webPreferences', () => {
  it('isolate and sandbox the renderer, with no Node, no webview and no insecure content', () => {
    const prefs = secureWebPreferences('/app/out/preload/index.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      devTools: false,
    });
    expect(secureWebPreferences('/p', { devTools: true }).devTools).toBe(true);
  });

  it('are what the real window is created with', () => {
    const window = createMainWindow({ preloadFile: '/app/out/preload/index.cjs', isDev: false, log: quietLog() });
    const options = (window as unknown as { options: { webPreferences: unknown; show: boolean } }).options;
    expect(options.webPreferences).toEqual(secureWebPreferences('/app/out/preload/index.cjs'));
    expect(options.show).toBe(false);
  });
});

describe('renderer location', () => {
  it('serves the built files in a package, whatever ELECTRON_RENDERER_URL says', () => {
    expect(production).toEqual({ kind: 'file', rootDir: ROOT, indexFile: `${ROOT}/index.html` });
    expect(rendererEntryUrl(production)).toBe(INDEX_URL);
  });

  it('uses the dev server in development only when it is on this machine', () => {
    expect(development).toEqual({ kind: 'dev-server', url: 'http://localhost:5173/', origin: 'http://localhost:5173' });
    for (const devServerUrl of ['http://evil.example:5173/', 'file:///etc/passwd', 'not a url', '']) {
      expect(rendererLocation({ rendererDir: ROOT, isPackaged: false, devServerUrl }).kind).toBe('file');
    }
  });

  it('counts only files under out/renderer as app pages, however the path is spelled', () => {
    expect(isAppUrl(INDEX_URL, production)).toBe(true);
    expect(isAppUrl('file:///opt/fieldbench/out/renderer/assets/index.js', production)).toBe(true);
    expect(isAppUrl('file:///opt/fieldbench/out/renderer/../main/index.js', production)).toBe(false);
    expect(isAppUrl('file:///opt/fieldbench/out/renderer%2F..%2F..%2Fsecret', production)).toBe(false);
    expect(isAppUrl('file:///opt/fieldbench/out/renderer-evil/index.html', production)).toBe(false);
    expect(isAppUrl('file://remote-host/opt/fieldbench/out/renderer/index.html', production)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', production)).toBe(false);
    expect(isAppUrl('https://example.com/', production)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', production)).toBe(false);
    expect(isAppUrl('http://localhost:5173/src/main.tsx', development)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', development)).toBe(false);
    expect(isAppUrl(INDEX_URL, development)).toBe(false);
  });
});

describe('content security policy', () => {
  it('is strict in production: same origin only, no inline or eval, no plugins, no framing', () => {
    const policy = contentSecurityPolicy(production);
    expect(policy).toBe(PRODUCTION_CSP);
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:|ws:/);
    const directives = cspDirectives(policy);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('loosens only for the loopback dev server in development, never to eval', () => {
    const policy = contentSecurityPolicy(development);
    expect(policy).not.toContain('unsafe-eval');
    expect(cspDirectives(policy).get('connect-src')).toEqual(["'self'", 'ws://localhost:5173']);
    expect(cspDirectives(policy).get('object-src')).toEqual(["'none'"]);
  });

  it('is set on every response, replacing any policy the response brought', () => {
    const session = new FakeSession();
    hardenSession(session as never, production, quietLog());
    const headers = session.headersFor(INDEX_URL, {
      'content-security-policy': ["default-src *; script-src 'unsafe-inline'"],
      'Content-Type': ['text/html'],
    });
    expect(headers['Content-Security-Policy']).toEqual([PRODUCTION_CSP]);
    expect(headers['Content-Type']).toEqual(['text/html']);
    expect(Object.keys(headers).filter((name) => name.toLowerCase() === 'content-security-policy')).toHaveLength(1);
    expect(withContentSecurityPolicy(undefined, 'x')).toEqual({ 'Content-Security-Policy': ['x'] });
  });
});

describe('session', () => {
  it('cancels every request that is not for the app itself', () => {
    const session = new FakeSession();
    const log = quietLog();
    hardenSession(session as never, production, log);
    expect(session.cancels(INDEX_URL, 'mainFrame')).toBe(false);
    expect(session.cancels('file:///opt/fieldbench/out/renderer/assets/app.css', 'stylesheet')).toBe(false);
    expect(session.cancels('data:image/png;base64,AAAA', 'image')).toBe(false);
    for (const url of [
      'https://example.com/tracker.js',
      'http://127.0.0.1:8080/api',
      'ws://localhost:5173/',
      'file:///etc/passwd',
      'file:///opt/fieldbench/out/main/index.js',
      'devtools://devtools/bundled/inspector.html',
      'ftp://example.com/x',
    ]) {
      expect(session.cancels(url), url).toBe(true);
    }
    expect(log).toHaveBeenCalledWith('warn', expect.stringContaining('https://example.com/tracker.js'));
  });

  it('in development also lets through the dev server and its hot-reload socket, and nothing remote', () => {
    expect(isAllowedRequest('http://localhost:5173/@vite/client', development)).toBe(true);
    expect(isAllowedRequest('ws://localhost:5173/?token=x', development)).toBe(true);
    expect(isAllowedRequest('ws://localhost:5174/', development)).toBe(false);
    expect(isAllowedRequest('https://registry.npmjs.org/', development)).toBe(false);
    expect(isAllowedRequest(INDEX_URL, development)).toBe(false);
  });

  it('denies every permission request and check, and every device permission', async () => {
    const session = new FakeSession();
    hardenSession(session as never, production, quietLog());
    for (const permission of ['media', 'geolocation', 'notifications', 'serial', 'usb', 'hid', 'clipboard-read', 'openExternal']) {
      expect(await session.requestPermission(permission)).toBe(false);
      expect(session.permissionCheckHandler?.(null, permission, 'file://', {})).toBe(false);
    }
    expect(session.devicePermissionHandler?.({ deviceType: 'serial' })).toBe(false);
  });

  it('refuses downloads from anywhere, and lets the app save a file it made through the save dialog', () => {
    const session = new FakeSession();
    hardenSession(session as never, production, quietLog());
    const download = (url: string) => {
      const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
      const dialogOptions: unknown[] = [];
      session.emit('will-download', event, { getURL: () => url, getFilename: () => 'case.zip', setSaveDialogOptions: (o: unknown) => dialogOptions.push(o) });
      return { refused: event.defaultPrevented, dialogOptions };
    };
    for (const url of ['https://example.com/payload.bin', 'file:///etc/passwd', 'data:application/octet-stream;base64,AAAA', 'http://127.0.0.1:8080/x']) {
      expect(download(url), url).toEqual({ refused: true, dialogOptions: [] });
    }
    expect(download('blob:null/3f1c3a0e-5b7e-4d0a-9a55-0d1e5b2e7c11')).toEqual({ refused: false, dialogOptions: [{ title: 'Save', defaultPath: 'case.zip' }] });
    expect(download('blob:http://localhost:5173/3f1c3a0e-5b7e-4d0a-9a55-0d1e5b2e7c11').refused).toBe(false);
  });
});

describe('web contents', () => {
  function hardened(location = production) {
    const contents = new FakeWebContents();
    const log = quietLog();
    hardenWebContents(contents as never, location, log);
    return { contents, log };
  }

  it('prevents navigation and redirects away from the app, in any frame', () => {
    const { contents } = hardened();
    for (const name of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      expect(contents.fire(name, { url: 'https://example.com/' }).defaultPrevented, name).toBe(true);
      expect(contents.fire(name, { url: 'file:///etc/passwd' }).defaultPrevented, name).toBe(true);
      expect(contents.fire(name, { url: 'javascript:alert(1)' }).defaultPrevented, name).toBe(true);
      expect(contents.fire(name, { url: INDEX_URL }).defaultPrevented, name).toBe(false);
    }
  });

  it('keeps development navigation on the dev server', () => {
    const { contents } = hardened(development);
    expect(contents.fire('will-navigate', { url: 'http://localhost:5173/' }).defaultPrevented).toBe(false);
    expect(contents.fire('will-navigate', { url: 'http://localhost:8080/' }).defaultPrevented).toBe(true);
  });

  it('denies window.open', () => {
    const { contents, log } = hardened();
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: INDEX_URL })).toEqual({ action: 'deny' });
    expect(log).toHaveBeenCalled();
  });

  it('prevents <webview> from attaching', () => {
    const { contents } = hardened();
    expect(contents.fire('will-attach-webview').defaultPrevented).toBe(true);
  });

  it('guards every web contents the app creates, not only the main window', () => {
    const app = new FakeApp();
    hardenAllWebContents(app as never, production, quietLog());
    const contents = new FakeWebContents();
    app.emit('web-contents-created', {}, contents);
    expect(contents.fire('will-navigate', { url: 'https://example.com/' }).defaultPrevented).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });
});

describe('menu', () => {
  it('offers reload and developer tools in development only', () => {
    const roles = (isDev: boolean) =>
      JSON.stringify(appMenuTemplate({ isDev, platform: 'linux' })).match(/"role":"(\w+)"/g) ?? [];
    expect(roles(false).join()).not.toMatch(/toggleDevTools|reload/i);
    expect(roles(true).join()).toMatch(/toggleDevTools/);
    expect(electron.Menu).toBeDefined();
  });
});
