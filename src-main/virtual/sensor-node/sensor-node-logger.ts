// The sensor node's logging thread: the background stream `log stream on` switches on, and
// the numbered flood `log flood` starts. Both write through the node's UART (its send, so
// fault knobs and the line rate apply) from a loop of their own, as Zephyr's deferred log
// processing does, beside the shell.
//
// The flood's position lives in retained RAM: a reset stops it, and the boot that follows
// picks it up at the next line, so a host can check that every number arrives exactly once
// even across a reboot. The stream is a runtime setting and a reset switches it off.
import { hash32, mulberry32 } from '../seeded-random';
import { floodDoneLine, floodPiece, streamLine } from './sensor-node-log';

export interface SensorNodeLoggerHost {
  /** The boot the node is in now: output begun in an earlier one stops. */
  bootEpoch(): number;
  /** The node is up in that boot and attached: its output can go out. */
  running(epoch: number): boolean;
  uptimeMs(): number;
  /** Through the node's UART; returns once the bytes are handed over (paced when a line rate is set). */
  send(bytes: Uint8Array, epoch: number): Promise<void>;
  /** A flood sent its last line: the shell draws its prompt again if log output cleared it. */
  floodEnded(epoch: number): Promise<void>;
  /** A timer the node clears when it stops. */
  after(ms: number, action: () => void): void;
  /** The rebootAtFloodLine knob, read without taking it. */
  floodRebootLine(): number | undefined;
  /** Take the rebootAtFloodLine knob and reset the node. */
  rebootForFlood(): void;
}

export interface SensorNodeLoggerOptions {
  seed: number;
  /** Most bytes one write carries: a burst, but short enough that a command's echo is not held up for long. */
  writeBytes: number;
}

export const MAX_STREAM_LINES_PER_SECOND = 100_000;
export const MAX_FLOOD_LINES = 100_000_000;

/** The longest a stream tick waits, and the shortest: slow streams tick per line, fast ones in batches. */
const STREAM_TICK_MAX_MS = 1_000;
const STREAM_TICK_MIN_MS = 10;

interface Flood {
  first: number;
  last: number;
  /** The next line to send. */
  next: number;
}

interface Stream {
  linesPerSecond: number;
  startedAt: number;
  sent: number;
}

export class SensorNodeLogger {
  private flood: Flood | null = null;
  /** The boot whose loop is sending the flood now; null when none is. */
  private floodLoopEpoch: number | null = null;
  private stream: Stream | null = null;
  private streamEpoch: number | null = null;
  private readonly streamRandom: () => number;

  constructor(
    private readonly host: SensorNodeLoggerHost,
    private readonly options: SensorNodeLoggerOptions,
  ) {
    this.streamRandom = mulberry32(hash32((options.seed ^ 0x5717ea3) >>> 0));
  }

  /** Where a flood is: its range and the next line it sends; null when none is running. */
  get floodProgress(): Readonly<Flood> | null {
    return this.flood ? { ...this.flood } : null;
  }

  startStream(linesPerSecond: number): void {
    this.stream = { linesPerSecond, startedAt: performance.now(), sent: 0 };
    this.streamEpoch = null;
    this.resume();
  }

  stopStream(): void {
    this.stream = null;
    this.streamEpoch = null;
  }

  startFlood(first: number, last: number): void {
    this.flood = { first, last, next: first };
    this.resume();
  }

  /** Ends a running flood; returns the line it would have sent next, or null when none ran. */
  stopFlood(): number | null {
    const next = this.flood?.next ?? null;
    this.flood = null;
    return next;
  }

  /** The node reset: RAM settings are gone, retained RAM (the flood's position) is not. */
  reset(): void {
    this.stopStream();
  }

  /** The node is up (booted, or plugged back in): go on with what was running. */
  resume(): void {
    const epoch = this.host.bootEpoch();
    if (!this.host.running(epoch)) return;
    if (this.flood && this.floodLoopEpoch !== epoch) void this.runFlood(epoch);
    if (this.stream && this.streamEpoch !== epoch) {
      this.streamEpoch = epoch;
      // A stream that was off the wire (unplugged) starts counting again rather than catching up.
      this.stream.startedAt = performance.now();
      this.stream.sent = 0;
      this.scheduleStreamTick(epoch);
    }
  }

  private async runFlood(epoch: number): Promise<void> {
    this.floodLoopEpoch = epoch;
    // Up to writeBytes queued on the wire beyond the write going out, so the UART never waits
    // for the logger, not even after a run of short writes.
    const inFlight: { done: Promise<unknown>; bytes: number }[] = [];
    let inFlightBytes = 0;
    try {
      while (this.flood && this.host.running(epoch)) {
        const flood = this.flood;
        const chunks: (string | Uint8Array)[] = [];
        let size = 0;
        const add = (chunk: string | Uint8Array): void => {
          chunks.push(chunk);
          size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        };
        /** The rest of a line this write ends in the middle of. */
        let rest: string | null = null;
        let rebootAfter = false;
        while (flood.next <= flood.last && size < this.options.writeBytes) {
          const n = flood.next++;
          const piece = floodPiece(this.options.seed, n, this.host.uptimeMs());
          if (piece.noiseBefore.length > 0) add(piece.noiseBefore);
          if (this.host.floodRebootLine() === n) {
            add(piece.line);
            rebootAfter = true;
            break;
          }
          if (piece.writeAfter && piece.cutAt !== null) {
            add(piece.line.slice(0, piece.cutAt));
            rest = piece.line.slice(piece.cutAt);
            break;
          }
          add(piece.line);
          if (piece.writeAfter) break;
        }
        if (flood.next > flood.last && !rebootAfter) {
          const done = floodDoneLine(this.host.uptimeMs(), flood.first, flood.last);
          rest = rest === null ? null : rest + done;
          if (rest === null) add(done);
          if (this.flood === flood) this.flood = null;
        }
        // A line cut in two goes out as two writes queued back to back: the host gets it in two
        // pieces, but the shell's echo cannot land between them, as Zephyr's log output keeps a
        // message whole against the shell's.
        const restBytes = rest === null ? null : Buffer.from(rest, 'utf8');
        inFlight.push({ done: this.host.send(joinChunks(chunks, size), epoch), bytes: size });
        if (restBytes) inFlight.push({ done: this.host.send(restBytes, epoch), bytes: restBytes.length });
        inFlightBytes += size + (restBytes?.length ?? 0);
        while (inFlightBytes > this.options.writeBytes || (rebootAfter && inFlight.length > 0)) {
          const oldest = inFlight.shift();
          await oldest?.done;
          inFlightBytes -= oldest?.bytes ?? 0;
        }
        if (rebootAfter) {
          // Line N is on the wire; the reset comes after it, and the next boot goes on from N + 1.
          if (this.host.running(epoch)) this.host.rebootForFlood();
          return;
        }
        // A link that takes bytes without waiting (in memory) must still let the host read them.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await Promise.all(inFlight.map((write) => write.done));
      if (this.flood === null) await this.host.floodEnded(epoch);
    } finally {
      if (this.floodLoopEpoch === epoch) {
        this.floodLoopEpoch = null;
        // A flood started while this loop was finishing the last one's writes is picked up here.
        if (this.flood && this.host.running(epoch)) this.resume();
      }
    }
  }

  private scheduleStreamTick(epoch: number): void {
    const stream = this.stream;
    if (!stream) return;
    const interval = Math.min(STREAM_TICK_MAX_MS, Math.max(STREAM_TICK_MIN_MS, 1_000 / stream.linesPerSecond));
    this.host.after(interval, () => void this.streamTick(stream, epoch));
  }

  private async streamTick(stream: Stream, epoch: number): Promise<void> {
    if (this.stream !== stream || this.streamEpoch !== epoch || !this.host.running(epoch)) return;
    const due = Math.floor(((performance.now() - stream.startedAt) / 1_000) * stream.linesPerSecond) - stream.sent;
    if (due > 0) {
      let text = '';
      for (let i = 0; i < due; i++) text += streamLine(this.streamRandom, stream.sent + i + 1, this.host.uptimeMs());
      stream.sent += due;
      await this.host.send(new TextEncoder().encode(text), epoch);
    }
    if (this.stream === stream && this.streamEpoch === epoch) this.scheduleStreamTick(epoch);
  }
}

function joinChunks(chunks: readonly (string | Uint8Array)[], size: number): Uint8Array {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const chunk of chunks) {
    if (typeof chunk === 'string') at += out.write(chunk, at, 'utf8');
    else {
      out.set(chunk, at);
      at += chunk.length;
    }
  }
  return out;
}
