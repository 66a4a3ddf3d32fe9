// The ATT figures every BLE write and notification obeys, whoever sends it: the MTU a
// connection starts with, and the 3 bytes of it each write command or notification spends
// on its opcode and handle.
import { FieldbenchError } from '../../api/errors';

/** The ATT MTU every connection starts with, before an exchange raises it. */
export const ATT_DEFAULT_MTU = 23;
/** The largest ATT MTU BlueZ negotiates (and the ATT value limit of 512 plus headers). */
export const ATT_MAX_MTU = 517;
/** Opcode (1) and handle (2) of a write command or a notification. */
export const ATT_WRITE_HEADER = 3;

/** Value bytes one write command or notification carries at this MTU. */
export function attWritePayload(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu <= ATT_WRITE_HEADER) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `an ATT MTU of ${mtu} cannot carry data; it must be a whole number above ${ATT_WRITE_HEADER}`,
      step: 'size BLE writes',
    });
  }
  return mtu - ATT_WRITE_HEADER;
}
