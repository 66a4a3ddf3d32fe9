// `fieldbench log`: a device's live log in a terminal, through the same console the app
// opens. Every line is printed as the capture has it, with the host's time (absolute and
// since the start) and its level; --json prints each as a JSON object, and --capture FILE
// writes them to a file as they come. Lines are read from the capture by sequence number as
// progress reports them, never "the newest N", so a fast stream prints every line once and
// in order however far behind the terminal falls.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ConsoleLine, ConsoleSession, SerialSettings } from '../../api/console-schemas';
import { FieldbenchError } from '../../api/errors';
import type { Device, VirtualFaults } from '../../api/schemas';
import { clockTime } from '../../core/clock-time';
import type { Core } from '../../core/core';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, processIo, type Io } from '../output';

export type LogTarget = { port: string } | { virtual: true; faults?: VirtualFaults };

export interface LogOptions {
  target: LogTarget;
  settings: Partial<SerialSettings>;
  /** Command lines sent once the console is open, in order. */
  send: string[];
  /** Stop after this many lines from the device. */
  lines: number | null;
  /** Stop after this many seconds. */
  seconds: number | null;
  /** Stop after the first line from the device that matches. */
  until: RegExp | null;
  /** Also write the lines here: JSON lines when it ends in .jsonl, text otherwise. */
  captureFile: string | null;
  /** Lines read from here are sent as commands after the --send ones (a pipe into the CLI); null for none. */
  commands: NodeJS.ReadableStream | null;
}

/** Most lines one read asks for (the contract's limit). */
const READ_BATCH = 2_000;
/** Lines are read when progress says there are more; this catches any the last progress did not announce. */
const POLL_MS = 500;

export async function logCommand(session: CoreSessionOptions, options: LogOptions, json: boolean, signal: AbortSignal): Promise<number> {
  const file = options.captureFile === null ? null : openCaptureFile(options.captureFile);
  try {
    return await withCore(session, async (core) => {
      const device = await targetDevice(core, options.target);
      const printer = new LinePrinter(session.io, json, colourOn(session.io), file);
      return new ConsoleFollower(core, device, options, printer, session.io).run(signal);
    });
  } finally {
    file?.close();
  }
}

async function targetDevice(core: Core, target: LogTarget): Promise<Device> {
  if ('port' in target) return call(core, 'devices.addPort', { path: target.port });
  return call(core, 'devices.attachVirtual', { model: 'sensor-node', ...(target.faults ? { faults: target.faults } : {}) });
}

/** Colours go to a terminal; a pipe or a file gets plain text (NO_COLOR turns them off anywhere). */
function colourOn(io: Io): boolean {
  return io === processIo && process.stdout.isTTY === true && !('NO_COLOR' in process.env);
}

/** Follows one console: reads its lines in order as they are captured, until told to stop, and closes it. */
class ConsoleFollower {
  private nextSeq = 0;
  private deviceLines = 0;
  private stopReason: 'done' | 'interrupted' | null = null;
  private ended: ((value: void) => void) | null = null;
  private failure: FieldbenchError | null = null;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private captureId: string | null = null;

  constructor(
    private readonly core: Core,
    private readonly device: Device,
    private readonly options: LogOptions,
    private readonly printer: LinePrinter,
    private readonly io: Io,
  ) {}

  async run(signal: AbortSignal): Promise<number> {
    const stopped = new Promise<void>((resolve) => (this.ended = resolve));
    const offs = [
      this.core.events.on('console.progress', (progress) => {
        if (progress.captureId === this.captureId) this.wake();
      }),
      this.core.events.on('console.session', (state) => {
        if (state.captureId === this.captureId) this.sessionChanged(state);
      }),
    ];
    const interrupt = () => this.stop('interrupted');
    signal.addEventListener('abort', interrupt, { once: true });
    const poll = setInterval(() => this.wake(), POLL_MS);
    const timer = this.options.seconds === null ? null : setTimeout(() => this.stop('done'), this.options.seconds * 1000);
    let opened: ConsoleSession | null = null;
    try {
      opened = await call(this.core, 'console.open', { deviceId: this.device.id, ...(Object.keys(this.options.settings).length > 0 ? { settings: this.options.settings } : {}) });
      this.captureId = opened.captureId;
      this.printer.opened(opened);
      if (signal.aborted) this.stop('interrupted');
      this.wake();
      for (const text of this.options.send) {
        if (this.stopReason !== null) break;
        await call(this.core, 'console.send', { captureId: opened.captureId, text });
      }
      const piped = this.options.commands === null ? null : this.sendPiped(this.options.commands, opened.captureId, stopped);
      await stopped;
      await piped;
    } catch (error) {
      // A send refused or a read failed: the console still closes before the error is told.
      if (opened) await call(this.core, 'console.close', { captureId: opened.captureId }).catch(() => undefined);
      throw error;
    } finally {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', interrupt);
      for (const off of offs) off();
    }
    await this.pumping;
    const closed = await call(this.core, 'console.close', { captureId: opened.captureId }).catch((error: unknown) => {
      // Closed already (the device was lost for good): the failure says why.
      if (this.failure) return null;
      throw error;
    });
    // Ctrl-C: what came in before the console closed is still printed and written.
    if (this.stopReason === 'interrupted' || this.failure) await this.readAll();
    this.printer.closed(closed ?? opened, this.options.captureFile);
    if (this.failure) throw this.failure;
    return EXIT_OK;
  }

  /** Each line from the pipe as a command, in order, until the pipe ends or the follow stops. */
  private async sendPiped(input: NodeJS.ReadableStream, captureId: string, stopped: Promise<void>): Promise<void> {
    const lines = createInterface({ input, crlfDelay: Infinity });
    void stopped.then(() => lines.close());
    try {
      for await (const text of lines) {
        if (this.stopReason !== null) break;
        await call(this.core, 'console.send', { captureId, text });
      }
    } catch (error) {
      this.failure ??= asFieldbenchError(error, this.device.path);
      this.stop('done');
    } finally {
      lines.close();
    }
  }

  private sessionChanged(state: ConsoleSession): void {
    if (state.state === 'reconnecting') this.io.err(`fieldbench: ${state.stateDetail ?? 'the port was lost'}; waiting for the device to come back`);
    if (state.state === 'closed' && this.stopReason === null) {
      this.failure = new FieldbenchError({
        code: 'device-gone',
        message: state.stateDetail ?? 'the console closed',
        device: state.device,
        step: 'follow log',
        hint: 'Check the cable and that the device is powered, then run fieldbench log again.',
      });
      this.stop('done');
    }
  }

  private stop(reason: 'done' | 'interrupted'): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.ended?.(undefined);
  }

  /** Reads what is new, one pump at a time; a wake during a pump makes it go round once more. */
  private wake(): void {
    if (this.captureId === null || this.stopReason !== null) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false;
          await this.readAll();
        } while (this.pumpAgain && this.stopReason === null);
      } catch (error) {
        this.failure ??= asFieldbenchError(error, this.device.path);
        this.stop('done');
      } finally {
        this.pumping = null;
      }
    })();
  }

  /** Every line from nextSeq to the end of the capture, in order, unless a limit stops it first. */
  private async readAll(): Promise<void> {
    const captureId = this.captureId;
    if (captureId === null) return;
    for (;;) {
      const read = await call(this.core, 'console.read', { captureId, offset: this.nextSeq, count: READ_BATCH });
      for (const line of read.lines) {
        if (line.seq < this.nextSeq) continue;
        this.nextSeq = line.seq + 1;
        this.printer.line(line);
        if (line.kind === 'device' && this.stopReason === null && this.endsHere(line)) {
          this.stop('done');
          return;
        }
      }
      if (read.lines.length === 0 || this.nextSeq >= read.captured) return;
    }
  }

  /** Counts a device line and says whether --lines or --until ends the follow with it. */
  private endsHere(line: ConsoleLine): boolean {
    this.deviceLines += 1;
    if (this.options.lines !== null && this.deviceLines >= this.options.lines) return true;
    return this.options.until !== null && this.options.until.test(line.text);
  }
}

function asFieldbenchError(error: unknown, device: string): FieldbenchError {
  if (error instanceof FieldbenchError) return error;
  return new FieldbenchError({
    code: 'internal',
    message: `reading the log failed: ${error instanceof Error ? error.message : String(error)}`,
    device,
    step: 'read log',
    hint: 'Run fieldbench log again; the capture so far is kept.',
  });
}

// ------------------------------------------------------------------ output

interface CaptureFile {
  path: string;
  json: boolean;
  write(text: string): void;
  close(): void;
}

/**
 * The file is written with a system call per batch of lines, not buffered in this process,
 * so a killed CLI leaves every line it had printed; it is synced to disk when it closes.
 */
function openCaptureFile(path: string): CaptureFile {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `cannot write the capture file ${path}: ${error instanceof Error ? error.message : String(error)}`,
      step: 'open capture file',
      hint: 'Give --capture a path in a folder that exists and that you can write to.',
    });
  }
  let open = true;
  return {
    path,
    json: path.toLowerCase().endsWith('.jsonl'),
    write: (text) => {
      if (open) writeSync(fd, text);
    },
    close: () => {
      if (!open) return;
      open = false;
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}

const LEVEL_TAGS: Record<NonNullable<ConsoleLine['level']>, string> = { error: 'ERR', warn: 'WRN', info: 'INF', debug: 'DBG', trace: 'TRC' };

/** Prints lines to the terminal (text or JSON) and to the capture file, with host times. */
class LinePrinter {
  private startedAt: number | null = null;

  constructor(
    private readonly io: Io,
    private readonly json: boolean,
    private readonly colour: boolean,
    private readonly file: CaptureFile | null,
  ) {}

  opened(session: ConsoleSession): void {
    this.startedAt = Date.parse(session.startedAt);
    const settings = session.settings ? ` at ${session.settings.baudRate} baud` : '';
    // The terminal's first line says what is followed; in --json it would not be a line of the log.
    if (!this.json) this.io.err(`fieldbench: following ${session.device}${settings}, capture ${session.captureId}; Ctrl-C stops`);
  }

  closed(session: ConsoleSession, captureFile: string | null): void {
    const file = captureFile ? `, and written to ${captureFile}` : '';
    this.io.err(`fieldbench: console closed: ${session.lines} lines in capture ${session.captureId}${file}`);
  }

  line(line: ConsoleLine): void {
    const start = this.startedAt ?? line.time;
    const at = new Date(line.time).toISOString();
    const json = this.json || this.file?.json ? JSON.stringify({ ...line, at }) : '';
    const plain = !this.json || (this.file && !this.file.json) ? textLine(line, start, false) : '';
    this.io.out(this.json ? json : this.colour ? textLine(line, start, true) : plain);
    this.file?.write(`${this.file.json ? json : plain}\n`);
  }
}

/** "14:03:07.250 +12.345 INF [00:00:12.345,000] <inf> main: heartbeat", marks, gaps and sent commands set apart. */
function textLine(line: ConsoleLine, start: number, colour: boolean): string {
  const relative = `+${((line.time - start) / 1000).toFixed(3)}`.padStart(9);
  const level = line.level ? LEVEL_TAGS[line.level] : '   ';
  const text = colour ? styled(line) : line.text;
  const marks = [line.reboot ? 'reboot' : null, line.truncated ? 'cut' : null, ...line.issues.map((id) => `known issue: ${id}`)].filter(Boolean);
  const tail = marks.length > 0 ? `  [${marks.join('; ')}]` : '';
  const prefix = { device: '', sent: '>>> ', mark: '*** MARK ', gap: '--- GAP ', note: '--- ' }[line.kind];
  return `${clockTime(new Date(line.time))} ${relative} ${level} ${prefix}${text}${tail}`;
}

const SGR_COLOURS: Record<string, number> = { black: 0, red: 1, green: 2, yellow: 3, blue: 4, magenta: 5, cyan: 6, white: 7 };

/** The line's spans back as SGR sequences, for a terminal. */
function styled(line: ConsoleLine): string {
  let out = '';
  for (const span of line.spans) {
    const codes = [span.bold ? '1' : null, span.underline ? '4' : null, colourCode(span.fg, 30), colourCode(span.bg, 40)].filter((c): c is string => c !== null);
    out += codes.length > 0 ? `\u001b[${codes.join(';')}m${span.text}\u001b[0m` : span.text;
  }
  return out;
}

function colourCode(colour: string | undefined, base: 30 | 40): string | null {
  if (colour === undefined) return null;
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (hex) return `${base + 8};2;${parseInt(hex[1]!, 16)};${parseInt(hex[2]!, 16)};${parseInt(hex[3]!, 16)}`;
  const bright = colour.startsWith('bright-');
  const index = SGR_COLOURS[bright ? colour.slice(7) : colour];
  if (index === undefined) return null;
  return String((bright ? base + 60 : base) + index);
}
