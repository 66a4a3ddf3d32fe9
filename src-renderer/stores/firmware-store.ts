// The firmware panel's state per device: the chosen file (read, encoded and inspected),
// the update options, the case to journal to, and the job as the core reports it through
// 'firmware.job' and 'firmware.progress'. The core owns the truth about a job; this store
// only keeps the newest word it has heard, and reads the slots before and after through
// the SMP store so the device page's slot table follows the update too.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { CaseSummary, Device, FirmwareJob, FirmwareJobOptions, FirmwareProgress, ImageInspection, ImageSlot } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import { bytesToBase64 } from '../firmware/bytes-to-base64';
import { dfuFileFacts } from './firmware-selectors';
import { firstWritableAddress, hex32, parseHexAddress } from './usb-selectors';

/** What the panel needs of a picked or dropped File (a File has it; tests pass plain objects). */
export interface FileSource {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A public key file (PEM), to check the image's signature against. */
export interface KeySource {
  name: string;
  text(): Promise<string>;
}

export interface FirmwareChoices {
  uploadOnly: boolean;
  allowDowngrade: boolean;
  /** Boot the new image for a test, then let MCUboot revert it. */
  doNotConfirm: boolean;
}

/** How to flash a USB DFU device (FirmwareJobOptions.dfu as the panel holds it). */
export interface DfuChoices {
  /** The alt setting picked; null: the file's target, else the profile's, else 0. */
  alt: number | null;
  /** Where a raw binary goes on a DfuSe device, as typed ("0x08000000"). */
  addressText: string;
  massErase: boolean;
  /** Leave DFU mode and start the new firmware afterwards. */
  leave: boolean;
  /** Only ever true after the person confirmed that it erases the whole flash. */
  readUnprotect: boolean;
  ignoreIdMismatch: boolean;
}

export interface DeviceFirmware {
  file: { name: string; size: number } | null;
  /** While the file is read and encoded: bytes done of total. */
  preparing: { done: number; total: number } | null;
  inspecting: boolean;
  inspection: ImageInspection | null;
  /** The file could not be read, or the core would not inspect it. */
  fileError: ApiErrorShape | null;
  keyNames: string[];
  choices: FirmwareChoices;
  dfu: DfuChoices;
  /** The device's open cases, newest first, for the journal. */
  cases: CaseSummary[];
  caseId: string | null;
  starting: boolean;
  /** The core refused to start (image problems, device busy, ...). */
  startError: ApiErrorShape | null;
  jobId: string | null;
  cancelling: boolean;
  cancelError: ApiErrorShape | null;
  /** The slots read just before the update started, and just after it ended. */
  slotsBefore: ImageSlot[] | null;
  slotsAfter: ImageSlot[] | null;
  /** The slots are being read after the job ended. */
  readingSlotsAfter: boolean;
}

export interface FirmwareState {
  byDevice: Record<string, DeviceFirmware>;
  /** Every job heard of this session, by id. */
  jobs: Record<string, FirmwareJob>;
  /** The latest upload progress of each running job. */
  progress: Record<string, FirmwareProgress>;
  chooseFile(deviceId: string, file: FileSource): Promise<void>;
  chooseKeys(deviceId: string, keys: readonly KeySource[]): Promise<void>;
  setChoice(deviceId: string, name: keyof FirmwareChoices, value: boolean): void;
  setDfuChoice(deviceId: string, change: Partial<DfuChoices>): void;
  loadCases(deviceId: string, deviceSerial: string): Promise<void>;
  setCase(deviceId: string, caseId: string | null): void;
  flash(deviceId: string): Promise<void>;
  cancel(deviceId: string): Promise<void>;
  /** Ask the core again about jobs still running here (after a reconnect: events were missed). */
  refreshRunning(): Promise<void>;
}

export type FirmwareStore = StoreApi<FirmwareState> & { stop(): void };

export interface FirmwareStoreDeps {
  /** Reads the slots (and shows them on the device page); rejects when the device cannot say. */
  readSlots(deviceId: string): Promise<ImageSlot[]>;
  /** The device as the device list has it now: how it is flashed, its USB descriptors. */
  deviceOf?(deviceId: string): Device | undefined;
}

export const NO_FIRMWARE: DeviceFirmware = Object.freeze({
  file: null,
  preparing: null,
  inspecting: false,
  inspection: null,
  fileError: null,
  keyNames: [],
  choices: Object.freeze({ uploadOnly: false, allowDowngrade: false, doNotConfirm: false }),
  dfu: Object.freeze({ alt: null, addressText: '', massErase: false, leave: true, readUnprotect: false, ignoreIdMismatch: false }),
  cases: [],
  caseId: null,
  starting: false,
  startError: null,
  jobId: null,
  cancelling: false,
  cancelError: null,
  slotsBefore: null,
  slotsAfter: null,
  readingSlotsAfter: false,
});

export function jobOptions(choices: FirmwareChoices): FirmwareJobOptions {
  return { uploadOnly: choices.uploadOnly, allowDowngrade: choices.allowDowngrade, confirm: choices.doNotConfirm ? 'never' : 'auto' };
}

/** The alt setting a DFU flash goes through: the one picked, else the file's target; null leaves it to the device's profile. */
export function chosenAlt(dfu: Pick<DfuChoices, 'alt'>, inspection: ImageInspection, device: Pick<Device, 'usb' | 'firmware'>): number | null {
  return dfu.alt ?? dfuFileFacts(inspection, device).fileAlt;
}

/**
 * A USB DFU job's options from the panel's choices. The address goes only with a file that
 * needs one, and ignoring an id mismatch only when there is one, so a stale tick on an
 * earlier file never loosens a check for this one. Null when the typed address is not hex.
 */
export function dfuJobOptions(dfu: DfuChoices, inspection: ImageInspection, device: Pick<Device, 'usb' | 'firmware'>): FirmwareJobOptions | null {
  const facts = dfuFileFacts(inspection, device);
  const dfuse = device.firmware?.method === 'usb-dfu' && device.firmware.dfuse;
  const alt = chosenAlt(dfu, inspection, device);
  const options: NonNullable<FirmwareJobOptions['dfu']> = { leave: dfu.leave };
  if (alt !== null) options.alt = alt;
  if (facts.addressNeeded && dfu.addressText.trim() !== '') {
    const address = parseHexAddress(dfu.addressText);
    if (address === null) return null;
    options.address = address;
  }
  if (facts.idMismatch && dfu.ignoreIdMismatch) options.ignoreIdMismatch = true;
  if (dfuse && dfu.massErase) options.massErase = true;
  if (dfuse && dfu.readUnprotect) options.readUnprotect = true;
  return { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu: options };
}

/**
 * Whether `next` says more than `known` about the same job. Events and the answer to
 * 'firmware.flash' can arrive in either order, so an older word must not undo a newer one.
 */
export function isNewerWord(next: FirmwareJob, known: FirmwareJob): boolean {
  if (known.state === 'finished' && next.state !== 'finished') return false;
  if (next.state === 'finished' && known.state !== 'finished') return true;
  if (next.steps.length !== known.steps.length) return next.steps.length > known.steps.length;
  return Date.parse(next.updatedAt) >= Date.parse(known.updatedAt);
}

export function currentJob(state: Pick<FirmwareState, 'byDevice' | 'jobs'>, deviceId: string): FirmwareJob | null {
  const jobId = state.byDevice[deviceId]?.jobId;
  return jobId ? (state.jobs[jobId] ?? null) : null;
}

export function createFirmwareStore(api: FieldbenchApi, deps: FirmwareStoreDeps): FirmwareStore {
  /** The encoded file per device: large, never rendered, so kept out of the state. */
  const contents = new Map<string, { fileName: string; base64: string }>();
  const keys = new Map<string, { name: string; pem: string }[]>();
  /** Bumped on each pick, so a slow read of an earlier file cannot land over a later one. */
  const picks = new Map<string, number>();
  /** Stops encoding a file the person has already replaced. */
  const encodings = new Map<string, AbortController>();
  /** Devices whose case the person chose themselves (no more preselecting). */
  const caseChosen = new Set<string>();

  const store = createStore<FirmwareState>()((set, get) => {
    const entry = (deviceId: string) => get().byDevice[deviceId] ?? NO_FIRMWARE;
    const patch = (deviceId: string, change: Partial<DeviceFirmware>) =>
      set((state) => ({ byDevice: { ...state.byDevice, [deviceId]: { ...(state.byDevice[deviceId] ?? NO_FIRMWARE), ...change } } }));
    const keysFor = (deviceId: string) => {
      const list = keys.get(deviceId) ?? [];
      return list.length > 0 ? { keys: list } : {};
    };

    async function inspect(deviceId: string, pick: number): Promise<void> {
      const content = contents.get(deviceId);
      if (!content) return;
      patch(deviceId, { inspecting: true, fileError: null });
      try {
        const inspection = await api.invoke('firmware.inspect', { fileName: content.fileName, contentBase64: content.base64, ...keysFor(deviceId) });
        if (picks.get(deviceId) === pick) patch(deviceId, { inspection, inspecting: false, ...addressPrefill(deviceId, inspection) });
      } catch (error) {
        if (picks.get(deviceId) === pick) patch(deviceId, { inspection: null, inspecting: false, fileError: toApiRequestError(error, 'firmware.inspect').toShape() });
      }
    }

    /** A raw binary for a DfuSe device gets the start of the alt's first writable region, unless an address is typed already. */
    function addressPrefill(deviceId: string, inspection: ImageInspection): Partial<DeviceFirmware> {
      const device = deps.deviceOf?.(deviceId);
      const dfu = entry(deviceId).dfu;
      if (!device || dfu.addressText !== '' || !dfuFileFacts(inspection, device).addressNeeded) return {};
      const alt = chosenAlt(dfu, inspection, device) ?? 0;
      const address = firstWritableAddress(device.usb?.dfu?.alts.find((a) => a.alternateSetting === alt));
      return address === null ? {} : { dfu: { ...dfu, addressText: hex32(address) } };
    }

    return {
      byDevice: {},
      jobs: {},
      progress: {},

      async chooseFile(deviceId, file) {
        const pick = (picks.get(deviceId) ?? 0) + 1;
        picks.set(deviceId, pick);
        encodings.get(deviceId)?.abort();
        const encoding = new AbortController();
        encodings.set(deviceId, encoding);
        contents.delete(deviceId);
        patch(deviceId, {
          file: { name: file.name, size: file.size },
          preparing: { done: 0, total: file.size },
          inspecting: false,
          inspection: null,
          fileError: null,
          startError: null,
        });
        try {
          const bytes = new Uint8Array(await file.arrayBuffer());
          const base64 = await bytesToBase64(bytes, {
            signal: encoding.signal,
            onProgress: (done, total) => {
              if (picks.get(deviceId) === pick) patch(deviceId, { preparing: { done, total } });
            },
          });
          if (picks.get(deviceId) !== pick) return;
          contents.set(deviceId, { fileName: file.name, base64 });
          patch(deviceId, { preparing: null });
        } catch (error) {
          if (picks.get(deviceId) === pick) patch(deviceId, { preparing: null, fileError: toApiRequestError(error, `read ${file.name}`).toShape() });
          return;
        }
        await inspect(deviceId, pick);
      },

      async chooseKeys(deviceId, sources) {
        try {
          const read = await Promise.all(sources.map(async (source) => ({ name: source.name, pem: await source.text() })));
          keys.set(deviceId, read);
          patch(deviceId, { keyNames: read.map((k) => k.name) });
        } catch (error) {
          patch(deviceId, { fileError: toApiRequestError(error, 'read public key').toShape() });
          return;
        }
        // The verdicts are per key: ask again with the new ones.
        await inspect(deviceId, picks.get(deviceId) ?? 0);
      },

      setChoice(deviceId, name, value) {
        patch(deviceId, { choices: { ...entry(deviceId).choices, [name]: value } });
      },

      setDfuChoice(deviceId, change) {
        patch(deviceId, { dfu: { ...entry(deviceId).dfu, ...change } });
      },

      async loadCases(deviceId, deviceSerial) {
        try {
          const cases = await api.invoke('cases.list', { status: 'open', deviceSerial });
          const current = entry(deviceId).caseId;
          const stillOpen = current !== null && cases.some((c) => c.id === current);
          // The newest open case of this device is most likely the one being worked on.
          const caseId = caseChosen.has(deviceId) ? (stillOpen ? current : null) : (cases[0]?.id ?? null);
          patch(deviceId, { cases, caseId });
        } catch {
          // Without the list the update simply is not journaled to a case; nothing to report.
          patch(deviceId, { cases: [] });
        }
      },

      setCase(deviceId, caseId) {
        caseChosen.add(deviceId);
        patch(deviceId, { caseId });
      },

      async flash(deviceId) {
        const content = contents.get(deviceId);
        const state = entry(deviceId);
        const running = currentJob(get(), deviceId)?.state === 'running';
        if (!content || state.starting || running) return;
        const device = deps.deviceOf?.(deviceId);
        const dfu = device?.firmware?.method === 'usb-dfu';
        let options = jobOptions(state.choices);
        if (dfu) {
          const dfuOptions = state.inspection ? dfuJobOptions(state.dfu, state.inspection, device) : null;
          if (!dfuOptions) {
            patch(deviceId, { startError: { code: 'invalid-request', message: `'${state.dfu.addressText}' is not a start address`, hint: 'Type it in hex, such as 0x08000000.' } });
            return;
          }
          options = dfuOptions;
        }
        patch(deviceId, { starting: true, startError: null, cancelError: null, slotsBefore: null, slotsAfter: null });
        let slotsBefore: ImageSlot[] | null = null;
        // A DFU device has no image slots: its bootloader only writes and reads flash.
        if (!dfu) {
          try {
            slotsBefore = await deps.readSlots(deviceId);
          } catch {
            // The job's own preflight reads them again and says what is wrong.
          }
        }
        patch(deviceId, { slotsBefore });
        try {
          const job = await api.invoke('firmware.flash', {
            deviceId,
            fileName: content.fileName,
            contentBase64: content.base64,
            options,
            ...keysFor(deviceId),
            ...(state.caseId ? { caseId: state.caseId } : {}),
          });
          adopt(job);
          patch(deviceId, { starting: false });
        } catch (error) {
          patch(deviceId, { starting: false, startError: toApiRequestError(error, 'firmware.flash').toShape() });
        }
      },

      async cancel(deviceId) {
        const job = currentJob(get(), deviceId);
        if (!job || job.state !== 'running' || entry(deviceId).cancelling) return;
        patch(deviceId, { cancelling: true, cancelError: null });
        try {
          adopt(await api.invoke('firmware.cancel', { jobId: job.id }));
          patch(deviceId, { cancelling: false });
        } catch (error) {
          patch(deviceId, { cancelling: false, cancelError: toApiRequestError(error, 'firmware.cancel').toShape() });
        }
      },

      async refreshRunning() {
        const running = Object.values(get().jobs).filter((job) => job.state === 'running');
        await Promise.all(
          running.map(async (job) => {
            try {
              adopt(await api.invoke('firmware.job', { jobId: job.id }));
            } catch {
              // Still down or gone: the next reconnect asks again.
            }
          }),
        );
      },
    };
  });

  /** Take a word about a job, from an event or an answer, if it is news. */
  function adopt(job: FirmwareJob): void {
    const state = store.getState();
    const known = state.jobs[job.id];
    if (known && !isNewerWord(job, known)) return;
    const finishedNow = job.state === 'finished' && known?.state !== 'finished';
    const device = state.byDevice[job.deviceId] ?? NO_FIRMWARE;
    const shown = device.jobId ? state.jobs[device.jobId] : undefined;
    // A job started elsewhere (another window, the CLI through the same core) is shown too:
    // the device is busy with it either way.
    const take = !shown || shown.id === job.id || Date.parse(job.startedAt) >= Date.parse(shown.startedAt);
    const progress = { ...state.progress };
    if (job.state === 'finished') delete progress[job.id];
    // Slots read for another job do not describe this one; a flash started here has just read them.
    const slotsFor = take && shown?.id !== job.id && !device.starting ? { slotsBefore: null, slotsAfter: null } : {};
    store.setState({
      jobs: { ...state.jobs, [job.id]: job },
      progress,
      byDevice: take ? { ...state.byDevice, [job.deviceId]: { ...device, ...slotsFor, jobId: job.id } } : state.byDevice,
    });
    if (finishedNow && take && job.device.transport !== 'usb') {
      // The core reads the device's identity again itself; 'devices.changed' brings it here.
      void readSlotsAfter(job.deviceId, job.id);
    }
  }

  async function readSlotsAfter(deviceId: string, jobId: string): Promise<void> {
    const patchShown = (change: Partial<DeviceFirmware>) => {
      const state = store.getState();
      const device = state.byDevice[deviceId];
      if (device?.jobId === jobId) store.setState({ byDevice: { ...state.byDevice, [deviceId]: { ...device, ...change } } });
    };
    patchShown({ readingSlotsAfter: true });
    let slots: ImageSlot[] | null = null;
    try {
      slots = await deps.readSlots(deviceId);
    } catch {
      // The SMP store keeps why; the result above still says what happened.
    }
    patchShown({ slotsAfter: slots, readingSlotsAfter: false });
  }

  const offJob = api.on('firmware.job', adopt);
  const offProgress = api.on('firmware.progress', (progress) => {
    const state = store.getState();
    if (state.jobs[progress.jobId]?.state === 'finished') return;
    store.setState({ progress: { ...state.progress, [progress.jobId]: progress } });
  });

  return Object.assign(store, {
    stop() {
      offJob();
      offProgress();
    },
  });
}
