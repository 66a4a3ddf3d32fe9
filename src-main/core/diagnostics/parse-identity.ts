// Turns the answer to a profile's identity command into who the device says it is.
// A device whose answer lacks a required field does not fit its profile: that is a
// profile-error naming the field, never an identity with blanks in it.
import { FieldbenchError } from '../../api/errors';
import type { DeviceIdentity } from '../../api/schemas';
import type { IdentitySpec } from '../profiles/profile-types';
import { captureFirst, tryCompilePattern } from '../profiles/profile-patterns';
import { quoteAnswer } from './quote-answer';

type IdentityField = keyof IdentitySpec['fields'];

const fieldNames: Record<IdentityField, string> = {
  model: 'model',
  serialNumber: 'serial number',
  firmwareVersion: 'firmware version',
  hardwareRevision: 'hardware revision',
};

export function parseIdentity(spec: IdentitySpec, lines: string[]): DeviceIdentity {
  const identity: DeviceIdentity = {
    model: readRequired(spec, 'model', lines),
    serialNumber: readRequired(spec, 'serialNumber', lines),
    firmwareVersion: readRequired(spec, 'firmwareVersion', lines),
  };
  const hardwareRevision = readField(spec, 'hardwareRevision', lines);
  if (hardwareRevision !== undefined) identity.hardwareRevision = hardwareRevision;
  return identity;
}

function readRequired(spec: IdentitySpec, field: IdentityField, lines: string[]): string {
  const value = readField(spec, field, lines);
  if (value !== undefined) return value;
  const pattern = spec.fields[field] ?? '(no pattern)';
  throw new FieldbenchError({
    code: 'profile-error',
    message: `the answer to '${spec.command}' has no ${fieldNames[field]} (no line matches ${pattern}): ${quoteAnswer(lines)}`,
    step: 'read identity',
    hint:
      'The device may not be of this family, or its firmware names itself differently; ' +
      `check identity.fields.${field} in its profile.`,
  });
}

/** The trimmed capture of the first matching line; an empty capture counts as missing. */
function readField(spec: IdentitySpec, field: IdentityField, lines: string[]): string | undefined {
  const source = spec.fields[field];
  if (source === undefined) return undefined;
  const compiled = tryCompilePattern(source);
  if (!compiled.ok) {
    const where = `the ${fieldNames[field]} (identity.fields.${field})`;
    throw new FieldbenchError({
      code: 'profile-error',
      message: `the profile's pattern for ${where} is not a valid regex: ${compiled.reason}`,
      step: 'read identity',
      hint: 'Fix the pattern in the device profile; the profile list shows its problems.',
    });
  }
  const found = captureFirst(compiled.regex, lines);
  const value = found.found ? found.value.trim() : '';
  return value.length > 0 ? value : undefined;
}
