// Every line of a console capture, read through the contract page by page as a view would.
import type { ConsoleLine } from '../../src-main/api/console-schemas';
import type { Core } from '../../src-main/core/core';
import { ok } from './core-fixture';

export async function allConsoleLines(core: Core, captureId: string): Promise<ConsoleLine[]> {
  const lines: ConsoleLine[] = [];
  for (;;) {
    const page = await ok(core, 'console.read', { captureId, offset: lines.length, count: 2000 });
    lines.push(...page.lines);
    if (page.lines.length === 0 || lines.length >= page.captured) return lines;
  }
}
