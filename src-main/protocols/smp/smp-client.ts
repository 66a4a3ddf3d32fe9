// Drives an MCUmgr (SMP) device over a Link: one request at a time, each with a sequence
// number, a deadline and, for reads only, retries; answers matched by sequence, group and
// command so late and stray packets are ignored; an image upload alone keeps several chunk
// requests in flight when the device's buffers allow it (smp-upload-window.ts); the device's result codes turned into
// FieldbenchErrors a person can act on. The framing is a strategy (serial console lines by
// default), so the same client runs over BLE's bare packets. On a serial line the device's
// console text arrives between frames; it goes to onText and is otherwise left alone.
import { createHash } from 'node:crypto';
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { Link } from '../../transports/link';
import type { CborValue } from '../cbor/cbor';
import { isCborMap, SmpAnswer } from './smp-answer';
import type { SmpFrameDecoder, SmpFraming } from './smp-framing';
import { describeSmpError, ImageCommand, MgmtErr, OsCommand, SmpGroup, type SmpResult, smpResultOf, StatsCommand } from './smp-groups';
import { decodeSmpPacket, encodeSmpPacket, type SmpHeader, SmpOp } from './smp-packet';
import { smpSerialFraming } from './smp-serial';
import { largestUploadChunk, type UploadRequestFields, uploadRequestBody } from './smp-upload-chunk';
import { uploadWindow } from './smp-upload-window';

export const SMP_DEFAULT_TIMEOUT_MS = 5000;
export const SMP_DEFAULT_RETRIES = 2;
/** Assumed when the device cannot report its buffer (MCUmgr parameters unsupported). */
export const SMP_DEFAULT_BUFFER_SIZE = 512;
/** Answers that leave the upload offset where it was before the device is called stuck. */
const MAX_UPLOAD_STALLS = 3;
/** Frame problems kept for a time-out message. */
const MAX_NOTES = 5;

export interface SmpClientOptions {
  /** Names the device in messages; the link's label otherwise. */
  deviceLabel?: string;
  /** How packets travel; serial console framing with 127-byte lines by default. */
  framing?: SmpFraming;
  /**
   * Protocol version to start with (default 2). A client that starts at 2 drops to 1 for
   * good when the device answers with a version 1 header, or refuses version 2 outright.
   */
  version?: 1 | 2;
  /** Deadline for each attempt of each request (default 5000 ms). */
  timeoutMs?: number;
  /** Extra attempts for requests that are safe to repeat (default 2). */
  retries?: number;
  /** Console text that arrived between frames (serial only). */
  onText?: (text: Uint8Array) => void;
  /**
   * Most image upload requests in flight at once (default 3), never more than the device's
   * buf_count − 1 and 1 when it does not report buf_count; 1 is plain stop-and-wait.
   */
  uploadWindow?: number;
}

export interface SmpRequest {
  op: 'read' | 'write';
  group: number;
  command: number;
  body?: CborValue;
  /** Names the command in messages: "image state read". */
  step: string;
  /** Safe to send again when no answer came: reads, and upload chunks (their offset makes them so). */
  idempotent: boolean;
  timeoutMs?: number;
}

export interface SmpImageSlot {
  image: number;
  slot: number;
  version: string;
  /** The image's hash TLV in hex: how MCUboot names an image. */
  hash: string;
  bootable: boolean;
  pending: boolean;
  confirmed: boolean;
  active: boolean;
  permanent: boolean;
}

/** The slots, as a plain list, carrying the device's split-image status beside them. */
export type SmpImageState = SmpImageSlot[] & { splitStatus: number | null };

export interface SmpTaskStats {
  name: string;
  priority: number | null;
  id: number | null;
  state: number | null;
  stackUsed: number | null;
  stackSize: number | null;
  contextSwitches: number | null;
  runtime: number | null;
}

export interface SmpMemoryPool {
  name: string;
  blockSize: number;
  blocks: number;
  free: number;
  minimumFree: number | null;
}

export interface SmpParams {
  bufSize: number;
  bufCount: number;
}

export interface SmpBootloaderMode {
  /** MCUboot's mode number (-1 when unknown), and its name. */
  mode: number;
  modeName: string;
  /** The bootloader refuses images with a lower version. */
  noDowngrade: boolean;
}

export interface SmpStatsGroup {
  name: string;
  fields: Record<string, number>;
}

export interface SmpUploadOptions {
  /** Image number on multi-image devices (default: the device's default, 0). */
  image?: number;
  /** SHA-256 of the whole image: names the upload, so a device can resume it, and checks it. */
  sha256: Uint8Array;
  /** The offset the device acknowledged; with several requests in flight it never goes back. */
  onProgress?(sent: number, total: number): void;
  /** Stops before the next chunk; the chunks in flight are answered first. */
  signal?: AbortSignal;
  /** Start here instead of 0 (a journaled upload after a restart); the device corrects it if it disagrees. */
  startOffset?: number;
}

export interface SmpUploadResult {
  bytes: number;
  /** Requests sent, retries included. */
  requests: number;
  /** Largest data bytes in one request. */
  chunkSize: number;
  /** The device's own check of the uploaded image against `sha`; null when it did not say. */
  match: boolean | null;
}

const BOOTLOADER_MODES: Record<number, string> = {
  [-1]: 'unknown',
  0: 'single application',
  1: 'swap using scratch',
  2: 'overwrite only',
  3: 'swap without scratch',
  4: 'direct XIP without revert',
  5: 'direct XIP with revert',
  6: 'RAM load',
  7: 'firmware loader',
};

/** Thrown when an upload is stopped through its signal; `offset` is how far the device got. */
export class SmpUploadCancelledError extends FieldbenchError {
  constructor(
    readonly offset: number,
    readonly total: number,
    device: string,
  ) {
    super({
      // The contract has no 'cancelled' code; 'unavailable' keeps callers from retrying it.
      code: 'unavailable',
      message: `upload cancelled at byte ${offset} of ${total}`,
      device,
      step: 'image upload',
      hint: `The device keeps the first ${offset} bytes; uploading the same image again resumes from there.`,
    });
    this.name = 'SmpUploadCancelledError';
  }
}

/** A device answered with a result code; `result` keeps the code for callers that act on it. */
export class SmpDeviceError extends FieldbenchError {
  constructor(
    readonly result: SmpResult,
    context: { device: string; step: string },
  ) {
    const described = describeSmpError(result.group, result.rc, result.version);
    super({ code: 'device-error', message: `${described.message} (${described.name})`, device: context.device, step: context.step, hint: described.hint });
    this.name = 'SmpDeviceError';
  }
}

/** True for a shared MGMT_ERR code (version 1 form), such as ENOTSUP or EMSGSIZE. */
export function isSmpError(error: unknown, rc: number): error is SmpDeviceError {
  return error instanceof SmpDeviceError && error.result.version === 1 && error.result.rc === rc;
}

function isUnsupportedVersion(result: SmpResult | null): boolean {
  return result !== null && result.version === 1 && (result.rc === MgmtErr.ENOTSUP || result.rc === MgmtErr.UNSUPPORTED_TOO_NEW);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function hashBytes(hash: string | Uint8Array, device: string, step: string): Uint8Array {
  if (hash instanceof Uint8Array) return hash;
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hash)) {
    throw new FieldbenchError({ code: 'invalid-request', message: `image hash '${hash}' is not hexadecimal bytes`, device, step });
  }
  return Uint8Array.from(Buffer.from(hash, 'hex'));
}

/** What can end an upload on the device's side, in words a person can act on. */
type UploadFault =
  | { kind: 'buffer-too-small'; bufSize: number }
  | { kind: 'offset-loop'; requests: number; total: number }
  | { kind: 'offset-outside'; off: number; total: number }
  | { kind: 'stopped'; offset: number; total: number }
  | { kind: 'hash-mismatch' };

function uploadFault(fault: UploadFault, device: string, step = 'image upload'): FieldbenchError {
  const say = (message: string, hint: string) => new FieldbenchError({ code: 'device-error', message, device, step, hint });
  switch (fault.kind) {
    case 'buffer-too-small':
      return say(
        `the device buffer of ${fault.bufSize} bytes cannot hold an upload request with any image data`,
        'Raise CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE in the device firmware, or use a longer line length.',
      );
    case 'offset-loop':
      return say(
        `the device keeps moving the upload offset back (${fault.requests} requests for a ${fault.total}-byte image)`,
        'Reset the device and upload again; if it repeats, its flash may be failing.',
      );
    case 'offset-outside':
      return say(`the device reported upload offset ${fault.off}, outside the ${fault.total}-byte image`, 'Erase the secondary slot and upload again.');
    case 'stopped':
      return say(`the device stopped taking data at byte ${fault.offset} of ${fault.total}`, 'Reset the device and upload again; it resumes from where it stopped.');
    case 'hash-mismatch':
      return say(
        'the device received the whole image, but its hash does not match the SHA-256 sent',
        'The image was damaged on the way; erase the secondary slot and upload again.',
      );
  }
}

export class SmpClient {
  private readonly label: string;
  private readonly framing: SmpFraming;
  private readonly decoder: SmpFrameDecoder;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly allowFallback: boolean;
  private version: 1 | 2;
  private sequence = 0;
  /** Each request waits for the one before it; a failure must not break the chain. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Frames rejected or ignored while the current request waited: the story a time-out tells. */
  private notes: string[] = [];
  /** The device's buffer size and count (null: not reported), asked once. */
  private uploadParamsCache: { bufSize: number; bufCount: number | null } | null = null;
  /** Packets decoded beyond the answer being waited for: the next answers, or strays. */
  private pendingPackets: Uint8Array[] = [];

  constructor(
    private readonly link: Link,
    private readonly options: SmpClientOptions = {},
  ) {
    this.label = options.deviceLabel ?? link.label;
    this.framing = options.framing ?? smpSerialFraming();
    this.decoder = this.framing.decoder();
    this.timeoutMs = options.timeoutMs ?? SMP_DEFAULT_TIMEOUT_MS;
    this.retries = Math.max(0, options.retries ?? SMP_DEFAULT_RETRIES);
    this.version = options.version ?? 2;
    this.allowFallback = this.version === 2;
  }

  /** The protocol version requests go out with now (2 until the device shows it speaks only 1). */
  get protocolVersion(): 1 | 2 {
    return this.version;
  }

  // ---------------------------------------------------------------- OS group

  async echo(text: string): Promise<string> {
    const answer = await this.call({ op: 'write', group: SmpGroup.OS, command: OsCommand.ECHO, body: { d: text }, step: 'echo', idempotent: true });
    return answer.string('r');
  }

  /** Asks the device to reboot; `force` reboots even when something on the device objects. */
  async reset(options: { force?: boolean } = {}): Promise<void> {
    const body = options.force ? { force: true } : {};
    await this.call({ op: 'write', group: SmpGroup.OS, command: OsCommand.RESET, body, step: 'reset', idempotent: false });
  }

  async taskStats(): Promise<SmpTaskStats[]> {
    const answer = await this.call({ op: 'read', group: SmpGroup.OS, command: OsCommand.TASK_STATS, step: 'task statistics read', idempotent: true });
    return Object.entries(answer.map('tasks')).map(([name, value]) => {
      const task = answer.nested(value, 'tasks');
      return {
        name,
        priority: task.optionalNumber('prio'),
        id: task.optionalNumber('tid'),
        state: task.optionalNumber('state'),
        stackUsed: task.optionalNumber('stkuse'),
        stackSize: task.optionalNumber('stksiz'),
        contextSwitches: task.optionalNumber('cswcnt'),
        runtime: task.optionalNumber('runtime'),
      };
    });
  }

  async memoryPoolStats(): Promise<SmpMemoryPool[]> {
    const answer = await this.call({ op: 'read', group: SmpGroup.OS, command: OsCommand.MEMORY_POOL_STATS, step: 'memory pool statistics read', idempotent: true });
    return Object.entries(answer.map('pools')).map(([name, value]) => {
      const pool = answer.nested(value, 'pools');
      return { name, blockSize: pool.number('blksiz'), blocks: pool.number('nblks'), free: pool.number('nfree'), minimumFree: pool.optionalNumber('min') };
    });
  }

  async params(): Promise<SmpParams> {
    const answer = await this.call({ op: 'read', group: SmpGroup.OS, command: OsCommand.MCUMGR_PARAMS, step: 'MCUmgr parameters read', idempotent: true });
    return { bufSize: answer.number('buf_size'), bufCount: answer.number('buf_count') };
  }

  /** `uname`-like text; `format` picks the fields (for example "a" for all, "sv" for name and version). */
  async osInfo(format?: string): Promise<string> {
    const body = format === undefined ? {} : { format };
    const answer = await this.call({ op: 'read', group: SmpGroup.OS, command: OsCommand.INFO, body, step: 'OS info read', idempotent: true });
    return answer.string('output');
  }

  bootloaderInfo(): Promise<{ bootloader: string }>;
  bootloaderInfo(query: 'mode'): Promise<SmpBootloaderMode>;
  async bootloaderInfo(query?: 'mode'): Promise<{ bootloader: string } | SmpBootloaderMode> {
    const step = query === 'mode' ? 'bootloader mode read' : 'bootloader info read';
    const body = query === 'mode' ? { query } : {};
    const answer = await this.call({ op: 'read', group: SmpGroup.OS, command: OsCommand.BOOTLOADER_INFO, body, step, idempotent: true });
    if (query !== 'mode') return { bootloader: answer.string('bootloader') };
    const mode = answer.number('mode');
    return { mode, modeName: BOOTLOADER_MODES[mode] ?? `mode ${mode}`, noDowngrade: answer.flag('no-downgrade') };
  }

  // ---------------------------------------------------------------- image group

  async imageState(): Promise<SmpImageState> {
    return this.imageStateCall({ op: 'read', step: 'image state read', idempotent: true });
  }

  /** Marks an image (by its hash) to be booted once, on the next reset; MCUboot reverts unless it is confirmed. */
  async imageTest(hash: string | Uint8Array): Promise<SmpImageState> {
    const step = 'image test';
    return this.imageStateCall({ op: 'write', step, idempotent: false, body: { hash: hashBytes(hash, this.label, step), confirm: false } });
  }

  /** Makes an image permanent: the running one when no hash is given. */
  async imageConfirm(hash?: string | Uint8Array): Promise<SmpImageState> {
    const step = 'image confirm';
    const body = hash === undefined ? { confirm: true } : { hash: hashBytes(hash, this.label, step), confirm: true };
    return this.imageStateCall({ op: 'write', step, idempotent: false, body });
  }

  /** Erases a slot (the secondary, by the device's default). */
  async imageErase(slot?: number): Promise<void> {
    const body = slot === undefined ? {} : { slot };
    await this.call({ op: 'write', group: SmpGroup.IMAGE, command: ImageCommand.ERASE, body, step: 'image erase', idempotent: false });
  }

  private async imageStateCall(request: Pick<SmpRequest, 'op' | 'step' | 'idempotent' | 'body'>): Promise<SmpImageState> {
    const answer = await this.call({ ...request, group: SmpGroup.IMAGE, command: ImageCommand.STATE });
    const slots = answer.list('images').map((value): SmpImageSlot => {
      const slot = answer.nested(value, 'images');
      return {
        image: slot.optionalNumber('image') ?? 0,
        slot: slot.number('slot'),
        version: slot.string('version'),
        hash: slot.body['hash'] === undefined ? '' : toHex(slot.bytes('hash')),
        bootable: slot.flag('bootable'),
        pending: slot.flag('pending'),
        confirmed: slot.flag('confirmed'),
        active: slot.flag('active'),
        permanent: slot.flag('permanent'),
      };
    });
    return Object.assign(slots, { splitStatus: answer.optionalNumber('splitStatus') });
  }

  /**
   * Uploads an image into the device's secondary slot, in chunks as large as its buffer
   * takes, following the offset the device reports after each one: forward when it already
   * holds more (a resumed upload), back when it lost some. Resolves when the device holds
   * the whole image; rejects with SmpUploadCancelledError when `signal` stops it.
   */
  async imageUpload(image: Uint8Array, options: SmpUploadOptions): Promise<SmpUploadResult> {
    const total = image.length;
    const bad = (message: string) => new FieldbenchError({ code: 'invalid-request', message, device: this.label, step: 'image upload' });
    if (total === 0) throw bad('the image is empty');
    if (options.sha256.length !== 32) throw bad(`the image SHA-256 must be 32 bytes, not ${options.sha256.length}`);
    if (!Buffer.from(createHash('sha256').update(image).digest()).equals(options.sha256)) {
      throw bad('the SHA-256 given is not the SHA-256 of the image');
    }
    const { bufSize, bufCount } = await this.uploadParams();
    const window = uploadWindow(bufCount, this.options.uploadWindow);
    if (window > 1) return this.exclusive(() => this.pipelinedUpload(image, options, bufSize, window));
    let offset = Math.min(Math.max(0, options.startOffset ?? 0), total);
    /** Lowered when the device says a request was too large. */
    let cap = total;
    let requests = 0;
    let chunkSize = 0;
    let stalls = 0;
    let match: boolean | null = null;
    // Generous room for rewinds and shrinking chunks, but a device cannot keep the upload going round forever.
    const budget = 16 + 4 * Math.ceil(total / Math.max(1, largestUploadChunk({ off: total }, total, bufSize, this.framing)));
    while (offset < total) {
      if (options.signal?.aborted) throw new SmpUploadCancelledError(offset, total, this.label);
      const fields: UploadRequestFields =
        offset === 0 ? { image: options.image, off: 0, len: total, sha: options.sha256 } : { off: offset };
      const size = Math.min(cap, largestUploadChunk(fields, total - offset, bufSize, this.framing));
      if (size <= 0) {
        throw uploadFault({ kind: 'buffer-too-small', bufSize }, this.label);
      }
      const step = `image upload at byte ${offset} of ${total}`;
      if (requests > budget) {
        throw uploadFault({ kind: 'offset-loop', requests, total }, this.label, step);
      }
      let answer: SmpAnswer;
      try {
        requests += 1;
        answer = await this.call({
          op: 'write',
          group: SmpGroup.IMAGE,
          command: ImageCommand.UPLOAD,
          body: uploadRequestBody(fields, image.subarray(offset, offset + size)),
          step,
          idempotent: true,
        });
      } catch (error) {
        // The device's own buffer is the last word on size: halve and try again.
        if (isSmpError(error, MgmtErr.EMSGSIZE) && size > 32) {
          cap = Math.floor(size / 2);
          continue;
        }
        throw error;
      }
      chunkSize = Math.max(chunkSize, size);
      const next = answer.number('off');
      if (!Number.isInteger(next) || next < 0 || next > total) {
        throw uploadFault({ kind: 'offset-outside', off: next, total }, this.label, step);
      }
      stalls = next === offset ? stalls + 1 : 0;
      if (stalls > MAX_UPLOAD_STALLS) {
        throw uploadFault({ kind: 'stopped', offset, total }, this.label, step);
      }
      offset = next;
      options.onProgress?.(offset, total);
      if (offset === total && answer.body['match'] !== undefined) match = answer.flag('match');
    }
    if (match === false) {
      throw uploadFault({ kind: 'hash-mismatch' }, this.label);
    }
    return { bytes: total, requests, chunkSize, match };
  }

  /** The device's buffers, asked once; the MCUmgr default size (and no count) when it cannot say. */
  private async uploadParams(): Promise<{ bufSize: number; bufCount: number | null }> {
    if (this.uploadParamsCache !== null) return this.uploadParamsCache;
    try {
      const params = await this.params();
      this.uploadParamsCache = { bufSize: params.bufSize, bufCount: params.bufCount };
    } catch (error) {
      if (!isSmpError(error, MgmtErr.ENOTSUP)) throw error;
      this.uploadParamsCache = { bufSize: SMP_DEFAULT_BUFFER_SIZE, bufCount: null };
    }
    return this.uploadParamsCache;
  }

  /**
   * The upload with up to `window` chunk requests in flight, each with its own sequence
   * number and deadline. Rules, after nRF Connect Device Manager's windowed uploader:
   * - The device's `off` is the only truth. An answer that says `off` = the end of its chunk
   *   acknowledges it (and any earlier chunk whose answer was lost: the device took those
   *   too, or it would not be there). Any other `off` (a chunk lost or refused, a rewind, a
   *   resume further on) drops everything in flight: their answers, when they come, carry
   *   sequence numbers no longer waited for and are ignored, and the upload goes on from
   *   the device's offset. Whatever a stale request wrote is image data at its own offset,
   *   so it can do no harm; at worst the next answer moves the offset again.
   * - After the first request and after every resync, one request goes alone until an
   *   answer confirms where the device stands; only then does the window open again.
   * - No answer by the oldest request's deadline, or a damaged answer with nothing else in
   *   flight, counts as an attempt at that offset and sends it again alone; past the
   *   retries, the time-out error. EMSGSIZE halves the chunk, as stop-and-wait does.
   * - Cancel stops sending and waits for the answers in flight, so the offset reported is
   *   the device's and no answer is left over for the next request.
   */
  private async pipelinedUpload(image: Uint8Array, options: SmpUploadOptions, bufSize: number, window: number): Promise<SmpUploadResult> {
    const total = image.length;
    interface Flight {
      sequence: number;
      off: number;
      end: number;
      deadline: number;
      request: SmpRequest;
    }
    const inFlight: Flight[] = [];
    /** The offset the device last confirmed (or the one assumed before its first answer). */
    let acked = Math.min(Math.max(0, options.startOffset ?? 0), total);
    let next = acked;
    let reported = -1;
    let probing = true;
    let cap = total;
    let requests = 0;
    let chunkSize = 0;
    let resyncs = 0;
    let match: boolean | null = null;
    const attempts = new Map<number, number>();
    const budget = 16 + 4 * Math.ceil(total / Math.max(1, largestUploadChunk({ off: total }, total, bufSize, this.framing)));
    const cancelled = () => new SmpUploadCancelledError(acked, total, this.label);
    this.notes = [];

    const sendChunk = async (off: number): Promise<void> => {
      const fields: UploadRequestFields = off === 0 ? { image: options.image, off: 0, len: total, sha: options.sha256 } : { off };
      const size = Math.min(cap, largestUploadChunk(fields, total - off, bufSize, this.framing));
      const step = `image upload at byte ${off} of ${total}`;
      if (size <= 0) {
        throw uploadFault({ kind: 'buffer-too-small', bufSize }, this.label);
      }
      if (requests > budget) {
        throw uploadFault({ kind: 'offset-loop', requests, total }, this.label, step);
      }
      const request: SmpRequest = {
        op: 'write',
        group: SmpGroup.IMAGE,
        command: ImageCommand.UPLOAD,
        body: uploadRequestBody(fields, image.subarray(off, off + size)),
        step,
        idempotent: true,
      };
      const sequences = new Set<number>();
      requests += 1;
      await this.send(request, this.version, sequences);
      const [sequence] = sequences;
      inFlight.push({ sequence: sequence!, off, end: off + size, deadline: Date.now() + this.timeoutMs, request });
      chunkSize = Math.max(chunkSize, size);
      next = off + size;
    };
    /** Forget what is in flight and go on from `off`, one request at a time until it is confirmed. */
    const resync = (off: number): void => {
      inFlight.length = 0;
      acked = off;
      next = off;
      probing = true;
    };
    /** One more attempt at the oldest request's offset, or the time-out error past the retries. */
    const retryOldest = (oldest: Flight): void => {
      const tries = (attempts.get(oldest.off) ?? 0) + 1;
      attempts.set(oldest.off, tries);
      if (tries > this.retries) throw this.timeoutError(oldest.request, this.timeoutMs, 1 + this.retries);
      resync(oldest.off);
    };

    for (;;) {
      const aborted = options.signal?.aborted === true;
      while (!aborted && inFlight.length < (probing ? 1 : window) && next < total) await sendChunk(next);
      const oldest = inFlight[0];
      if (oldest === undefined) {
        if (acked >= total) break;
        throw cancelled();
      }
      const answer = await this.awaitAnswer(oldest.request, new Set(inFlight.map((flight) => flight.sequence)), oldest.deadline);
      if (answer === null || (answer === 'garbled' && inFlight.length === 1)) {
        if (options.signal?.aborted) throw cancelled();
        retryOldest(oldest);
        continue;
      }
      // A damaged answer with more in flight: the answers after it say how far the device got.
      if (answer === 'garbled') continue;
      const index = inFlight.findIndex((flight) => flight.sequence === answer.header.sequence);
      const flight = inFlight[index]!;
      const result = smpResultOf(answer.body, SmpGroup.IMAGE);
      if (result !== null) {
        // The device's own buffer is the last word on size: halve and go on from that chunk.
        const size = flight.end - flight.off;
        if (result.version === 1 && result.rc === MgmtErr.EMSGSIZE && size > 32) {
          cap = Math.floor(size / 2);
          resync(flight.off);
          continue;
        }
        throw new SmpDeviceError(result, { device: this.label, step: flight.request.step });
      }
      const off = new SmpAnswer(answer.body, this.label, flight.request.step).number('off');
      if (!Number.isInteger(off) || off < 0 || off > total) {
        throw uploadFault({ kind: 'offset-outside', off: off, total }, this.label, flight.request.step);
      }
      if (off === flight.end) {
        inFlight.splice(0, index + 1);
        acked = off;
        probing = false;
        resyncs = 0;
        if (off === total && answer.body['match'] !== undefined) match = new SmpAnswer(answer.body, this.label, flight.request.step).flag('match');
      } else {
        resyncs += 1;
        if (resyncs > MAX_UPLOAD_STALLS) {
          throw uploadFault({ kind: 'stopped', offset: off, total }, this.label, flight.request.step);
        }
        resync(off);
      }
      if (acked > reported) {
        reported = acked;
        options.onProgress?.(acked, total);
      }
    }
    if (match === false) {
      throw uploadFault({ kind: 'hash-mismatch' }, this.label);
    }
    return { bytes: total, requests, chunkSize, match };
  }

  // ---------------------------------------------------------------- statistics group

  async statsList(): Promise<string[]> {
    const answer = await this.call({ op: 'read', group: SmpGroup.STATS, command: StatsCommand.LIST, step: 'statistics list', idempotent: true });
    return answer.list('stat_list').filter((name): name is string => typeof name === 'string');
  }

  async statsRead(name: string): Promise<SmpStatsGroup> {
    const step = `statistics read '${name}'`;
    const answer = await this.call({ op: 'read', group: SmpGroup.STATS, command: StatsCommand.READ, body: { name }, step, idempotent: true });
    const fields = answer.map('fields');
    const values = new SmpAnswer(fields, this.label, step);
    return { name: answer.string('name'), fields: Object.fromEntries(Object.keys(fields).map((key) => [key, values.number(key)])) };
  }

  // ---------------------------------------------------------------- requests

  /** Any request; the answer's body on success. Result codes become 'device-error'. */
  request(request: SmpRequest): Promise<SmpAnswer> {
    return this.call(request);
  }

  private call(request: SmpRequest): Promise<SmpAnswer> {
    return this.exclusive(() => this.exchange(request));
  }

  /**
   * Runs `task` when the link is free of every other request. The deadline of a queued
   * request starts when its turn comes: time spent behind another request (or a whole
   * pipelined upload) is bounded by that one's own deadlines, so nothing waits forever.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async exchange(request: SmpRequest): Promise<SmpAnswer> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const attempts = request.idempotent ? 1 + this.retries : 1;
    // An answer to any attempt of this request will do: a late one to the first is as good.
    const sequences = new Set<number>();
    this.notes = [];
    let version = this.version;
    let triedVersion1 = false;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const sent = await this.send(request, version, sequences);
      const answer = await this.awaitAnswer(request, sequences, Date.now() + timeoutMs);
      if (answer === null || answer === 'garbled') continue;
      if (answer.header.version === 1 && sent === 2 && this.allowFallback) this.version = version = 1;
      const result = smpResultOf(answer.body, request.group);
      if (sent === 2 && this.allowFallback && !triedVersion1 && isUnsupportedVersion(result)) {
        // A version 1 device may refuse a version 2 header this way: ask once more in its words.
        triedVersion1 = true;
        version = 1;
        attempt -= 1;
        continue;
      }
      if (triedVersion1 && result === null) this.version = 1;
      if (result !== null) throw new SmpDeviceError(result, { device: this.label, step: request.step });
      return new SmpAnswer(answer.body, this.label, request.step);
    }
    throw this.timeoutError(request, timeoutMs, attempts);
  }

  private async send(request: SmpRequest, version: 1 | 2, sequences: Set<number>): Promise<1 | 2> {
    if (!this.link.isOpen) throw this.goneError(request.step, null);
    const sequence = this.sequence;
    this.sequence = (this.sequence + 1) & 0xff;
    sequences.add(sequence);
    const op = request.op === 'read' ? SmpOp.READ : SmpOp.WRITE;
    const packet = encodeSmpPacket({ version, op, flags: 0, group: request.group, sequence, command: request.command }, request.body ?? {});
    try {
      await this.link.write(this.framing.encode(packet));
    } catch (error) {
      throw this.wrapLinkError(error, request.step);
    }
    return version;
  }

  /**
   * The matching answer, or null at the deadline. Console text goes to onText as it comes.
   * For a request that is safe to repeat, a frame that fails its check (CRC, length, base64)
   * is most likely the answer, damaged on the line: 'garbled' says ask again now rather than
   * wait out the deadline for an answer that will not come.
   */
  private async awaitAnswer(
    request: SmpRequest,
    sequences: Set<number>,
    deadline: number,
  ): Promise<{ header: SmpHeader; body: { [key: string]: CborValue } } | 'garbled' | null> {
    const expectedOp = request.op === 'read' ? SmpOp.READ_RSP : SmpOp.WRITE_RSP;
    let garbled = false;
    for (;;) {
      // Packets left from an earlier read come first: with requests in flight, one read may carry several answers.
      while (this.pendingPackets.length > 0) {
        const bytes = this.pendingPackets.shift()!;
        let packet;
        try {
          packet = decodeSmpPacket(bytes);
        } catch (error) {
          this.note(isFieldbenchError(error) ? error.message : String(error));
          continue;
        }
        const { header, body } = packet;
        if (header.op !== expectedOp || !sequences.has(header.sequence) || header.group !== request.group || header.command !== request.command) {
          this.note(`ignored a packet for group ${header.group} command ${header.command} sequence ${header.sequence}`);
          continue;
        }
        if (!isCborMap(body)) {
          throw new FieldbenchError({
            code: 'device-error',
            message: `the answer to ${request.step} is not a CBOR map`,
            device: this.label,
            step: request.step,
            hint: 'The device firmware speaks an SMP dialect Fieldbench does not know.',
          });
        }
        return { header, body };
      }
      if (garbled) return 'garbled';
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      let chunk: Uint8Array;
      try {
        chunk = await this.link.read(remaining);
      } catch (error) {
        throw this.wrapLinkError(error, request.step);
      }
      if (chunk.length === 0) continue;
      const { packets, text, errors } = this.decoder.push(chunk);
      if (text.length > 0) this.passText(text);
      for (const error of errors) this.note(error);
      this.pendingPackets.push(...packets);
      garbled = errors.length > 0 && request.idempotent;
    }
  }

  private passText(text: Uint8Array): void {
    try {
      this.options.onText?.(text);
    } catch {
      // A listener's failure must not cost the device its answer.
    }
  }

  private note(message: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(message);
  }

  private timeoutError(request: SmpRequest, timeoutMs: number, attempts: number): FieldbenchError {
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    const seen = this.notes.length > 0 ? `; meanwhile: ${this.notes.join('; ')}` : '; nothing that looked like an answer was received';
    const unsure = request.op === 'write' && !request.idempotent ? ' It may still have carried out the command: check before repeating it.' : '';
    return new FieldbenchError({
      code: 'timeout',
      message: `no answer to ${request.step} within ${timeoutMs} ms${tries}${seen}`,
      device: this.label,
      step: request.step,
      hint: `Check that the device runs MCUmgr with its SMP transport on this ${this.framing.name} link, and the cable and baud rate.${unsure}`,
    });
  }

  private wrapLinkError(error: unknown, step: string): FieldbenchError {
    if (isFieldbenchError(error) && error.code !== 'device-gone') return error;
    if (isFieldbenchError(error) || !this.link.isOpen) return this.goneError(step, error);
    return new FieldbenchError({ code: 'internal', message: `the link failed during ${step}: ${String(error)}`, device: this.label, step }, { cause: error });
  }

  private goneError(step: string, cause: unknown): FieldbenchError {
    const why = isFieldbenchError(cause) ? ` (${cause.message})` : '';
    return new FieldbenchError(
      {
        code: 'device-gone',
        message: `the link closed during ${step}${why}`,
        device: this.label,
        step,
        hint: 'The device was unplugged, reset, or its port was closed. Reconnect it and try again.',
      },
      { cause },
    );
  }
}
