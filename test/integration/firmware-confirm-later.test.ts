// A firmware update that leaves the confirmation to its caller (confirm 'later', as the bench
// station flashes: its own test judges the image first). Through the core, against the virtual
// sensor node on a real pseudo-terminal: the job ends once the new image booted on trial, and
// what happens next is up to the caller, read back from the node's bootloader each time.
// That 'auto' still confirms is covered by firmware-update.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import type { FirmwareJobOptions, ImageSlot } from '../../src-main/api/schemas';
import { ok, startCore } from '../helpers/core-fixture';
import { readExpectations, readFixture, type McubootExpectation } from '../helpers/firmware-fixtures';
import { flashWithFaults } from '../helpers/flash-with-faults';
import { makeTempDir } from '../helpers/temp-dir';
import { until } from '../helpers/until';

const RELEASE = 'app-2.0.0-ecdsa-p256.bin';
const release = { fileName: RELEASE, bytes: readFixture('mcuboot', RELEASE) };
const releaseHash = readExpectations<McubootExpectation>('mcuboot').find((e) => e.file === RELEASE)!.sha256_tlv;
const LATER: FirmwareJobOptions = { uploadOnly: false, allowDowngrade: false, confirm: 'later' };
const FLASH_DEADLINE_MS = 60_000;

let dir: ReturnType<typeof makeTempDir>;
let core: Core;

beforeEach(async () => {
  dir = makeTempDir('confirm-later');
  core = await startCore(dir.path);
});
afterEach(async () => {
  await core.close();
  dir.remove();
});

/** The version the device list shows once it has re-read the device after a reset (with a deadline). */
function listedVersion(deviceId: string, version: string): Promise<unknown> {
  return until(`${deviceId} listed with firmware ${version}`, async () => {
    const device = (await ok(core, 'devices.list', {})).find((d) => d.id === deviceId);
    return device?.state === 'ready' && device.identity?.firmwareVersion === version;
  }, 15_000, 50);
}

describe("firmware update with confirm 'later'", () => {
  it('ends once the new image booted on trial; a reset without confirming brings the old image back', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const job = await flashWithFaults(core, device.id, release, null, FLASH_DEADLINE_MS, LATER);

    expect(job).toMatchObject({ state: 'finished', outcome: 'booted', versionBefore: '1.4.2', versionAfter: '2.0.0' });
    expect(job.reason).toMatch(/^runs on trial, not yet confirmed: .*reset to go back to 1\.4\.2$/);
    const done = job.steps.filter((s) => s.status === 'done').map((s) => s.step);
    expect(done).toEqual(['preflight', 'upload', 'test', 'reset', 'reconnect', 'verify']);
    expect(job.steps.map((s) => s.step)).not.toContain('confirm');

    // Running the new image, on trial: MCUboot would swap back at the next reset.
    const trial = await ok(core, 'firmware.slots', { deviceId: device.id });
    expect(trial.find((s) => s.active)).toMatchObject({ slot: 0, version: '2.0.0', hash: releaseHash, confirmed: false });
    expect(trial.find((s) => s.slot === 1)).toMatchObject({ version: '1.4.2', active: false });
    await listedVersion(device.id, '2.0.0');

    await ok(core, 'smp.reset', { deviceId: device.id });
    // The node is deaf while MCUboot runs: ask again until it answers, with the old image active.
    const reverted = await until('the node back on 1.4.2 after the reset', async () => {
      const envelope = await core.dispatch('firmware.slots', { deviceId: device.id });
      const slots = envelope.ok ? (envelope.value as ImageSlot[]) : [];
      return slots.find((s) => s.active)?.version === '1.4.2' ? slots : null;
    }, 15_000, 50);
    expect(reverted.find((s) => s.active)).toMatchObject({ slot: 0, version: '1.4.2', confirmed: true });
    expect(reverted.some((s) => s.active && s.hash === releaseHash)).toBe(false);
    expect((await ok(core, 'diagnostics.read', { deviceId: device.id })).identity?.firmwareVersion).toBe('1.4.2');
  });

  it('a bootloader that refuses the image does so at the reset inside the job: the job says refused, not booted', async () => {
    const device = await ok(core, 'devices.attachVirtual', { faults: { refuseImage: true } });
    const job = await flashWithFaults(core, device.id, release, null, FLASH_DEADLINE_MS, LATER);
    expect(job.outcome).toBe('reverted');
    expect(job.reason).toMatch(/bootloader refused the image/);
    expect(job.versionAfter).toBe('1.4.2');
    const slots = await ok(core, 'firmware.slots', { deviceId: device.id });
    expect(slots.find((s) => s.active)).toMatchObject({ version: '1.4.2', confirmed: true });
  });
});
