// Where the window's pages come from, and the one test of whether a URL is one of them.
// Navigation guards, the request filter and the IPC sender check all ask isAppUrl, so
// "the app's own pages" means the same thing everywhere in the shell.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type RendererLocation =
  /** Production: the built renderer on disk (out/renderer). */
  | { kind: 'file'; rootDir: string; indexFile: string }
  /** Development: electron-vite's dev server on the loopback interface, with hot reload. */
  | { kind: 'dev-server'; url: string; origin: string };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface RendererLocationOptions {
  /** out/renderer, holding index.html. */
  rendererDir: string;
  /** ELECTRON_RENDERER_URL as electron-vite sets it in development. */
  devServerUrl?: string | undefined;
  /** A packaged app never takes its pages from an environment variable. */
  isPackaged: boolean;
}

export function rendererLocation(options: RendererLocationOptions): RendererLocation {
  const devServer = options.isPackaged ? null : loopbackUrl(options.devServerUrl);
  if (devServer) return { kind: 'dev-server', url: devServer.href, origin: devServer.origin };
  const rootDir = resolve(options.rendererDir);
  return { kind: 'file', rootDir, indexFile: resolve(rootDir, 'index.html') };
}

/** Only an http(s) URL on this machine can be a dev server; anything else would be remote content. */
function loopbackUrl(text: string | undefined): URL | null {
  if (!text) return null;
  try {
    const url = new URL(text);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname)) return url;
  } catch {
    // not a URL: fall back to the built files
  }
  return null;
}

/** The URL the window loads first. */
export function rendererEntryUrl(location: RendererLocation): string {
  return location.kind === 'dev-server' ? location.url : pathToFileURL(location.indexFile).href;
}

/** True for a page of the app itself: a file under out/renderer, or a page of the dev server. */
export function isAppUrl(text: string, location: RendererLocation): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (location.kind === 'dev-server') return url.origin === location.origin;
  if (url.protocol !== 'file:' || (url.host !== '' && url.host !== 'localhost')) return false;
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    return false;
  }
  return isInside(location.rootDir, path);
}

/** True when path is rootDir or below it, after resolving any '..'. */
export function isInside(rootDir: string, path: string): boolean {
  const rel = relative(rootDir, resolve(path));
  return rel === '' || (rel.split(sep)[0] !== '..' && !isAbsolute(rel));
}
