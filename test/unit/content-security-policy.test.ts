import { describe, expect, it } from 'vitest';
import { cspMetaTag, developmentCsp, META_CSP, PRODUCTION_CSP } from '../../src-main/api/content-security-policy';

const directives = (policy: string) => new Map(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));

describe('content security policy', () => {
  it('production allows only the app itself: no inline code, no eval, nothing remote', () => {
    expect(PRODUCTION_CSP).not.toMatch(/unsafe|https?:|ws:|\*/);
    const policy = directives(PRODUCTION_CSP);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('the meta tag carries the same policy less what a meta cannot express', () => {
    expect(META_CSP).toBe(PRODUCTION_CSP.replace("; frame-ancestors 'none'", ''));
    expect(cspMetaTag()).toContain(`content="${META_CSP}"`);
  });

  it('development adds only inline code for the dev server and its hot-reload socket, never eval', () => {
    const dev = directives(developmentCsp('http://localhost:5173'));
    expect(dev.get('script-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(dev.get('connect-src')).toEqual(["'self'", 'ws://localhost:5173']);
    expect(developmentCsp('http://localhost:5173')).not.toMatch(/unsafe-eval/);
  });
});
