// The live log consoles of the core: one per device at most, joined or refused by a second
// open, each writing its capture through the capture service (a worker thread in the app),
// and what a person does with a capture: read, search, mark a moment on a case's timeline,
// attach it to a case, export it. A capture outlives its opened; reads work on either.
import { FieldbenchError } from '../../api/errors';
import type {
  CaptureFormat,
  CaptureRange,
  CaptureSummary,
  ConsoleFilter,
  ConsoleFlag,
  ConsoleLine,
  ConsoleProgress,
  ConsoleRead,
  ConsoleSearchResult,
  ConsoleSession,
  LineEnding,
  SerialSettings,
} from '../../api/console-schemas';
import { MAX_ATTACHMENT_BYTES, type CaseAttachment, type CaseEvent, type Transport } from '../../api/schemas';
import type { DeviceRegistry } from '../devices/device-registry';
import { describeFraming, sameFraming } from '../devices/port-hold';
import type { CaptureSearchRequest, CaptureService, KnownIssuePattern } from '../logs/capture-service';
import type { SerialProfile } from '../profiles/profile-types';
import type { AppendEventInput } from '../../store/case-repository';
import type { AttachInput } from '../../store/case-attachments';
import { captureFileName, captureMediaType, newCaptureId } from './capture-names';
import { completionCommands, profileKnownIssues } from './console-profile-knowledge';
import { consoleDefaults, describeLineEnding, withSettings } from './console-settings';
import { LiveConsole } from './live-console';

/** How often a console whose port was lost looks for its device. */
export const RECONNECT_INTERVAL_MS = 250;
/** How long a console waits for a lost device before it closes. */
export const RECONNECT_DEADLINE_MS = 10 * 60_000;

export interface ConsoleSessionsDeps {
  capture: CaptureService;
  registry: Pick<DeviceRegistry, 'get' | 'list' | 'profileOf' | 'holdPort'>;
  /** The transport of a device the serial registry does not hold (USB, BLE); null when no list has it. */
  transportOf(deviceId: string): Transport | null;
  /** Known-issue patterns from outside the profile: the knowledge base's log patterns. */
  knowledgePatterns(): KnownIssuePattern[];
  cases: { get(caseId: string): unknown; appendEvent(input: AppendEventInput): CaseEvent };
  attachments: { attach(input: AttachInput): CaseAttachment };
  emitSession(session: ConsoleSession): void;
  emitProgress(progress: ConsoleProgress): void;
  caseChanged(caseId: string): void;
  now(): Date;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  reconnectIntervalMs?: number;
  reconnectDeadlineMs?: number;
}

export interface ConsoleOpenRequest {
  deviceId: string;
  settings?: Partial<SerialSettings> | undefined;
  lineEnding?: LineEnding | undefined;
  caseId?: string | undefined;
}

export class ConsoleSessions {
  private readonly live = new Map<string, LiveConsole>();
  /** The device each capture of this run was made on, for progress that arrives after a console moved or closed. */
  private readonly deviceOfCapture = new Map<string, string>();
  private readonly stopProgress: () => void;
  private closed = false;

  constructor(private readonly deps: ConsoleSessionsDeps) {
    this.stopProgress = deps.capture.onProgress((progress) => {
      const opened = this.live.get(progress.captureId);
      opened?.counted(progress.lines);
      const deviceId = opened?.deviceId ?? this.deviceOfCapture.get(progress.captureId);
      if (deviceId === undefined) return;
      deps.emitProgress({ captureId: progress.captureId, deviceId, lines: progress.lines, bytes: progress.bytes, flags: progress.flags });
    });
  }

  async open(request: ConsoleOpenRequest): Promise<ConsoleSession> {
    const step = 'open console';
    this.refuseOtherTransports(request.deviceId, step);
    const device = this.deps.registry.get(request.deviceId);
    const running = this.consoleOn(request.deviceId);
    if (running) return this.join(running, request, step);

    const profile = this.profileOf(request.deviceId);
    const defaults = consoleDefaults(profile);
    const settings = withSettings(defaults.settings, request.settings);
    if (request.caseId !== undefined) this.deps.cases.get(request.caseId);
    const startedAt = this.deps.now().toISOString();
    const opened = new LiveConsole(
      {
        capture: this.deps.capture,
        registry: this.deps.registry,
        now: this.deps.now,
        changed: (session) => this.deps.emitSession(session),
        ended: (captureId) => this.live.delete(captureId),
        log: this.deps.log,
        reconnectIntervalMs: this.deps.reconnectIntervalMs ?? RECONNECT_INTERVAL_MS,
        reconnectDeadlineMs: this.deps.reconnectDeadlineMs ?? RECONNECT_DEADLINE_MS,
      },
      {
        captureId: newCaptureId(device, startedAt),
        device,
        settings,
        lineEnding: request.lineEnding ?? defaults.lineEnding,
        commands: completionCommands(profile),
        caseId: request.caseId ?? null,
      },
    );
    await opened.start(
      {
        levelPatterns: profile?.console?.levelPatterns ?? [],
        knownIssues: [...profileKnownIssues(profile), ...this.deps.knowledgePatterns()],
        bootBanner: profile?.console?.bootBanner ?? null,
      },
      profile?.id ?? null,
    );
    // Closed meanwhile (the core shutting down): do not leave a console nobody will close.
    if (this.closed) {
      await opened.close('Fieldbench was closing');
      return opened.snapshot();
    }
    this.live.set(opened.captureId, opened);
    this.deviceOfCapture.set(opened.captureId, opened.deviceId);
    const session = opened.snapshot();
    this.deps.emitSession(session);
    return session;
  }

  async configure(request: {
    captureId: string;
    settings?: Partial<SerialSettings> | undefined;
    lineEnding?: LineEnding | undefined;
    caseId?: string | null | undefined;
  }): Promise<ConsoleSession> {
    const opened = this.liveConsole(request.captureId, 'change opened settings');
    if (request.caseId) this.deps.cases.get(request.caseId);
    await opened.configure(request);
    return opened.snapshot();
  }

  async close(captureId: string): Promise<ConsoleSession> {
    const opened = this.liveConsole(captureId, 'close console');
    this.live.delete(captureId);
    return opened.close();
  }

  sessions(): ConsoleSession[] {
    return [...this.live.values()].map((opened) => opened.snapshot());
  }

  async captures(request: { serialNumber?: string | undefined; limit: number }): Promise<CaptureSummary[]> {
    const all = await this.deps.capture.list();
    const wanted = request.serialNumber?.trim().toLowerCase();
    return all.filter((capture) => wanted === undefined || capture.serialNumber?.toLowerCase() === wanted).slice(0, request.limit);
  }

  async send(captureId: string, text: string): Promise<{ bytes: number; seq: number }> {
    return this.liveConsole(captureId, 'send command').send(text);
  }

  read(captureId: string, offset: number, count: number, filter?: ConsoleFilter): Promise<ConsoleRead> {
    return this.deps.capture.read(captureId, offset, count, filter);
  }

  locate(captureId: string, seq: number, filter?: ConsoleFilter): Promise<{ offset: number | null; total: number }> {
    return this.deps.capture.locate(captureId, seq, filter);
  }

  search(captureId: string, request: CaptureSearchRequest): Promise<ConsoleSearchResult> {
    return this.deps.capture.search(captureId, request);
  }

  flags(captureId: string): Promise<ConsoleFlag[]> {
    return this.deps.capture.flags(captureId);
  }

  /** A mark line in the capture and, with a case (the request's or the console's), an entry on its timeline. */
  async mark(request: { captureId: string; label: string; caseId?: string | undefined }): Promise<ConsoleLine> {
    const opened = this.liveConsole(request.captureId, 'mark a moment');
    const caseId = request.caseId ?? opened.caseId;
    // The case is checked before the mark is written, so a wrong case leaves no half-done mark.
    if (caseId) this.deps.cases.get(caseId);
    const line = await opened.note('mark', request.label);
    if (caseId) {
      this.deps.cases.appendEvent({
        caseId,
        kind: 'log-mark',
        summary: `Log marked: ${request.label}`,
        data: { captureId: request.captureId, seq: line.seq, label: request.label, device: opened.device, at: new Date(line.time).toISOString() },
      });
      this.deps.caseChanged(caseId);
    }
    return line;
  }

  /** The capture (or a range) stored with the case as a file; the case timeline records it. */
  async attach(request: { captureId: string; caseId: string; format: CaptureFormat; range?: CaptureRange | undefined }): Promise<CaseAttachment> {
    this.deps.cases.get(request.caseId);
    const file = await this.render(request.captureId, request.format, request.range ?? {});
    const attachment = this.deps.attachments.attach({ caseId: request.caseId, fileName: file.fileName, mediaType: file.mediaType, bytes: file.bytes });
    this.deps.caseChanged(request.caseId);
    return attachment;
  }

  async export(request: { captureId: string; format: CaptureFormat; range?: CaptureRange | undefined }): Promise<{
    fileName: string;
    mediaType: string;
    contentBase64: string;
    lines: number;
    size: number;
  }> {
    const file = await this.render(request.captureId, request.format, request.range ?? {});
    return { fileName: file.fileName, mediaType: file.mediaType, contentBase64: Buffer.from(file.bytes).toString('base64'), lines: file.lines, size: file.bytes.length };
  }

  /** Lets every port go and finishes every capture; then the capture service stops. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const consoles = [...this.live.values()];
    this.live.clear();
    for (const opened of consoles) {
      await opened.close().catch((error: unknown) => this.deps.log('warn', `${opened.device}: finishing capture ${opened.captureId} failed: ${String(error)}`));
    }
    this.stopProgress();
    await this.deps.capture.close();
  }

  // ------------------------------------------------------------ internals

  private join(running: LiveConsole, request: ConsoleOpenRequest, step: string): ConsoleSession {
    const wanted = withSettings(running.settings, request.settings);
    const otherEnding = request.lineEnding !== undefined && request.lineEnding !== running.lineEnding;
    if (!sameFraming(wanted, running.settings) || otherEnding) {
      const asked = otherEnding && sameFraming(wanted, running.settings) ? `line ending ${describeLineEnding(request.lineEnding ?? running.lineEnding)}` : describeFraming(wanted);
      throw new FieldbenchError({
        code: 'device-busy',
        message: `a console is already open on this device at ${describeFraming(running.settings)}, line ending ${describeLineEnding(running.lineEnding)}; it cannot also be opened with ${asked}`,
        device: running.device,
        step,
        hint: 'Open it with the same settings (or none) to join it, or change the open console’s settings (Apply settings, console.configure).',
      });
    }
    if (request.caseId !== undefined && running.caseId === null) {
      this.deps.cases.get(request.caseId);
      running.caseId = request.caseId;
      this.deps.emitSession(running.snapshot());
    }
    return running.snapshot();
  }

  private consoleOn(deviceId: string): LiveConsole | undefined {
    return [...this.live.values()].find((opened) => opened.deviceId === deviceId && opened.isLive);
  }

  private liveConsole(captureId: string, step: string): LiveConsole {
    const opened = this.live.get(captureId);
    if (!opened?.isLive) {
      throw new FieldbenchError({
        code: 'not-found',
        message: `no console is open with capture ${captureId}`,
        step,
        hint: 'It may have been closed; its capture can still be read, searched and attached (console.captures lists them).',
      });
    }
    return opened;
  }

  private profileOf(deviceId: string): SerialProfile | null {
    return this.deps.registry.get(deviceId).profileId === null ? null : this.deps.registry.profileOf(deviceId);
  }

  private refuseOtherTransports(deviceId: string, step: string): void {
    const transport = this.deps.transportOf(deviceId);
    if (transport === 'usb') {
      throw new FieldbenchError({
        code: 'unavailable',
        message: 'a USB DFU device has no serial console: its bootloader only takes firmware',
        device: deviceId,
        step,
        hint: 'Reset the board into its application and open the console on its serial port.',
      });
    }
    if (transport === 'ble') {
      throw new FieldbenchError({
        code: 'unavailable',
        message: 'the opened reads serial ports; a Bluetooth LE device’s UART log is shown by Follow live',
        device: deviceId,
        step,
        hint: 'Open the device page and use Follow live to see its log as it arrives.',
      });
    }
  }

  private async render(captureId: string, format: CaptureFormat, range: CaptureRange): Promise<{ fileName: string; mediaType: string; bytes: Uint8Array; lines: number }> {
    const summary = await this.summaryOf(captureId);
    const { bytes, lines } = await this.deps.capture.export(captureId, format, range, MAX_ATTACHMENT_BYTES);
    return { fileName: captureFileName(summary, format), mediaType: captureMediaType(format), bytes, lines };
  }

  private async summaryOf(captureId: string): Promise<{ serialNumber: string | null; deviceId: string; startedAt: string }> {
    const opened = this.live.get(captureId);
    if (opened) return { serialNumber: opened.serialNumber, deviceId: opened.deviceId, startedAt: opened.started };
    const found = (await this.deps.capture.list()).find((capture) => capture.captureId === captureId);
    if (!found) {
      throw new FieldbenchError({
        code: 'not-found',
        message: `there is no capture ${captureId}`,
        step: 'find capture',
        hint: 'console.captures lists the captures on disk.',
      });
    }
    return found;
  }
}
