// The node's MCUmgr stack as it sits on its one serial line: the flash and MCUboot slots, the
// SMP server with the OS, image and statistics groups, and the serial framing between the
// line and the server. Bytes from the UART are split into SMP packets and console text (the
// text goes on to the shell, as Zephyr's shell MCUmgr transport does); each packet's answer
// goes back framed in base64 lines. The SMP fault knobs that act on a single exchange
// (corrupt a frame, answer an error code, reboot partway through an upload) are applied here.
//
// Request frames are held as Zephyr's UART transport holds them: MCUmgr's pool of buf_count
// buffers serves requests and responses alike. The request being handled keeps its buffer
// and one for its answer until the answer has left the UART; each finished request waiting
// behind it keeps one; a frame that finds no buffer free is dropped whole, without an answer
// (Zephyr counts it nowhere; the node counts it in its SMP statistics as `dropped`). So the
// node holds at most buf_count − 1 unanswered requests. Zephyr takes the buffer at a frame's
// first line and the node counts it when the frame is complete, which differs only when a
// buffer frees while a frame is arriving. In serial recovery MCUboot reads into a single
// buffer and handles one request at a time: it reports buf_count 1, and a frame that
// arrives whole while it is busy is dropped.
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

interface HeldRequest {
  packet: Uint8Array;
  deliver: (frames: Uint8Array) => Promise<void>;
}

export class SensorNodeSmp {
  readonly flash: SimulatedFlash;
  readonly slots: McubootSlots;
  readonly images: SmpImageGroup;
  readonly server: SmpServer;
  private decoder = new SmpSerialDecoder();
  /** Finished requests waiting for the SMP work queue, oldest first. */
  private waiting: HeldRequest[] = [];
  /** A request is being handled or its answer sent: it holds two buffers. */
  private handling = false;
  /** Bumped at every reset: a handler that started before it sends nothing. */
  private generation = 0;
  private worker: Promise<void> = Promise.resolve();

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
      bufCount: () => this.bufferCount(),
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

  /** MCUmgr buffers: buf_count in the application, MCUboot's single input buffer in serial recovery. */
  bufferCount(): number {
    return this.hooks.mode() === 'serial-recovery' ? 1 : SMP_BUF_COUNT;
  }

  /**
   * A request frame has arrived whole: hold it for the SMP work queue, which answers
   * through `deliver`, or drop it when no buffer is free (see the top of this file).
   * Returns false for a dropped frame.
   */
  take(packet: Uint8Array, deliver: (frames: Uint8Array) => Promise<void>): boolean {
    const held = this.waiting.length + (this.handling ? 2 : 0);
    if (held + 1 > this.bufferCount()) {
      this.server.noteDropped();
      return false;
    }
    this.waiting.push({ packet, deliver });
    if (!this.handling) {
      this.handling = true;
      this.worker = this.work(this.generation);
    }
    return true;
  }

  /** Settles once every request held has been answered (or dropped by a reset). */
  idle(): Promise<void> {
    return this.worker;
  }

  /** The SMP work queue: one request at a time, its answer sent before the next is taken. */
  private async work(generation: number): Promise<void> {
    try {
      for (let held = this.waiting.shift(); held !== undefined; held = this.waiting.shift()) {
        const frames = await this.answer(held.packet);
        if (generation !== this.generation) return;
        if (frames) await held.deliver(frames);
        if (generation !== this.generation) return;
      }
    } catch {
      // The line went away under an answer: nothing more to send on it.
      this.waiting = [];
    } finally {
      if (generation === this.generation) this.handling = false;
    }
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

  /** A reset loses RAM: a half-received frame, the requests held and any upload in progress. */
  reset(): void {
    this.lineBroken();
    this.generation += 1;
    this.waiting = [];
    this.handling = false;
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
