// Reading who a device says it is from the answer to its identity command, with the sensor
// node's profile and the exact lines its simulator answers.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { DeviceIdentity } from '../../src-main/api/schemas';
import { parseIdentity } from '../../src-main/core/diagnostics/parse-identity';
import { defaultProfilesDir } from '../../src-main/core/profiles/profile-registry';
import type { IdentitySpec, SerialProfile } from '../../src-main/core/profiles/profile-types';

const profile: SerialProfile = JSON.parse(readFileSync(join(defaultProfilesDir(), 'sensor-node.json'), 'utf8'));
const spec = profile.identity;
const deviceInfo = ['model: sensor-node', 'serial: SN-1A2B3C4D', 'firmware: 1.4.2', 'hardware: rev C'];

function thrownBy(run: () => unknown): FieldbenchError {
  try {
    run();
  } catch (error) {
    if (error instanceof FieldbenchError) return error;
    throw error;
  }
  throw new Error('expected a FieldbenchError');
}

describe('parseIdentity', () => {
  it("reads the sensor node's answer to 'device info'", () => {
    expect(parseIdentity(spec, deviceInfo)).toEqual({
      model: 'sensor-node',
      serialNumber: 'SN-1A2B3C4D',
      firmwareVersion: '1.4.2',
      hardwareRevision: 'rev C',
    });
  });

  it('does not care about line order, extra lines or trailing spaces', () => {
    const lines = ['', 'hardware: rev C  ', 'uptime: 12 s', 'firmware: 1.4.2', 'serial: SN-1A2B3C4D', 'model: sensor-node'];
    expect(parseIdentity(spec, lines)).toEqual(parseIdentity(spec, deviceInfo));
  });

  it('leaves out a hardware revision the device does not report', () => {
    const identity = parseIdentity(spec, deviceInfo.slice(0, 3));
    expect(identity).toEqual({ model: 'sensor-node', serialNumber: 'SN-1A2B3C4D', firmwareVersion: '1.4.2' });
    expect('hardwareRevision' in identity).toBe(false);
  });

  it('names the missing field and quotes the answer when a required one is absent', () => {
    const error = thrownBy(() => parseIdentity(spec, ['model: sensor-node', 'firmware: 1.4.2', 'hardware: rev C']));
    expect(error.code).toBe('profile-error');
    expect(error.step).toBe('read identity');
    expect(error.message).toBe(
      `the answer to 'device info' has no serial number (no line matches ^serial: (\\S+)): "model: sensor-node | firmware: 1.4.2 | hardware: rev C"`,
    );
    expect(error.hint).toMatch(/identity\.fields\.serialNumber/);
  });

  it('says so when the device answered nothing', () => {
    expect(thrownBy(() => parseIdentity(spec, [])).message).toMatch(/has no model .*: an empty answer$/);
    expect(thrownBy(() => parseIdentity(spec, ['model: ', 'serial: x', 'firmware: 1'])).message).toMatch(/has no model/);
  });

  it('reports a broken pattern as a profile error, not a crash', () => {
    const broken: IdentitySpec = { command: 'device info', fields: { ...spec.fields, firmwareVersion: '^firmware: ([' } };
    const error = thrownBy(() => parseIdentity(broken, deviceInfo));
    expect(error.code).toBe('profile-error');
    expect(error.message).toMatch(/identity\.fields\.firmwareVersion\) is not a valid regex/);
  });

  it('property: any answer gives a valid identity or a profile-error, never anything else', () => {
    const line = fc.oneof(fc.string(), fc.constantFrom(...deviceInfo), fc.string().map((s) => `serial: ${s}`));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        try {
          const identity = parseIdentity(spec, lines);
          expect(DeviceIdentity.parse(identity)).toEqual(identity);
          for (const value of Object.values(identity)) expect(value).toBe(value.trim());
          for (const value of Object.values(identity)) expect(value).not.toBe('');
        } catch (error) {
          expect(error).toBeInstanceOf(FieldbenchError);
          expect((error as FieldbenchError).code).toBe('profile-error');
        }
      }),
    );
  });
});
