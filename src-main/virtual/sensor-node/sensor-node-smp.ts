// The node's MCUmgr stack as it sits on its one serial line: the flash and MCUboot slots, the
// SMP server with the OS, image and statistics groups, and the serial framing between the
// line and the server. Bytes from the UART are split into SMP packets and console text (the
// text goes on to the shell, as Zephyr's shell MCUmgr transport does); each packet's answer
// goes back framed in base64 lines. The SMP fault knobs that act on a single exchange
// (corrupt a frame, answer an error code, reboot partway through an upload) are applied here.
import type { KeyObject } from 'node:crypto';
import { createMcubootImage } from '../../firmware-images/create-mcuboot-image';
import { SMP_SERIAL_BUFFER_OVERHEAD, SMP_SERIAL_DEFAULT_LINE_LENGTH, SmpSerialDecoder, encodeSmpSerialFrames } from '../../protocols/smp/smp-serial';
import { DEFAULT_SLOT_SIZE, McubootSlots } from './mcuboot-slots';
import { SimulatedFlash } from './simulated-flash';
import { type NodeMode, SmpImageGroup } from './smp-image-group';
import { SmpOsGroup } from './smp-os-group';
import { SmpServer } from './smp-server';
import { SmpStatsGroup } from './smp-stats-group';

/** MCUmgr parameters the node reports; the client sizes its upload chunks from buf_size. */
export const SMP_BUF_SIZE = 1024;
export const SMP_BUF_COUNT = 4;
/** Bytes of application code in the factory image. */
const FACTORY_PAYLOAD_SIZE = 48 * 1024;

export interface SensorNodeSmpOptions {
  seed: number;
  /** 'major.minor.revision' of the factory image in the primary slot. */
  firmwareVersion: string;
  slotSize?: number;
  /** Flash time multiplier: 1 real time, 0 instant. */
  timeScale?: number;
  signingKey?: KeyObject;
  bufSize?: number;
  nodeName: string;
}

/** What the stack needs from the rest of the node. */
export interface SensorNodeSmpHooks {
  mode(): NodeMode;
  uptimeMs(): number;
  /** Reset the node as the OS group's reset command does: after its answer has gone. */
  scheduleReset(): void;
  /** Fault knobs, each taken (and disarmed) when it fires. */
  takeCorruptFrame(): boolean;
  takeInjectedRc(): number | undefined;
  /** True when the node resets at this point of an upload. */
  resetsDuringUpload(offset: number, length: number): boolean;
}

export class SensorNodeSmp {
  readonly flash: SimulatedFlash;
  readonly slots: McubootSlots;
  readonly images: SmpImageGroup;
  readonly server: SmpServer;
  private decoder = new SmpSerialDecoder();

  constructor(
    options: SensorNodeSmpOptions,
    private readonly hooks: SensorNodeSmpHooks,
  ) {
    const slotSize = options.slotSize ?? DEFAULT_SLOT_SIZE;
    this.flash = new SimulatedFlash({ size: 2 * slotSize, timeScale: options.timeScale ?? 1 });
    this.slots = new McubootSlots({ flash: this.flash, slotSize, ...(options.signingKey ? { signingKey: options.signingKey } : {}) });
    this.slots.installFactoryImage(createMcubootImage({ version: `${options.firmwareVersion}+0`, payload: factoryPayload(options.seed) }));
    const bufSize = options.bufSize ?? SMP_BUF_SIZE;
    this.images = new SmpImageGroup({
      slots: this.slots,
      mode: () => hooks.mode(),
      onUploadProgress: (offset, length) => hooks.resetsDuringUpload(offset, length),
    });
    const os = new SmpOsGroup({
      mode: () => hooks.mode(),
      bufSize,
      bufCount: SMP_BUF_COUNT,
      nodeName: options.nodeName,
      uptimeMs: () => hooks.uptimeMs(),
      scheduleReset: () => hooks.scheduleReset(),
    });
    const stats = new SmpStatsGroup({
      smp: () => {
        const s = this.server.stats;
        return { rx_packets: s.requests, tx_packets: s.responses, errors: s.errors, dropped: s.dropped };
      },
      flash: () => {
        const f = this.flash.stats;
        return { pages_erased: f.pagesErased, bytes_written: f.bytesProgrammed, busy_ms: Math.round(f.busyMs) };
      },
    });
    this.server = new SmpServer({
      groups: [os, this.images, stats],
      bufSize,
      // The node takes SMP on its serial line only, decoding length, packet and CRC into the buffer as Zephyr does.
      transportOverhead: SMP_SERIAL_BUFFER_OVERHEAD,
      takeInjectedRc: () => hooks.takeInjectedRc(),
    });
  }

  /** Separate SMP packets from console text in bytes off the line. */
  split(bytes: Uint8Array): { packets: Uint8Array[]; text: Uint8Array } {
    const { packets, text } = this.decoder.push(bytes);
    return { packets, text };
  }

  /** The answer to one request, framed for the serial line; null when nothing goes back. */
  async answer(packet: Uint8Array): Promise<Uint8Array | null> {
    const response = await this.server.handle(packet);
    if (!response) return null;
    const frames = encodeSmpSerialFrames(response, { lineLength: SMP_SERIAL_DEFAULT_LINE_LENGTH });
    if (this.hooks.takeCorruptFrame()) corruptFrame(frames);
    return frames;
  }

  /**
   * The line was broken (cable out and in again): a frame cut off halfway is dropped, or it
   * would swallow the first line that comes after it.
   */
  lineBroken(): void {
    this.decoder = new SmpSerialDecoder();
  }

  /** A reset loses RAM: a half-received frame and any upload in progress. */
  reset(): void {
    this.lineBroken();
    this.images.forgetUpload();
  }
}

/**
 * Swap one base64 character in the first line for another valid one: the frame still parses,
 * but the decoded bytes differ, so the CRC check fails at the host.
 */
function corruptFrame(frames: Uint8Array): void {
  const at = Math.min(6, frames.indexOf(0x0a) - 1);
  const byte = frames[at];
  if (byte === undefined || at < 2) return;
  frames[at] = byte === 0x41 ? 0x42 : 0x41; // 'A' <-> 'B'
}

/** The application code: deterministic from the seed, so the same node always has the same image hash. */
function factoryPayload(seed: number): Uint8Array {
  const payload = new Uint8Array(FACTORY_PAYLOAD_SIZE);
  let state = (seed ^ 0xa5a5a5a5) >>> 0;
  for (let i = 0; i < payload.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    payload[i] = state >>> 24;
  }
  return payload;
}
