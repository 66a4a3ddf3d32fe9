// Where the desktop app finds its pieces, in a checkout and in a package. Pure, so the
// rules are tested without Electron; main.ts feeds it app.getAppPath() and friends.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface AppPathsInput {
  /** app.getAppPath(): the repository in development, the app archive when packaged. */
  appPath: string;
  isPackaged: boolean;
  /** process.resourcesPath: where a package keeps files outside the archive. */
  resourcesPath: string;
  electronVersion: string;
  platform: NodeJS.Platform;
  arch: string;
  exists?: (path: string) => boolean;
}

export interface AppPaths {
  rendererDir: string;
  preloadFile: string;
  profilesDir: string;
  /** better-sqlite3 built for this Electron, or undefined to use node_modules (packaged apps). */
  sqliteNativeBinding: string | undefined;
  /** Set in development when the Electron build of better-sqlite3 is missing: what to run. */
  sqliteNativeProblem: string | undefined;
}

/**
 * The folder scripts/native-modules.js fills for one Electron version and machine. The two
 * must agree on this name; it carries the version so that upgrading Electron never loads a
 * binary built for the old ABI.
 */
export function electronNativeDir(appPath: string, electronVersion: string, platform: string, arch: string): string {
  return join(appPath, '.native', `electron-${electronVersion}-${platform}-${arch}`);
}

export function resolveAppPaths(input: AppPathsInput): AppPaths {
  const exists = input.exists ?? existsSync;
  const outDir = join(input.appPath, 'out');
  const paths = {
    rendererDir: join(outDir, 'renderer'),
    preloadFile: join(outDir, 'preload', 'index.cjs'),
    // Profiles are data a support team may edit or add to, so a package keeps them outside the archive.
    profilesDir: input.isPackaged
      ? join(input.resourcesPath, 'device-profiles')
      : join(input.appPath, 'device-profiles'),
  };
  if (input.isPackaged) {
    // Packaging rebuilds node_modules for Electron (electron-builder install-app-deps).
    return { ...paths, sqliteNativeBinding: undefined, sqliteNativeProblem: undefined };
  }
  const binding = join(
    electronNativeDir(input.appPath, input.electronVersion, input.platform, input.arch),
    'better_sqlite3.node',
  );
  if (exists(binding)) return { ...paths, sqliteNativeBinding: binding, sqliteNativeProblem: undefined };
  return {
    ...paths,
    sqliteNativeBinding: undefined,
    sqliteNativeProblem:
      `better-sqlite3 has no build for Electron ${input.electronVersion} at ${binding}; ` +
      'run `node scripts/native-modules.js electron` (npm start does this) on a connected machine',
  };
}
