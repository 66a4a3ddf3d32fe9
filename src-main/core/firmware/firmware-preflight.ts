// The checks before anything is written to a device: the image is a valid MCUboot image,
// signed with a key the profile requires, fits the slot, is not the image already running,
// and is not a downgrade unless the user said so. Pure: inspection and slots in, verdict out.
import { FieldbenchError } from '../../api/errors';
import type { FirmwareJobOptions, ImageInspection } from '../../api/schemas';
import { compareMcubootVersions, parseMcubootVersion } from '../../firmware-images/mcuboot-version';
import type { McumgrSerialFirmware } from '../profiles/profile-types';
import type { ImageSlot } from './image-slots';

export interface PreflightResult {
  /** The version to go back to if this update is not confirmed: the one the device ran before it. */
  runningVersion: string | null;
  /**
   * The device already runs this very image, not yet confirmed (an earlier update was cut off
   * before its confirm): nothing to upload; check its health and confirm it.
   */
  finishEarlierUpdate: boolean;
  /** Sentences for the journal: what was checked and found good. */
  checked: string[];
}

function refusal(deviceLabel: string, message: string, hint: string): FieldbenchError {
  return new FieldbenchError({ code: 'invalid-request', message, device: deviceLabel, step: 'firmware preflight', hint });
}

const FORMAT_PHRASE: Record<ImageInspection['format'], string> = {
  mcuboot: 'an MCUboot image',
  ihex: 'an ihex file',
  srec: 'an srec file',
  raw: 'a raw binary',
  dfu: 'a USB DFU file',
  dfuse: 'a DfuSe file',
};

/** What can be told from the file and the profile alone; refused before a job even starts. Returns the image hash. */
export function checkImage(inspection: ImageInspection, firmware: McumgrSerialFirmware, requiredKeys: string[], deviceLabel: string): { hash: string; checked: string[] } {
  const checked: string[] = [];
  if (inspection.format !== 'mcuboot') {
    throw refusal(
      deviceLabel,
      `the file is ${FORMAT_PHRASE[inspection.format]}, not an MCUboot image`,
      'Flash the signed .bin that the build wrote for MCUboot (zephyr.signed.bin), not the plain application image.',
    );
  }
  if (inspection.sha256 === null) {
    throw refusal(deviceLabel, 'the image has no SHA-256 hash TLV, which the bootloader uses to identify it', 'Sign the image with imgtool, which adds the hash.');
  }
  if (inspection.hashOk !== true) {
    throw refusal(deviceLabel, 'the image hash does not match its contents: the file is damaged or was changed after signing', 'Get the image again from the build or the release.');
  }
  checked.push(`image ${inspection.version ?? '?'} is a valid MCUboot image (hash checked)`);

  if (requiredKeys.length > 0) {
    const valid = inspection.keys.filter((k) => k.verdict === 'valid').map((k) => k.key);
    if (!requiredKeys.some((key) => valid.includes(key))) {
      throw refusal(
        deviceLabel,
        `the image is not signed with a key this device accepts (${requiredKeys.join(', ')})`,
        'The bootloader would refuse it. Flash an image signed with the release key.',
      );
    }
    checked.push(`signature valid for ${valid.join(', ')}`);
  }

  const needed = inspection.headerSize + inspection.imageSize;
  if (needed > firmware.slotSize) {
    throw refusal(deviceLabel, `the image needs ${needed} bytes but a slot holds ${firmware.slotSize}`, 'The image does not fit this device; check that it was built for this board.');
  }
  checked.push(`fits the ${firmware.slotSize}-byte slot`);
  return { hash: inspection.sha256, checked };
}

/** What needs the device: not the image it already runs, and no downgrade without consent. */
export function checkAgainstDevice(
  inspection: ImageInspection,
  hash: string,
  slots: ImageSlot[],
  options: FirmwareJobOptions,
  deviceLabel: string,
): PreflightResult {
  const checked: string[] = [];
  const running = slots.find((slot) => slot.active) ?? null;
  if (running && running.hash === hash) {
    if (running.confirmed) {
      throw refusal(deviceLabel, `the device already runs this image (${running.version})`, 'Nothing to do; pick another image to change the firmware.');
    }
    const previous = slots.find((slot) => !slot.active && slot.hash !== hash) ?? null;
    checked.push(`the device already runs ${running.version}, not yet confirmed: its health is checked and it is confirmed, without uploading again`);
    return { runningVersion: previous?.version ?? null, checked, finishEarlierUpdate: true };
  }
  if (running && inspection.version) {
    const order = compareMcubootVersions(parseMcubootVersion(inspection.version), parseMcubootVersion(running.version));
    if (order < 0 && !options.allowDowngrade) {
      throw refusal(
        deviceLabel,
        `${inspection.version} is older than the running ${running.version}`,
        'A downgrade needs explicit consent (allow downgrade); the device may also refuse it if it enforces a security counter.',
      );
    }
    checked.push(order < 0 ? `downgrade from ${running.version} allowed` : `newer than or equal to the running ${running.version}`);
  }
  return { runningVersion: running?.version ?? null, checked, finishEarlierUpdate: false };
}
