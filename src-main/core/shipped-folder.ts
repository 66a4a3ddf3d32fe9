// Where a folder of data shipped with Fieldbench (device profiles, knowledge base articles)
// is found when none is given. In order: an environment variable (a lab's own folder); the
// packaged app's resources (process.resourcesPath, Electron only); the nearest such folder
// walking up from this module's own file (src-main/core/ from source, out/main/ or the CLI
// bundle when built, all inside the repository); the same walk up from the working
// directory. When none exists, the folder under the working directory is returned, so
// loading reports it missing instead of failing here.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ShippedFolder {
  /** The folder's name: "device-profiles". */
  name: string;
  /** The environment variable that names it outright. */
  envVar: string;
  /** Tells Fieldbench's own folder from a user's folder of the same name. */
  isOurs(dir: string): boolean;
}

export function findShippedFolder(folder: ShippedFolder): string {
  const fromEnv = process.env[folder.envVar];
  if (fromEnv) return resolve(fromEnv);
  const resources = (process as { resourcesPath?: unknown }).resourcesPath;
  if (typeof resources === 'string' && folder.isOurs(join(resources, folder.name))) return join(resources, folder.name);
  for (const start of [moduleDir(), process.cwd()]) {
    if (start === undefined) continue;
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, folder.name);
      if (folder.isOurs(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  return resolve(process.cwd(), folder.name);
}

function moduleDir(): string | undefined {
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined; // a CommonJS bundle has no import.meta.url; the working directory still counts
  }
}
