// The one Content-Security-Policy of the renderer, whichever door shows it: the Electron
// window (response header and the built page's <meta>) and `fieldbench serve` (header).
// Same-origin only: no inline code, no eval, nothing remote.

const PRODUCTION_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

export const PRODUCTION_CSP = PRODUCTION_DIRECTIVES.join('; ');

/**
 * The same policy for the built page's <meta> tag, less frame-ancestors: browsers ignore
 * that directive in a <meta> and log an error saying so. The headers still send it.
 */
export const META_CSP = PRODUCTION_DIRECTIVES.filter((d) => !d.startsWith('frame-ancestors')).join('; ');

/** The <meta> tag for the built page. */
export function cspMetaTag(): string {
  return `<meta http-equiv="Content-Security-Policy" content="${META_CSP}" />`;
}

/**
 * In development only, Vite's dev server needs what production refuses: the inline React
 * Refresh preamble and injected <style> tags ('unsafe-inline'), and its hot-reload socket.
 * Nothing outside the loopback dev server is allowed even then, and never 'unsafe-eval'.
 */
export function developmentCsp(devServerOrigin: string): string {
  const hotReloadSocket = devServerOrigin.replace(/^http/, 'ws');
  return PRODUCTION_DIRECTIVES.map((directive) => {
    if (directive.startsWith('script-src') || directive.startsWith('style-src')) return `${directive} 'unsafe-inline'`;
    if (directive.startsWith('connect-src')) return `${directive} ${hotReloadSocket}`;
    return directive;
  }).join('; ');
}
