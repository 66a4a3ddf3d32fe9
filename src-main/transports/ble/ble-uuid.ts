// GATT UUIDs as BlueZ reports them: lower-case, 128-bit. Profiles and users write 16-bit SIG
// numbers ("180A", "0x2a19") and upper-case 128-bit forms; comparing only the canonical form
// keeps one spelling from missing another.
import { FieldbenchError } from '../../api/errors';

const BASE_SUFFIX = '-0000-1000-8000-00805f9b34fb';
const FULL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHORT = /^(?:0x)?([0-9a-f]{4}|[0-9a-f]{8})$/;

/** The canonical form of a 16-bit, 32-bit or 128-bit UUID; throws for anything else. */
export function canonicalBleUuid(uuid: string): string {
  const text = uuid.trim().toLowerCase();
  if (FULL.test(text)) return text;
  const short = SHORT.exec(text);
  if (short?.[1]) return `${short[1].padStart(8, '0')}${BASE_SUFFIX}`;
  throw new FieldbenchError({
    code: 'invalid-request',
    message: `'${uuid}' is not a Bluetooth UUID`,
    step: 'read GATT UUID',
    hint: 'Write a 16-bit number such as 180A, or a full UUID such as 6e400001-b5a3-f393-e0a9-e50e24dcca9e.',
  });
}

/** MCUmgr's SMP service and its one characteristic (write without response, answers as notifications). */
export const SMP_SERVICE_UUID = '8d53dc1d-1db7-4cd3-868b-8a527460aa84';
export const SMP_CHARACTERISTIC_UUID = 'da2e7828-fbce-4e01-ae9e-261174997c48';

/** Nordic UART Service: the central writes RX, the device notifies TX (a shell, a log). */
export const NUS_SERVICE_UUID = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
export const NUS_RX_UUID = '6e400002-b5a3-f393-e0a9-e50e24dcca9e';
export const NUS_TX_UUID = '6e400003-b5a3-f393-e0a9-e50e24dcca9e';
