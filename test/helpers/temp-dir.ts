import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system temp dir, and a cleanup that never throws. */
export function makeTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `fieldbench-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
