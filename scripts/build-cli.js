// Bundles the CLI (src-main/cli) into out/cli/fieldbench.js for bin/fieldbench.js, and the
// capture worker beside it (out/cli/log-worker.js), where log-worker-location.ts looks for it.
// Dependencies stay external: native modules (better-sqlite3, serialport) load from
// node_modules at run time, built for Node.
import { build } from 'esbuild';

await build({
  entryPoints: { fieldbench: 'src-main/cli/index.ts', 'log-worker': 'src-main/core/logs/log-worker.ts' },
  outdir: 'out/cli',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
