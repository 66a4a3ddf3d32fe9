// The numbers SMP puts on the wire and what they mean: management group ids, command ids,
// and the result codes a device answers with, turned into a sentence a support engineer
// understands and one thing to try next. Version 1 devices answer `rc` from one shared list
// (MGMT_ERR_*); version 2 devices add `err: { group, rc }` whose rc is the group's own list.
import type { CborValue } from '../cbor/cbor';

export const SmpGroup = {
  OS: 0,
  IMAGE: 1,
  STATS: 2,
  SETTINGS: 3,
  FS: 8,
  SHELL: 9,
  ZEPHYR: 63,
} as const;

export const OsCommand = {
  ECHO: 0,
  TASK_STATS: 2,
  MEMORY_POOL_STATS: 3,
  DATETIME: 4,
  RESET: 5,
  MCUMGR_PARAMS: 6,
  INFO: 7,
  BOOTLOADER_INFO: 8,
} as const;

export const ImageCommand = { STATE: 0, UPLOAD: 1, ERASE: 5 } as const;

export const StatsCommand = { READ: 0, LIST: 1 } as const;

/** MGMT_ERR_*: the result codes every group shares (SMP version 1 `rc`, and version 2 `rc`). */
export const MgmtErr = {
  OK: 0,
  EUNKNOWN: 1,
  ENOMEM: 2,
  EINVAL: 3,
  ETIMEOUT: 4,
  ENOENT: 5,
  EBADSTATE: 6,
  EMSGSIZE: 7,
  ENOTSUP: 8,
  ECORRUPT: 9,
  EBUSY: 10,
  EACCESSDENIED: 11,
  UNSUPPORTED_TOO_OLD: 12,
  UNSUPPORTED_TOO_NEW: 13,
} as const;

interface Meaning {
  name: string;
  message: string;
  hint?: string;
}

const RETRY = 'Try again; if it keeps happening, reset the device.';
const CHECK_FIRMWARE = "Check that the device firmware was built with this MCUmgr group and command enabled.";

const MGMT_ERRORS: Record<number, Meaning> = {
  0: { name: 'MGMT_ERR_OK', message: 'no error' },
  1: { name: 'MGMT_ERR_EUNKNOWN', message: 'the device reported an unknown error', hint: RETRY },
  2: { name: 'MGMT_ERR_ENOMEM', message: 'the device ran out of memory', hint: 'Reset the device and try again; a smaller request may help.' },
  3: { name: 'MGMT_ERR_EINVAL', message: 'the device rejected a value in the request as invalid', hint: 'Check the request parameters against what the device supports.' },
  4: { name: 'MGMT_ERR_ETIMEOUT', message: 'an operation on the device timed out', hint: RETRY },
  5: { name: 'MGMT_ERR_ENOENT', message: 'the device has no such item', hint: 'Check the name or slot asked for.' },
  6: { name: 'MGMT_ERR_EBADSTATE', message: 'the device is in a state that does not allow this now', hint: 'Read the image state, then retry when the device is idle.' },
  7: { name: 'MGMT_ERR_EMSGSIZE', message: 'the request or its answer is too large for the device buffer', hint: 'Use a smaller chunk size or line length.' },
  8: { name: 'MGMT_ERR_ENOTSUP', message: 'the device does not support this command', hint: CHECK_FIRMWARE },
  9: { name: 'MGMT_ERR_ECORRUPT', message: 'the device found corrupt data', hint: 'Upload the image again; if it repeats, the flash may be failing.' },
  10: { name: 'MGMT_ERR_EBUSY', message: 'the device is busy with another operation', hint: 'Wait for the other operation to finish, then try again.' },
  11: { name: 'MGMT_ERR_EACCESSDENIED', message: 'the device denied access to this command', hint: 'The firmware restricts this command; check its access settings.' },
  12: { name: 'MGMT_ERR_UNSUPPORTED_TOO_OLD', message: 'the SMP protocol version of the request is too old for the device' },
  13: { name: 'MGMT_ERR_UNSUPPORTED_TOO_NEW', message: 'the SMP protocol version of the request is too new for the device' },
};

const FLASH = 'The flash may be failing or locked; reset the device and try again.';
const BAD_IMAGE = 'The image file is not a valid MCUboot image for this device; check it with `fieldbench image inspect`.';

/** IMG_MGMT_ERR_*: image group results (version 2 `err.rc` with group 1). */
const IMAGE_ERRORS: Record<number, Meaning> = {
  0: { name: 'IMG_MGMT_ERR_OK', message: 'no error' },
  1: { name: 'IMG_MGMT_ERR_UNKNOWN', message: 'the image manager reported an unknown error', hint: RETRY },
  2: { name: 'IMG_MGMT_ERR_FLASH_CONFIG_QUERY_FAIL', message: 'the device could not read its flash configuration', hint: FLASH },
  3: { name: 'IMG_MGMT_ERR_NO_IMAGE', message: 'there is no image in that slot', hint: 'Upload an image first.' },
  4: { name: 'IMG_MGMT_ERR_NO_TLVS', message: 'the image has no TLV area', hint: BAD_IMAGE },
  5: { name: 'IMG_MGMT_ERR_INVALID_TLV', message: 'the image has an invalid TLV', hint: BAD_IMAGE },
  6: { name: 'IMG_MGMT_ERR_TLV_MULTIPLE_HASHES_FOUND', message: 'the image has more than one hash TLV', hint: BAD_IMAGE },
  7: { name: 'IMG_MGMT_ERR_TLV_INVALID_SIZE', message: 'a TLV in the image has an invalid size', hint: BAD_IMAGE },
  8: { name: 'IMG_MGMT_ERR_HASH_NOT_FOUND', message: 'the image has no hash TLV', hint: BAD_IMAGE },
  9: {
    name: 'IMG_MGMT_ERR_NO_FREE_SLOT',
    message: 'there is no free slot for the image',
    hint: 'Confirm the running image or erase the secondary slot, then upload again.',
  },
  10: { name: 'IMG_MGMT_ERR_FLASH_OPEN_FAILED', message: 'the device could not open the flash area', hint: FLASH },
  11: { name: 'IMG_MGMT_ERR_FLASH_READ_FAILED', message: 'reading flash failed on the device', hint: FLASH },
  12: { name: 'IMG_MGMT_ERR_FLASH_WRITE_FAILED', message: 'writing flash failed on the device', hint: FLASH },
  13: { name: 'IMG_MGMT_ERR_FLASH_ERASE_FAILED', message: 'erasing flash failed on the device', hint: FLASH },
  14: { name: 'IMG_MGMT_ERR_INVALID_SLOT', message: 'that slot does not exist or cannot be used', hint: 'Read the image state to see the slots the device has.' },
  15: { name: 'IMG_MGMT_ERR_NO_FREE_MEMORY', message: 'the device has no free memory for the image operation', hint: 'Reset the device and try again.' },
  16: { name: 'IMG_MGMT_ERR_FLASH_CONTEXT_ALREADY_SET', message: 'an upload is already in progress on the device', hint: 'Resume or restart the upload; a reset clears it.' },
  17: { name: 'IMG_MGMT_ERR_FLASH_CONTEXT_NOT_SET', message: 'no upload is in progress on the device', hint: 'Start the upload again from offset 0.' },
  18: { name: 'IMG_MGMT_ERR_FLASH_AREA_DEVICE_NULL', message: 'the flash area has no flash device behind it', hint: 'The firmware flash layout is broken; rebuild or reflash it.' },
  19: { name: 'IMG_MGMT_ERR_INVALID_PAGE_OFFSET', message: 'the upload offset is not on a flash page boundary', hint: 'Start the upload again from offset 0.' },
  20: { name: 'IMG_MGMT_ERR_INVALID_OFFSET', message: 'the upload offset is invalid', hint: 'Start the upload again from offset 0.' },
  21: { name: 'IMG_MGMT_ERR_INVALID_LENGTH', message: 'the image length is invalid', hint: 'Check that the image file is complete.' },
  22: { name: 'IMG_MGMT_ERR_INVALID_IMAGE_HEADER', message: 'the image header is invalid', hint: BAD_IMAGE },
  23: { name: 'IMG_MGMT_ERR_INVALID_IMAGE_HEADER_MAGIC', message: 'the image header magic is wrong: this is not an MCUboot image', hint: BAD_IMAGE },
  24: { name: 'IMG_MGMT_ERR_INVALID_HASH', message: 'the image hash is invalid', hint: 'Upload the image again; if it repeats, the file may be damaged.' },
  25: { name: 'IMG_MGMT_ERR_INVALID_FLASH_ADDRESS', message: 'the image targets an invalid flash address', hint: 'Check that the image was built for this device.' },
  26: { name: 'IMG_MGMT_ERR_VERSION_GET_FAILED', message: 'the device could not read the image version', hint: RETRY },
  27: {
    name: 'IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER',
    message: 'the device runs a newer version than the image and refuses the downgrade',
    hint: 'Use an image with a higher version number.',
  },
  28: { name: 'IMG_MGMT_ERR_IMAGE_ALREADY_PENDING', message: 'another image is already pending for the next boot', hint: 'Reset the device to boot it, or erase the secondary slot.' },
  29: { name: 'IMG_MGMT_ERR_INVALID_IMAGE_VECTOR_TABLE', message: 'the image vector table is invalid', hint: BAD_IMAGE },
  30: { name: 'IMG_MGMT_ERR_INVALID_IMAGE_TOO_LARGE', message: 'the image is too large for the slot', hint: 'Use an image built for this device flash layout.' },
  31: { name: 'IMG_MGMT_ERR_INVALID_IMAGE_DATA_OVERRUN', message: 'more data was sent than the image length announced', hint: 'Start the upload again from offset 0.' },
  32: { name: 'IMG_MGMT_ERR_IMAGE_CONFIRMATION_DENIED', message: 'the device refused to confirm the image', hint: 'Read the image state; only the running image can be confirmed.' },
  33: { name: 'IMG_MGMT_ERR_IMAGE_SETTING_TEST_TO_ACTIVE_DENIED', message: 'the running image cannot be marked for test', hint: 'Mark the image in the secondary slot instead.' },
  34: { name: 'IMG_MGMT_ERR_ACTIVE_SLOT_NOT_KNOWN', message: 'the device does not know which slot is active', hint: RETRY },
};

/** OS_MGMT_ERR_*: OS group results. */
const OS_ERRORS: Record<number, Meaning> = {
  0: { name: 'OS_MGMT_ERR_OK', message: 'no error' },
  1: { name: 'OS_MGMT_ERR_UNKNOWN', message: 'the OS group reported an unknown error', hint: RETRY },
  2: { name: 'OS_MGMT_ERR_INVALID_FORMAT', message: 'the info format string has a character the device does not know', hint: 'Use only format letters the device supports (for example "s", "v", "a").' },
  3: { name: 'OS_MGMT_ERR_QUERY_YIELDS_NO_ANSWER', message: 'the device has no answer to that query' },
  4: { name: 'OS_MGMT_ERR_RTC_NOT_SET', message: 'the device clock has not been set' },
  5: { name: 'OS_MGMT_ERR_RTC_COMMAND_FAILED', message: 'the device clock command failed', hint: RETRY },
  6: { name: 'OS_MGMT_ERR_QUERY_RESPONSE_VALUE_NOT_VALID', message: 'the device recognised the query but has no valid value for it' },
};

/** STAT_MGMT_ERR_*: statistics group results. */
const STATS_ERRORS: Record<number, Meaning> = {
  0: { name: 'STAT_MGMT_ERR_OK', message: 'no error' },
  1: { name: 'STAT_MGMT_ERR_UNKNOWN', message: 'the statistics group reported an unknown error', hint: RETRY },
  2: { name: 'STAT_MGMT_ERR_INVALID_GROUP', message: 'the device has no statistics group by that name', hint: 'List the statistics groups first.' },
  3: { name: 'STAT_MGMT_ERR_INVALID_STAT_NAME', message: 'the device has no statistic by that name', hint: 'List the statistics groups first.' },
  4: { name: 'STAT_MGMT_ERR_INVALID_STAT_SIZE', message: 'the device cannot report a statistic of that size' },
  5: { name: 'STAT_MGMT_ERR_WALK_ABORTED', message: 'the device stopped while walking its statistics', hint: RETRY },
};

const GROUP_ERRORS: Record<number, Record<number, Meaning>> = {
  [SmpGroup.OS]: OS_ERRORS,
  [SmpGroup.IMAGE]: IMAGE_ERRORS,
  [SmpGroup.STATS]: STATS_ERRORS,
};

const GROUP_NAMES: Record<number, string> = {
  [SmpGroup.OS]: 'OS',
  [SmpGroup.IMAGE]: 'image',
  [SmpGroup.STATS]: 'statistics',
  [SmpGroup.SETTINGS]: 'settings',
  [SmpGroup.FS]: 'file system',
  [SmpGroup.SHELL]: 'shell',
  [SmpGroup.ZEPHYR]: 'Zephyr',
};

export function smpGroupName(group: number): string {
  return GROUP_NAMES[group] ?? `group ${group}`;
}

export interface SmpErrorDescription {
  /** The firmware's own name for the code ("IMG_MGMT_ERR_NO_FREE_SLOT"), or "rc N" when unknown. */
  name: string;
  message: string;
  hint: string;
}

/**
 * Words for a result code. `version` 1 means `rc` from the shared MGMT_ERR list (whatever the
 * group); 2 means `err.rc` from the group's own list.
 */
export function describeSmpError(group: number, rc: number, version: 1 | 2): SmpErrorDescription {
  const table = version === 1 ? MGMT_ERRORS : GROUP_ERRORS[group];
  const meaning = table?.[rc];
  if (meaning) {
    return { name: meaning.name, message: meaning.message, hint: meaning.hint ?? 'See the device log for details.' };
  }
  const scope = version === 1 ? 'result code' : `${smpGroupName(group)} group error`;
  return {
    name: `rc ${rc}`,
    message: `the device answered with ${scope} ${rc}, which Fieldbench does not know`,
    hint: 'See the device firmware documentation or its log for what this code means.',
  };
}

/** A failure a device put in its answer, in either protocol version's form. */
export interface SmpResult {
  /** 1: a shared MGMT_ERR `rc`; 2: a group error from `err: { group, rc }`. */
  version: 1 | 2;
  group: number;
  rc: number;
}

/**
 * The failure in a response body, or null when it reports success. A version 2 device may
 * still answer `rc` (for errors outside any group, such as an unknown command), so both
 * forms are looked at whatever the header said.
 */
export function smpResultOf(body: CborValue, requestGroup: number): SmpResult | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array) return null;
  const rc = body['rc'];
  if (typeof rc === 'number' && rc !== 0) return { version: 1, group: requestGroup, rc };
  const err = body['err'];
  if (typeof err === 'object' && err !== null && !Array.isArray(err) && !(err instanceof Uint8Array)) {
    const groupRc = err['rc'];
    const group = err['group'];
    if (typeof groupRc === 'number' && groupRc !== 0) return { version: 2, group: typeof group === 'number' ? group : requestGroup, rc: groupRc };
  }
  return null;
}
