// The API contract: every request and every event Fieldbench offers, in one map.
// The Electron IPC binding, the WebSocket binding of `fieldbench serve` and the CLI all go
// through this map, and every payload is checked against its schema on the way in.
// This folder imports nothing from main, preload or renderer code.
import { z } from 'zod';
import {
  ApiError,
  BleAdvertList,
  BleFollowState,
  BleValues,
  LogLines,
  BleScanState,
  CaseAttachment,
  CaseAttachmentContent,
  CaseBundleFile,
  CaseBundleImport,
  CaseDetail,
  CaseFieldsPatch,
  CaseSearchResult,
  CaseStatus,
  CaseSummary,
  MAX_ATTACHMENT_BYTES,
  MAX_BUNDLE_BYTES,
  Device,
  DiagnosticsReport,
  FirmwareFileContent,
  FirmwareJob,
  FirmwareJobOptions,
  FirmwareProgress,
  Id,
  ImageInspection,
  KbArticle,
  KbArticleSummary,
  KbErrorKind,
  KbProblem,
  KbSuggestion,
  ReadingStatus,
  IsoTime,
  ImageSlot,
  ProcedureRun,
  ProcedureSummary,
  PublicKeyPem,
  SmpInfo,
  Note,
  ProfileProblem,
  ProfileSummary,
  SystemInfo,
  Uuid,
  VirtualFaults,
  VirtualModel,
} from './schemas';
import {
  CaptureExport,
  CaptureFormat,
  CaptureId,
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
} from './console-schemas';
import {
  StationExport,
  StationExportFormat,
  StationRecipeFile,
  StationRun,
  StationRunFilter,
  StationState,
  StationUnit,
} from './station-schemas';
import type { EventChannelName, RequestChannelName } from './channels';

const Empty = z.object({}).strict();

export const requests = {
  'system.info': { request: Empty, response: SystemInfo },

  'profiles.list': {
    request: Empty,
    response: z.object({ profiles: z.array(ProfileSummary), problems: z.array(ProfileProblem) }),
  },

  'devices.list': { request: Empty, response: z.array(Device) },
  /** Attach a simulated device (demo mode, training, tests). */
  'devices.attachVirtual': {
    request: z
      .object({
        model: VirtualModel.default('sensor-node'),
        faults: VirtualFaults.optional(),
        /**
         * Start in the application (default), in MCUboot serial recovery as after a failed
         * update (sensor-node), or in the USB DFU bootloader (stm32-dfu, dfu-gadget).
         */
        startIn: z.enum(['application', 'serial-recovery', 'bootloader']).optional(),
        /** How the sensor node is reached: a pseudo-terminal (default) or Bluetooth LE through a simulated BlueZ (Linux). */
        transport: z.enum(['serial', 'ble']).optional(),
      })
      .strict(),
    response: Device,
  },
  /**
   * Attach several virtual devices at once, each with its own fault knobs (a tray to try a
   * station recipe on). All or nothing: if one cannot be attached, those already attached are
   * detached again and the error names which one failed.
   */
  'devices.attachVirtualMany': {
    request: z
      .object({
        model: VirtualModel.default('sensor-node'),
        transport: z.enum(['serial', 'ble']).optional(),
        units: z
          .array(z.object({ faults: VirtualFaults.optional() }).strict())
          .min(1)
          .max(16),
      })
      .strict(),
    response: z.array(Device),
  },
  /** Set or clear the fault knobs of an attached virtual device. */
  'devices.setFaults': {
    request: z.object({ deviceId: Id, faults: VirtualFaults }).strict(),
    response: Device,
  },
  /** Detach a virtual device, or forget a port added by hand. */
  'devices.detach': { request: z.object({ deviceId: Id }).strict(), response: z.object({}) },
  /** Add a serial port that discovery cannot see (a port from `fieldbench sim`, a socat link). */
  'devices.addPort': {
    request: z.object({ path: z.string().min(1).max(4096) }).strict(),
    response: Device,
  },
  /** Probe a device again to recognise it from the profiles. */
  'devices.identify': { request: z.object({ deviceId: Id }).strict(), response: Device },
  /**
   * Switch a USB device whose application offers DFU runtime into its bootloader (DFU DETACH),
   * and follow it across the re-enumeration by its serial number; answers with it in DFU mode.
   */
  'devices.enterDfu': { request: z.object({ deviceId: Id }).strict(), response: Device },

  'diagnostics.read': { request: z.object({ deviceId: Id }).strict(), response: DiagnosticsReport },
  /** The most recent report read this session, if any. */
  'diagnostics.last': {
    request: z.object({ deviceId: Id }).strict(),
    response: DiagnosticsReport.nullable(),
  },

  'cases.list': {
    request: z
      .object({
        status: CaseStatus.optional(),
        deviceSerial: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    response: z.array(CaseSummary),
  },
  'cases.get': { request: z.object({ caseId: Uuid }).strict(), response: CaseDetail },
  /**
   * Open a case; with a device, its identity and a diagnostics snapshot are attached. The
   * support fields may be filled in at once (status and title come from here, not `fields`).
   */
  'cases.open': {
    request: z
      .object({
        title: z.string().trim().min(1).max(300),
        deviceId: Id.optional(),
        fields: CaseFieldsPatch.omit({ title: true, status: true }).optional(),
      })
      .strict(),
    response: CaseDetail,
  },
  /**
   * Change some of a case's fields (and its title or status). With expectedRevision, the
   * change is refused with 'conflict' when the case's fields.revision has moved on since the
   * client read it; without it, the change applies to whatever is stored.
   */
  'cases.update': {
    request: z
      .object({
        caseId: Uuid,
        expectedRevision: z.number().int().min(1).optional(),
        fields: CaseFieldsPatch,
      })
      .strict(),
    response: CaseDetail,
  },
  /** Store a file with a case; text files (text/*, JSON, .log) become searchable. */
  'cases.attach': {
    request: z
      .object({
        caseId: Uuid,
        fileName: z.string().trim().min(1).max(255),
        mediaType: z.string().trim().min(1).max(255).optional(),
        // base64 is 4 characters per 3 bytes; the byte limit itself is checked after decoding.
        contentBase64: z.base64().max(Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4),
      })
      .strict(),
    response: CaseAttachment,
  },
  /** An attachment with its bytes. */
  'cases.attachment': {
    request: z.object({ caseId: Uuid, attachmentId: Uuid }).strict(),
    response: CaseAttachmentContent,
  },
  /**
   * Full-text search over cases: title, fields, tags, notes and attachments' text. Plain
   * words must all match, "a phrase" matches words in order, batt* matches a prefix; any other
   * character is taken literally. An empty query lists the cases the filters select. Newest
   * case first (in the order the cases were opened).
   */
  'cases.search': {
    request: z
      .object({
        query: z.string().max(500),
        status: CaseStatus.optional(),
        deviceModel: z.string().max(200).optional(),
        serial: z.string().max(200).optional(),
        tag: z.string().max(200).optional(),
        /** Cases opened in [from, to]; either end may be left open. */
        from: IsoTime.optional(),
        to: IsoTime.optional(),
        limit: z.number().int().min(1).max(200).default(20),
        offset: z.number().int().min(0).max(10_000).default(0),
      })
      .strict(),
    response: CaseSearchResult,
  },
  /** Every case for a device serial number, newest first: the device's history across time. */
  'cases.deviceHistory': {
    request: z.object({ serial: z.string().trim().min(1).max(200) }).strict(),
    response: z.array(CaseSummary),
  },
  /**
   * Save a note as it is typed. The client picks the note id, so a retried save is
   * harmless; the answer's revision tells the client its text is on disk.
   */
  'cases.saveNote': {
    request: z
      .object({ caseId: Uuid, noteId: Uuid, text: z.string().max(1_000_000) })
      .strict(),
    response: Note,
  },
  /** With expectedRevision, refused with 'conflict' if the case's fields.revision has moved on. */
  'cases.setStatus': {
    request: z.object({ caseId: Uuid, status: CaseStatus, expectedRevision: z.number().int().min(1).optional() }).strict(),
    response: CaseSummary,
  },
  /** The case as one escalation bundle: a zip with the reports, case.json and the attachments. Same case, same bytes. */
  'cases.export': {
    request: z.object({ caseId: Uuid }).strict(),
    response: CaseBundleFile,
  },
  /**
   * Store a case from a bundle another Fieldbench exported. The whole bundle is checked first
   * (structure, sizes, checksums, format version, case.json); a bundle that fails any check is
   * refused with invalid-request and nothing is written. A case whose ids are in use here is
   * stored under new ones, its timeline naming the original.
   */
  'cases.import': {
    request: z
      .object({
        contentBase64: z.base64().max(Math.ceil(MAX_BUNDLE_BYTES / 3) * 4),
        fileName: z.string().trim().min(1).max(255).optional(),
      })
      .strict(),
    response: CaseBundleImport,
  },

  /** What a firmware file is and whether it is intact and signed by the given keys; touches no device. */
  'firmware.inspect': {
    request: z
      .object({
        fileName: z.string().min(1).max(4096),
        contentBase64: FirmwareFileContent,
        keys: z.array(PublicKeyPem).max(32).optional(),
        /** The device's slot size, to warn when the image cannot fit. */
        slotSize: z.number().int().min(1).optional(),
      })
      .strict(),
    response: ImageInspection,
  },
  /**
   * Start a firmware update; answers at once with the job, then 'firmware.job' and
   * 'firmware.progress' events follow it. Image checks that need no device fail here.
   */
  'firmware.flash': {
    request: z
      .object({
        deviceId: Id,
        fileName: z.string().min(1).max(255),
        contentBase64: FirmwareFileContent,
        options: FirmwareJobOptions.default({ uploadOnly: false, allowDowngrade: false, confirm: 'auto' }),
        /** Public keys the image must be signed with, besides those the device profile requires. */
        keys: z.array(PublicKeyPem).max(8).optional(),
        caseId: Uuid.optional(),
      })
      .strict(),
    response: FirmwareJob,
  },
  'firmware.job': { request: z.object({ jobId: Uuid }).strict(), response: FirmwareJob },
  /** Cancel while the upload runs; refused (device-busy) once the device is switching images. */
  'firmware.cancel': { request: z.object({ jobId: Uuid }).strict(), response: FirmwareJob },
  /** The image slots as the device's bootloader reports them. */
  'firmware.slots': { request: z.object({ deviceId: Id }).strict(), response: z.array(ImageSlot) },

  'smp.echo': {
    request: z.object({ deviceId: Id, text: z.string().max(256) }).strict(),
    response: z.object({ text: z.string() }),
  },
  /** MCUmgr parameters, OS and bootloader information. */
  'smp.info': { request: z.object({ deviceId: Id }).strict(), response: SmpInfo },
  'smp.reset': { request: z.object({ deviceId: Id }).strict(), response: z.object({}) },

  /**
   * Starts a Bluetooth LE scan of `seconds` (a running one is restarted with these settings)
   * and answers at once; 'ble.adverts' events follow. Recognised devices join the device list.
   */
  'ble.scan': {
    request: z.object({ seconds: z.number().int().min(1).max(60), showAll: z.boolean().optional() }).strict(),
    response: BleScanState,
  },
  'ble.stopScan': { request: Empty, response: BleScanState },
  /**
   * Hold a BLE device's connection open and follow it: 'ble.values' for Battery Level and
   * the profile's notifying characteristics, 'logs.lines' for its UART log. Reconnects after
   * a drop until 'ble.unfollow'. Operations (diagnostics, flashing) share the connection.
   */
  'ble.follow': { request: z.object({ deviceId: Id }).strict(), response: BleFollowState },
  'ble.unfollow': { request: z.object({ deviceId: Id }).strict(), response: BleFollowState },

  /** The knowledge base's articles, filtered by words (title, symptoms, tags, body) and a tag; and the files that did not load. */
  'kb.list': {
    request: z.object({ query: z.string().max(500).optional(), tag: z.string().max(100).optional() }).strict(),
    response: z.object({ articles: z.array(KbArticleSummary), tags: z.array(z.string()), problems: z.array(KbProblem) }),
  },
  /** One article with its Markdown and its safe tree for rendering. */
  'kb.get': { request: z.object({ id: z.string().min(1).max(200) }).strict(), response: KbArticle },
  /** Read the article folders again (after editing an article by hand). */
  'kb.reload': {
    request: Empty,
    response: z.object({ articles: z.number().int().min(0), problems: z.array(KbProblem) }),
  },
  /**
   * Articles that fit what is known: a device's last diagnostics report, model and firmware;
   * a case's snapshot, failed firmware steps and attached text; or readings, an error code
   * and a log line given here. Best first, each with the reasons it matched.
   */
  'kb.suggest': {
    request: z
      .object({
        deviceId: Id.optional(),
        caseId: Uuid.optional(),
        readings: z
          .array(
            z
              .object({
                id: z.string().min(1).max(100),
                status: ReadingStatus.optional(),
                value: z.union([z.number(), z.string().max(1000), z.boolean(), z.null()]).optional(),
              })
              .strict(),
          )
          .max(200)
          .optional(),
        errorCode: z.object({ kind: KbErrorKind, code: z.union([z.number().int(), z.string().min(1).max(100)]) }).strict().optional(),
        logLine: z.string().max(4096).optional(),
        /** A profile id or model name, when no device or case says it. */
        model: z.string().min(1).max(200).optional(),
        firmware: z.string().min(1).max(100).optional(),
      })
      .strict(),
    response: z.object({
      suggestions: z.array(KbSuggestion),
      /** The model and firmware the suggestions were judged for. */
      basis: z.object({ models: z.array(z.string()), firmware: z.string().nullable() }),
    }),
  },
  /**
   * Write a draft article from a resolved case into the data folder's knowledge-base/drafts/
   * (never over an existing file), and answer with its path and the article as it loads.
   */
  'kb.draftFromCase': {
    request: z.object({ caseId: Uuid }).strict(),
    response: z.object({ path: z.string(), article: KbArticle }),
  },

  /** The test procedures the device's profile declares. */
  'procedures.list': { request: z.object({ deviceId: Id }).strict(), response: z.array(ProcedureSummary) },
  /**
   * Start a procedure on a device; answers at once with the run, then 'procedures.run' events
   * follow it. With a case, the result goes to its timeline when the run ends.
   */
  'procedures.start': {
    request: z
      .object({
        deviceId: Id,
        procedureId: z.string().min(1).max(100),
        caseId: Uuid.optional(),
        /** Who runs it, for the record; the operating system user when not given. */
        operator: z.string().trim().min(1).max(200).optional(),
        /** ask (default): a failed automated step waits for the operator; continue: scripted benches. */
        onFail: z.enum(['ask', 'continue']).optional(),
      })
      .strict(),
    response: ProcedureRun,
  },
  /** The operator's answer to the step the run waits on: confirm or fail it, enter a value, supply an image. */
  'procedures.answer': {
    request: z
      .object({
        runId: Uuid,
        stepId: z.string().min(1).max(100),
        answer: z.enum(['pass', 'fail']),
        reason: z.string().trim().max(2000).optional(),
        value: z.number().finite().optional(),
        image: z.object({ fileName: z.string().min(1).max(255), contentBase64: FirmwareFileContent }).strict().optional(),
      })
      .strict(),
    response: ProcedureRun,
  },
  /**
   * pause, resume (also after a restart, optionally on the device under another id), abort,
   * retry the current step, or skip it (with a reason).
   */
  'procedures.control': {
    request: z
      .object({
        runId: Uuid,
        action: z.enum(['pause', 'resume', 'abort', 'retry', 'skip']),
        reason: z.string().trim().max(2000).optional(),
        /** resume: the device to go on with, when it is listed under another id than at the start. */
        deviceId: Id.optional(),
      })
      .strict(),
    response: ProcedureRun,
  },
  'procedures.get': { request: z.object({ runId: Uuid }).strict(), response: ProcedureRun },
  /**
   * Runs, newest first, of a device, a case or a serial number (or all). By serial number, a
   * device's runs are found under whatever id it had when they ran (another port after a restart).
   */
  'procedures.runs': {
    request: z
      .object({
        deviceId: Id.optional(),
        caseId: Uuid.optional(),
        serial: z.string().trim().min(1).max(200).optional(),
        limit: z.number().int().min(1).max(500).default(50),
      })
      .strict(),
    response: z.array(ProcedureRun),
  },

  /**
   * Open a live console on a device's serial port (or a BLE device's UART log), capturing every
   * line to disk. Settings default to the profile's (115200 8N1, no flow control). A console
   * already open on the device with the same settings is joined; with other settings, or on a
   * port another program holds, it is refused with the reason. A firmware update running on the
   * port is shared: the console watches, and sending waits until the update ends.
   */
  'console.open': {
    request: z
      .object({
        deviceId: Id,
        settings: SerialSettings.partial().optional(),
        lineEnding: LineEnding.optional(),
        caseId: Uuid.optional(),
      })
      .strict(),
    response: ConsoleSession,
  },
  /** Change an open console's serial settings or line ending: the port is opened again and the change noted in the capture. */
  'console.configure': {
    request: z
      .object({ captureId: CaptureId, settings: SerialSettings.partial().optional(), lineEnding: LineEnding.optional(), caseId: Uuid.nullable().optional() })
      .strict(),
    response: ConsoleSession,
  },
  /** Stop capturing and let the port go; the capture stays on disk to read, search and attach. */
  'console.close': { request: z.object({ captureId: CaptureId }).strict(), response: ConsoleSession },
  /** The consoles open now. */
  'console.sessions': { request: Empty, response: z.array(ConsoleSession) },
  /** Captures on disk, newest first, of a device serial number or all. */
  'console.captures': {
    request: z.object({ serialNumber: z.string().trim().min(1).max(200).optional(), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    response: z.array(CaptureSummary),
  },
  /** Send a command line (the console adds its line ending); recorded in the capture and the history. */
  'console.send': {
    request: z.object({ captureId: CaptureId, text: z.string().max(4096) }).strict(),
    response: z.object({ bytes: z.number().int().min(0), seq: z.number().int().min(0) }),
  },
  /**
   * Lines of a capture for a view: `offset` counts lines of the view (the whole capture, or the
   * lines the filter keeps), so a virtualised list asks for exactly the rows it shows.
   */
  'console.read': {
    request: z
      .object({ captureId: CaptureId, offset: z.number().int().min(0), count: z.number().int().min(0).max(2000), filter: ConsoleFilter.optional() })
      .strict(),
    response: ConsoleRead,
  },
  /** Where a capture line is in a (filtered) view: the offset of the first line kept at or after seq; null past the end. */
  'console.locate': {
    request: z.object({ captureId: CaptureId, seq: z.number().int().min(0), filter: ConsoleFilter.optional() }).strict(),
    response: z.object({ offset: z.number().int().min(0).nullable(), total: z.number().int().min(0) }),
  },
  /** Search the whole capture (or a range), on disk: plain text or a regular expression. */
  'console.search': {
    request: z
      .object({
        captureId: CaptureId,
        query: z.string().min(1).max(500),
        regex: z.boolean().optional(),
        ignoreCase: z.boolean().optional(),
        fromSeq: z.number().int().min(0).optional(),
        toSeq: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
    response: ConsoleSearchResult,
  },
  /** Mark a moment ("fault reproduced here"): a mark line in the capture and, with a case, an entry on its timeline. */
  'console.mark': {
    request: z
      .object({ captureId: CaptureId, label: z.string().trim().min(1).max(500), caseId: Uuid.optional() })
      .strict(),
    response: ConsoleLine,
  },
  /** The known issues a capture has flagged so far, oldest first. */
  'console.flags': { request: z.object({ captureId: CaptureId }).strict(), response: z.array(ConsoleFlag) },
  /** Attach a capture (whole or a range) to a case, as text or JSON lines. */
  'console.attach': {
    request: z.object({ captureId: CaptureId, caseId: Uuid, format: CaptureFormat.default('text'), range: CaptureRange.optional() }).strict(),
    response: CaseAttachment,
  },
  /** A capture (whole or a range) as a file to save: text or JSON lines. */
  'console.export': {
    request: z.object({ captureId: CaptureId, format: CaptureFormat.default('text'), range: CaptureRange.optional() }).strict(),
    response: CaptureExport,
  },

  // ------------------------------------------------------------ bench station
  /** Recipe files found with Fieldbench and in the data folder's recipes/, each parsed (not loaded). */
  'station.recipes': { request: Empty, response: z.array(StationRecipeFile) },
  /** Load a recipe: the file, its profile, procedure and image are checked once, before any unit is touched. Refused while units run. */
  'station.load': { request: z.object({ file: z.string().trim().min(1).max(4096) }).strict(), response: StationState },
  /** Unload the recipe; refused while units run (abort them first). */
  'station.unload': { request: Empty, response: StationState },
  'station.state': { request: Empty, response: StationState },
  /** Who runs the station: every record started from now on names them. */
  'station.setOperator': { request: z.object({ operator: z.string().trim().min(1).max(200) }).strict(), response: StationState },
  /** Override the recipe's auto-start for this session. */
  'station.setAutoStart': { request: z.object({ autoStart: z.boolean() }).strict(), response: StationState },
  /** Start the recipe on one unit (again, if it has run), or on every waiting unit when no device is named. */
  'station.start': { request: z.object({ deviceId: Id.optional() }).strict(), response: StationState },
  /** Abort a unit's run: a queued unit leaves the queue; a running one stops at the next safe point and is recorded as aborted. */
  'station.abort': { request: z.object({ deviceId: Id, reason: z.string().trim().min(1).max(500).optional() }).strict(), response: StationState },
  /** The production record: a unit's history by serial number, or the runs of a time range or recipe, newest first. */
  'station.runs': {
    request: StationRunFilter.extend({
      serialNumber: z.string().trim().min(1).max(200).optional(),
      limit: z.number().int().min(1).max(1000).default(200),
    }).strict(),
    response: z.array(StationRun),
  },
  /** The production log as a file: CSV or JSON lines, oldest first. */
  'station.export': { request: StationRunFilter.extend({ format: StationExportFormat }).strict(), response: StationExport },
} as const;

export const events = {
  /** The adverts of the running scan (throttled to a few a second), and a last list when it stops. */
  'ble.adverts': BleAdvertList,
  /** Values notified by a followed BLE device. */
  'ble.values': BleValues,
  /** A followed BLE device's connection state changed (dropped, back, stopped). */
  'ble.follow': BleFollowState,
  /** Lines of a device's live log. */
  'logs.lines': LogLines,
  /** A console opened, changed state (lost its port, got it back), changed settings or closed. */
  'console.session': ConsoleSession,
  /** A live capture grew: its counts, and known issues seen since the last event (a few a second at most). */
  'console.progress': ConsoleProgress,
  /** The whole device list, whenever anything in it changes. */
  'devices.changed': z.array(Device),
  /** A case was created or changed; clients refetch what they show. */
  'cases.changed': z.object({ caseId: Uuid }),
  /** A firmware job moved to another step or finished. */
  'firmware.job': FirmwareJob,
  /** Upload progress, a few times a second. */
  'firmware.progress': FirmwareProgress,
  /** A procedure run changed: a step started, ended or waits for the operator, or the run paused or ended. */
  'procedures.run': ProcedureRun,
  /** The station as a whole changed: a recipe loaded or unloaded, the operator, auto-start, a tile came or went. */
  'station.state': StationState,
  /** One unit's tile changed (state, step, progress a few times a second, verdict). */
  'station.unit': StationUnit,
} as const;

export type RequestChannel = keyof typeof requests;
export type EventChannel = keyof typeof events;
export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['request']>;
export type ParsedRequestOf<C extends RequestChannel> = z.output<(typeof requests)[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof requests)[C]['response']>;
export type EventOf<E extends EventChannel> = z.output<(typeof events)[E]>;

export const requestChannels = Object.keys(requests) as RequestChannel[];
export const eventChannels = Object.keys(events) as EventChannel[];

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(requests, value);
}
export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && Object.hasOwn(events, value);
}

/** What every binding sends back: a value, or an error a person can act on. Never a thrown stack. */
export const Envelope = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiError }),
]);
export type Envelope<T = unknown> = { ok: true; value: T } | { ok: false; error: z.infer<typeof ApiError> };

/** The object every client sees, whichever door it came through. */
export interface FieldbenchApi {
  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void;
}

/** What the preload exposes on window.fieldbench: the contract's two verbs, enveloped. */
export interface PreloadBridge {
  invoke(channel: string, payload: unknown): Promise<Envelope>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** The single IPC channel names: one for requests, one for events (defined zod-free for the preload). */
export { IPC_EVENT, IPC_INVOKE } from './channels';

/** True only when A and B are the same union; anything else makes the assignment below fail to compile. */
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
/** channels.ts lists these names again without zod, for the preload; this proves the lists never drift. */
export const channelListsMatchContract: SameNames<RequestChannel, RequestChannelName> &
  SameNames<EventChannel, EventChannelName> = true;
