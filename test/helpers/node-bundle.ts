// Bundles a TypeScript entry into one ES module Node runs on its own, for code a test must
// start as a file (a child process, a worker thread) rather than import. The native
// better-sqlite3 stays outside, loaded by absolute path from this checkout, so the bundle
// works from any folder, even one with no node_modules above it.
import { builtinModules, createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';

export interface NodeBundleOptions {
  /**
   * Leave every package outside, each imported by its absolute path in this checkout, not
   * only better-sqlite3: for packages that cannot be inlined into an ES module (serialport
   * requires Node's own modules dynamically and finds its native binding next to its package).
   */
  externalPackages?: boolean;
}

export async function bundleForNode(entry: string, outfile: string, options: NodeBundleOptions = {}): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [options.externalPackages ? packagesByAbsolutePath() : nativeSqlite()],
  });
  return outfile;
}

function nativeSqlite(): Plugin {
  const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  return {
    name: 'native-sqlite',
    setup(b) {
      b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlitePath, external: true }));
    },
  };
}

function packagesByAbsolutePath(): Plugin {
  const fromHere = createRequire(import.meta.url);
  const builtins = new Set(builtinModules);
  return {
    name: 'packages-by-absolute-path',
    setup(b) {
      // esbuild hands the filter to Go, which knows no u flag.
      b.onResolve({ filter: /^[^./]/ }, ({ path }) =>
        path.startsWith('node:') || builtins.has(path) ? undefined : { path: fromHere.resolve(path), external: true },
      );
    },
  };
}
