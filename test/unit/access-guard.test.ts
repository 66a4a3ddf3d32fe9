import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AccessGuard, newAccessToken, TOKEN_COOKIE } from '../../src-main/server/access-guard';
import { resolveStaticPath } from '../../src-main/server/static-files';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('AccessGuard', () => {
  const guard = new AccessGuard(newAccessToken());
  guard.setPort(4321);

  it('makes long random tokens', () => {
    const a = newAccessToken();
    expect(a.length).toBeGreaterThanOrEqual(43);
    expect(a).not.toBe(newAccessToken());
  });

  it('accepts only this server as Host', () => {
    expect(guard.hostAllowed(request({ host: '127.0.0.1:4321' }))).toBe(true);
    expect(guard.hostAllowed(request({ host: 'localhost:4321' }))).toBe(true);
    expect(guard.hostAllowed(request({ host: 'evil.example:4321' }))).toBe(false);
    expect(guard.hostAllowed(request({ host: '127.0.0.1:80' }))).toBe(false);
    expect(guard.hostAllowed(request({}))).toBe(false);
  });

  it('accepts only pages of this server as Origin', () => {
    expect(guard.originAllowed(request({ origin: 'http://127.0.0.1:4321' }))).toBe(true);
    expect(guard.originAllowed(request({ origin: 'https://127.0.0.1:4321' }))).toBe(false);
    expect(guard.originAllowed(request({ origin: 'http://evil.example' }))).toBe(false);
    expect(guard.originAllowed(request({ origin: 'null' }))).toBe(false);
    expect(guard.originAllowed(request({}))).toBe(false);
  });

  it('matches the token exactly and reads it from the cookie', () => {
    expect(guard.tokenMatches(guard.token)).toBe(true);
    expect(guard.tokenMatches(guard.token.slice(1))).toBe(false);
    expect(guard.tokenMatches('')).toBe(false);
    expect(guard.tokenMatches(null)).toBe(false);
    expect(guard.cookieToken(request({ cookie: `a=b; ${TOKEN_COOKIE}=${guard.token}` }))).toBe(guard.token);
    expect(guard.sessionCookie()).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    fc.assert(fc.property(fc.string(), (candidate) => candidate === guard.token || !guard.tokenMatches(candidate)));
  });
});

describe('resolveStaticPath', () => {
  it('maps / to index.html and keeps files inside the root', () => {
    expect(resolveStaticPath('/srv/app', '/')).toBe('/srv/app/index.html');
    expect(resolveStaticPath('/srv/app', '/assets/a.js')).toBe('/srv/app/assets/a.js');
    expect(resolveStaticPath('/srv/app', '/../secret')).toBeNull();
    expect(resolveStaticPath('/srv/app', '/%2e%2e/%2e%2e/etc/passwd')).toBeNull();
    expect(resolveStaticPath('/srv/app', '/a%00b')).toBeNull();
    expect(resolveStaticPath('/srv/app', '/%E0%A4%A')).toBeNull();
  });

  it('never resolves outside the root, whatever the path', () => {
    fc.assert(
      fc.property(fc.string(), (path) => {
        const resolved = resolveStaticPath('/srv/app', `/${path}`);
        return resolved === null || resolved === '/srv/app' || resolved.startsWith('/srv/app/');
      }),
    );
  });
});
