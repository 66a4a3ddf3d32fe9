// The checks before anything is written to a device, against real images made the way
// imgtool makes them, and the signed images imgtool itself made.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageSlot } from '../../src-main/api/schemas';
import { checkAgainstDevice, checkImage } from '../../src-main/core/firmware/firmware-preflight';
import { inspectImage } from '../../src-main/firmware-images/inspect-image';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import type { FirmwareSpec } from '../../src-main/core/profiles/profile-types';
import { FIRMWARE_FIXTURES } from '../helpers/fixtures';

const firmware: FirmwareSpec = { method: 'mcumgr-serial', slotSize: 0x60000 };
const DEVICE = '/dev/ttyACM0';
const options = { uploadOnly: false, allowDowngrade: false, confirm: 'auto' as const };

function image(version: string, size = 4096) {
  const bytes = createMcubootImage({ version, payload: new Uint8Array(size).fill(7) });
  return inspectImage(bytes, { fileName: `app-${version}.bin` });
}

function running(version: string, hash = 'aa'.repeat(32)): ImageSlot {
  return { image: 0, slot: 0, version, hash, bootable: true, pending: false, confirmed: true, active: true, permanent: false };
}

const refusedWith = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return error as { code: string; message: string; step: string; device: string; hint: string };
  }
  throw new Error('expected a refusal');
};

describe('checkImage', () => {
  it('accepts a valid MCUboot image that fits, and returns its hash TLV', () => {
    const inspection = image('1.5.0+0');
    const { hash, checked } = checkImage(inspection, firmware, [], DEVICE);
    expect(hash).toBe(inspection.sha256);
    expect(checked.join('; ')).toMatch(/valid MCUboot image.*fits/);
  });

  it('refuses what is not an MCUboot image, a damaged one, and one too big for the slot', () => {
    const raw = inspectImage(new Uint8Array(100).fill(1), { fileName: 'app.bin' });
    expect(refusedWith(() => checkImage(raw, firmware, [], DEVICE))).toMatchObject({ code: 'invalid-request', device: DEVICE, step: 'firmware preflight' });

    const corrupt = inspectImage(new Uint8Array(readFileSync(join(FIRMWARE_FIXTURES, 'mcuboot', 'app-1.1.0-ed25519-corrupt.bin'))), { fileName: 'corrupt.bin' });
    expect(refusedWith(() => checkImage(corrupt, firmware, [], DEVICE)).message).toMatch(/hash does not match/);

    const big = image('1.5.0+0', 0x60000);
    expect(refusedWith(() => checkImage(big, firmware, [], DEVICE)).message).toMatch(/slot holds 393216/);
  });

  it('requires a valid signature for a key the profile names', () => {
    const dir = join(FIRMWARE_FIXTURES, 'mcuboot');
    const key = { name: 'release.pem', pem: readFileSync(join(dir, 'test-pub-ed25519.pem'), 'utf8') };
    const signed = inspectImage(new Uint8Array(readFileSync(join(dir, 'app-1.1.0-ed25519.bin'))), { fileName: 'signed.bin', keys: [key] });
    expect(checkImage(signed, firmware, ['release.pem'], DEVICE).checked.join(' ')).toMatch(/signature valid for release.pem/);

    const unsigned = inspectImage(new Uint8Array(readFileSync(join(dir, 'app-1.0.0-unsigned.bin'))), { fileName: 'unsigned.bin', keys: [key] });
    expect(refusedWith(() => checkImage(unsigned, firmware, ['release.pem'], DEVICE)).message).toMatch(/not signed with a key this device accepts/);
  });
});

describe('checkAgainstDevice', () => {
  it('reports the running version and accepts a newer image', () => {
    const inspection = image('1.5.0+0');
    expect(checkAgainstDevice(inspection, inspection.sha256!, [running('1.4.2')], options, DEVICE)).toMatchObject({ runningVersion: '1.4.2' });
  });

  it('refuses the image already running, and a downgrade without consent', () => {
    const inspection = image('1.3.0+0');
    expect(refusedWith(() => checkAgainstDevice(inspection, inspection.sha256!, [running('1.3.0', inspection.sha256!)], options, DEVICE)).message).toMatch(
      /already runs this image/,
    );
    expect(refusedWith(() => checkAgainstDevice(inspection, inspection.sha256!, [running('1.4.2')], options, DEVICE))).toMatchObject({
      message: '1.3.0+0 is older than the running 1.4.2',
      hint: expect.stringMatching(/explicit consent/),
    });
    const allowed = checkAgainstDevice(inspection, inspection.sha256!, [running('1.4.2')], { ...options, allowDowngrade: true }, DEVICE);
    expect(allowed.checked).toContain('downgrade from 1.4.2 allowed');
  });

  it('the image already running but unconfirmed (an update cut off before its confirm) is finished, not refused', () => {
    const inspection = image('1.5.0+0');
    const hash = inspection.sha256!;
    const runningNew: ImageSlot = { ...running('1.5.0', hash), confirmed: false };
    const previous: ImageSlot = { ...running('1.4.2'), slot: 1, active: false };
    const result = checkAgainstDevice(inspection, hash, [runningNew, previous], options, DEVICE);
    expect(result).toMatchObject({ finishEarlierUpdate: true, runningVersion: '1.4.2' });
    expect(checkAgainstDevice(image('1.6.0+0'), image('1.6.0+0').sha256!, [running('1.5.0')], options, DEVICE).finishEarlierUpdate).toBe(false);
  });
});
