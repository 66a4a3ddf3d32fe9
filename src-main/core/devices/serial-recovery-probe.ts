// A device that does not answer its shell may be sitting in MCUboot's serial recovery: no
// application runs, only the bootloader, which speaks SMP on the same port with one slot.
// Ask it once, briefly: an answer to image state means recovery; anything else means not.
// The application answers image state too, and an application that finishes booting while
// its shell was being woken (a swap after an update takes a while) would pass for the
// bootloader: but only a running application reports a slot as active (MCUboot's boot_serial
// lists version and hash alone), so an active slot means "not recovery, try the shell again".
import type { ImageSlot } from '../../api/schemas';
import { SmpClient } from '../../protocols/smp/smp-client';
import { smpSerialFraming } from '../../protocols/smp/smp-serial';
import type { Link } from '../../transports/link';
import type { DeviceProfile } from '../profiles/profile-types';

const PROBE_TIMEOUT_MS = 1500;

export async function probeSerialRecovery(link: Link, profile: DeviceProfile): Promise<ImageSlot[] | null> {
  if (profile.firmware?.method !== 'mcumgr-serial') return null;
  const lineLength = profile.firmware.lineLength;
  const smp = new SmpClient(link, {
    deviceLabel: link.label,
    framing: smpSerialFraming(lineLength === undefined ? {} : { lineLength }),
    timeoutMs: PROBE_TIMEOUT_MS,
    retries: 0,
  });
  let slots: ImageSlot[];
  try {
    slots = [...(await smp.imageState())];
  } catch {
    return null;
  }
  return slots.some((slot) => slot.active) ? null : slots;
}

/** "MCUboot serial recovery: no application runs (1.4.2 in its only slot)." */
export function describeRecovery(slots: ImageSlot[]): string {
  const held = slots[0] ? `${slots[0].version} in its only slot` : 'its slot is empty';
  return `MCUboot serial recovery: no application runs (${held}). Flash an image to bring the device back.`;
}
