// Bench station recipes: YAML and JSON files read and checked field by field with their lines,
// and loaded against real device profiles with the reference firmware images (imgtool,
// dfu-util), read once: pins, signatures, slot size and actions the update method can do.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FieldbenchError } from '../../src-main/api/errors';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import { loadRecipe } from '../../src-main/core/station/load-recipe';
import { DEFAULT_PARALLELISM, parseRecipe } from '../../src-main/core/station/recipe-file';
import { fieldbenchErrorFrom, fieldbenchErrorOf } from '../helpers/fieldbench-error-from';
import { fixturePath, readExpectations, type McubootExpectation } from '../helpers/firmware-fixtures';
import { makeTempDir } from '../helpers/temp-dir';

const PROFILES = fileURLToPath(new URL('../../device-profiles', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../recipes/sensor-node-2.0.0.yaml', import.meta.url));

let profiles: ProfileRegistry;
let dir: ReturnType<typeof makeTempDir>;

beforeAll(async () => {
  profiles = await ProfileRegistry.load(PROFILES);
});
beforeEach(() => {
  dir = makeTempDir('station-recipe');
});
afterEach(() => dir.remove());

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A fixture's path as a recipe in the temp folder names it. */
function fromRecipe(folder: 'mcuboot' | 'dfu', file: string): string {
  return relative(dir.path, fixturePath(folder, file));
}

/** A valid recipe's lines; tests change a line by its field to make each mistake at a known line. */
function recipeLines(image = fromRecipe('mcuboot', 'app-2.0.0-ecdsa-p256.bin')): string[] {
  return [
    'format: fieldbench-recipe/1', // 1
    'id: tray-flash', // 2
    'name: Tray flash', // 3
    'revision: "7"', // 4
    'profile: fieldbench-sensor-node', // 5
    'firmware:', // 6
    `  file: ${image}`, // 7
    'procedure:', // 8
    '  id: bench-bring-up', // 9
    'onPass: confirm', // 10
    'onFail: reset', // 11
  ];
}

function writeRecipe(lines: string[], name = 'recipe.yaml'): string {
  const file = join(dir.path, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function parseError(lines: string[]): FieldbenchError {
  return fieldbenchErrorFrom(() => parseRecipe(`${lines.join('\n')}\n`, 'recipe.yaml'));
}

/** A copy of the sensor node profile in its own folder, changed as a test needs, with the ed25519 key beside it. */
async function sensorNodeProfile(change: (profile: Record<string, unknown> & { firmware: Record<string, unknown> }) => void): Promise<ProfileRegistry> {
  const folder = join(dir.path, 'profiles');
  mkdirSync(folder);
  const profile = JSON.parse(readFileSync(join(PROFILES, 'sensor-node.json'), 'utf8')) as Record<string, unknown> & { firmware: Record<string, unknown> };
  change(profile);
  writeFileSync(join(folder, 'sensor-node.json'), JSON.stringify(profile));
  copyFileSync(fixturePath('mcuboot', 'test-pub-ed25519.pem'), join(folder, 'release-ed25519.pem'));
  const registry = await ProfileRegistry.load(folder);
  expect(registry.problems).toEqual([]);
  return registry;
}

describe('recipe files', () => {
  it('loads the example recipe: the image read once, its hashes and version, the recipe hash for the record', async () => {
    const loaded = await loadRecipe(EXAMPLE, profiles);
    const imageBytes = readFileSync(fixturePath('mcuboot', 'app-2.0.0-ecdsa-p256.bin'));
    const expected = readExpectations<McubootExpectation>('mcuboot').find((e) => e.file === 'app-2.0.0-ecdsa-p256.bin')!;
    expect(loaded.recipe).toMatchObject({
      id: 'sensor-node-production',
      revision: '2.0.0-r1',
      profile: 'fieldbench-sensor-node',
      procedure: { id: 'bench-bring-up', onFail: 'continue' },
      onPass: 'confirm',
      onFail: 'reset',
      autoStart: true,
      parallelism: { serial: 8, usb: DEFAULT_PARALLELISM.usb, ble: DEFAULT_PARALLELISM.ble },
      operatorRequired: true,
    });
    expect(loaded.recipeSha256).toBe(sha256(readFileSync(EXAMPLE)));
    expect(Buffer.from(loaded.imageBytes).equals(imageBytes)).toBe(true);
    expect(loaded.image).toEqual({
      file: fixturePath('mcuboot', 'app-2.0.0-ecdsa-p256.bin'),
      fileName: 'app-2.0.0-ecdsa-p256.bin',
      sha256: sha256(imageBytes),
      bootloaderHash: expected.sha256_tlv,
      version: expected.version,
      size: imageBytes.length,
      kind: 'mcuboot',
    });
    expect(loaded.checked.join('\n')).toContain(`signed with ${fixturePath('mcuboot', 'test-pub-ecdsa-p256.pem')}, as the recipe requires`);
  });

  it('reads the same recipe written as JSON, with the defaults for what it leaves out', async () => {
    const image = fromRecipe('mcuboot', 'app-2.0.0-ecdsa-p256.bin');
    const json = {
      format: 'fieldbench-recipe/1',
      id: 'tray-flash',
      name: 'Tray flash',
      revision: '7',
      profile: 'fieldbench-sensor-node',
      firmware: { file: image, sha256: sha256(readFileSync(fixturePath('mcuboot', 'app-2.0.0-ecdsa-p256.bin'))).toUpperCase() },
      onPass: 'confirm',
      onFail: 'reset',
      parallelism: { ble: 2 },
    };
    const fromJson = await loadRecipe(writeRecipe([JSON.stringify(json, null, '\t')], 'recipe.json'), profiles);
    const fromYaml = await loadRecipe(writeRecipe(recipeLines().slice(0, 7).concat(recipeLines().slice(9))), profiles);
    expect(fromJson.recipe).toEqual({
      format: 'fieldbench-recipe/1',
      id: 'tray-flash',
      name: 'Tray flash',
      description: null,
      revision: '7',
      profile: 'fieldbench-sensor-node',
      firmware: { file: image, sha256: fromJson.image.sha256, keys: [] },
      procedure: null,
      onPass: 'confirm',
      onFail: 'reset',
      autoStart: false,
      parallelism: { serial: 8, usb: 4, ble: 2 },
      operatorRequired: true,
    });
    expect(fromJson.image).toEqual(fromYaml.image);
  });

  it('reports every problem at once, each with its field, line and column', () => {
    const lines = recipeLines();
    lines[1] = 'id: Tray_Flash';
    lines[3] = 'revision: 2.10';
    lines[6] += '\n  sha256: abc';
    lines[9] = 'onPass: celebrate';
    lines.push('autostart: true', 'parallelism:', '  serial: 40');
    const error = parseError(lines);
    expect(error.code).toBe('invalid-request');
    expect(error.step).toBe('check recipe');
    expect(error.issues).toEqual([
      { path: 'id', message: 'line 2, column 1: must be kebab-case: lower-case letters and digits joined by single hyphens' },
      { path: 'revision', message: 'line 4, column 1: must be text; YAML read 2.1 as a number: put it in quotes' },
      { path: 'firmware.sha256', message: 'line 8, column 3: must be a SHA-256 in hex: 64 hex digits, as sha256sum prints it' },
      { path: 'onPass', message: "line 11, column 1: must be one of 'confirm', 'reset', 'leave-in-bootloader'" },
      { path: 'parallelism.serial', message: 'line 15, column 3: Too big: expected number to be <=16' },
      {
        path: 'autostart',
        message:
          "line 13, column 1: unknown field 'autostart' (known fields: format, id, name, description, revision, profile, firmware, procedure, onPass, onFail, autoStart, parallelism, operatorRequired)",
      },
    ]);
    expect(error.message).toContain('recipe recipe.yaml: id (line 2, column 1): must be kebab-case');
    expect(error.hint).toBeTruthy();
  });

  it('places a missing field at its parent, and says which fields a nested object knows', () => {
    const lines = recipeLines().filter((line) => !line.startsWith('revision'));
    lines[4] = 'firmware:\n  sha256: f00d';
    lines[5] = '';
    lines[7] = '  id: bench-bring-up\n  onfail: stop';
    const error = parseError(lines);
    expect(error.issues).toEqual([
      { path: 'revision', message: 'is required' },
      { path: 'firmware.file', message: 'line 5, column 1: is required' },
      { path: 'firmware.sha256', message: 'line 6, column 3: must be a SHA-256 in hex: 64 hex digits, as sha256sum prints it' },
      { path: 'procedure.onfail', message: "line 10, column 3: unknown field 'onfail' (known fields: id, onFail)" },
    ]);
  });

  it('refuses YAML it cannot read, with the line, and never anything but a FieldbenchError', () => {
    const broken = parseError(['format: fieldbench-recipe/1', 'id: a', 'id: b', 'name: [unclosed']);
    expect(broken.code).toBe('invalid-request');
    expect(broken.issues?.[0]?.message).toMatch(/^line 3, column 1: not valid YAML or JSON: Map keys must be unique/);
    expect(parseError(['- a list']).issues).toEqual([{ path: '(recipe)', message: expect.stringMatching(/^line 1, column 1: a recipe is a mapping of fields .*not a list$/) }]);
    for (const text of ['', '- a list\n', '42\n', 'a: *undefined-alias\n', '\u0000\u0001binary', `a: &x [1]\nb: [${'*x,'.repeat(100)}*x]\n`]) {
      expect(fieldbenchErrorFrom(() => parseRecipe(text, 'r.yaml')).code).toBe('invalid-request');
    }
  });

  it("refuses 'confirm' for a unit that failed: a failed image must not become permanent", () => {
    const lines = recipeLines();
    lines[10] = 'onFail: confirm';
    const error = parseError(lines);
    expect(error.issues).toEqual([{ path: 'onFail', message: expect.stringMatching(/^line 11, column 1: 'confirm' makes the new image permanent/) }]);
  });
});

describe('loading a recipe against its profile and image', () => {
  it('refuses an image whose SHA-256 is not the one pinned, at the pin', async () => {
    const lines = recipeLines();
    lines[6] += `\n  sha256: ${'f'.repeat(64)}`;
    const error = await fieldbenchErrorOf(loadRecipe(writeRecipe(lines), profiles));
    expect(error.code).toBe('invalid-request');
    expect(error.issues).toEqual([{ path: 'firmware.sha256', message: expect.stringMatching(/^line 8, column 3: the image .* has SHA-256 [0-9a-f]{64}, not the f{64} the recipe pins/) }]);
  });

  it('refuses a missing image, key, recipe, profile or procedure, each at its field', async () => {
    const missingImage = recipeLines('no-such-image.bin');
    expect((await fieldbenchErrorOf(loadRecipe(writeRecipe(missingImage), profiles))).issues).toEqual([
      { path: 'firmware.file', message: `line 7, column 3: ${join(dir.path, 'no-such-image.bin')} does not exist` },
    ]);

    const missingKey = recipeLines();
    missingKey[6] += '\n  keys: [release.pem]';
    expect((await fieldbenchErrorOf(loadRecipe(writeRecipe(missingKey), profiles))).issues?.[0]?.path).toBe('firmware.keys.0');

    const huge = writeRecipe([`description: ${'x'.repeat(70 * 1024)}`], 'huge.yaml');
    expect((await fieldbenchErrorOf(loadRecipe(huge, profiles))).message).toMatch(/huge\.yaml is \d+ bytes, more than the 65536/);

    const missingRecipe = await fieldbenchErrorOf(loadRecipe(join(dir.path, 'nothing.yaml'), profiles));
    expect(missingRecipe).toMatchObject({ code: 'invalid-request', step: 'read recipe' });
    expect(missingRecipe.message).toContain('nothing.yaml does not exist');

    const unknownProfile = recipeLines();
    unknownProfile[4] = 'profile: toaster';
    const profileError = await fieldbenchErrorOf(loadRecipe(writeRecipe(unknownProfile), profiles));
    expect(profileError).toMatchObject({ code: 'profile-error', step: 'find device profile' });
    expect(profileError.issues).toEqual([{ path: 'profile', message: expect.stringMatching(/^line 5, column 1: no device profile 'toaster' is loaded \(loaded: .*fieldbench-sensor-node/) }]);

    const unknownProcedure = recipeLines();
    unknownProcedure[8] = '  id: smoke-test';
    const procedureError = await fieldbenchErrorOf(loadRecipe(writeRecipe(unknownProcedure), profiles));
    expect(procedureError).toMatchObject({ code: 'profile-error', step: 'find test procedure' });
    expect(procedureError.issues).toEqual([{ path: 'procedure.id', message: expect.stringMatching(/^line 9, column 3: .*declares no procedure 'smoke-test' \(it declares bench-bring-up, /) }]);
  });

  it('refuses an image too big for the profile’s slot', async () => {
    const small = await sensorNodeProfile((p) => {
      p.firmware.slotSize = 8192;
    });
    const error = await fieldbenchErrorOf(loadRecipe(writeRecipe(recipeLines()), small));
    expect(error.code).toBe('invalid-request');
    expect(error.issues).toEqual([{ path: 'firmware.file', message: expect.stringMatching(/^line 7, column 3: the image needs \d+ bytes but a slot holds 8192$/) }]);
  });

  it('refuses an unsigned image, or one signed with another key, when the profile requires signatures; takes one signed with its key', async () => {
    const signed = await sensorNodeProfile((p) => {
      p.firmware.signingKeys = ['release-ed25519.pem'];
    });
    for (const image of ['app-1.0.0-unsigned.bin', 'app-2.0.0-ecdsa-p256.bin']) {
      const error = await fieldbenchErrorOf(loadRecipe(writeRecipe(recipeLines(fromRecipe('mcuboot', image))), signed));
      expect(error.code).toBe('invalid-request');
      expect(error.issues?.[0]).toEqual({ path: 'firmware.file', message: 'line 7, column 3: the image is not signed with a key this device accepts (release-ed25519.pem)' });
    }
    const loaded = await loadRecipe(writeRecipe(recipeLines(fromRecipe('mcuboot', 'app-1.1.0-ed25519.bin'))), signed);
    expect(loaded.image).toMatchObject({ version: '1.1.0+7', kind: 'mcuboot' });
    expect(loaded.checked.join('\n')).toContain('signature valid for release-ed25519.pem');
  });

  it("refuses an image not signed by the recipe's own key, and a damaged one", async () => {
    const otherKey = recipeLines();
    otherKey[6] += `\n  keys:\n    - ${fromRecipe('mcuboot', 'test-pub-ed25519.pem')}`;
    const error = await fieldbenchErrorOf(loadRecipe(writeRecipe(otherKey), profiles));
    expect(error.issues?.[0]).toEqual({ path: 'firmware.keys', message: expect.stringMatching(/^line 8, column 3: the image is not signed with any key the recipe names/) });

    const raw = await fieldbenchErrorOf(loadRecipe(writeRecipe(recipeLines(fromRecipe('dfu', 'app.bin'))), profiles));
    expect(raw.issues?.[0]?.message).toBe('line 7, column 3: the file is a raw binary, not an MCUboot image');

    const corrupt = await fieldbenchErrorOf(loadRecipe(writeRecipe(recipeLines(fromRecipe('mcuboot', 'app-1.1.0-ed25519-corrupt.bin'))), profiles));
    expect(corrupt.issues?.[0]?.message).toContain('the image hash does not match its contents');
  });

  it('refuses actions the update method cannot do, and loads a USB DFU recipe', async () => {
    const inBootloader = recipeLines();
    inBootloader[10] = 'onFail: leave-in-bootloader';
    const mcuboot = await fieldbenchErrorOf(loadRecipe(writeRecipe(inBootloader), profiles));
    expect(mcuboot).toMatchObject({ code: 'profile-error', step: 'check recipe actions' });
    expect(mcuboot.issues?.[0]?.path).toBe('onFail');

    const resetPassed = recipeLines();
    resetPassed[9] = 'onPass: reset';
    expect((await fieldbenchErrorOf(loadRecipe(writeRecipe(resetPassed), profiles))).issues?.[0]?.message).toMatch(/^line 10, column 1: .*swap the old image back/);

    const dfu = (file: string, onPass: string) => [
      'format: fieldbench-recipe/1',
      'id: stm32-flash',
      'name: STM32 flash',
      'revision: "1"',
      'profile: stm32-system-bootloader',
      'firmware:',
      `  file: ${fromRecipe('dfu', file)}`,
      `onPass: ${onPass}`,
      'onFail: leave-in-bootloader',
    ];
    const confirmDfu = await fieldbenchErrorOf(loadRecipe(writeRecipe(dfu('stm32-two-elements.dfu', 'confirm')), profiles));
    expect(confirmDfu.issues).toEqual([{ path: 'onPass', message: expect.stringMatching(/^line 8, column 1: a USB DFU flash is final/) }]);

    const loaded = await loadRecipe(writeRecipe(dfu('stm32-two-elements.dfu', 'reset')), profiles);
    expect(loaded.image).toMatchObject({ kind: 'dfuse', bootloaderHash: null, sha256: sha256(readFileSync(fixturePath('dfu', 'stm32-two-elements.dfu'))) });

    const badCrc = await fieldbenchErrorOf(loadRecipe(writeRecipe(dfu('app-suffixed-badcrc.dfu', 'reset')), profiles));
    expect(badCrc.issues?.[0]?.path).toBe('firmware.file');
  });
});

describe('the shipped recipes for automated benches and virtual trays', () => {
  const shipped = (name: string) => fileURLToPath(new URL(`../../recipes/${name}`, import.meta.url));

  it('the quick sensor node recipe flashes exactly the image of the example, judged by the automatic production check', async () => {
    const quick = await loadRecipe(shipped('sensor-node-2.0.0-quick.yaml'), profiles);
    const example = await loadRecipe(EXAMPLE, profiles);
    expect(quick.image).toEqual(example.image);
    expect(quick.recipe.firmware).toEqual(example.recipe.firmware);
    expect(quick.recipe).toMatchObject({
      id: 'sensor-node-production-quick',
      profile: 'fieldbench-sensor-node',
      procedure: { id: 'production-check', onFail: 'continue' },
      onPass: 'confirm',
      onFail: 'reset',
      autoStart: true,
      operatorRequired: false,
      parallelism: { serial: 8, usb: DEFAULT_PARALLELISM.usb, ble: DEFAULT_PARALLELISM.ble },
    });
    expect(quick.recipeSha256).not.toBe(example.recipeSha256);
    // No operator in the loop: every step of its procedure is one the station runs by itself.
    const procedure = profiles.get('fieldbench-sensor-node')?.procedures?.find((p) => p.id === 'production-check');
    expect(procedure?.steps.map((s) => s.kind)).toEqual(['check', 'check', 'check', 'check']);
  });

  it('the DFU gadget recipe loads its pinned raw image for plain DFU, with the USB actions', async () => {
    const loaded = await loadRecipe(shipped('dfu-gadget-1.00.yaml'), profiles);
    const imageBytes = readFileSync(fixturePath('dfu', 'app.bin'));
    expect(loaded.recipe).toMatchObject({
      id: 'dfu-gadget-production',
      profile: 'fieldbench-dfu-gadget',
      procedure: null,
      onPass: 'reset',
      onFail: 'leave-in-bootloader',
      autoStart: true,
      operatorRequired: false,
      parallelism: { serial: DEFAULT_PARALLELISM.serial, usb: 4, ble: DEFAULT_PARALLELISM.ble },
    });
    expect(loaded.image).toEqual({
      file: fixturePath('dfu', 'app.bin'),
      fileName: 'app.bin',
      sha256: sha256(imageBytes),
      bootloaderHash: null,
      version: null,
      size: imageBytes.length,
      kind: 'raw',
    });
    expect(loaded.checked.join('\n')).toContain('matches the pin');
  });
});
