// One claimed DFU interface, driven through DFU 1.1's class requests. WebUSB gives control
// transfers no time-out, so every transfer here is raced against a deadline (a silent device
// must not hang a job) and against the caller's AbortSignal; what comes back is sorted into
// the three ways a transfer fails: the device is gone, the device stalled the request, or it
// did not answer in time. Each error names the device and the request.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { DfuFunctional } from '../../api/schemas';
import { dfuStateName, DfuRequest, DfuState, dfuStatusHint, dfuStatusMeaning, dfuStatusName } from './dfu-status';
import type { DfuTarget, DfuUsbDevice } from './dfu-usb-device';

/** Deadline for one control transfer (and for open, claim and release). */
export const DFU_DEFAULT_DEADLINE_MS = 5000;
/** bwPollTimeout is 24 bits: no device may ask for longer between polls. */
const MAX_POLL_TIMEOUT_MS = 0xffffff;
const GETSTATUS_LENGTH = 6;

export interface DfuStatusReport {
  status: number;
  /** "OK", "errWRITE", … */
  statusName: string;
  /** bwPollTimeout: how long the device asks to be left alone before the next GETSTATUS. */
  pollTimeoutMs: number;
  state: number;
  /** "dfuIDLE", "dfuDNBUSY", … */
  stateName: string;
}

export interface DfuClientOptions {
  /** Names the device in every message. */
  label: string;
  /** Deadline for each control transfer, and the margin over bwPollTimeout while the device is busy (default 5000 ms). */
  deadlineMs?: number;
  signal?: AbortSignal;
}

/** The device answered GETSTATUS with dfuERROR; `status` says why. */
export class DfuStatusError extends FieldbenchError {
  constructor(
    readonly report: DfuStatusReport,
    device: string,
    step: string,
  ) {
    super({ code: 'device-error', message: `${dfuStatusMeaning(report.status)} (${report.stateName})`, device, step, hint: dfuStatusHint(report.status) });
    this.name = 'DfuStatusError';
  }
}

/** The device stalled a request: it refused it outright (DFU 1.1 §6: a request not allowed in its state). */
export class DfuStallError extends FieldbenchError {
  constructor(
    readonly request: string,
    device: string,
    step: string,
  ) {
    super({
      code: 'device-error',
      message: `the device stalled ${request}: it refuses the request in its present state`,
      device,
      step,
      hint: 'Power-cycle the device into its bootloader and try again; if it keeps refusing, its bootloader does not support this request.',
    });
    this.name = 'DfuStallError';
  }
}

/** Thrown when the caller's signal aborts a wait or a transfer. */
export class DfuCancelledError extends FieldbenchError {
  constructor(device: string, step: string, message = `cancelled during ${step}`) {
    // The contract has no 'cancelled' code; 'unavailable' keeps callers from retrying it.
    super({ code: 'unavailable', message, device, step, hint: 'Nothing else was sent to the device after the cancel; flash again to finish.' });
    this.name = 'DfuCancelledError';
  }
}

/** A transfer that failed because the device left the bus: WebUSB's NetworkError or NotFoundError, libusb's NO_DEVICE. */
export function isDisconnect(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'NetworkError' || error.name === 'NotFoundError') return true;
  return /disconnect|no device|no_device|not found|LIBUSB_ERROR_NO_DEVICE|LIBUSB_ERROR_IO/iu.test(error.message);
}

/** A transfer the device answered with a STALL handshake, thrown rather than reported. */
export function isStall(error: unknown): boolean {
  return error instanceof Error && /stall|pipe/iu.test(error.message);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<'slept' | 'aborted'> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve('aborted');
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve('aborted');
    };
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve('slept');
    };
    // A timer is at least a millisecond; a device asking for no wait gets none.
    const timer = ms >= 1 ? setTimeout(done, ms) : undefined;
    if (timer === undefined) setImmediate(done);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface GuardOptions {
  /** Race against the caller's signal (default true); ABORT after a cancel must not be. */
  cancellable?: boolean;
  timeoutMs?: number;
}

export class DfuClient {
  private readonly deadlineMs: number;
  private closed = false;

  private constructor(
    readonly device: DfuUsbDevice,
    readonly target: DfuTarget,
    readonly functional: DfuFunctional,
    private readonly label: string,
    private readonly signal: AbortSignal | undefined,
    deadlineMs: number,
    private readonly openedHere: boolean,
  ) {
    this.deadlineMs = deadlineMs;
  }

  /** Opens the device when it is closed, selects its configuration if none is, claims the interface and selects the alternate setting. */
  static async open(device: DfuUsbDevice, target: DfuTarget, functional: DfuFunctional, options: DfuClientOptions): Promise<DfuClient> {
    const deadlineMs = options.deadlineMs ?? DFU_DEFAULT_DEADLINE_MS;
    const guard = <T>(step: string, work: () => Promise<T>): Promise<T> => guardTransfer(options.label, step, step, work, { timeoutMs: deadlineMs, signal: options.signal });
    const openedHere = !device.opened;
    if (openedHere) await guard('open device', () => device.open());
    const client = new DfuClient(device, target, functional, options.label, options.signal, deadlineMs, openedHere);
    try {
      if (device.configuration === null || device.configuration === undefined) {
        const value = device.configurations[0]?.configurationValue ?? 1;
        await guard('select configuration', () => device.selectConfiguration(value));
      }
      await guard(`claim interface ${target.interfaceNumber}`, () => device.claimInterface(target.interfaceNumber));
      await guard(`select alternate setting ${target.alternateSetting}`, () => device.selectAlternateInterface(target.interfaceNumber, target.alternateSetting));
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  get deviceLabel(): string {
    return this.label;
  }

  /** The deadline of one transfer, and the margin a busy wait allows beyond bwPollTimeout. */
  get transferDeadlineMs(): number {
    return this.deadlineMs;
  }

  /** DFU_DETACH: the runtime application should drop into its bootloader within timeoutMs. */
  async detach(timeoutMs: number): Promise<void> {
    await this.out(DfuRequest.DETACH, Math.min(Math.max(0, Math.round(timeoutMs)), 0xffff), undefined, 'DFU_DETACH');
  }

  /** DFU_DNLOAD: one block (empty: the end of the download). Does not wait for the device; GETSTATUS does. */
  async download(blockNum: number, data: Uint8Array): Promise<void> {
    await this.out(DfuRequest.DNLOAD, blockNum & 0xffff, data, `DFU_DNLOAD block ${blockNum & 0xffff}`);
  }

  /** DFU_UPLOAD: up to `length` bytes; fewer ends the upload. */
  async upload(blockNum: number, length: number): Promise<Uint8Array> {
    return this.in(DfuRequest.UPLOAD, blockNum & 0xffff, length, `DFU_UPLOAD block ${blockNum & 0xffff}`);
  }

  async getStatus(options: GuardOptions = {}): Promise<DfuStatusReport> {
    const bytes = await this.in(DfuRequest.GETSTATUS, 0, GETSTATUS_LENGTH, 'DFU_GETSTATUS', options);
    if (bytes.length < GETSTATUS_LENGTH) {
      throw new FieldbenchError({
        code: 'device-error',
        message: `DFU_GETSTATUS answered ${bytes.length} bytes, ${GETSTATUS_LENGTH} expected`,
        device: this.label,
        step: 'DFU_GETSTATUS',
        hint: 'Power-cycle the device into its bootloader and try again.',
      });
    }
    const status = bytes[0]!;
    const state = bytes[4]!;
    return {
      status,
      statusName: dfuStatusName(status),
      pollTimeoutMs: bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16),
      state,
      stateName: dfuStateName(state),
    };
  }

  async clearStatus(options: GuardOptions = {}): Promise<void> {
    await this.out(DfuRequest.CLRSTATUS, 0, undefined, 'DFU_CLRSTATUS', options);
  }

  async getState(options: GuardOptions = {}): Promise<{ state: number; stateName: string }> {
    const bytes = await this.in(DfuRequest.GETSTATE, 0, 1, 'DFU_GETSTATE', options);
    if (bytes.length < 1) {
      throw new FieldbenchError({ code: 'device-error', message: 'DFU_GETSTATE answered no byte', device: this.label, step: 'DFU_GETSTATE', hint: 'Power-cycle the device into its bootloader and try again.' });
    }
    return { state: bytes[0]!, stateName: dfuStateName(bytes[0]!) };
  }

  /** DFU_ABORT: back to dfuIDLE from a download or upload in progress. */
  async abort(options: GuardOptions = {}): Promise<void> {
    await this.out(DfuRequest.ABORT, 0, undefined, 'DFU_ABORT', options);
  }

  /**
   * Polls GETSTATUS while the device is busy (dfuDNLOAD-SYNC, dfuDNBUSY, dfuMANIFEST-SYNC,
   * dfuMANIFEST), sleeping the bwPollTimeout it asks for between polls. The whole wait is bounded
   * by the first answer's time plus twice the longest bwPollTimeout seen plus the transfer
   * deadline, so a device that stays busy for ever is a time-out, not a hang. Returns the first
   * report that is not busy; throws DfuStatusError on dfuERROR.
   */
  async waitWhileBusy(step: string, options: { stopAt?: (report: DfuStatusReport) => boolean } = {}): Promise<DfuStatusReport> {
    const started = Date.now();
    let longestPoll = 0;
    for (;;) {
      const report = await this.getStatus();
      if (report.state === DfuState.dfuERROR || report.status !== 0) throw new DfuStatusError(report, this.label, step);
      if (options.stopAt?.(report)) return report;
      if (!isBusy(report.state)) return report;
      longestPoll = Math.max(longestPoll, Math.min(report.pollTimeoutMs, MAX_POLL_TIMEOUT_MS));
      const deadline = started + 2 * longestPoll + this.deadlineMs;
      if (Date.now() + report.pollTimeoutMs > deadline) {
        throw new FieldbenchError({
          code: 'timeout',
          message: `the device stayed in ${report.stateName} for ${Date.now() - started} ms during ${step}, longer than the ${longestPoll} ms it asked for`,
          device: this.label,
          step,
          hint: 'The device is stuck; power-cycle it into its bootloader and flash again.',
        });
      }
      if ((await sleep(report.pollTimeoutMs, this.signal)) === 'aborted') throw new DfuCancelledError(this.label, step);
    }
  }

  /** Releases the interface and closes the device if this client opened it. Never throws: the device may be gone already. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const quietly = async (step: string, work: () => Promise<void>): Promise<void> => {
      try {
        await guardTransfer(this.label, step, step, work, { timeoutMs: this.deadlineMs });
      } catch {
        // Closing is best effort: a device that left the bus or re-enumerated has nothing to release.
      }
    };
    if (this.device.opened) await quietly('release interface', () => this.device.releaseInterface(this.target.interfaceNumber));
    if (this.openedHere && this.device.opened) await quietly('close device', () => this.device.close());
  }

  private async out(request: number, value: number, data: Uint8Array | undefined, step: string, options: GuardOptions = {}): Promise<void> {
    const setup: USBControlTransferParameters = { requestType: 'class', recipient: 'interface', request, value, index: this.target.interfaceNumber };
    const result = await this.guard(step, () => (data === undefined ? this.device.controlTransferOut(setup) : this.device.controlTransferOut(setup, data as Uint8Array<ArrayBuffer>)), options);
    if (result.status === 'stall') throw new DfuStallError(step, this.label, step);
    if (data !== undefined && result.bytesWritten !== data.length) {
      throw new FieldbenchError({
        code: 'device-error',
        message: `${step}: the device took ${result.bytesWritten} of ${data.length} bytes`,
        device: this.label,
        step,
        hint: 'Check the cable and hub, and flash again.',
      });
    }
  }

  private async in(request: number, value: number, length: number, step: string, options: GuardOptions = {}): Promise<Uint8Array> {
    const setup: USBControlTransferParameters = { requestType: 'class', recipient: 'interface', request, value, index: this.target.interfaceNumber };
    const result = await this.guard(step, () => this.device.controlTransferIn(setup, length), options);
    if (result.status === 'stall') throw new DfuStallError(step, this.label, step);
    if (result.status === 'babble') {
      throw new FieldbenchError({ code: 'device-error', message: `${step}: the device sent more than the ${length} bytes asked for`, device: this.label, step, hint: 'Check the cable and hub, and try again.' });
    }
    const view = result.data;
    return view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(0);
  }

  private guard<T>(step: string, work: () => Promise<T>, options: GuardOptions): Promise<T> {
    if (this.closed) {
      return Promise.reject(new FieldbenchError({ code: 'internal', message: `${step} after the DFU session was closed`, device: this.label, step }));
    }
    return guardTransfer(this.label, step, step, work, {
      timeoutMs: options.timeoutMs ?? this.deadlineMs,
      signal: options.cancellable === false ? undefined : this.signal,
    });
  }
}

function isBusy(state: number): boolean {
  return state === DfuState.dfuDNLOAD_SYNC || state === DfuState.dfuDNBUSY || state === DfuState.dfuMANIFEST_SYNC || state === DfuState.dfuMANIFEST;
}

/**
 * Runs one USB operation against a deadline and a signal, and words its failure: a
 * disconnect is device-gone, a thrown stall is a DfuStallError, anything else the device
 * threw is device-error. The operation itself cannot be cancelled (WebUSB has no way), so its
 * late outcome is swallowed.
 */
export function guardTransfer<T>(
  label: string,
  request: string,
  step: string,
  work: () => Promise<T>,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<T> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(new DfuCancelledError(label, step));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(new DfuCancelledError(label, step)));
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new FieldbenchError({
              code: 'timeout',
              message: `no answer to ${request} within ${timeoutMs} ms`,
              device: label,
              step,
              hint: 'The device stopped answering; unplug it, put it back into its bootloader and try again.',
            }),
          ),
        ),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(wordTransferError(error, label, request, step))),
    );
  });
}

function wordTransferError(error: unknown, label: string, request: string, step: string): FieldbenchError {
  if (isFieldbenchError(error)) return error;
  if (isDisconnect(error)) {
    return new FieldbenchError(
      { code: 'device-gone', message: `the device left the bus during ${request}`, device: label, step, hint: 'Check the cable, plug the device in again and retry.' },
      { cause: error },
    );
  }
  if (isStall(error)) return new DfuStallError(request, label, step);
  const why = error instanceof Error ? error.message : String(error);
  return new FieldbenchError(
    { code: 'device-error', message: `${request} failed: ${why}`, device: label, step, hint: 'Unplug the device, plug it in again and retry.' },
    { cause: error },
  );
}
