// Reading the bootloader's slots the way an update needs them: which image runs, which
// waits in the secondary slot, and a sentence saying so for journals and messages.
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
