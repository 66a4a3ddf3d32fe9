// The bootloader's image slots: which image runs, which waits, and whether each is
// confirmed, pending or bootable, in words. Shared by the SMP readings and the firmware
// panel's before-and-after view.
import type { ImageSlot } from '../../src-main/api/schemas';
import { slotFlags } from '../stores/firmware-selectors';

/** Enough of the hash to tell images apart at a glance; the whole hash is in the tooltip. */
const SHORT_HASH_CHARS = 16;

export function ImageSlotsTable({ slots, caption, testId = 'slots-table' }: { slots: readonly ImageSlot[]; caption: string; testId?: string }) {
  return (
    <div className="table-scroll">
      <table className="data-table slots-table" data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Slot</th>
            <th scope="col">Version</th>
            <th scope="col">State</th>
            <th scope="col">Hash</th>
          </tr>
        </thead>
        <tbody>
          {slots.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                The bootloader reports no images.
              </td>
            </tr>
          )}
          {slots.map((slot) => {
            const flags = slotFlags(slot);
            return (
              <tr
                key={`${slot.image}:${slot.slot}`}
                data-testid="slot-row"
                data-version={slot.version}
                data-flags={flags.join(' ')}
                className={slot.active ? 'row-active' : undefined}
              >
                <td>{slot.image}</td>
                <td>{slot.slot}</td>
                <th scope="row" className="nowrap">
                  {slot.version}
                </th>
                <td data-testid="slot-state">{flags.length > 0 ? flags.join(', ') : 'inactive'}</td>
                <td>
                  <code title={slot.hash}>{slot.hash.length > SHORT_HASH_CHARS ? `${slot.hash.slice(0, SHORT_HASH_CHARS)}…` : slot.hash}</code>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
