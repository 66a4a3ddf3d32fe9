// One live console: a device's port held through its source (a serial port through the
// registry, or a BLE device's UART service), every byte it receives handed to the capture with
// its arrival time, commands sent in turn with the device's other work, and the device followed
// when its port goes — back where it was, or wherever its source finds it again (a USB CDC
// device re-enumerating with the same serial number) — with the gap marked in the capture.
import { FieldbenchError } from '../../api/errors';
import type { ConsoleLine, ConsoleSession, LineEnding, SerialSettings } from '../../api/console-schemas';
import type { Device } from '../../api/schemas';
import { clockTime } from '../clock-time';
import { describeFraming, sameFraming } from '../devices/port-hold';
import type { CaptureNoteKind, CaptureOpenOptions, CaptureService } from '../logs/capture-service';
import { deviceName, serialNumbersOf } from './capture-names';
import { withCommand } from './console-history';
import { PortQuietWatch, type PortQuietOptions } from './port-quiet-watch';
import type { ConsolePort, ConsolePortListener, ConsolePorts } from './console-port';
import { describeLineEnding, lineEndingBytes, withSettings } from './console-settings';

export interface LiveConsoleDeps {
  capture: CaptureService;
  /** Where the device's port comes from, and where a lost device is looked for. */
  ports: ConsolePorts;
  now(): Date;
  /** The session changed state, settings, refusal or history. */
  changed(session: ConsoleSession): void;
  /** The console closed by itself (it gave up waiting for the device). */
  ended(captureId: string): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** How long a lost device is waited for before the console closes. */
  reconnectDeadlineMs: number;
  /** When a line without its end is written as it is: after this much quiet on the port. */
  quiet?: PortQuietOptions;
}

export interface LiveConsoleStart {
  captureId: string;
  device: Device;
  /** null for a source without framing (the UART service). */
  settings: SerialSettings | null;
  lineEnding: LineEnding;
  commands: string[];
  caseId: string | null;
}

export class LiveConsole {
  readonly captureId: string;
  deviceId: string;
  private deviceLabel: string;
  /** Every serial number the device was seen with: it is followed by any of them. */
  private readonly serialNumbers: string[];
  private settingsNow: SerialSettings | null;
  private lineEndingNow: LineEnding;
  private state: ConsoleSession['state'] = 'open';
  private stateDetail: string | null = null;
  private readonly startedAt: string;
  private endedAt: string | null = null;
  private lines = 0;
  private bytes = 0;
  private sendRefusal: string | null = null;
  private readonly commands: string[];
  private history: string[] = [];
  caseId: string | null;

  private hold: ConsolePort | null = null;
  /** Bytes that arrived before the capture could take them (it is opening, or a gap note goes first). */
  private pending: { time: number; bytes: Uint8Array }[] | null = [];
  private lost: { at: Date; reason: string; attempts: number } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private searching = false;
  /** Tells the capture to write a line without its end once the port has been quiet, as seen from here. */
  private readonly quiet: PortQuietWatch;

  constructor(
    private readonly deps: LiveConsoleDeps,
    start: LiveConsoleStart,
  ) {
    this.captureId = start.captureId;
    this.deviceId = start.device.id;
    this.deviceLabel = deviceName(start.device);
    this.serialNumbers = serialNumbersOf(start.device);
    this.settingsNow = start.settings;
    this.lineEndingNow = start.lineEnding;
    this.commands = start.commands;
    this.caseId = start.caseId;
    this.startedAt = deps.now().toISOString();
    this.quiet = new PortQuietWatch(() => this.portQuiet(), deps.quiet);
  }

  get isLive(): boolean {
    return this.state !== 'closed';
  }

  get settings(): SerialSettings | null {
    return this.settingsNow;
  }

  get lineEnding(): LineEnding {
    return this.lineEndingNow;
  }

  get device(): string {
    return this.deviceLabel;
  }

  get serialNumber(): string | null {
    return this.serialNumbers[0] ?? null;
  }

  get started(): string {
    return this.startedAt;
  }

  snapshot(): ConsoleSession {
    return {
      captureId: this.captureId,
      deviceId: this.deviceId,
      device: this.deviceLabel,
      serialNumber: this.serialNumber,
      source: this.deps.ports.source,
      settings: this.settingsNow && { ...this.settingsNow },
      lineEnding: this.lineEndingNow,
      state: this.state,
      stateDetail: this.stateDetail,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      lines: this.lines,
      bytes: this.bytes,
      sendRefusal: this.sendRefusal,
      commands: [...this.commands],
      history: [...this.history],
      caseId: this.caseId,
    };
  }

  /** Takes the port, then opens the capture; what arrives in between waits and is not lost. */
  async start(capture: Omit<CaptureOpenOptions, 'meta'>, profileId: string | null): Promise<void> {
    this.hold = await this.deps.ports.hold(this.deviceId, this.settingsNow, this.portListener());
    try {
      await this.deps.capture.open({
        ...capture,
        meta: {
          captureId: this.captureId,
          deviceId: this.deviceId,
          device: this.deviceLabel,
          serialNumber: this.serialNumber,
          profileId,
          source: this.deps.ports.source,
          settings: this.settingsNow && { ...this.settingsNow },
          startedAt: this.startedAt,
          endedAt: null,
        },
      });
    } catch (error) {
      await this.hold.release();
      this.hold = null;
      this.state = 'closed';
      throw error;
    }
    this.flushPending();
    this.sendRefusal = this.hold.sendRefusal();
  }

  /** Progress from the capture: lines written so far. */
  counted(lines: number): void {
    this.lines = Math.max(this.lines, lines);
  }

  async send(text: string): Promise<{ bytes: number; seq: number }> {
    const step = 'send command';
    this.ensureLive(step);
    const hold = this.hold;
    if (this.state === 'reconnecting' || !hold) {
      throw new FieldbenchError({
        code: 'device-gone',
        message: `the ${this.deps.ports.medium} is lost: ${this.stateDetail ?? 'the device went away'}`,
        device: this.deviceLabel,
        step,
        hint: 'The console is looking for the device; send again once it is back.',
      });
    }
    const refusal = hold.sendRefusal();
    if (refusal) {
      throw new FieldbenchError({
        code: 'device-busy',
        message: refusal,
        device: this.deviceLabel,
        step,
        hint: 'The console keeps showing what the device prints; send again once the update has ended.',
      });
    }
    const bytes = new TextEncoder().encode(text + lineEndingBytes(this.lineEndingNow));
    // Noted first, so the command stands before the device's echo and answer in the capture.
    const line = await this.deps.capture.note(this.captureId, 'sent', text, this.deps.now().getTime());
    try {
      await hold.write(bytes, step);
    } catch (error) {
      await this.note('note', `the command above was not sent: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    const history = withCommand(this.history, text);
    if (history.join('\n') !== this.history.join('\n')) {
      this.history = history;
      this.changed();
    }
    return { bytes: bytes.length, seq: line.seq };
  }

  /** A line of Fieldbench's own in the capture (a mark, a note). */
  note(kind: CaptureNoteKind, text: string): Promise<ConsoleLine> {
    return this.deps.capture.note(this.captureId, kind, text, this.deps.now().getTime());
  }

  /** New settings (the port is opened again with them), line ending or case; each change is noted in the capture. */
  async configure(change: { settings?: Partial<SerialSettings> | undefined; lineEnding?: LineEnding | undefined; caseId?: string | null | undefined }): Promise<void> {
    this.ensureLive('change console settings');
    const notes: string[] = [];
    const current = this.settingsNow;
    const settings = current && withSettings(current, change.settings);
    if (!current || !settings) {
      if (change.settings && Object.keys(change.settings).length > 0) {
        throw new FieldbenchError({
          code: 'invalid-request',
          message: 'this console reads the device’s UART log over Bluetooth LE, which has no baud rate or framing to set',
          device: this.deviceLabel,
          step: 'change console settings',
          hint: 'Change only the line ending (or the case) of this console.',
        });
      }
    } else if (!sameFraming(settings, current)) {
      // While the device is away, the new settings are used when it comes back.
      if (this.hold) await this.hold.change(settings);
      notes.push(`serial settings changed: ${describeFraming(current)} → ${describeFraming(settings)}`);
      this.settingsNow = settings;
    }
    if (change.lineEnding !== undefined && change.lineEnding !== this.lineEndingNow) {
      notes.push(`line ending changed: ${describeLineEnding(this.lineEndingNow)} → ${describeLineEnding(change.lineEnding)}`);
      this.lineEndingNow = change.lineEnding;
    }
    if (change.caseId !== undefined) this.caseId = change.caseId;
    for (const text of notes) await this.note('note', text);
    this.changed();
  }

  /** Lets the port go and finishes the capture; the capture stays on disk. */
  async close(why: string | null = null): Promise<ConsoleSession> {
    if (this.state === 'closed') return this.snapshot();
    this.state = 'closed';
    this.stateDetail = why;
    this.stopLooking();
    this.quiet.stop();
    const hold = this.hold;
    this.hold = null;
    await hold?.release();
    this.sendRefusal = null;
    this.endedAt = this.deps.now().toISOString();
    this.flushPending();
    try {
      if (why) await this.note('note', `console closed: ${why}`);
    } finally {
      const summary = await this.deps.capture.finish(this.captureId, this.endedAt);
      this.lines = Math.max(this.lines, summary.lines);
      this.changed();
    }
    return this.snapshot();
  }

  // ------------------------------------------------------------ the port

  private portListener(): ConsolePortListener {
    return {
      onData: (chunk, time) => this.received(chunk, time),
      onLost: (reason) => this.portLost(reason),
      onSendRefusal: (reason) => {
        if (reason === this.sendRefusal) return;
        this.sendRefusal = reason;
        this.changed();
      },
    };
  }

  private received(chunk: Uint8Array, time: number): void {
    if (this.state === 'closed') return;
    this.bytes += chunk.length;
    // A copy: the capture may move the bytes to its worker, and the link's buffer is not ours.
    const bytes = chunk.slice();
    if (this.pending) this.pending.push({ time, bytes });
    else this.deps.capture.ingest(this.captureId, time, bytes);
    this.quiet.data();
  }

  private portQuiet(): void {
    if (this.state === 'closed') return;
    // Bytes held back for the capture are not in it yet: their quiet is counted once they are.
    if (this.pending) {
      this.quiet.data();
      return;
    }
    try {
      this.deps.capture.endPartialLine(this.captureId);
    } catch (error) {
      this.deps.log('warn', `${this.deviceLabel}: writing the line without its end failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private flushPending(): void {
    const pending = this.pending;
    this.pending = null;
    for (const { time, bytes } of pending ?? []) this.deps.capture.ingest(this.captureId, time, bytes);
  }

  private portLost(reason: string): void {
    // A port lost while the console was already looking is an attempt that failed, not news.
    if (this.state !== 'open') return;
    this.hold = null;
    // The gap note writes what is pending; nothing more comes to wait for until the port is back.
    this.quiet.stop();
    this.lost = { at: this.deps.now(), reason, attempts: 0 };
    this.state = 'reconnecting';
    this.sendRefusal = null;
    const waitingFor = this.serialNumber ? `${this.serialNumber} to come back` : `${this.deviceLabel} to come back`;
    this.stateDetail = `${this.deps.ports.medium} lost: ${reason}; waiting for ${waitingFor}`;
    this.deps.log('info', `${this.deviceLabel}: console lost its ${this.deps.ports.medium} (${reason}); looking for the device`);
    this.changed();
    this.lookAgainLater();
  }

  private lookAgainLater(): void {
    if (this.state !== 'reconnecting' || this.timer || !this.lost) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.lookForDevice();
    }, this.deps.ports.retryDelayMs(this.lost.attempts));
    this.timer.unref?.();
  }

  private stopLooking(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async lookForDevice(): Promise<void> {
    const lost = this.lost;
    if (this.state !== 'reconnecting' || this.searching || !lost) return;
    if (this.deps.now().getTime() - lost.at.getTime() >= this.deps.reconnectDeadlineMs) {
      const minutes = this.deps.reconnectDeadlineMs / 60_000;
      const waited = minutes >= 1 ? `${Number(minutes.toFixed(1))} min` : `${Number((this.deps.reconnectDeadlineMs / 1000).toFixed(2))} s`;
      await this.close(`the device did not come back within ${waited} after its ${this.deps.ports.medium} was lost (${lost.reason})`).catch((error: unknown) =>
        this.deps.log('warn', `${this.deviceLabel}: finishing the capture failed: ${String(error)}`),
      );
      this.deps.ended(this.captureId);
      return;
    }
    this.searching = true;
    lost.attempts += 1;
    try {
      for (const device of this.deps.ports.candidates(this.deviceId, this.serialNumbers)) {
        // Bytes from the port wait until the gap note is in, so the gap stands before them.
        this.pending = [];
        let hold: ConsolePort;
        try {
          hold = await this.deps.ports.hold(device.id, this.settingsNow, this.portListener());
        } catch {
          this.pending = null;
          continue; // not back yet, or another console holds it
        }
        if (this.state !== 'reconnecting') {
          await hold.release();
          this.pending = null;
          return;
        }
        await this.cameBack(device, hold, lost);
        return;
      }
    } finally {
      this.searching = false;
      this.lookAgainLater();
    }
  }

  private async cameBack(device: Device, hold: ConsolePort, lost: { at: Date; reason: string }): Promise<void> {
    const back = this.deps.now();
    const seconds = ((back.getTime() - lost.at.getTime()) / 1000).toFixed(2);
    const { medium } = this.deps.ports;
    const gap = `${medium} lost ${clockTime(lost.at)} (${lost.reason}), back ${clockTime(back)} on ${hold.path}: ${seconds} s without data`;
    const noted = this.deps.capture.note(this.captureId, 'gap', gap, back.getTime());
    this.flushPending();
    this.hold = hold;
    this.lost = null;
    this.deviceId = device.id;
    this.deviceLabel = deviceName(device);
    for (const serial of serialNumbersOf(device)) if (!this.serialNumbers.includes(serial)) this.serialNumbers.push(serial);
    this.state = 'open';
    this.stateDetail = null;
    this.sendRefusal = hold.sendRefusal();
    this.deps.log('info', `${this.deviceLabel}: console back on its ${medium} after ${seconds} s`);
    await noted.catch((error: unknown) => this.deps.log('warn', `${this.deviceLabel}: the gap note failed: ${String(error)}`));
    this.changed();
  }

  private ensureLive(step: string): void {
    if (this.state === 'closed') {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `the console ${this.captureId} is closed`,
        device: this.deviceLabel,
        step,
        hint: 'Open a console on the device again; the closed capture can still be read and attached.',
      });
    }
  }

  private changed(): void {
    this.deps.changed(this.snapshot());
  }
}
