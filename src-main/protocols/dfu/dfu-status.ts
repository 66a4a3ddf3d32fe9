// DFU 1.1's requests, states and statuses (USB DFU 1.1 §3, §6.1.2), and what each error
// status means to someone holding the device. The DFU client and the flasher both word their
// errors from here, so a status reads the same wherever it is met.
import { DFU_ERROR_STATUSES } from '../../api/schemas';

/** Class requests to a DFU interface (bRequest). */
export const DfuRequest = {
  DETACH: 0,
  DNLOAD: 1,
  UPLOAD: 2,
  GETSTATUS: 3,
  CLRSTATUS: 4,
  GETSTATE: 5,
  ABORT: 6,
} as const;

export const DfuState = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;

const STATE_NAMES = [
  'appIDLE',
  'appDETACH',
  'dfuIDLE',
  'dfuDNLOAD-SYNC',
  'dfuDNBUSY',
  'dfuDNLOAD-IDLE',
  'dfuMANIFEST-SYNC',
  'dfuMANIFEST',
  'dfuMANIFEST-WAIT-RESET',
  'dfuUPLOAD-IDLE',
  'dfuERROR',
] as const;

export const DFU_STATUS_OK = 0;

/** The state's name as DFU 1.1 spells it ("dfuDNLOAD-IDLE"), or "state N" for one it does not define. */
export function dfuStateName(state: number): string {
  return STATE_NAMES[state] ?? `state ${state}`;
}

/** "OK", the error status's name ("errWRITE"), or "status 0xNN" for one DFU 1.1 does not define. */
export function dfuStatusName(status: number): string {
  if (status === DFU_STATUS_OK) return 'OK';
  return DFU_ERROR_STATUSES[status - 1] ?? `status 0x${status.toString(16).padStart(2, '0')}`;
}

interface StatusText {
  /** What the device is saying, in a clause that follows the status name. */
  meaning: string;
  /** What to do about it. */
  hint: string;
}

const STATUS_TEXT: Record<number, StatusText> = {
  0x00: { meaning: 'no error', hint: 'Nothing to do.' },
  0x01: {
    meaning: 'the file is not for this device',
    hint: 'Check that the image was built for this exact part and board, and flash the right one.',
  },
  0x02: {
    meaning: 'the file failed a check the device makes (a wrong header, checksum or signature)',
    hint: 'Rebuild or download the image again; the device refuses it as it is.',
  },
  0x03: {
    meaning: 'the device could not write the flash',
    hint: 'Flash again; if it fails at the same address, the flash there may be worn or locked (write protection).',
  },
  0x04: {
    meaning: 'the device could not erase the flash',
    hint: 'Flash again; if it fails again, check for write protection on those pages, then suspect the part.',
  },
  0x05: {
    meaning: 'a page the device erased did not read back erased',
    hint: 'Flash again; an erase that keeps failing its check points at worn flash or unstable supply voltage.',
  },
  0x06: {
    meaning: 'the device could not program the memory',
    hint: 'Flash again; if the same address fails, the memory there is locked or damaged.',
  },
  0x07: {
    meaning: 'the written memory did not read back as written',
    hint: 'Flash again; repeated verify failures point at worn flash or an unstable supply.',
  },
  0x08: {
    meaning: 'the address is outside the memory the device can program',
    hint: 'Check the image addresses against the device memory layout; the image was linked for a different part.',
  },
  0x09: {
    meaning: 'the device received the end of the download before it expected it',
    hint: 'The image is incomplete for this device; flash the whole image again.',
  },
  0x0a: {
    meaning: 'the firmware is corrupt, so the device cannot leave DFU mode and run it',
    hint: 'Stay in DFU mode and flash a good image; the bootloader is still there.',
  },
  0x0b: {
    meaning: 'the device reported a vendor-specific error',
    hint: "Look the failing step up in the vendor's bootloader notes; on ST parts this often means read or write protection is on.",
  },
  0x0c: {
    meaning: 'the device saw an unexpected USB reset',
    hint: 'Check the cable and hub, and flash again without touching the device.',
  },
  0x0d: {
    meaning: 'the device saw an unexpected power-on reset',
    hint: 'Check the supply and the cable; the device lost power during the operation. Flash again.',
  },
  0x0e: {
    meaning: 'the device failed for a reason it does not name',
    hint: 'Flash again; if it keeps failing, power-cycle the device into its bootloader and retry.',
  },
  0x0f: {
    meaning: 'the device did not expect that request now',
    hint: 'Power-cycle the device into its bootloader and flash again.',
  },
};

function statusText(status: number): StatusText {
  return (
    STATUS_TEXT[status] ?? {
      meaning: 'the device reported a status DFU 1.1 does not define',
      hint: 'Power-cycle the device into its bootloader and flash again; if it recurs, its bootloader does not follow DFU 1.1.',
    }
  );
}

/** "errWRITE: the device could not write the flash. Flash again; …": what it means and what to do. */
export function describeDfuStatus(status: number): string {
  const text = statusText(status);
  return `${dfuStatusName(status)}: ${text.meaning}. ${text.hint}`;
}

/** "errWRITE: the device could not write the flash": the status and its meaning, for a message. */
export function dfuStatusMeaning(status: number): string {
  return `${dfuStatusName(status)}: ${statusText(status).meaning}`;
}

/** What to do after the status, in one sentence. */
export function dfuStatusHint(status: number): string {
  return statusText(status).hint;
}
