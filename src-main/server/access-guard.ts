// Who may talk to `fieldbench serve`: only a browser on this machine that opened the URL
// carrying the random token. The token moves from the URL into an HttpOnly cookie on first
// use, so it leaves the address bar and history; Host and Origin are checked on every
// request, which also defeats DNS rebinding from a web page in another tab.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'fieldbench_token';

export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

export class AccessGuard {
  private readonly tokenBytes: Buffer;
  private allowedHosts: Set<string> = new Set();

  constructor(readonly token: string) {
    this.tokenBytes = Buffer.from(token);
  }

  /** Called once the port is known. */
  setPort(port: number): void {
    this.allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  }

  /** The Host header names this server (not a rebound domain). */
  hostAllowed(request: IncomingMessage): boolean {
    return this.allowedHosts.has(String(request.headers.host ?? '').toLowerCase());
  }

  /** For WebSocket upgrades: the page must come from this very server. */
  originAllowed(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return false;
    try {
      const url = new URL(origin);
      return url.protocol === 'http:' && this.allowedHosts.has(url.host.toLowerCase());
    } catch {
      return false;
    }
  }

  tokenMatches(candidate: string | null | undefined): boolean {
    if (!candidate) return false;
    const bytes = Buffer.from(candidate);
    return bytes.length === this.tokenBytes.length && timingSafeEqual(bytes, this.tokenBytes);
  }

  /** The token from the cookie, if the browser sent it. */
  cookieToken(request: IncomingMessage): string | null {
    const header = request.headers.cookie;
    if (!header) return null;
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() === TOKEN_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
    }
    return null;
  }

  sessionCookie(): string {
    return `${TOKEN_COOKIE}=${encodeURIComponent(this.token)}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
