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
import { MAX_ATTACHMENT_BYTES, type CaseAttachment, type CaseEvent, type Device, type Transport } from '../../api/schemas';
import type { DeviceRegistry } from '../devices/device-registry';
import { describeFraming, sameFraming } from '../devices/port-hold';
import type { CaptureSearchRequest, CaptureService, KnownIssuePattern } from '../logs/capture-service';
import { isSerialProfile, type DeviceProfile, type SerialProfile } from '../profiles/profile-types';
import type { AppendEventInput } from '../../store/case-repository';
import type { AttachInput } from '../../store/case-attachments';
import { captureFileName, captureMediaType, deviceName, newCaptureId } from './capture-names';
import { completionCommands, profileKnownIssues } from './console-profile-knowledge';
import { consoleDefaults, describeLineEnding, withSettings } from './console-settings';
import type { ConsolePorts } from './console-port';
import { LiveConsole } from './live-console';
import { DEFAULT_NUS_CONSOLE_TIMING, type NusConsoleTiming, type NusRegistry, nusConsolePorts } from './nus-console-port';
import { serialConsolePorts } from './serial-console-ports';

/** How often a console whose port was lost looks for its device. */
export const RECONNECT_INTERVAL_MS = 250;
/** How long a console waits for a lost device before it closes. */
export const RECONNECT_DEADLINE_MS = 10 * 60_000;

export interface ConsoleSessionsDeps {
  capture: CaptureService;
  registry: Pick<DeviceRegistry, 'get' | 'list' | 'profileOf' | 'holdPort'>;
  /** The BLE devices, whose UART log (Nordic UART Service) a console reads over their shared connection. */
  ble: NusRegistry;
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
  /** How a console over the UART service looks for a lost BLE device. */
  nusTiming?: NusConsoleTiming;
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
    const source = this.sourceOf(request.deviceId, step);
    const running = this.consoleOn(request.deviceId);
    if (running) return this.join(running, request, step);

    const { device, profile, ports } = source;
    if (ports.source === 'nus' && request.settings && Object.keys(request.settings).length > 0) throw noFraming(deviceName(device), step);
    const defaults = consoleDefaults(profile && isSerialProfile(profile) ? profile : null);
    const settings = ports.source === 'nus' ? null : withSettings(defaults.settings, request.settings);
    if (request.caseId !== undefined) this.deps.cases.get(request.caseId);
    const startedAt = this.deps.now().toISOString();
    const opened = new LiveConsole(
      {
        capture: this.deps.capture,
        ports,
        now: this.deps.now,
        changed: (session) => this.deps.emitSession(session),
        ended: (captureId) => this.live.delete(captureId),
        log: this.deps.log,
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
    const current = running.settings;
    if (!current && request.settings && Object.keys(request.settings).length > 0) throw noFraming(running.device, step);
    const wanted = current && withSettings(current, request.settings);
    const otherEnding = request.lineEnding !== undefined && request.lineEnding !== running.lineEnding;
    const otherFraming = current !== null && wanted !== null && !sameFraming(wanted, current);
    if (otherFraming || otherEnding) {
      const asked = otherFraming && wanted ? describeFraming(wanted) : `line ending ${describeLineEnding(request.lineEnding ?? running.lineEnding)}`;
      const at = current ? `at ${describeFraming(current)}, ` : 'over its UART service, ';
      throw new FieldbenchError({
        code: 'device-busy',
        message: `a console is already open on this device ${at}line ending ${describeLineEnding(running.lineEnding)}; it cannot also be opened with ${asked}`,
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

  /** The device, its profile and where its console reads from: its serial port, or a BLE device's UART service. */
  private sourceOf(deviceId: string, step: string): { device: Device; profile: DeviceProfile | null; ports: ConsolePorts } {
    const transport = this.deps.transportOf(deviceId);
    if (transport === 'ble') return this.nusSource(deviceId, step);
    if (transport === 'usb') {
      throw new FieldbenchError({
        code: 'unavailable',
        message: 'a USB DFU device has no serial console: its bootloader only takes firmware',
        device: deviceId,
        step,
        hint: 'Reset the board into its application and open the console on its serial port.',
      });
    }
    return {
      device: this.deps.registry.get(deviceId),
      profile: this.profileOf(deviceId),
      ports: serialConsolePorts(this.deps.registry, this.deps.reconnectIntervalMs ?? RECONNECT_INTERVAL_MS),
    };
  }

  private nusSource(deviceId: string, step: string): { device: Device; profile: DeviceProfile | null; ports: ConsolePorts } {
    const { ble } = this.deps;
    const device = ble.get(deviceId);
    const profile = ble.profileOf(deviceId);
    if (profile?.ble?.logService !== 'nus') {
      const why = profile
        ? `its profile (${profile.name}) does not say it logs over the Nordic UART Service`
        : 'no device profile recognises it, so nothing says it logs over the Nordic UART Service';
      throw new FieldbenchError({
        code: 'unavailable',
        message: `a Bluetooth LE device’s console reads its UART log, and ${why}`,
        device: deviceName(device),
        step,
        hint: profile
          ? 'If its firmware logs over the Nordic UART Service, add "logService": "nus" to the ble section of its profile; otherwise read its log over a serial port.'
          : 'Add a device profile with match.ble and ble.logService "nus" for this family, or read its log over a serial port.',
      });
    }
    return { device, profile, ports: nusConsolePorts(ble, () => this.deps.now().getTime(), this.deps.nusTiming ?? DEFAULT_NUS_CONSOLE_TIMING) };
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

function noFraming(device: string, step: string): FieldbenchError {
  return new FieldbenchError({
    code: 'invalid-request',
    message: 'this console reads the device’s UART log over Bluetooth LE, which has no baud rate or framing to set',
    device,
    step,
    hint: 'Open it without serial settings; only the line ending can be chosen.',
  });
}
