// Bundles the CLI (src-main/cli) into out/cli/fieldbench.js for bin/fieldbench.js.
// Dependencies stay external: native modules (better-sqlite3, serialport) load from
// node_modules at run time, built for Node.
import { build } from 'esbuild';

await build({
  entryPoints: ['src-main/cli/index.ts'],
  outfile: 'out/cli/fieldbench.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
