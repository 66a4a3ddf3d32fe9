// Reading the bootloader's slots the way an update needs them: which image runs, which
// waits in the secondary slot, and a sentence saying so for journals and messages.
import { FieldbenchError } from '../../api/errors';
import type { ImageSlot } from '../../api/schemas';

export type { ImageSlot };

export function activeSlot(slots: ImageSlot[]): ImageSlot | null {
  return slots.find((slot) => slot.active) ?? null;
}

export function slotWithHash(slots: ImageSlot[], hash: string): ImageSlot | null {
  return slots.find((slot) => slot.hash === hash) ?? null;
}

/** "runs 1.4.2+0 (confirmed); 1.5.0+0 waits in slot 1 (pending test)" */
export function describeSlots(slots: ImageSlot[]): string {
  if (slots.length === 0) return 'reports no images';
  return slots
    .map((slot) => {
      const flags = [slot.confirmed && 'confirmed', slot.pending && (slot.permanent ? 'pending permanent' : 'pending test'), !slot.bootable && 'not bootable']
        .filter(Boolean)
        .join(', ');
      const what = slot.active ? `runs ${slot.version}` : `${slot.version} in slot ${slot.slot}`;
      return flags ? `${what} (${flags})` : what;
    })
    .join('; ');
}

/** What confirming needs of an SMP client. */
export interface ConfirmingSmp {
  imageConfirm(hash: string): Promise<unknown>;
  imageState(): Promise<ImageSlot[]>;
}

/**
 * Makes the running image with this hash permanent, unless the slots last read show it
 * confirmed already, and reads the slots back: a bootloader that answered the request without
 * marking the image would otherwise go back to the old one at the next reset, unnoticed.
 * Resolves with the slots read back.
 */
export async function confirmRunningImage(
  smp: ConfirmingSmp,
  hash: string,
  where: { label: string; step: string; hint: string; lastRead?: ImageSlot[] },
): Promise<ImageSlot[]> {
  const known = where.lastRead ? activeSlot(where.lastRead) : null;
  if (!(known?.hash === hash && known.confirmed)) await smp.imageConfirm(hash);
  const slots = await smp.imageState();
  const running = activeSlot(slots);
  if (running?.hash !== hash || !running.confirmed) {
    throw new FieldbenchError({
      code: 'device-error',
      message: `the device did not confirm the image (${describeSlots(slots)})`,
      device: where.label,
      step: where.step,
      hint: where.hint,
    });
  }
  return slots;
}
