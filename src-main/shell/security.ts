// The window's security policy. The renderer shows data read from devices and typed by
// people, so it is treated as untrusted: it runs sandboxed and isolated, loads nothing from
// the network, cannot navigate away or open windows, gets no browser permissions (devices
// are reached through the core, never through Web Serial/USB/HID/Bluetooth), and reaches
// the core only through the checked IPC binding.
import type { App, Session, WebContents, WebPreferences } from 'electron';
import { isAppUrl, type RendererLocation } from './renderer-location';

export type ShellLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** The same policy as the renderer's <meta> tag. For file:// pages the meta tag is what Chromium applies; the header covers every http(s) response. */
export const PRODUCTION_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * In development only, Vite's dev server needs three things the production policy refuses:
 * the inline React Refresh preamble ('unsafe-inline' scripts), the <style> tags it injects for
 * CSS modules and hot reload ('unsafe-inline' styles), and its hot-reload WebSocket.
 * Nothing outside the loopback dev server is allowed even then.
 */
export function contentSecurityPolicy(location: RendererLocation): string {
  if (location.kind === 'file') return PRODUCTION_CSP;
  const hotReloadSocket = location.origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${hotReloadSocket}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
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

  session.on('will-download', (event, item) => {
    event.preventDefault();
    log('warn', `blocked a download of ${describeUrl(item.getURL())}`);
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

/** URLs in logs are cut short: a data: URL or a long query is not worth a screenful. */
function describeUrl(url: string): string {
  return url.length > 200 ? `${url.slice(0, 200)}…` : url;
}
