// The live log console's side of the contract: serial settings, capture sessions, lines as the
// view shows them, filters, searches, marks and known-issue flags. A console writes every line
// to a capture file on disk; a capture outlives its console and can be read, searched,
// exported and attached to a case later.
import { z } from 'zod';
import { Id, IsoTime, Uuid } from './schemas';

/** A capture's name on disk, which is also the console session's id. */
export const CaptureId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/u, 'letters, digits, ".", "_" and "-" only');
export type CaptureId = z.infer<typeof CaptureId>;

/** How the UART is framed. A pseudo-terminal accepts anything; a USB-serial adapter may refuse some. */
export const SerialSettings = z
  .object({
    baudRate: z.number().int().min(50).max(12_000_000),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]),
    flowControl: z.enum(['none', 'rts-cts', 'xon-xoff']),
  })
  .strict();
export type SerialSettings = z.infer<typeof SerialSettings>;

/** What follows each command sent from the console. */
export const LineEnding = z.enum(['crlf', 'lf', 'cr', 'none']);
export type LineEnding = z.infer<typeof LineEnding>;

/** The levels a line can carry (Zephyr err/wrn/inf/dbg, ESP-IDF E/W/I/D/V, syslog priorities, profile patterns). */
export const ConsoleLevel = z.enum(['error', 'warn', 'info', 'debug', 'trace']);
export type ConsoleLevel = z.infer<typeof ConsoleLevel>;

/**
 * What a line of a capture is: a line the device sent, a command sent from the console, a
 * moment a person marked, a gap (the port was lost and came back, or bytes are missing), or
 * a note from Fieldbench itself (settings changed, device rebooted).
 */
export const ConsoleLineKind = z.enum(['device', 'sent', 'mark', 'gap', 'note']);
export type ConsoleLineKind = z.infer<typeof ConsoleLineKind>;

/** A run of text with one style; colours are palette names ("red", "bright-cyan") or "#rrggbb". */
export const ConsoleSpan = z.object({
  text: z.string(),
  fg: z.string().optional(),
  bg: z.string().optional(),
  bold: z.boolean().optional(),
  underline: z.boolean().optional(),
});
export type ConsoleSpan = z.infer<typeof ConsoleSpan>;

export const ConsoleLine = z.object({
  /** Position in the capture, from 0: every line, mark and gap has one, and none is reused. */
  seq: z.number().int().min(0),
  /** Host time the line's first byte arrived, in ms since the epoch. */
  time: z.number(),
  kind: ConsoleLineKind,
  /** The text as shown, without styling: what filters and searches see. */
  text: z.string(),
  /** The text with its ANSI styling, control bytes made visible (␀, ␇), binary bursts as hex. */
  spans: z.array(ConsoleSpan),
  level: ConsoleLevel.nullable(),
  /** The device's own timestamp, when its log format carries one. */
  deviceTime: z.string().nullable(),
  /** Mostly non-printable bytes, shown as hex. */
  binary: z.boolean(),
  /** Longer than the console keeps of one line: the rest was cut. */
  truncated: z.boolean(),
  /** Known issues this line matched (ids of ConsoleFlag.issueId). */
  issues: z.array(z.string()),
  /** The device rebooted here (its boot banner). */
  reboot: z.boolean(),
});
export type ConsoleLine = z.infer<typeof ConsoleLine>;

/** A line that matched a known-issue pattern from the device's profile or the knowledge base. */
export const ConsoleFlag = z.object({
  seq: z.number().int().min(0),
  time: z.number(),
  issueId: z.string(),
  title: z.string(),
  source: z.enum(['profile', 'knowledge-base']),
  /** The knowledge-base article that explains it. */
  articleId: z.string().nullable(),
  /** What to do about it, when the pattern says. */
  hint: z.string().nullable(),
  /** The line, cut to a readable length. */
  text: z.string(),
});
export type ConsoleFlag = z.infer<typeof ConsoleFlag>;

export const ConsoleState = z.enum(['open', 'reconnecting', 'closed']);
export type ConsoleState = z.infer<typeof ConsoleState>;

export const ConsoleSession = z.object({
  captureId: CaptureId,
  deviceId: Id,
  /** The device as a person names it, for messages and exports. */
  device: z.string(),
  /** The serial number the console follows the device by across re-enumeration; null when unknown. */
  serialNumber: z.string().nullable(),
  /** A serial port, or the Nordic UART Service of a BLE device. */
  source: z.enum(['serial', 'nus']),
  /** null for the Nordic UART Service. */
  settings: SerialSettings.nullable(),
  lineEnding: LineEnding,
  state: ConsoleState,
  /** Why it is in its state: "port lost: the port disappeared (device unplugged?); waiting for SN-1234 to come back". */
  stateDetail: z.string().nullable(),
  startedAt: IsoTime,
  endedAt: IsoTime.nullable(),
  /** Lines (and marks and gaps) captured so far. */
  lines: z.number().int().min(0),
  /** Bytes received from the device. */
  bytes: z.number().int().min(0),
  /** Why a command cannot be sent now (a firmware update owns the port); null when it can. */
  sendRefusal: z.string().nullable(),
  /** Commands the device's profile lists, for completion. */
  commands: z.array(z.string()),
  /** Commands sent from this console, oldest first (at most 200). */
  history: z.array(z.string()),
  /** Where marks and captures go unless a request names another case. */
  caseId: Uuid.nullable(),
});
export type ConsoleSession = z.infer<typeof ConsoleSession>;

/** A capture on disk, live or finished. */
export const CaptureSummary = z.object({
  captureId: CaptureId,
  deviceId: z.string(),
  device: z.string(),
  serialNumber: z.string().nullable(),
  source: z.enum(['serial', 'nus']),
  startedAt: IsoTime,
  endedAt: IsoTime.nullable(),
  lines: z.number().int().min(0),
  fileBytes: z.number().int().min(0),
  /** A console is writing it now. */
  live: z.boolean(),
});
export type CaptureSummary = z.infer<typeof CaptureSummary>;

/** Which lines a view shows. Marks, gaps and notes are always shown. */
export const ConsoleFilter = z
  .object({
    /** Levels to show; 'none' stands for lines without a level. Absent: all. */
    levels: z.array(z.union([ConsoleLevel, z.literal('none')])).min(1).max(6).optional(),
    /** Text the line must contain, or a regular expression when `regex` is set. */
    text: z.string().min(1).max(500).optional(),
    regex: z.boolean().optional(),
    ignoreCase: z.boolean().optional(),
    /** Only lines that matched a known issue (and marks, gaps, notes). */
    flaggedOnly: z.boolean().optional(),
  })
  .strict();
export type ConsoleFilter = z.infer<typeof ConsoleFilter>;

export const ConsoleRead = z.object({
  /** Lines in the view (the whole capture, or those the filter keeps) as far as scanned. */
  total: z.number().int().min(0),
  /** Lines in the capture. */
  captured: z.number().int().min(0),
  lines: z.array(ConsoleLine),
});
export type ConsoleRead = z.infer<typeof ConsoleRead>;

export const ConsoleSearchHit = z.object({
  seq: z.number().int().min(0),
  time: z.number(),
  text: z.string(),
  /** UTF-16 offsets into text. */
  matches: z.array(z.object({ start: z.number().int().min(0), end: z.number().int().min(0) })),
});
export type ConsoleSearchHit = z.infer<typeof ConsoleSearchHit>;

export const ConsoleSearchResult = z.object({
  hits: z.array(ConsoleSearchHit),
  /** Lines before this were searched: continue from here for more. */
  scannedTo: z.number().int().min(0),
  /** The whole range was searched (the limit did not stop it). */
  complete: z.boolean(),
  elapsedMs: z.number().min(0),
});
export type ConsoleSearchResult = z.infer<typeof ConsoleSearchResult>;

export const CaptureFormat = z.enum(['text', 'jsonl']);
export type CaptureFormat = z.infer<typeof CaptureFormat>;

/** A range of a capture, both ends inclusive; absent ends mean the first and last line. */
export const CaptureRange = z
  .object({ fromSeq: z.number().int().min(0).optional(), toSeq: z.number().int().min(0).optional() })
  .strict();
export type CaptureRange = z.infer<typeof CaptureRange>;

export const CaptureExport = z.object({
  fileName: z.string(),
  mediaType: z.string(),
  contentBase64: z.string(),
  lines: z.number().int().min(0),
  size: z.number().int().min(0),
});
export type CaptureExport = z.infer<typeof CaptureExport>;

/** Counts and new flags of a live capture, a few times a second while lines arrive. */
export const ConsoleProgress = z.object({
  captureId: CaptureId,
  deviceId: z.string(),
  lines: z.number().int().min(0),
  bytes: z.number().int().min(0),
  /** Known issues seen since the last progress event. */
  flags: z.array(ConsoleFlag),
});
export type ConsoleProgress = z.infer<typeof ConsoleProgress>;
