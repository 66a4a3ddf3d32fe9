// A copy of the shipped sensor-node recipe for a benchmark tray: the image and key paths made
// absolute (the copy lives in a temporary folder), nobody at the bench (no operator, auto-start),
// the serial parallelism and the test procedure chosen by the benchmark. The shipped file is the
// starting point so the benchmark runs what a bench runs, comments and all.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const SHIPPED_RECIPE = fileURLToPath(new URL('../recipes/sensor-node-2.0.0.yaml', import.meta.url));

export interface BenchRecipeChoice {
  /** Units flashed at once on the serial bus. */
  serialParallelism: number;
  /** A procedure of the sensor-node profile to run after the new image booted; null: flash only. */
  procedureId: string | null;
}

/** Writes the recipe into `dir`; returns its path. */
export function writeBenchRecipe(dir: string, choice: BenchRecipeChoice): string {
  const document = parseDocument(readFileSync(SHIPPED_RECIPE, 'utf8'));
  const shippedDir = dirname(SHIPPED_RECIPE);
  const absolute = (path: unknown) => resolve(shippedDir, String(path));
  document.setIn(['firmware', 'file'], absolute(document.getIn(['firmware', 'file'])));
  const keys = document.getIn(['firmware', 'keys']) as { items: unknown[] } | undefined;
  keys?.items.forEach((_, index) => document.setIn(['firmware', 'keys', index], absolute(document.getIn(['firmware', 'keys', index]))));
  document.set('id', `sensor-node-bench-serial-${choice.serialParallelism}`);
  document.set('name', `Sensor Node 2.0.0 benchmark tray, ${choice.serialParallelism} at once`);
  document.set('description', `The shipped 2.0.0 recipe, ${choice.procedureId ? `tested with ${choice.procedureId}` : 'flash and confirm only'}, with nobody at the bench.`);
  if (choice.procedureId === null) document.delete('procedure');
  else document.set('procedure', { id: choice.procedureId, onFail: 'continue' });
  document.set('autoStart', true);
  document.set('operatorRequired', false);
  document.set('parallelism', { serial: choice.serialParallelism });
  const file = join(dir, `sensor-node-bench-serial-${choice.serialParallelism}${choice.procedureId ? `-${choice.procedureId}` : ''}.yaml`);
  writeFileSync(file, document.toString());
  return file;
}
