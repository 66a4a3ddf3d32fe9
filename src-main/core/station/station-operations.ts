// What the station needs of the rest of the core to run a recipe on one unit, and nothing
// more: start and follow a firmware job, run and follow a procedure, confirm or reset an
// image, re-read who a device is. create-core builds it over the real firmware jobs (SMP and
// USB DFU), the procedure runner and the SMP sessions; the station's own tests stand in.
import type { Device, FirmwareJob, FirmwareJobOptions, FirmwareProgress, ProcedureRun } from '../../api/schemas';

export interface StationFlashInput {
  deviceId: string;
  fileName: string;
  bytes: Uint8Array;
  /** For SMP: confirm 'later' (the station confirms after its test). For USB DFU: dfu.leave from the pass action. */
  options: FirmwareJobOptions;
}

export interface StationProcedureInput {
  deviceId: string;
  procedureId: string;
  operator: string | null;
  /** ask: a failed automated step waits for a decision (the station stops the run there); continue: every step runs. */
  onFail: 'ask' | 'continue';
}

export interface StationOperations {
  /** The devices as the directory lists them now. */
  devices(): Device[];
  /** Called with the whole list whenever it changes; returns the unsubscribe. */
  onDevicesChanged(listener: (devices: Device[]) => void): () => void;
  /** Probe the device again (its serial number and running version); resolves with it as listed after. */
  identify(deviceId: string): Promise<Device>;

  /** Starts a firmware job on the device (SMP or USB DFU, by its transport); returns at once. Throws FieldbenchError when refused up front. */
  flash(input: StationFlashInput): FirmwareJob;
  /** Resolves with the finished job. */
  waitFirmware(jobId: string): Promise<FirmwareJob>;
  /** Cancels the job if it still can be cancelled; returns whether it was. */
  cancelFirmware(jobId: string): boolean;
  onFirmwareProgress(listener: (progress: FirmwareProgress) => void): () => void;
  onFirmwareJob(listener: (job: FirmwareJob) => void): () => void;

  startProcedure(input: StationProcedureInput): ProcedureRun;
  procedureRun(runId: string): ProcedureRun;
  onProcedureRun(listener: (run: ProcedureRun) => void): () => void;
  /** Aborts a procedure run that has not ended; resolves with it as it ended. */
  abortProcedure(runId: string, reason: string): Promise<ProcedureRun>;

  /** MCUboot over SMP: make the running image (by its hash) permanent; resolves once the device says it is confirmed. */
  confirmImage(deviceId: string, bootloaderHash: string): Promise<void>;
  /**
   * Restart the device and wait (bounded by the profile's reboot timeout) until it answers
   * again; resolves with the version it runs after (MCUboot: the old one, when the new image
   * was not confirmed), or null when it does not say.
   */
  resetDevice(deviceId: string): Promise<string | null>;
}
