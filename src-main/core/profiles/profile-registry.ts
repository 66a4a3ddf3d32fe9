// Loads the device profiles from a folder and answers which profile fits a device.
//
// A profile goes through three gates: it must be JSON, it must fit
// device-profiles/profile.schema.json, and it must make sense (patterns compile and have the
// capture groups the code relies on, ids are unique, limits are ordered). A file that fails
// a gate is reported as a ProfileProblem (file, JSON pointer to the field, message) and
// skipped; the others still load. Loading never throws for a bad file or folder: people
// edit profiles by hand, and one typo must not take the whole console down.
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import profileSchema from '../../../device-profiles/profile.schema.json' with { type: 'json' };
import { FieldbenchError } from '../../api/errors';
import type { ProfileProblem, ProfileSummary } from '../../api/schemas';
import { canonicalBleUuid } from '../../transports/ble/ble-uuid';
import { findShippedFolder } from '../shipped-folder';
import { STANDARD_GATT_READING_IDS } from '../diagnostics/gatt-standard-readings';
import { checkConsole } from './console-checks';
import { findJsonSyntaxError } from './json-syntax-error';
import { checkProcedures } from './procedure-checks';
import { captureGroupCount, compilePattern, tryCompilePattern } from './profile-patterns';
import {
  isSerialProfile,
  type DeviceProfile,
  type DiagnosticSpec,
  type GattIntegerParser,
  type NumberLimits,
  type SerialProfile,
} from './profile-types';

export interface LoadedProfile {
  profile: DeviceProfile;
  /** Absolute path of the file it was loaded from. */
  file: string;
  /** The PEM text of firmware.signingKeys, read and checked at load time. */
  signingKeys: SigningKey[];
}

export interface SigningKey {
  /** The path as the profile gives it. */
  name: string;
  pem: string;
}

export interface LoadProfilesResult {
  profiles: LoadedProfile[];
  problems: ProfileProblem[];
}

/** The schema's file name; it sits in the profiles folder and is never loaded as a profile. */
export const PROFILE_SCHEMA_FILE = 'profile.schema.json';
export const PROFILES_DIR_NAME = 'device-profiles';
/** Set to a folder to load profiles from there instead of the one found by defaultProfilesDir(). */
export const PROFILES_DIR_ENV = 'FIELDBENCH_PROFILES_DIR';

/** The reading id read-diagnostics uses for an unreadable identity; no diagnostic may take it. */
const RESERVED_DIAGNOSTIC_IDS = new Set(['identity']);

export async function loadProfiles(dir: string): Promise<LoadProfilesResult> {
  const folder = resolve(dir);
  const problems: ProfileProblem[] = [];
  const profiles: LoadedProfile[] = [];

  let names: string[];
  try {
    const info = await stat(folder);
    if (!info.isDirectory()) {
      return { profiles, problems: [{ file: folder, field: '', message: 'the profiles folder is a file, not a folder' }] };
    }
    names = (await readdir(folder)).filter((name) => name.endsWith('.json') && name !== PROFILE_SCHEMA_FILE).sort();
  } catch (error) {
    const message =
      errorCode(error) === 'ENOENT'
        ? 'the profiles folder does not exist'
        : `the profiles folder cannot be read: ${describeError(error)}`;
    return { profiles, problems: [{ file: folder, field: '', message }] };
  }
  if (names.length === 0) {
    problems.push({ file: folder, field: '', message: 'no device profiles (*.json) in the profiles folder' });
  }

  const firstFileOfId = new Map<string, string>();
  for (const name of names) {
    const file = join(folder, name);
    const checked = await checkProfileFile(file);
    if (!checked.ok) {
      problems.push(...checked.problems);
      continue;
    }
    const earlier = firstFileOfId.get(checked.profile.id);
    if (earlier !== undefined) {
      const message = `the id '${checked.profile.id}' is already used by ${earlier}; this file is skipped`;
      problems.push({ file, field: '/id', message });
      continue;
    }
    firstFileOfId.set(checked.profile.id, file);
    problems.push(...(leftOutProblems.get(checked.profile) ?? []));
    profiles.push({ profile: checked.profile, file, signingKeys: checked.signingKeys });
  }
  return { profiles, problems };
}

type Checked = { ok: true; profile: DeviceProfile; signingKeys: SigningKey[] } | { ok: false; problems: ProfileProblem[] };

/** The problems of procedures and console entries left out of a profile that otherwise loaded, found by profile. */
const leftOutProblems = new WeakMap<DeviceProfile, ProfileProblem[]>();

/** The profile without its procedures and console section, and those as written (undefined when absent). */
function splitCheckedApart(data: unknown): { procedures: unknown; consoleSection: unknown; rest: unknown } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { procedures: undefined, consoleSection: undefined, rest: data };
  const { procedures, console: consoleSection, ...rest } = data as Record<string, unknown>;
  return { procedures, consoleSection, rest };
}

/** One file through the three gates: JSON, schema, sense. */
async function checkProfileFile(file: string): Promise<Checked> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ file, field: '', message: `cannot be read: ${describeError(error)}` }] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const located = findJsonSyntaxError(text);
    const message = located
      ? `not valid JSON: line ${located.line}, column ${located.column}: ${located.message}`
      : `not valid JSON: ${describeError(error)}`;
    return { ok: false, problems: [{ file, field: '', message }] };
  }
  // Procedures and the console section are checked on their own, after the rest: a broken
  // procedure or known issue is left out and reported, and the device can still be
  // recognised, read and flashed.
  const { procedures, consoleSection, rest } = splitCheckedApart(data);
  const validate = profileValidator();
  if (!validate(rest)) {
    return { ok: false, problems: schemaProblems(file, validate.errors ?? []) };
  }
  const profile = rest as DeviceProfile & { $schema?: string };
  const senseProblems = checkSense(profile).map((p) => ({ file, ...p }));
  if (senseProblems.length > 0) return { ok: false, problems: senseProblems };
  const keys = await readSigningKeys(file, profile.firmware?.method === 'mcumgr-serial' ? (profile.firmware.signingKeys ?? []) : []);
  if (!keys.ok) return keys;
  const checkedProcedures = checkProcedures(procedures, profile, dirname(file), partValidator('procedure'));
  const checkedConsole = checkConsole(consoleSection, partValidator('console'));
  leftOutProblems.set(profile, [...checkedProcedures.problems, ...checkedConsole.problems].map((problem) => ({ file, ...problem })));
  if (checkedProcedures.procedures.length > 0) profile.procedures = checkedProcedures.procedures;
  if (checkedConsole.console) profile.console = checkedConsole.console;
  delete profile.$schema;
  if (profile.firmware?.method === 'usb-dfu' && profile.firmware.defaultAddress !== undefined) {
    // JSON has no hex numbers, so the schema takes "0x08000000"; the code wants the number.
    profile.firmware.defaultAddress = Number.parseInt(String(profile.firmware.defaultAddress), 16);
  }
  canonicaliseBleUuids(profile);
  return { ok: true, profile: deepFreeze(profile), signingKeys: keys.signingKeys };
}

/** Each key file beside the profile must exist and hold a public key Node can verify with. */
async function readSigningKeys(
  file: string,
  names: readonly string[],
): Promise<{ ok: true; signingKeys: SigningKey[] } | { ok: false; problems: ProfileProblem[] }> {
  const signingKeys: SigningKey[] = [];
  const problems: ProfileProblem[] = [];
  for (const [i, name] of names.entries()) {
    const field = `/firmware/signingKeys/${i}`;
    try {
      const pem = await readFile(resolve(dirname(file), name), 'utf8');
      createPublicKey(pem);
      signingKeys.push({ name, pem });
    } catch (error) {
      const reason = errorCode(error) === 'ENOENT' ? 'the key file does not exist' : `not a public key in PEM: ${describeError(error)}`;
      problems.push({ file, field, message: `${name}: ${reason}` });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, signingKeys };
}

// ---------------------------------------------------------------- schema

let compiled: { profile: ValidateFunction; procedure: ValidateFunction; console: ValidateFunction } | undefined;

/** The schema is compiled on first use and then shared by every load. */
function validators(): { profile: ValidateFunction; procedure: ValidateFunction; console: ValidateFunction } {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, discriminator: true, strict: true });
    // An annotation the schema uses to say what a pattern means, for the messages below.
    ajv.addKeyword({ keyword: 'x-pattern-message', schemaType: 'string' });
    const profile = ajv.compile(profileSchema);
    const procedure = ajv.getSchema(`${profileSchema.$id}#/$defs/procedure`);
    const consoleSection = ajv.getSchema(`${profileSchema.$id}#/$defs/console`);
    if (!procedure || !consoleSection) throw new Error('profile.schema.json has no $defs/procedure or $defs/console');
    compiled = { profile, procedure, console: consoleSection };
  }
  return compiled;
}

function profileValidator(): ValidateFunction {
  return validators().profile;
}

/** Checks a part of a profile checked on its own against its $defs entry, with problems reported by schemaProblems' rules. */
function partValidator(part: 'procedure' | 'console'): (value: unknown, at: string) => { field: string; message: string }[] {
  const validate = validators()[part];
  return (value, at) => {
    if (validate(value)) return [];
    return schemaProblems('', validate.errors ?? []).map(({ field, message }) => ({ field: `${at}${field}`, message }));
  };
}

/** The published schema, for tools that want to check a profile without loading it. */
export { profileSchema };

function schemaProblems(file: string, errors: ErrorObject[]): ProfileProblem[] {
  // A diagnostic with a missing or unknown type is reported by the required and enum
  // checks on 'type'; the discriminator's and oneOf's own errors would say it twice.
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'discriminator');
  const seen = new Set<string>();
  const problems: ProfileProblem[] = [];
  for (const error of specific.length > 0 ? specific : errors) {
    const problem = { file, ...describeSchemaError(error) };
    const key = `${problem.field}\n${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function describeSchemaError(error: ErrorObject): { field: string; message: string } {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const name = String(params.missingProperty);
      return { field: `${at}/${pointerToken(name)}`, message: `missing required field '${name}'` };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((parent.properties ?? {}) as object);
      const guess = closest(name, known);
      const suggestion = guess ? ` (did you mean '${guess}'?)` : known.length > 0 ? ` (known fields: ${known.join(', ')})` : '';
      return { field: `${at}/${pointerToken(name)}`, message: `unknown field '${name}'${suggestion}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return { field: at, message: `must be one of ${allowed.join(', ')}` };
    }
    case 'const':
      return { field: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'pattern': {
      const meaning = parent['x-pattern-message'];
      return { field: at, message: typeof meaning === 'string' ? meaning : `must match ${String(params.pattern)}` };
    }
    case 'discriminator': {
      const tag = String(params.tag);
      const tagSchema = ((parent.properties ?? {}) as Record<string, { enum?: unknown[] }>)[tag];
      const allowed = (tagSchema?.enum ?? []).map((v) => `'${String(v)}'`).join(', ');
      return {
        field: `${at}/${pointerToken(tag)}`,
        message: params.error === 'mapping' ? `must be one of ${allowed}` : 'must be a string',
      };
    }
    case 'not': {
      const schema = error.schema as Record<string, unknown>;
      const message = 'const' in schema ? `must not be ${JSON.stringify(schema.const)}` : 'has a value that is not allowed here';
      return { field: at, message };
    }
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      if (params.limit === 1) return { field: at, message: 'must not be empty' };
      return { field: at, message: plain(error.message) };
    default:
      return { field: at, message: plain(error.message) };
  }
}

function plain(message: string | undefined): string {
  return (message ?? 'is not valid').replace(/\bNOT\b/g, 'not');
}

/** The known field a misspelt one was most likely meant to be, if any is close. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) && bestDistance < name.length ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// ---------------------------------------------------------------- sense

/** What the schema cannot say: patterns compile with the capture groups the code needs, ids are unique, limits are ordered. */
function checkSense(profile: DeviceProfile): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const pattern = (field: string, source: string, groups: 'one' | 'any') => {
    const result = tryCompilePattern(source);
    if (!result.ok) {
      problems.push({ field, message: `not a valid regex: ${result.reason}` });
      return;
    }
    const count = captureGroupCount(result.regex);
    if (groups === 'one' && count !== 1) {
      const advice = count > 1 ? ' (write other groups as (?:...))' : '';
      problems.push({ field, message: `must have exactly one capture group, around the value; it has ${count}${advice}` });
    }
  };

  problems.push(...checkTransports(profile));
  if (profile.match.serialProbe) pattern('/match/serialProbe/expect', profile.match.serialProbe.expect, 'any');
  profile.match.usb?.forEach((entry, i) => {
    if (entry.serialNumber !== undefined) pattern(`/match/usb/${i}/serialNumber`, entry.serialNumber, 'any');
  });
  profile.shell?.errorPatterns.forEach((source, i) => pattern(`/shell/errorPatterns/${i}`, source, 'any'));
  for (const [field, source] of Object.entries(profile.identity?.fields ?? {})) {
    if (typeof source === 'string') pattern(`/identity/fields/${field}`, source, 'one');
  }

  const firstIndexOfId = new Map<string, number>();
  profile.diagnostics.forEach((spec, i) => {
    const at = `/diagnostics/${i}`;
    if (RESERVED_DIAGNOSTIC_IDS.has(spec.id)) {
      problems.push({ field: `${at}/id`, message: `the id '${spec.id}' is reserved for the identity reading` });
    }
    const first = firstIndexOfId.get(spec.id);
    if (first !== undefined) {
      problems.push({ field: `${at}/id`, message: `the id '${spec.id}' is already used by /diagnostics/${first}` });
    } else {
      firstIndexOfId.set(spec.id, i);
    }
    pattern(`${at}/pattern`, spec.pattern, spec.type === 'count' ? 'any' : 'one');
    if (spec.type !== 'text' && spec.limits) problems.push(...checkLimits(`${at}/limits`, spec.limits));
    if (spec.type === 'text') problems.push(...checkLists(at, spec));
  });
  problems.push(...checkBle(profile));
  const healthCheck = profile.firmware?.method === 'mcumgr-serial' ? profile.firmware.healthCheck : undefined;
  healthCheck?.forEach((id, i) => {
    if (!firstIndexOfId.has(id)) {
      problems.push({ field: `/firmware/healthCheck/${i}`, message: `no diagnostic has the id '${id}'` });
    }
  });
  return problems;
}

/**
 * Shell and identity go together, and whatever talks over the serial port (a probe, MCUmgr,
 * diagnostics) needs them; a USB DFU profile needs neither but must say which USB ids it claims.
 */
function checkTransports(profile: DeviceProfile): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (profile.shell && !profile.identity) {
    problems.push({ field: '/identity', message: 'a profile with a shell needs an identity command too' });
  }
  if (profile.identity && !profile.shell) {
    problems.push({ field: '/shell', message: 'an identity command is run over the shell: describe the shell too' });
  }
  if (!profile.shell) {
    const needsShell = (field: string, what: string) =>
      problems.push({ field, message: `${what} runs over the device's serial shell: add shell and identity, or remove it` });
    if (profile.match.serialProbe) needsShell('/match/serialProbe', 'a serial probe');
    if (profile.firmware?.method === 'mcumgr-serial') needsShell('/firmware/method', "'mcumgr-serial' firmware");
    if (profile.diagnostics.length > 0) needsShell('/diagnostics', 'reading diagnostics');
  }
  if (profile.firmware?.method === 'usb-dfu' && !(profile.match.usb?.length ?? 0)) {
    problems.push({ field: '/match/usb', message: "'usb-dfu' firmware needs the USB ids the device enumerates with" });
  }
  return problems;
}

/**
 * BLE: a ble section needs adverts to recognise the device by; a UUID is named once however
 * it is spelt; a diagnostic's id is its own; limits judge integers, and only values the
 * integer can take.
 */
function checkBle(profile: DeviceProfile): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (profile.ble && !profile.match.ble) {
    problems.push({ field: '/ble', message: 'a ble section needs match.ble: the adverts a device of this family is recognised by' });
  }
  const firstIndexOfService = new Map<string, number>();
  profile.match.ble?.serviceUuids?.forEach((uuid, i) => {
    const canonical = canonicalBleUuid(uuid);
    const first = firstIndexOfService.get(canonical);
    if (first !== undefined) {
      problems.push({ field: `/match/ble/serviceUuids/${i}`, message: `'${uuid}' is the same service as /match/ble/serviceUuids/${first}` });
    } else {
      firstIndexOfService.set(canonical, i);
    }
  });

  const firstIndexOfId = new Map<string, number>();
  profile.ble?.diagnostics.forEach((spec, i) => {
    const at = `/ble/diagnostics/${i}`;
    if (RESERVED_DIAGNOSTIC_IDS.has(spec.id) || STANDARD_GATT_READING_IDS.has(spec.id)) {
      problems.push({ field: `${at}/id`, message: `the id '${spec.id}' is reserved for a reading every BLE device gets` });
    }
    const first = firstIndexOfId.get(spec.id);
    if (first !== undefined) {
      problems.push({ field: `${at}/id`, message: `the id '${spec.id}' is already used by /ble/diagnostics/${first}` });
    } else {
      firstIndexOfId.set(spec.id, i);
    }
    if (!spec.limits) return;
    if (spec.parser.type !== 'integer') {
      problems.push({ field: `${at}/limits`, message: `limits judge numbers, and a '${spec.parser.type}' parser gives none: use an integer parser or remove the limits` });
      return;
    }
    const ordered = checkLimits(`${at}/limits`, spec.limits);
    problems.push(...ordered);
    if (ordered.length === 0) problems.push(...checkLimitsReachable(`${at}/limits`, spec.parser, spec.limits));
  });
  return problems;
}

/** A limit beyond every value the integer can give would never be crossed: most likely the wrong width, sign or scale. */
function checkLimitsReachable(at: string, parser: GattIntegerParser, limits: NumberLimits): { field: string; message: string }[] {
  const bits = parser.bytes * 8;
  const rawLow = parser.signed ? -(2 ** (bits - 1)) : 0;
  const rawHigh = parser.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const scale = parser.scale ?? 1;
  const offset = parser.offset ?? 0;
  // Fifteen digits, as readings are rounded, so the message says 327.67, not 327.67000000000002.
  const ends = [rawLow * scale + offset, rawHigh * scale + offset].map((end) => Number(end.toPrecision(15)));
  const low = Math.min(...ends);
  const high = Math.max(...ends);
  const unit = parser.unit ? ` ${parser.unit}` : '';
  const kind = `a ${parser.bytes}-byte ${parser.signed ? 'signed' : 'unsigned'} integer`;
  const range = parser.scale !== undefined || parser.offset !== undefined ? `${kind} with this scale and offset` : kind;
  const problems: { field: string; message: string }[] = [];
  for (const level of ['warn', 'fail'] as const) {
    for (const end of ['min', 'max'] as const) {
      const limit = limits[level]?.[end];
      if (limit === undefined || (limit >= low && limit <= high)) continue;
      problems.push({
        field: `${at}/${level}/${end}`,
        message: `${range} reads from ${low}${unit} to ${high}${unit}, so the limit ${limit}${unit} is never crossed: check bytes, signed and scale`,
      });
    }
  }
  return problems;
}

/** BlueZ reports every UUID in lower-case 128-bit form, so a loaded profile holds only that form. */
function canonicaliseBleUuids(profile: DeviceProfile): void {
  const match = profile.match.ble;
  if (match?.serviceUuids) match.serviceUuids = match.serviceUuids.map(canonicalBleUuid);
  for (const spec of profile.ble?.diagnostics ?? []) {
    spec.service = canonicalBleUuid(spec.service);
    spec.characteristic = canonicalBleUuid(spec.characteristic);
  }
}

function checkLimits(at: string, limits: NumberLimits): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  for (const level of ['warn', 'fail'] as const) {
    const range = limits[level];
    if (range?.min !== undefined && range.max !== undefined && range.min > range.max) {
      problems.push({ field: `${at}/${level}`, message: `min ${range.min} is above max ${range.max}` });
    }
  }
  const { warn, fail } = limits;
  if (warn?.min !== undefined && fail?.min !== undefined && fail.min > warn.min) {
    const message = `the fail limit ${fail.min} must not be above the warn limit ${warn.min}`;
    problems.push({ field: `${at}/fail/min`, message });
  }
  if (warn?.max !== undefined && fail?.max !== undefined && fail.max < warn.max) {
    const message = `the fail limit ${fail.max} must not be below the warn limit ${warn.max}`;
    problems.push({ field: `${at}/fail/max`, message });
  }
  return problems;
}

function checkLists(at: string, spec: Extract<DiagnosticSpec, { type: 'text' }>): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const listOf = new Map<string, string>();
  for (const list of ['ok', 'warn', 'fail'] as const) {
    (spec[list] ?? []).forEach((value, i) => {
      const key = value.toLowerCase();
      const other = listOf.get(key);
      if (other !== undefined && other !== list) {
        problems.push({ field: `${at}/${list}/${i}`, message: `'${value}' is also on the ${other} list` });
      }
      listOf.set(key, list);
    });
  }
  return problems;
}

// ---------------------------------------------------------------- registry

/** The loaded profiles of one folder, and the problems of the files that did not load. */
export class ProfileRegistry {
  readonly problems: ProfileProblem[];
  private readonly loaded: LoadedProfile[];
  private readonly byId: Map<string, LoadedProfile>;

  constructor(profiles: LoadedProfile[], problems: ProfileProblem[] = []) {
    this.loaded = [...profiles];
    this.problems = [...problems];
    this.byId = new Map(profiles.map((entry) => [entry.profile.id, entry]));
  }

  static async load(dir: string): Promise<ProfileRegistry> {
    const { profiles, problems } = await loadProfiles(dir);
    return new ProfileRegistry(profiles, problems);
  }

  list(): ProfileSummary[] {
    return this.loaded.map(({ profile, file }) => ({
      id: profile.id,
      name: profile.name,
      vendor: profile.vendor,
      file,
      transports: transportsOf(profile),
    }));
  }

  all(): DeviceProfile[] {
    return this.loaded.map((entry) => entry.profile);
  }

  get(id: string): DeviceProfile | undefined {
    return this.byId.get(id)?.profile;
  }

  /** The public keys a profile requires firmware images to be signed with (none: unsigned allowed). */
  signingKeysOf(id: string): SigningKey[] {
    return this.byId.get(id)?.signingKeys ?? [];
  }

  /** The file a profile was loaded from; files a profile names (images, keys) are relative to its folder. */
  fileOf(id: string): string | undefined {
    return this.byId.get(id)?.file;
  }

  /** Like get, for callers that cannot go on without the profile. */
  getOrThrow(id: string): DeviceProfile {
    const profile = this.get(id);
    if (profile) return profile;
    throw new FieldbenchError({
      code: 'not-found',
      message: `no device profile '${id}' is loaded`,
      step: 'choose profile',
      hint: 'Check the profile problems listed under Devices, or add the profile to the profiles folder.',
    });
  }

  /** The profiles that talk over a serial port (they have a shell), in load order. */
  serialProfiles(): SerialProfile[] {
    return this.all().filter(isSerialProfile);
  }

  /** Profiles claiming this USB id in any of their entries, in load order; ids compare without regard to case. */
  matchUsb(vendorId: string, productId: string): DeviceProfile[] {
    const vid = vendorId.toLowerCase();
    const pid = productId.toLowerCase();
    return this.all().filter((profile) => profile.match.usb?.some((id) => id.vendorId === vid && id.productId === pid) ?? false);
  }

  /** Serial profiles claiming a serial port's USB id (the adapter's, or the device's own CDC ACM). */
  matchSerialPort(vendorId: string, productId: string): SerialProfile[] {
    return this.matchUsb(vendorId, productId).filter(isSerialProfile);
  }

  /**
   * Profiles whose match.ble this advert fits, in load order: it lists every service UUID
   * the profile names (in any spelling), its name starts with the prefix, and it carries
   * manufacturer data under the company id, as far as the profile gives each.
   */
  matchBle(advert: BleAdvertFacts): DeviceProfile[] {
    const advertised = new Set(advert.serviceUuids.flatMap((uuid) => {
      try {
        return [canonicalBleUuid(uuid)];
      } catch {
        return []; // a UUID BlueZ would never report; it cannot be one a profile names
      }
    }));
    return this.all().filter((profile) => {
      const match = profile.match.ble;
      if (!match) return false;
      return (
        (match.serviceUuids?.every((uuid) => advertised.has(uuid)) ?? true) &&
        (match.namePrefix === undefined || (advert.name?.startsWith(match.namePrefix) ?? false)) &&
        (match.manufacturerId === undefined || advert.manufacturerData.some((entry) => entry.companyId === match.manufacturerId))
      );
    });
  }

  /**
   * The first profile, in load order, with a USB entry this device fits: its ids, its serial
   * number where the entry gives a pattern, and its DFU mode where the entry asks for one.
   */
  matchUsbDevice(device: UsbDeviceFacts): DeviceProfile | null {
    const vid = device.vendorId.toLowerCase();
    const pid = device.productId.toLowerCase();
    const fits = (entry: NonNullable<DeviceProfile['match']['usb']>[number]) =>
      entry.vendorId === vid &&
      entry.productId === pid &&
      (entry.serialNumber === undefined || (device.serialNumber !== undefined && compilePattern(entry.serialNumber).test(device.serialNumber))) &&
      (entry.dfu === undefined || entry.dfu === device.dfuMode);
    return this.all().find((profile) => profile.match.usb?.some(fits) ?? false) ?? null;
  }
}

/** What a USB device shows that profiles match on. */
export interface UsbDeviceFacts {
  vendorId: string;
  productId: string;
  serialNumber?: string;
  /** The mode of its DFU interface, or null when it offers none. */
  dfuMode: 'runtime' | 'dfu' | null;
}

/** What a BLE advert shows that profiles match on; the contract's BleAdvert and the central's both fit. */
export interface BleAdvertFacts {
  name: string | null;
  serviceUuids: readonly string[];
  manufacturerData: readonly { companyId: number }[];
}

/** Which transports a profile's devices are found on. */
function transportsOf(profile: DeviceProfile): ProfileSummary['transports'] {
  const transports: ProfileSummary['transports'] = [];
  if (isSerialProfile(profile)) transports.push('serial');
  // A profile without a shell is a USB device in its own right, not a USB-serial adapter.
  if ((!isSerialProfile(profile) && profile.match.usb) || profile.firmware?.method === 'usb-dfu') transports.push('usb');
  if (profile.match.ble) transports.push('ble');
  return transports;
}

// ---------------------------------------------------------------- where profiles live

/**
 * The profiles folder Fieldbench uses when none is given: $FIELDBENCH_PROFILES_DIR, the
 * packaged app's resources, or the nearest device-profiles/ holding profile.schema.json
 * (see shipped-folder.ts for the order).
 */
export function defaultProfilesDir(): string {
  return findShippedFolder({ name: PROFILES_DIR_NAME, envVar: PROFILES_DIR_ENV, isOurs: hasSchema });
}

function hasSchema(dir: string): boolean {
  return existsSync(join(dir, PROFILE_SCHEMA_FILE));
}

// ---------------------------------------------------------------- small helpers

function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
