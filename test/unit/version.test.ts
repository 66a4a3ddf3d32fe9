import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIELDBENCH_VERSION } from '../../src-main/core/version';

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(FIELDBENCH_VERSION).toBe(pkg.version);
  });
});
