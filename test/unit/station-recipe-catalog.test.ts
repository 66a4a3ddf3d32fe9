// The recipes a station offers: both folders listed, each file parsed (not loaded), a broken
// or oversized file listed with its problem, other files left out, a missing folder empty.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultRecipesDir, listRecipes, MAX_LISTED_RECIPES } from '../../src-main/core/station/recipe-catalog';
import { MAX_RECIPE_BYTES } from '../../src-main/core/station/recipe-file';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let shipped: string;
let local: string;

beforeEach(() => {
  dir = makeTempDir('recipe-catalog');
  shipped = join(dir.path, 'shipped');
  local = join(dir.path, 'data', 'recipes');
  mkdirSync(shipped);
  mkdirSync(local, { recursive: true });
});
afterEach(() => dir.remove());

const GOOD = ['format: fieldbench-recipe/1', 'id: tray-flash', 'name: Tray flash', 'revision: "2"', 'profile: fieldbench-sensor-node', 'firmware:', '  file: app.bin', 'onPass: confirm', 'onFail: reset', ''].join('\n');

describe('listRecipes', () => {
  it('lists good, broken and oversized recipes of both folders, and nothing else', async () => {
    writeFileSync(join(shipped, 'b-good.yaml'), GOOD);
    writeFileSync(join(shipped, 'a-typo.yml'), GOOD.replace('onPass', 'onPas'));
    writeFileSync(join(shipped, 'notes.txt'), 'not a recipe');
    mkdirSync(join(shipped, 'folder.yaml'));
    writeFileSync(join(local, 'big.json'), `{"id": "${'x'.repeat(MAX_RECIPE_BYTES)}"}`);
    writeFileSync(join(local, 'mine.json'), JSON.stringify({ format: 'fieldbench-recipe/1', id: 'mine', name: 'Mine', revision: '1', profile: 'stm32-system-bootloader', firmware: { file: 'x.dfu' }, onPass: 'reset', onFail: 'leave-in-bootloader' }));
    const listed = await listRecipes({ shipped, local });
    expect(listed.map((r) => [r.source, r.file.slice(dir.path.length + 1)])).toEqual([
      ['shipped', 'shipped/a-typo.yml'],
      ['shipped', 'shipped/b-good.yaml'],
      ['local', 'data/recipes/big.json'],
      ['local', 'data/recipes/mine.json'],
    ]);
    expect(listed[0]).toMatchObject({ id: null, name: null, problem: expect.stringMatching(/onPas \(line 8, column 1\): unknown field 'onPas'/) });
    expect(listed[1]).toMatchObject({ id: 'tray-flash', name: 'Tray flash', revision: '2', profileId: 'fieldbench-sensor-node', problem: null });
    expect(listed[2]).toMatchObject({ id: null, problem: expect.stringMatching(/bytes, more than the 65536 a recipe can be/) });
    expect(listed[3]).toMatchObject({ id: 'mine', profileId: 'stm32-system-bootloader', problem: null });
  });

  it('lists nothing for folders that do not exist', async () => {
    expect(await listRecipes({ shipped: join(dir.path, 'none'), local: join(dir.path, 'neither') })).toEqual([]);
  });

  it('refuses a folder that cannot be read, naming it, the step and what to do', async () => {
    const notAFolder = join(dir.path, 'data', 'recipes-file');
    writeFileSync(notAFolder, 'not a folder');
    const refused = await fieldbenchErrorOf(listRecipes({ shipped, local: notAFolder }));
    expect(refused).toMatchObject({ code: 'invalid-request', step: 'list recipes', hint: expect.stringMatching(/folder you can read/) });
    expect(refused.message).toContain(notAFolder);
  });

  it('stops at the most it lists', async () => {
    for (let i = 0; i < MAX_LISTED_RECIPES + 5; i += 1) writeFileSync(join(local, `r-${String(i).padStart(3, '0')}.yaml`), GOOD);
    expect(await listRecipes({ shipped, local })).toHaveLength(MAX_LISTED_RECIPES);
  });
});

describe('defaultRecipesDir', () => {
  it('finds the recipes shipped in this checkout, and they parse', async () => {
    const listed = await listRecipes({ shipped: defaultRecipesDir(), local: join(dir.path, 'none') });
    expect(listed.find((r) => r.file.endsWith('sensor-node-2.0.0.yaml'))).toMatchObject({ source: 'shipped', id: 'sensor-node-production', problem: null });
  });
});
