#!/usr/bin/env node
// Launcher for the built CLI. `npm run build` writes out/cli/fieldbench.js.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../out/cli/fieldbench.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('fieldbench: the CLI is not built yet. Run `npm run build` in the Fieldbench folder first.\n');
  process.exit(1);
}
await import(pathToFileURL(bundle).href);
