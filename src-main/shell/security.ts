// The window's security policy. The renderer shows data read from devices and typed by
// people, so it is treated as untrusted: it runs sandboxed and isolated, loads nothing from
// the network, cannot navigate away or open windows, gets no browser permissions (devices
// are reached through the core, never through Web Serial/USB/HID/Bluetooth), and reaches
// the core only through the checked IPC binding.
import type { App, Session, WebContents, WebPreferences } from 'electron';
import { developmentCsp, PRODUCTION_CSP } from '../api/content-security-policy';
import { isAppUrl, type RendererLocation } from './renderer-location';

export type ShellLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** For file:// pages Chromium applies the built page's <meta> tag; the header covers every http(s) response. */
export function contentSecurityPolicy(location: RendererLocation): string {
  return location.kind === 'file' ? PRODUCTION_CSP : developmentCsp(location.origin);
}

export interface SecureWebPreferencesOptions {
  /** Developer tools: on in development only. */
  devTools?: boolean;
}

export function secureWebPreferences(preloadPath: string, options: SecureWebPreferencesOptions = {}): WebPreferences {
  return {
    preload: preloadPath,
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
    navigateOnDragDrop: false,
    safeDialogs: true,
    devTools: options.devTools ?? false,
  };
}

/**
 * What the renderer may fetch: its own files, data: URLs (the CSP narrows those to images)
 * and, in development, the dev server's hot-reload socket and the developer tools' own pages.
 */
export function isAllowedRequest(text: string, location: RendererLocation): boolean {
  if (isAppUrl(text, location)) return true;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === 'data:') return true;
  if (location.kind === 'dev-server') {
    if (url.protocol === 'devtools:') return true;
    const devServer = new URL(location.origin);
    const socketProtocol = devServer.protocol === 'https:' ? 'wss:' : 'ws:';
    if (url.protocol === socketProtocol && url.host === devServer.host) return true;
  }
  return false;
}

/** Replaces any CSP a response brings with ours, whatever the header's spelling. */
export function withContentSecurityPolicy(
  headers: Record<string, string | string[]> | undefined,
  policy: string,
): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [policy];
  return result;
}

export function hardenSession(session: Session, location: RendererLocation, log: ShellLog): void {
  const policy = contentSecurityPolicy(location);

  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, location);
    if (!allowed) log('warn', `blocked a ${details.resourceType} request to ${describeUrl(details.url)}`);
    callback({ cancel: !allowed });
  });

  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, policy) });
  });

  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log('warn', `refused the "${permission}" permission`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  // Web Serial, WebUSB and WebHID would bypass the core's device handling entirely.
  session.setDevicePermissionHandler(() => false);

  // A blob: URL can only have been made by the app's own page (no remote content loads, and
  // the CSP allows no other script): that is a file the app saves for the user (an
  // attachment, an escalation bundle), asked where through the system's save dialog. Any
  // other download is refused.
  session.on('will-download', (event, item) => {
    const url = item.getURL();
    if (isAppMadeDownload(url)) {
      item.setSaveDialogOptions({ title: 'Save', defaultPath: item.getFilename() });
      log('info', `saving ${item.getFilename()} as the user chooses`);
      return;
    }
    event.preventDefault();
    log('warn', `blocked a download of ${describeUrl(url)}`);
  });
}

export function hardenWebContents(contents: WebContents, location: RendererLocation, log: ShellLog): void {
  const keepOnApp = (what: string) => (event: { url: string; preventDefault(): void }) => {
    if (isAppUrl(event.url, location)) return;
    event.preventDefault();
    log('warn', `blocked ${what} to ${describeUrl(event.url)}`);
  };
  contents.on('will-navigate', keepOnApp('a navigation'));
  contents.on('will-frame-navigate', keepOnApp('a frame navigation'));
  contents.on('will-redirect', keepOnApp('a redirect'));

  contents.setWindowOpenHandler(({ url }) => {
    log('warn', `blocked a new window for ${describeUrl(url)}`);
    return { action: 'deny' };
  });

  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('warn', 'blocked a <webview>');
  });
}

/** Every web contents the app ever creates, windows and anything they spawn, gets the same guards. */
export function hardenAllWebContents(app: Pick<App, 'on'>, location: RendererLocation, log: ShellLog): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, location, log));
}

/** A file the app's page made (a blob: URL) rather than one fetched from anywhere. */
export function isAppMadeDownload(url: string): boolean {
  return url.startsWith('blob:');
}

/** URLs in logs are cut short: a data: URL or a long query is not worth a screenful. */
function describeUrl(url: string): string {
  return url.length > 200 ? `${url.slice(0, 200)}…` : url;
}
