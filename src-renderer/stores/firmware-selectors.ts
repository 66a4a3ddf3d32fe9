// How a firmware job, its steps, its progress and an image inspection read on screen.
// Kept out of components so the wording is tested under Node and the same everywhere.
import type {
  Device,
  DeviceFirmware,
  FirmwareJob,
  FirmwareJobStep,
  FirmwareOutcome,
  FirmwareProgress,
  FirmwareStep,
  ImageFormat,
  ImageInspection,
  ImageSlot,
  KeyVerdict,
} from '../../src-main/api/schemas';
import { formatBytes, formatRate, formatTimeLeft, percentOf } from '../format/format-transfer';
import { suffixIds, usbIds } from './usb-selectors';

export type Tone = 'ok' | 'warn' | 'fail' | 'busy' | 'neutral';

export const stepLabel: Record<FirmwareStep, string> = {
  preflight: 'Check image and device',
  upload: 'Upload',
  test: 'Mark for test',
  reset: 'Reset',
  reconnect: 'Wait for the device',
  verify: 'Check the running image',
  'health-check': 'Health check',
  confirm: 'Confirm',
  revert: 'Revert',
  detach: 'Switch into DFU mode (detach)',
  erase: 'Erase',
  write: 'Write',
  manifest: 'Leave DFU mode and start the firmware',
};

/** Where a DFU job's step means something else than the MCUboot step of the same name. */
const dfuStepLabel: Partial<Record<FirmwareStep, string>> = {
  reconnect: 'Wait for the bootloader',
  verify: 'Read back and compare',
};

/**
 * A step's label for the job's kind: a USB job is a DFU job. A DFU job reconnects twice: to
 * the bootloader after detach, and to the new application after manifest.
 */
export function stepLabelFor(step: FirmwareStep, transport: FirmwareJob['device']['transport'], afterManifest = false): string {
  if (transport !== 'usb') return stepLabel[step];
  if (step === 'reconnect' && afterManifest) return 'Wait for the new firmware to start';
  return dfuStepLabel[step] ?? stepLabel[step];
}

export const imageFormatLabel: Record<ImageFormat, string> = {
  mcuboot: 'MCUboot image',
  ihex: 'Intel HEX',
  srec: 'Motorola S-record',
  raw: 'Raw binary',
  dfu: 'USB DFU file',
  dfuse: 'DfuSe file',
};

export const keyVerdictText: Record<KeyVerdict, { label: string; tone: Tone }> = {
  valid: { label: 'Valid signature', tone: 'ok' },
  'bad-hash': { label: 'Hash does not match', tone: 'fail' },
  'no-signature-for-key': { label: 'Not signed with this key', tone: 'warn' },
};

/** MCUboot's modes as 'smp.info' numbers them (enum mcuboot_mode). */
const bootloaderModes = [
  'single slot',
  'swap using scratch',
  'overwrite only',
  'swap using move',
  'direct XIP',
  'direct XIP with revert',
  'RAM load',
  'firmware loader',
  'single slot RAM load',
  'swap using offset',
];

export function bootloaderModeText(mode: number | null): string {
  if (mode === null) return 'Not reported';
  const name = bootloaderModes[mode];
  return name ? `${name} (${mode})` : `mode ${mode}`;
}

// ------------------------------------------------------------------ steps

export type StepRowStatus = 'running' | 'done' | 'failed' | 'skipped' | 'stopped';

export interface StepRow {
  key: string;
  step: FirmwareStep;
  label: string;
  status: StepRowStatus;
  startedAt: string;
  detail: string | null;
  /** Runs as part of another step still open (the reset and reconnect of a revert). */
  nested: boolean;
}

export const stepStatusText: Record<StepRowStatus, { label: string; tone: Tone }> = {
  running: { label: 'Running', tone: 'busy' },
  done: { label: 'Done', tone: 'ok' },
  failed: { label: 'Failed', tone: 'fail' },
  skipped: { label: 'Skipped', tone: 'neutral' },
  stopped: { label: 'Stopped', tone: 'warn' },
};

/**
 * The journal as one row per step run: each 'started' opens a row, and the next end of the
 * same step (done, failed, skipped) closes it. A step can run twice (reset and reconnect
 * come again when reverting), so rows pair up in order rather than by name alone.
 */
export function stepRows(job: Pick<FirmwareJob, 'steps' | 'state'> & { device?: Pick<FirmwareJob['device'], 'transport'> }): StepRow[] {
  const transport = job.device?.transport ?? 'serial';
  let manifested = false;
  const label = (step: FirmwareStep) => stepLabelFor(step, transport, manifested);
  const rows: StepRow[] = [];
  const open = new Map<FirmwareStep, StepRow>();
  job.steps.forEach((entry: FirmwareJobStep, index) => {
    if (entry.step === 'manifest') manifested = true;
    if (entry.status === 'started') {
      const nested = open.has('revert');
      const row: StepRow = { key: `${index}`, step: entry.step, label: label(entry.step), status: 'running', startedAt: entry.at, detail: entry.detail, nested };
      open.set(entry.step, row);
      rows.push(row);
      return;
    }
    const row = open.get(entry.step);
    if (row) {
      open.delete(entry.step);
      row.status = entry.status;
      row.detail = entry.detail ?? row.detail;
    } else {
      rows.push({ key: `${index}`, step: entry.step, label: label(entry.step), status: entry.status, startedAt: entry.at, detail: entry.detail, nested: open.has('revert') });
    }
  });
  // A finished job leaves nothing running: a row still open was cut short.
  if (job.state === 'finished') for (const row of open.values()) row.status = 'stopped';
  return rows;
}

export const NOT_CANCELLABLE =
  'Cancel is no longer possible: the device is switching images, and stopping now could leave it between images. It finishes by itself within seconds.';

export const NOT_CANCELLABLE_DFU =
  'Cancel is possible only while the flash is erased or written; in the other steps the device is switching modes or checking what was written, and that finishes by itself within seconds.';

export function notCancellableText(transport: FirmwareJob['device']['transport']): string {
  return transport === 'usb' ? NOT_CANCELLABLE_DFU : NOT_CANCELLABLE;
}

// ------------------------------------------------------------------ progress

export interface ProgressView {
  percent: number;
  /** "Uploading", "Erasing", "Writing", "Verifying" */
  phase: string;
  /** "42% · 120 KiB of 284 KiB · 11.2 KiB/s · 15 s left" */
  text: string;
}

/** The steps that move bytes and so report progress, with what the bar is doing. */
export const progressPhase: Partial<Record<FirmwareStep, string>> = {
  upload: 'Uploading',
  erase: 'Erasing',
  write: 'Writing',
  verify: 'Verifying',
};

export function progressView(progress: Pick<FirmwareProgress, 'sent' | 'total' | 'bytesPerSecond' | 'secondsLeft'> & { step?: FirmwareStep }): ProgressView {
  const percent = percentOf(progress.sent, progress.total);
  const parts = [`${percent}%`, `${formatBytes(progress.sent)} of ${formatBytes(progress.total)}`, formatRate(progress.bytesPerSecond)];
  if (progress.sent < progress.total) parts.push(formatTimeLeft(progress.secondsLeft));
  const step = progress.step ?? 'upload';
  return { percent, phase: progressPhase[step] ?? stepLabel[step], text: parts.join(' · ') };
}

// ------------------------------------------------------------------ outcome

export interface OutcomeView {
  outcome: FirmwareOutcome;
  tone: Tone;
  /** One line that cannot be misread: what the device runs now. */
  title: string;
  /** Why, and what to do next. */
  lines: string[];
}

function failedStep(job: Pick<FirmwareJob, 'steps'>): FirmwareStep | null {
  return [...job.steps].reverse().find((s) => s.status === 'failed')?.step ?? null;
}

export function outcomeView(job: FirmwareJob): OutcomeView | null {
  if (job.state !== 'finished' || job.outcome === null) return null;
  const image = job.image.version ?? job.image.fileName;
  const before = job.versionBefore ?? 'its previous image';
  const runs = job.versionAfter ? `The device runs ${job.versionAfter}.` : 'Which image the device runs now is not known; read the slots.';
  const reason = job.reason ? [`Reason: ${job.reason}`] : [];
  const dfu = job.device.transport === 'usb';
  switch (job.outcome) {
    case 'verified':
      return {
        outcome: 'verified',
        tone: 'ok',
        title: `Verified: ${job.image.fileName} written and read back identical`,
        lines: [`${formatBytes(job.uploaded)} written; every byte read back from the device matches the file.`, ...reason],
      };
    case 'written':
      return {
        outcome: 'written',
        tone: 'warn',
        title: `Written: ${job.image.fileName} is on the device, not verified`,
        lines: [`${formatBytes(job.uploaded)} written, but the device allows no read-back, so it was not verified.`, ...reason],
      };
    case 'confirmed':
      return {
        outcome: 'confirmed',
        tone: 'ok',
        title: `Confirmed: the device runs ${job.versionAfter ?? image}`,
        lines: [`Updated from ${before} to ${job.versionAfter ?? image}; the new image is confirmed and stays after a reset.`],
      };
    case 'reverted':
      return {
        outcome: 'reverted',
        tone: 'warn',
        title: `Reverted: the device runs ${job.versionAfter ?? before} again`,
        lines: [...reason, `${image} is not running; MCUboot went back to the image it had before.`],
      };
    case 'booted':
      return {
        outcome: 'booted',
        tone: 'warn',
        title: `On trial: the device runs ${job.versionAfter ?? image}, not yet confirmed`,
        lines: [`Confirm it to keep it; the next reset goes back to ${before}.`, ...reason],
      };
    case 'uploaded':
      return {
        outcome: 'uploaded',
        tone: 'ok',
        title: `Uploaded: ${image} waits in the secondary slot`,
        lines: [`The device still runs ${job.versionAfter ?? before}.`, ...reason],
      };
    case 'failed': {
      const step = failedStep(job);
      return {
        outcome: 'failed',
        tone: 'fail',
        title: step ? `Failed at “${stepLabelFor(step, job.device.transport)}”` : 'Failed',
        // A DFU job's reason says what state the flash was left in; DFU reports no image version.
        lines: dfu ? reason : [...reason, runs],
      };
    }
    case 'cancelled':
      return { outcome: 'cancelled', tone: 'neutral', title: 'Cancelled', lines: dfu ? reason : [...reason, runs] };
  }
}

// ------------------------------------------------------------------ slots and inspection

/** The one warning firmware.inspect gives every file that is not MCUboot: about MCUboot devices only. */
const NOT_MCUBOOT_WARNING = /^not an MCUboot image\b/;

/** The inspection's warnings that concern this device: a DFU device takes files that are not MCUboot images. */
export function inspectionWarnings(inspection: Pick<ImageInspection, 'warnings'>, dfu: boolean): string[] {
  return dfu ? inspection.warnings.filter((warning) => !NOT_MCUBOOT_WARNING.test(warning)) : [...inspection.warnings];
}

/** What the job is called above its steps: the MCUboot version it installs, or the file a DFU job writes. */
export function jobHeading(job: Pick<FirmwareJob, 'image' | 'versionBefore' | 'device'>): string {
  // A DFU file's "version" is its suffix's bcdDevice, which says nothing about the firmware inside.
  if (job.device.transport === 'usb') return `Flash ${job.image.fileName}`;
  return `Update to ${job.image.version ?? job.image.fileName}${job.versionBefore ? ` from ${job.versionBefore}` : ''}`;
}

/** "Active, confirmed" — a slot's flags in words, so no meaning rests on a tick mark alone. */
export function slotFlags(slot: ImageSlot): string[] {
  const flags: string[] = [];
  if (slot.active) flags.push('active');
  if (slot.confirmed) flags.push('confirmed');
  if (slot.pending) flags.push(slot.permanent ? 'pending (permanent)' : 'pending (test)');
  if (!slot.bootable) flags.push('not bootable');
  return flags;
}

/** "hash OK", "hash DOES NOT MATCH", or null where the format has no hash to check. */
export function hashText(inspection: Pick<ImageInspection, 'hashOk'>): { label: string; tone: Tone } | null {
  if (inspection.hashOk === null) return null;
  return inspection.hashOk ? { label: 'Hash OK', tone: 'ok' } : { label: 'Hash does not match', tone: 'fail' };
}

/** Whether the panel should offer Flash for this file at all (the core has the last word). */
const formatPhrase: Record<ImageFormat, string> = {
  mcuboot: 'an MCUboot image',
  ihex: 'an Intel HEX file',
  srec: 'a Motorola S-record file',
  raw: 'a raw binary',
  dfu: 'a USB DFU file',
  dfuse: 'a DfuSe file',
};

export function flashBlocker(inspection: ImageInspection, firmware: DeviceFirmware | null = null): string | null {
  if (firmware?.method === 'usb-dfu') return dfuFlashBlocker(inspection, firmware);
  if (inspection.format !== 'mcuboot') {
    return `This is ${formatPhrase[inspection.format]}, not an MCUboot image; an update over SMP needs the signed .bin the build wrote for MCUboot.`;
  }
  if (inspection.hashOk === false) return 'The image hash does not match its contents: the file is damaged or was changed after signing.';
  return null;
}

function dfuFlashBlocker(inspection: ImageInspection, firmware: Extract<DeviceFirmware, { method: 'usb-dfu' }>): string | null {
  if (inspection.dfu && !inspection.dfu.suffix.crcOk) return 'The DFU suffix CRC does not match the file: it is damaged or was changed after it was made.';
  if (inspection.format === 'dfuse' && !firmware.dfuse) {
    return 'This is a DfuSe file (addresses per element), but the device speaks plain DFU 1.1; flash the raw binary or a plain .dfu file instead.';
  }
  return null;
}

// ------------------------------------------------------------------ DFU options

/** What a USB DFU device and a file say about the options the panel must offer. */
export interface DfuFileFacts {
  /** A raw binary for a DfuSe device: it needs a start address. */
  addressNeeded: boolean;
  /** The file's suffix names other ids than the device's: ignoring that must be asked for. */
  idMismatch: { file: string; device: string } | null;
  /** The alt setting a DfuSe file's (first) target is for. */
  fileAlt: number | null;
}

export function dfuFileFacts(inspection: ImageInspection, device: Pick<Device, 'usb' | 'firmware'>): DfuFileFacts {
  const dfuse = device.firmware?.method === 'usb-dfu' && device.firmware.dfuse;
  const addressNeeded = dfuse && (inspection.format === 'raw' || inspection.format === 'mcuboot');
  const fileAlt = inspection.dfu?.targets?.[0]?.alt ?? null;
  return { addressNeeded, idMismatch: suffixMismatch(inspection, device), fileAlt };
}

function suffixMismatch(inspection: ImageInspection, device: Pick<Device, 'usb'>): DfuFileFacts['idMismatch'] {
  const suffix = inspection.dfu?.suffix;
  const usb = device.usb;
  if (!suffix || !usb) return null;
  const vendor = Number.parseInt(usb.vendorId, 16);
  const product = Number.parseInt(usb.productId, 16);
  const vendorDiffers = suffix.idVendor !== 0xffff && suffix.idVendor !== vendor;
  // An application's product id is not its bootloader's: in runtime mode only the vendor can be
  // compared now, and the job compares both once the device is in DFU mode.
  const productDiffers = usb.dfu?.mode === 'dfu' && suffix.idProduct !== 0xffff && suffix.idProduct !== product;
  return vendorDiffers || productDiffers ? { file: suffixIds(suffix), device: usbIds(usb) } : null;
}
