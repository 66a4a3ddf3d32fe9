// Telling MCUboot's serial recovery from a running application by SMP alone: both answer
// image state, and a device whose application finished booting while its shell was being
// woken must not be taken for one stuck in its bootloader.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeSerialRecovery } from '../../src-main/core/devices/serial-recovery-probe';
import { ProfileRegistry } from '../../src-main/core/profiles/profile-registry';
import type { DeviceProfile } from '../../src-main/core/profiles/profile-types';
import { PROFILES_DIR } from '../helpers/core-fixture';
import { Cleanups, sensorNodeInMemory } from '../helpers/sensor-node-shell';
import { attachSensorNodeInMemory } from '../../src-main/virtual/attach-sensor-node';

const cleanups = new Cleanups();
let profile: DeviceProfile;

beforeAll(async () => {
  const found = (await ProfileRegistry.load(PROFILES_DIR)).get('fieldbench-sensor-node');
  if (!found) throw new Error('the sensor node profile did not load');
  profile = found;
});
afterEach(() => cleanups.runAll());

describe('probeSerialRecovery', () => {
  it('finds the one slot the bootloader lists in serial recovery', async () => {
    const attached = attachSensorNodeInMemory({ seed: 7, mode: 'serial-recovery' });
    cleanups.add(() => attached.detach());
    const slots = await probeSerialRecovery(attached.hostLink, profile);
    expect(slots).not.toBeNull();
    expect(slots).toHaveLength(1);
    expect(slots?.[0]).toMatchObject({ slot: 0, active: false });
  });

  it('does not take a running application, which reports an active slot, for the bootloader', async () => {
    const node = await sensorNodeInMemory(cleanups, { seed: 7 });
    expect(await probeSerialRecovery(node.link, profile)).toBeNull();
  });

  it('says nothing of a profile whose firmware is not updated over MCUmgr', async () => {
    const node = await sensorNodeInMemory(cleanups, { seed: 7 });
    const { firmware: _firmware, ...withoutFirmware } = profile;
    expect(await probeSerialRecovery(node.link, withoutFirmware as DeviceProfile)).toBeNull();
  });
});
