// Where the CLI finds its data and the built renderer. The data folder is the one the
// desktop app uses (Electron's userData for an app named "fieldbench"), so `fieldbench
// cases` lists the cases written in the window.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FIELDBENCH_DATA_DIR) return resolve(env.FIELDBENCH_DATA_DIR);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'fieldbench');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'fieldbench');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'fieldbench');
}

/** The package root: the folder holding package.json, found from wherever this bundle runs. */
export function packageRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'device-profiles'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export function rendererDir(root: string = packageRoot()): string {
  return join(root, 'out', 'renderer');
}
