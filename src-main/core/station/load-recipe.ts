// Loads a recipe for a station: the file, its device profile and procedure, and its firmware
// image, read and checked once, before the first unit is touched. Whatever would make every
// unit of the tray fail (an image the bootloader refuses, one too big for the slot, a file
// changed since the recipe pinned it, an action the update method cannot do) is refused here,
// with the recipe's field and line, not discovered on the first board.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { isFieldbenchError, type FieldbenchError } from '../../api/errors';
import type { ImageFormat, ImageInspection } from '../../api/schemas';
import { inspectImage, type PublicKeyPem } from '../../firmware-images/inspect-image';
import { readPublicKey } from '../../firmware-images/mcuboot-signatures';
import { dfuImageElements, type DfuImageElements } from '../firmware/dfu-image-elements';
import { bootloaderIds } from '../firmware/dfu-preflight';
import { checkImage } from '../firmware/firmware-preflight';
import type { ProfileRegistry } from '../profiles/profile-registry';
import type { DeviceProfile, FirmwareSpec, McumgrSerialFirmware, UsbDfuFirmware } from '../profiles/profile-types';
import { located, MAX_RECIPE_BYTES, parseRecipe, recipeError, type ParsedRecipe, type Recipe, type RecipeAction, type RecipePath } from './recipe-file';

/**
 * Largest image file read. Text formats (Intel HEX, S-record) take about 2.8 bytes of file per
 * byte of image, so this leaves room for the largest DFU image (16 MiB) in any format.
 */
export const MAX_IMAGE_FILE_BYTES = 48 * 1024 * 1024;

export interface RecipeImage {
  /** Absolute path of the image file. */
  file: string;
  fileName: string;
  /** SHA-256 of the file's bytes: what `sha256sum` prints and what firmware.sha256 pins. */
  sha256: string;
  /** MCUboot's image hash (its SHA-256 TLV), which the device reports for its slots; null for other formats. */
  bootloaderHash: string | null;
  /** The image's version (MCUboot header, or a DFU suffix's bcdDevice); null when the file does not say. */
  version: string | null;
  size: number;
  kind: ImageFormat;
}

export interface LoadedRecipe {
  /** Absolute path of the recipe file. */
  file: string;
  recipe: Recipe;
  /** SHA-256 of the recipe file's bytes, for the record: which exact recipe ran. */
  recipeSha256: string;
  imageBytes: Uint8Array;
  image: RecipeImage;
  /** Sentences for the station log: what was checked and found good. */
  checked: string[];
  /** What the operator should know, though it does not stop the station. */
  warnings: string[];
}

type Context = { file: string; parsed: ParsedRecipe };

/** Reads and checks a recipe and its image; throws a FieldbenchError (invalid-request or profile-error) naming the recipe file and field. */
export async function loadRecipe(recipeFile: string, profiles: ProfileRegistry): Promise<LoadedRecipe> {
  const file = resolve(recipeFile);
  const bytes = await readBounded(file, MAX_RECIPE_BYTES, 'read recipe', null);
  const parsed = parseRecipe(bytes.toString('utf8'), file);
  const context: Context = { file, parsed };
  const { recipe } = parsed;

  const profile = profileOf(context, profiles);
  const firmware = firmwareOf(context, profile);
  checkProcedure(context, profile);
  checkActions(context, firmware);

  const folder = dirname(file);
  const keys = await readKeys(context, folder);
  const imageFile = resolve(folder, recipe.firmware.file);
  const imageBytes = new Uint8Array(await readBounded(imageFile, MAX_IMAGE_FILE_BYTES, 'read firmware image', context));
  const sha256 = createHash('sha256').update(imageBytes).digest('hex');
  if (recipe.firmware.sha256 !== null && recipe.firmware.sha256 !== sha256) {
    throw refusal(context, 'invalid-request', 'check firmware image', ['firmware', 'sha256'], `the image ${imageFile} has SHA-256 ${sha256}, not the ${recipe.firmware.sha256} the recipe pins: the file changed since the recipe was written`, 'Put back the image the recipe was written for; if the new one is meant, check it and update firmware.sha256 (and the revision).');
  }
  const checked = [`recipe ${recipe.id} ${recipe.revision} for ${profile.name}`, `image file SHA-256 ${sha256}${recipe.firmware.sha256 ? ' matches the pin' : ''}`];
  const fileName = basename(imageFile);
  const verdict =
    firmware.method === 'mcumgr-serial'
      ? checkMcubootImage(context, imageBytes, fileName, firmware, profiles.signingKeysOf(profile.id), keys)
      : checkDfuImage(context, imageBytes, fileName, profile, firmware);
  return {
    file,
    recipe,
    recipeSha256: createHash('sha256').update(bytes).digest('hex'),
    imageBytes,
    image: { file: imageFile, fileName, sha256, bootloaderHash: verdict.bootloaderHash, version: verdict.version, size: imageBytes.length, kind: verdict.kind },
    checked: [...checked, ...verdict.checked],
    warnings: verdict.warnings,
  };
}

// ---------------------------------------------------------------- profile and procedure

function profileOf(context: Context, profiles: ProfileRegistry): DeviceProfile {
  const id = context.parsed.recipe.profile;
  const profile = profiles.get(id);
  if (profile) return profile;
  const loaded = profiles.list().map((p) => p.id);
  const broken = profiles.problems.length > 0;
  throw refusal(
    context,
    'profile-error',
    'find device profile',
    ['profile'],
    `no device profile '${id}' is loaded (loaded: ${loaded.join(', ') || 'none'})`,
    broken ? 'Some profile files did not load: check the profile problems under Devices, or correct the profile id.' : 'Correct the profile id, or add the profile to the profiles folder.',
  );
}

function firmwareOf(context: Context, profile: DeviceProfile): FirmwareSpec {
  if (profile.firmware) return profile.firmware;
  throw refusal(context, 'profile-error', 'find device profile', ['profile'], `the profile '${profile.id}' says nothing about updating firmware, so a station cannot flash it`, "Add a firmware section to the device profile, or use the profile of the device's bootloader.");
}

function checkProcedure(context: Context, profile: DeviceProfile): void {
  const wanted = context.parsed.recipe.procedure;
  if (!wanted || profile.procedures?.some((p) => p.id === wanted.id)) return;
  const declared = (profile.procedures ?? []).map((p) => p.id);
  throw refusal(
    context,
    'profile-error',
    'find test procedure',
    ['procedure', 'id'],
    `the profile '${profile.id}' declares no procedure '${wanted.id}' (it declares ${declared.join(', ') || 'none'})`,
    'Correct the procedure id; a procedure the profile lists but that did not load is shown with the profile problems.',
  );
}

/** What each update method can do with a unit; see RecipeAction for what each action means. */
function checkActions(context: Context, firmware: FirmwareSpec): void {
  const { recipe } = context.parsed;
  const refuse = (field: 'onPass' | 'onFail', message: string, hint: string) => {
    throw refusal(context, 'profile-error', 'check recipe actions', [field], message, hint);
  };
  const mcuboot = (field: 'onPass' | 'onFail', action: RecipeAction) => {
    if (action === 'leave-in-bootloader') {
      refuse(field, "a device updated over MCUmgr (SMP) has no bootloader mode a station can leave it in: MCUboot runs only while it boots", 'Use reset (the old image comes back) or, for a unit that passed, confirm.');
    }
    if (field === 'onPass' && action === 'reset') {
      refuse(field, 'a reset before the new image is confirmed makes MCUboot swap the old image back, so a unit that passed would leave with its old firmware', 'Use confirm for units that pass.');
    }
  };
  const dfu = (field: 'onPass' | 'onFail', action: RecipeAction) => {
    if (action === 'confirm') {
      refuse(field, 'a USB DFU flash is final: there is no test image to confirm', 'Use reset to start the new firmware, or leave-in-bootloader to keep the unit in DFU mode.');
    }
  };
  const check = firmware.method === 'mcumgr-serial' ? mcuboot : dfu;
  check('onPass', recipe.onPass);
  check('onFail', recipe.onFail);
}

// ---------------------------------------------------------------- files

async function readKeys(context: Context, folder: string): Promise<PublicKeyPem[]> {
  const keys: PublicKeyPem[] = [];
  for (const [index, name] of context.parsed.recipe.firmware.keys.entries()) {
    const path = resolve(folder, name);
    const pem = (await readBounded(path, 64 * 1024, 'read signing key', context, ['firmware', 'keys', index])).toString('utf8');
    try {
      readPublicKey(name, pem);
    } catch (error) {
      throw refusal(context, 'invalid-request', 'read signing key', ['firmware', 'keys', index], `${path} is not a public key in PEM`, "Give the public half of the signing key, e.g. from 'imgtool getpub --encoding pem'.", error);
    }
    // Named by the full path, so a key cannot pass for a profile key of the same relative name.
    keys.push({ name: path, pem });
  }
  return keys;
}

/** Reads a whole file no larger than `limit`; a missing, unreadable or oversized file is refused at the recipe's field. */
async function readBounded(path: string, limit: number, step: string, context: Context | null, field: RecipePath = ['firmware', 'file']): Promise<Buffer> {
  const fail = (message: string, hint: string, cause?: unknown): FieldbenchError =>
    context
      ? refusal(context, 'invalid-request', step, field, message, hint, cause)
      : recipeError(path, { code: 'invalid-request', step, problems: [{ path: '', line: null, column: null, message }], hint }, cause);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw fail(`${path} is not a file`, 'Give the path of the file itself.');
    if (info.size > limit) throw fail(`${path} is ${info.size} bytes, more than the ${limit} such a file can be`, 'Check that the path names the right file.');
    return await readFile(path);
  } catch (error) {
    if (isFieldbenchError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw fail(`${path} does not exist`, context ? 'Paths in a recipe are relative to the recipe file; correct the path or put the file there.' : 'Check the path of the recipe file.', error);
    }
    throw fail(`${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`, 'Check that the file can be read by you.', error);
  }
}

// ---------------------------------------------------------------- the image

interface ImageVerdict {
  kind: ImageFormat;
  version: string | null;
  bootloaderHash: string | null;
  checked: string[];
  warnings: string[];
}

/**
 * The same checks a single firmware update makes before it starts (firmware-preflight), once
 * for the whole tray; the recipe's own keys narrow it further: the image must be signed by
 * one of them, whatever the profile accepts.
 */
function checkMcubootImage(context: Context, bytes: Uint8Array, fileName: string, firmware: McumgrSerialFirmware, profileKeys: PublicKeyPem[], recipeKeys: PublicKeyPem[]): ImageVerdict {
  const inspection = asRecipeProblem(context, () => inspectImage(bytes, { fileName, keys: [...profileKeys, ...recipeKeys], slotSize: firmware.slotSize }));
  const image = asRecipeProblem(context, () => checkImage(inspection, firmware, profileKeys.map((k) => k.name), `recipe ${context.parsed.recipe.id}`));
  const checked = [...image.checked];
  if (recipeKeys.length > 0) {
    const valid = validKeys(inspection, recipeKeys);
    if (valid.length === 0) {
      throw refusal(context, 'invalid-request', 'check firmware image', ['firmware', 'keys'], `the image is not signed with any key the recipe names (${recipeKeys.map((k) => k.name).join(', ')})`, 'Flash the image signed for this product, or correct firmware.keys.');
    }
    checked.push(`signed with ${valid.join(', ')}, as the recipe requires`);
  }
  return { kind: inspection.format, version: inspection.version, bootloaderHash: image.hash, checked, warnings: inspection.warnings };
}

function validKeys(inspection: ImageInspection, keys: PublicKeyPem[]): string[] {
  const names = new Set(keys.map((k) => k.name));
  return inspection.keys.filter((k) => k.verdict === 'valid' && names.has(k.key)).map((k) => k.key);
}

/**
 * Whether the device's bootloader is plain DFU or ST's DfuSe is known only once it is in DFU
 * mode, so the file must suit one of them, as a job started from the application checks it;
 * with a default address in the profile (a DfuSe part), the DfuSe verdict is the one reported.
 */
function checkDfuImage(context: Context, bytes: Uint8Array, fileName: string, profile: DeviceProfile, firmware: UsbDfuFirmware): ImageVerdict {
  const label = `recipe ${context.parsed.recipe.id}`;
  const ids = bootloaderIds(profile);
  const elementsFor = (dfuse: boolean): DfuImageElements =>
    dfuImageElements(bytes, fileName, { label, ids, dfuse, alt: firmware.alt ?? 0 }, { defaultAddress: firmware.defaultAddress });
  const order = firmware.defaultAddress === undefined ? [false, true] : [true, false];
  let first: FieldbenchError | undefined;
  for (const dfuse of order) {
    try {
      const elements = elementsFor(dfuse);
      return { kind: elements.format, version: elements.image.version, bootloaderHash: null, checked: elements.checked, warnings: elements.warnings };
    } catch (error) {
      if (!isFieldbenchError(error) || error.code !== 'invalid-request') throw error;
      first ??= error;
    }
  }
  throw atImageField(context, first!);
}

/** Runs a check whose refusals name a device and a preflight step, and places them at the recipe's image field instead. */
function asRecipeProblem<T>(context: Context, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!isFieldbenchError(error)) throw error;
    throw atImageField(context, error);
  }
}

function atImageField(context: Context, error: FieldbenchError): FieldbenchError {
  return refusal(context, 'invalid-request', 'check firmware image', ['firmware', 'file'], error.message, error.hint ?? 'Pick the image built for this device.', error);
}

function refusal(context: Context, code: 'invalid-request' | 'profile-error', step: string, path: RecipePath, message: string, hint: string, cause?: unknown): FieldbenchError {
  return recipeError(context.file, { code, step, problems: [located(path, message, context.parsed.positionOf)], hint }, cause);
}
