// Bundles a TypeScript entry into one ES module Node runs on its own, for code a test must
// start as a file (a child process, a worker thread) rather than import. The native
// better-sqlite3 stays outside, loaded by absolute path from this checkout, so the bundle
// works from any folder, even one with no node_modules above it.
import { createRequire } from 'node:module';
import { build } from 'esbuild';

export async function bundleForNode(entry: string, outfile: string): Promise<string> {
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [
      {
        name: 'native-sqlite',
        setup(b) {
          b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlitePath, external: true }));
        },
      },
    ],
  });
  return outfile;
}
