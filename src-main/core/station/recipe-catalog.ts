// The recipes a station can offer without the operator typing a path: those shipped with
// Fieldbench (recipes/) and the team's own in the data folder. Each is only parsed, never
// loaded (no image is read), so a long list stays quick; one that does not parse is listed
// with its problem, so a broken file is seen rather than silently missing.
import { existsSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { StationRecipeFile } from '../../api/station-schemas';
import { findShippedFolder } from '../shipped-folder';
import { MAX_RECIPE_BYTES, parseRecipe } from './recipe-file';

export const RECIPES_DIR_NAME = 'recipes';
export const RECIPES_DIR_ENV = 'FIELDBENCH_RECIPES_DIR';

/** Most files listed across both folders: a folder of thousands is not a shelf of recipes. */
export const MAX_LISTED_RECIPES = 200;

const RECIPE_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * The shipped recipes' folder when none is given: $FIELDBENCH_RECIPES_DIR, the packaged app's
 * resources, or the nearest recipes/ beside a package.json (see shipped-folder.ts).
 */
export function defaultRecipesDir(): string {
  return findShippedFolder({
    name: RECIPES_DIR_NAME,
    envVar: RECIPES_DIR_ENV,
    isOurs: (dir) => existsSync(dir) && existsSync(join(dirname(dir), 'package.json')),
  });
}

export interface RecipeFolders {
  shipped: string;
  local: string;
}

/** Every recipe file of both folders, shipped first, each by name; a missing folder lists nothing. */
export async function listRecipes(folders: RecipeFolders): Promise<StationRecipeFile[]> {
  const listed: StationRecipeFile[] = [];
  for (const [source, folder] of [['shipped', folders.shipped], ['local', folders.local]] as const) {
    for (const name of await recipeNames(folder)) {
      if (listed.length >= MAX_LISTED_RECIPES) return listed;
      listed.push(await describe(join(folder, name), source));
    }
  }
  return listed;
}

async function recipeNames(folder: string): Promise<string[]> {
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && RECIPE_EXTENSIONS.has(extname(entry.name).toLowerCase()))
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FieldbenchError(
      {
        code: 'invalid-request',
        message: `the recipe folder ${folder} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        step: 'list recipes',
        hint: 'Make it a folder you can read, or move what is in its place aside.',
      },
      { cause: error },
    );
  }
}

async function describe(file: string, source: 'shipped' | 'local'): Promise<StationRecipeFile> {
  const unknown = { file, source, id: null, name: null, revision: null, profileId: null };
  let text: string;
  try {
    text = await readAtMost(file, MAX_RECIPE_BYTES);
  } catch (error) {
    return { ...unknown, problem: error instanceof Error ? error.message : String(error) };
  }
  try {
    const { recipe } = parseRecipe(text, file);
    return { file, source, id: recipe.id, name: recipe.name, revision: recipe.revision, profileId: recipe.profile, problem: null };
  } catch (error) {
    if (!isFieldbenchError(error)) throw error;
    return { ...unknown, problem: error.message };
  }
}

/** The file's text; larger than `limit` is refused without reading it all. */
async function readAtMost(file: string, limit: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > limit) throw new Error(`${size} bytes, more than the ${limit} a recipe can be`);
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
