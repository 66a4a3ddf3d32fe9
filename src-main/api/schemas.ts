// The domain shapes that cross the contract, each defined once as a zod schema.
// Types are inferred from the schemas so that the checked shape and the compiled shape
// can never drift apart. This folder imports nothing but zod.
import { z } from 'zod';
import { errorCodes } from './errors';

export const IsoTime = z.iso.datetime({ offset: true });
export const Id = z.string().min(1).max(200);
export const Uuid = z.uuid();
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const ApiError = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  device: z.string().optional(),
  step: z.string().optional(),
  hint: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

// ---------------------------------------------------------------- devices

export const Transport = z.enum(['serial', 'usb', 'ble']);
export type Transport = z.infer<typeof Transport>;

export const DeviceState = z.enum([
  'present', // seen on the bus, not yet identified
  'identifying', // a probe is running
  'ready', // identified, idle
  'busy', // an operation holds it
  'unresponsive', // the last command ran out of time
  'unknown', // present, but no profile recognises it
  'recovery', // only its bootloader runs (MCUboot serial recovery): it can be flashed, nothing else
  'error', // the last operation failed for another reason
]);
export type DeviceState = z.infer<typeof DeviceState>;

export const DeviceIdentity = z.object({
  model: z.string(),
  serialNumber: z.string(),
  firmwareVersion: z.string(),
  hardwareRevision: z.string().optional(),
});
export type DeviceIdentity = z.infer<typeof DeviceIdentity>;

const Uint32Value = z.number().int().min(0).max(0xffffffff);

/** One run of equal pages in a DfuSe memory layout ("04*016Kg": four 16 KiB pages, readable, erasable, writable). */
export const DfuMemoryRegion = z.object({
  /** First byte of the run. */
  address: Uint32Value,
  /** Bytes in the run: pageCount × pageSize. */
  size: z.number().int().min(0),
  pageSize: z.number().int().min(1),
  pageCount: z.number().int().min(1),
  readable: z.boolean(),
  erasable: z.boolean(),
  writable: z.boolean(),
});
export type DfuMemoryRegion = z.infer<typeof DfuMemoryRegion>;

/** A DfuSe memory layout, parsed from an alternate setting's name ("@Internal Flash /0x08000000/04*016Kg,…"). */
export const DfuMemoryLayout = z.object({
  /** The name before the first address ("Internal Flash"). */
  name: z.string(),
  regions: z.array(DfuMemoryRegion),
});
export type DfuMemoryLayout = z.infer<typeof DfuMemoryLayout>;

/** One alternate setting of a DFU interface: what can be flashed through it. */
export const DfuAltSetting = z.object({
  interfaceNumber: z.number().int().min(0).max(0xff),
  alternateSetting: z.number().int().min(0).max(0xff),
  /** The alternate setting's string descriptor, as the device gives it. */
  name: z.string().nullable(),
  /** DfuSe only: the memory layout in the name; null when the name is not one. */
  layout: DfuMemoryLayout.nullable(),
});
export type DfuAltSetting = z.infer<typeof DfuAltSetting>;

/** The DFU functional descriptor: what the device says it can do. */
export const DfuFunctional = z.object({
  canDownload: z.boolean(),
  canUpload: z.boolean(),
  manifestationTolerant: z.boolean(),
  willDetach: z.boolean(),
  detachTimeoutMs: z.number().int().min(0).max(0xffff),
  /** Largest block per DNLOAD or UPLOAD request. */
  transferSize: z.number().int().min(1).max(0xffff),
  /** bcdDFUVersion in hex: "0110" for DFU 1.1, "011a" for ST's DfuSe. */
  dfuVersion: z.string().regex(/^[0-9a-f]{4}$/),
});
export type DfuFunctional = z.infer<typeof DfuFunctional>;

export const UsbDfuInfo = z.object({
  /** 'runtime': the application offers DETACH into its bootloader; 'dfu': the bootloader itself runs. */
  mode: z.enum(['runtime', 'dfu']),
  /** ST's DfuSe extensions (set address, erase, read-unprotect, leave). */
  dfuse: z.boolean(),
  /** Null where the device gave no functional descriptor (it is then assumed: download only, 1 KiB blocks). */
  functional: DfuFunctional.nullable(),
  alts: z.array(DfuAltSetting),
});
export type UsbDfuInfo = z.infer<typeof UsbDfuInfo>;

export const UsbInfo = z.object({
  vendorId: z.string().regex(/^[0-9a-f]{4}$/),
  productId: z.string().regex(/^[0-9a-f]{4}$/),
  serialNumber: z.string().optional(),
  manufacturer: z.string().optional(),
  product: z.string().optional(),
  /** Where it sits on the host: bus and port chain ("1-2.3"); absent for serial adapters and virtual devices. */
  location: z.string().optional(),
  /** USB DFU interfaces, when the device offers one. */
  dfu: UsbDfuInfo.optional(),
});
export type UsbInfo = z.infer<typeof UsbInfo>;

/** How a device's firmware is updated, from its profile (or, for a DFU device no profile claims, from its descriptors). */
export const DeviceFirmware = z.discriminatedUnion('method', [
  z.object({ method: z.literal('mcumgr-serial'), slotSize: z.number().int(), signatureRequired: z.boolean() }),
  /** MCUmgr's SMP over its GATT service (the profile's firmware section, with ble.smp). */
  z.object({ method: z.literal('mcumgr-ble'), slotSize: z.number().int(), signatureRequired: z.boolean() }),
  z.object({
    method: z.literal('usb-dfu'),
    dfuse: z.boolean(),
    /** The device can be read back (UPLOAD), so a flash is verified byte for byte. */
    canVerify: z.boolean(),
    /** The application must first DETACH into its bootloader ('runtime'); the job does it. */
    mode: z.enum(['runtime', 'dfu']),
  }),
]);
export type DeviceFirmware = z.infer<typeof DeviceFirmware>;

/** A Bluetooth device address as BlueZ prints it: upper-case hex, colon-separated. */
export const BleAddress = z.string().regex(/^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$/);
/** A GATT UUID in its canonical form, lower-case 128-bit, as BlueZ reports it (16-bit SIG numbers on the base UUID). */
export const BleUuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
/** Signal strength and transmit power in dBm, as the controller reports them (int8). */
const Dbm = z.number().int().min(-128).max(127);

/** One device heard in a scan, as its latest advert (merged with its scan response) says. */
export const BleAdvert = z.object({
  address: BleAddress,
  /** The advertised name; null when the device never gave one. */
  name: z.string().nullable(),
  /** Null when the radio has not heard it since BlueZ cached it. */
  rssi: Dbm.nullable(),
  serviceUuids: z.array(BleUuid),
  /** Manufacturer-specific data by Bluetooth SIG company identifier, the data as lower-case hex. */
  manufacturerData: z.array(
    z.object({ companyId: z.number().int().min(0).max(0xffff), dataHex: z.string().regex(/^(?:[0-9a-f]{2})*$/) }),
  ),
  /** Advertised transmit power; null when the advert leaves it out. */
  txPower: Dbm.nullable(),
  /** Public (IEEE-assigned) or random, as the controller saw it; absent when the backend does not say. */
  addressType: z.enum(['public', 'random']).optional(),
  seenAt: IsoTime,
});
export type BleAdvert = z.infer<typeof BleAdvert>;

/** A device reached over Bluetooth LE: who it is on the air and how its connection stands. */
export const BleInfo = z.object({
  address: BleAddress,
  /** 'random' for most peripherals (a static random address); 'public' for an IEEE-assigned one. */
  addressType: z.enum(['public', 'random']),
  name: z.string().nullable(),
  rssi: Dbm.nullable(),
  connected: z.boolean(),
  /** The connection's ATT MTU (23 until an exchange raised it, at most 517); null while not connected. */
  mtu: z.number().int().min(23).max(517).nullable(),
  /** Advertised services while disconnected; every service found once connected. */
  serviceUuids: z.array(BleUuid),
});
export type BleInfo = z.infer<typeof BleInfo>;

/** An advert in a scan's list, with the profile that recognises it (null: none does). */
export const BleScanAdvert = BleAdvert.extend({ profileId: z.string().nullable() });
export type BleScanAdvert = z.infer<typeof BleScanAdvert>;

/** Whether a BLE scan runs, until when, and whether it lists devices no profile recognises. */
export const BleScanState = z.object({
  scanning: z.boolean(),
  showAll: z.boolean(),
  /** When the running scan stops by itself; null when none runs. */
  endsAt: IsoTime.nullable(),
  /** Why the last scan ended early or could not start, in words with what to do; null when it did not. */
  problem: z.string().nullable(),
});
export type BleScanState = z.infer<typeof BleScanState>;

/** What a scan has heard so far, sent a few times a second while it runs and once when it stops. */
export const BleAdvertList = z.object({ state: BleScanState, adverts: z.array(BleScanAdvert) });
export type BleAdvertList = z.infer<typeof BleAdvertList>;

/**
 * A BLE device followed live: its connection is held open, Battery Level and the profile's
 * 'notify' characteristics arrive as 'ble.values', and its Nordic UART Service log (when
 * the profile says it has one) as 'logs.lines'.
 */
export const BleFollowState = z.object({
  deviceId: z.string(),
  following: z.boolean(),
  /** The device's profile declares a log over the Nordic UART Service, and it is being read. */
  log: z.boolean(),
  /** What went wrong (the link dropped, reconnecting; a characteristic that cannot notify), with what to do; null when all is well. */
  problem: z.string().nullable(),
});
export type BleFollowState = z.infer<typeof BleFollowState>;

/** One line of a device's log as it arrived, stamped with the host's clock. */
export const LogLine = z.object({ at: IsoTime, text: z.string() });
export type LogLine = z.infer<typeof LogLine>;

/** Lines of a device's live log, batched a few times a second. */
export const LogLines = z.object({
  deviceId: z.string(),
  /** Where they came from: the Nordic UART Service of a BLE device. */
  source: z.enum(['nus']),
  lines: z.array(LogLine),
});
export type LogLines = z.infer<typeof LogLines>;

export const Device = z.object({
  id: Id,
  transport: Transport,
  /** Where it is reached: a port path, a USB bus address, a BLE address. */
  path: z.string(),
  /** A virtual device made by Fieldbench (demo mode and tests). */
  virtual: z.boolean(),
  usb: UsbInfo.optional(),
  /** Bluetooth LE devices only. */
  ble: BleInfo.optional(),
  profileId: z.string().nullable(),
  profileName: z.string().nullable(),
  identity: DeviceIdentity.nullable(),
  /** How its firmware is updated, from its profile; null when the profile offers no update. */
  firmware: DeviceFirmware.nullable(),
  state: DeviceState,
  /** Why the device is in its state, in words ("no answer to 'device info' in 2000 ms"). */
  stateDetail: z.string().optional(),
  seenAt: IsoTime,
});
export type Device = z.infer<typeof Device>;

/** DFU 1.1's error statuses (bStatus 0x01..0x0F), by the names the specification gives them. */
export const DFU_ERROR_STATUSES = [
  'errTARGET',
  'errFILE',
  'errWRITE',
  'errERASE',
  'errCHECK_ERASED',
  'errPROG',
  'errVERIFY',
  'errADDRESS',
  'errNOTDONE',
  'errFIRMWARE',
  'errVENDOR',
  'errUSBR',
  'errPOR',
  'errUNKNOWN',
  'errSTALLEDPKT',
] as const;
export type DfuErrorStatus = (typeof DFU_ERROR_STATUSES)[number];

/** The virtual devices Fieldbench can attach: the Zephyr sensor node (serial), and two USB DFU devices. */
export const VirtualModel = z.enum([
  'sensor-node',
  /** An STM32 board: its application offers DFU runtime; its ROM bootloader is ST's DfuSe (0483:df11). */
  'stm32-dfu',
  /** A DFU 1.1 device without DfuSe: its application detaches into a plain DFU bootloader. */
  'dfu-gadget',
]);
export type VirtualModel = z.infer<typeof VirtualModel>;

export const VirtualFaults = z
  .object({
    /** Delay before each answer, in milliseconds. */
    answerDelayMs: z.number().int().min(0).max(60_000).optional(),
    /** Chance (0..1) that garbage bytes are mixed into an answer. */
    garbage: z.number().min(0).max(1).optional(),
    /** The device stops answering altogether (still connected). */
    silent: z.boolean().optional(),
    /** The device drops off the link after this many bytes sent. */
    dropAfterBytes: z.number().int().min(0).optional(),
    /** The link drops once the device has received this many bytes since armed: an unplug mid-upload. */
    dropAtReceivedBytes: z.number().int().min(0).max(1_000_000_000).optional(),
    /**
     * The device loses power once it has received this many bytes since armed: it drops off
     * the link and its MCU resets, so MCUboot runs (and reverts an unconfirmed image) when
     * power comes back.
     */
    powerLossAtReceivedBytes: z.number().int().min(0).max(1_000_000_000).optional(),
    /** Flip one byte inside the next SMP response frame, so its CRC fails at the host. */
    corruptNextFrame: z.boolean().optional(),
    /** From the next SMP request on, answer nothing (SMP or shell) for this many milliseconds. */
    stallMs: z.number().int().min(1).max(600_000).optional(),
    /** Reboot when an image upload passes this share of its length, in percent. */
    rebootAtUploadPercent: z.number().min(0).max(100).optional(),
    /**
     * Reset (watchdog) right after sending this line of a `log flood`; the flood goes on from the
     * next line once the node has booted, as a count kept in retained RAM would.
     */
    rebootAtFloodLine: z.number().int().min(1).max(100_000_000).optional(),
    /** The bootloader refuses the next image it is asked to boot, reason 'signature'. */
    refuseImage: z.boolean().optional(),
    /** Answer the next SMP request with this SMP error code (rc) instead of doing it. */
    smpErrorRc: z.number().int().min(1).max(0xffff).optional(),
    /** USB: stall the next control request to the DFU interface (the host sees a STALL handshake). */
    usbStallNext: z.boolean().optional(),
    /**
     * USB DFU: report this error status (dfuERROR) when a download reaches this byte of the
     * transfer (absent: the next block), as flash that fails to program or verify does.
     */
    dfuError: z
      .object({ status: z.enum(DFU_ERROR_STATUSES), atByte: z.number().int().min(0).max(1_000_000_000).optional() })
      .strict()
      .optional(),
    /** USB DfuSe: the flash is read-protected (RDP level 1): upload and writes fail until read-unprotect mass-erases it. */
    readProtected: z.boolean().optional(),
    /** BLE: the node is out of range: it stops advertising, its connection drops and connecting to it fails. */
    outOfRange: z.boolean().optional(),
    /** Sensor node: this part of the built-in self-test fails (a board with a bad part, for production tests). */
    failingSelftestPart: z.enum(['flash', 'sensor', 'radio']).optional(),
    /** Sensor node: the battery's voltage at boot (3.0 to 4.2 V); a low value plays a flat or missing cell. */
    batteryVolts: z.number().min(3).max(4.2).optional(),
  })
  .strict();
export type VirtualFaults = z.infer<typeof VirtualFaults>;

// ---------------------------------------------------------------- diagnostics

export const ReadingStatus = z.enum(['ok', 'warn', 'fail', 'error']);
export type ReadingStatus = z.infer<typeof ReadingStatus>;

export const Reading = z.object({
  id: z.string(),
  label: z.string(),
  value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  unit: z.string().nullable(),
  status: ReadingStatus,
  /** The limits the status was judged against, in words ("warn below 3.5 V, fail below 3.3 V"). */
  limits: z.string().nullable(),
  /** Why the status is what it is, or what went wrong reading it. */
  message: z.string().nullable(),
  readAt: IsoTime,
});
export type Reading = z.infer<typeof Reading>;

/** New values of followed BLE characteristics, as they were notified. */
export const BleValues = z.object({ deviceId: z.string(), readings: z.array(Reading) });
export type BleValues = z.infer<typeof BleValues>;

export const DiagnosticsReport = z.object({
  deviceId: Id,
  profileId: z.string(),
  identity: DeviceIdentity.nullable(),
  readings: z.array(Reading),
  startedAt: IsoTime,
  finishedAt: IsoTime,
});
export type DiagnosticsReport = z.infer<typeof DiagnosticsReport>;

// ---------------------------------------------------------------- profiles

export const ProfileSummary = z.object({
  id: z.string(),
  name: z.string(),
  vendor: z.string(),
  file: z.string(),
  transports: z.array(Transport),
});
export type ProfileSummary = z.infer<typeof ProfileSummary>;

export const ProfileProblem = z.object({
  file: z.string(),
  /** JSON pointer to the field at fault, "" for the whole file. */
  field: z.string(),
  message: z.string(),
});
export type ProfileProblem = z.infer<typeof ProfileProblem>;

// ---------------------------------------------------------------- cases

/** waiting: on hold for someone else (the customer, a part, the development team). */
export const CaseStatus = z.enum(['open', 'waiting', 'resolved']);
export type CaseStatus = z.infer<typeof CaseStatus>;

export const CaseSeverity = z.enum(['low', 'medium', 'high', 'critical']);
export type CaseSeverity = z.infer<typeof CaseSeverity>;

/** A tag as stored: lower-case, inner spaces collapsed to one, no leading or trailing space. */
export const CaseTag = z.string().min(1).max(60);

/** How any text is spelt as a tag (NFC, trimmed, inner spaces collapsed, lower-case): the store and the page agree on it. Empty when nothing is left. */
export function spellTag(raw: string): string {
  return raw.normalize('NFC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

export const CaseDevice = z.object({
  deviceId: z.string(),
  transport: Transport,
  path: z.string(),
  profileId: z.string().nullable(),
  identity: DeviceIdentity.nullable(),
});
export type CaseDevice = z.infer<typeof CaseDevice>;

export const Note = z.object({
  id: Uuid,
  caseId: Uuid,
  text: z.string(),
  /** Increments on every save; lets a client tell whether its last keystrokes were stored. */
  revision: z.number().int().min(1),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type Note = z.infer<typeof Note>;

export const CaseSummary = z.object({
  id: Uuid,
  title: z.string(),
  status: CaseStatus,
  deviceModel: z.string().nullable(),
  /** The attached device's serial number, or one typed in for a case with no device. */
  deviceSerial: z.string().nullable(),
  noteCount: z.number().int().min(0),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type CaseSummary = z.infer<typeof CaseSummary>;

/** What support work records about a case besides its title, status and device. Null: not filled in. */
export const CaseFields = z.object({
  /** The customer or site the device belongs to. */
  customer: z.string().nullable(),
  assetId: z.string().nullable(),
  symptom: z.string().nullable(),
  severity: CaseSeverity.nullable(),
  /** Sorted, normalised (see CaseTag), each once. */
  tags: z.array(CaseTag),
  resolution: z.string().nullable(),
  rootCause: z.string().nullable(),
  /**
   * Goes up by one on every change of these fields, the title, the status or a hand-typed
   * serial (not on note saves): a client sends back the revision it showed, so a second window
   * cannot silently overwrite what the first one saved.
   */
  revision: z.number().int().min(1),
});
export type CaseFields = z.infer<typeof CaseFields>;

/** The editable text fields, bounded so one request cannot fill the disk. */
const FieldText = z.string().trim().max(4000);

/** A partial change of a case: a field left out stays as it is, null (or "") clears it. */
export const CaseFieldsPatch = z
  .object({
    title: z.string().trim().min(1).max(300),
    status: CaseStatus,
    customer: FieldText.nullable(),
    assetId: z.string().trim().max(200).nullable(),
    /** Only for a case with no device attached: with a device, the serial is the device's own. */
    serialNumber: z.string().trim().max(200).nullable(),
    symptom: FieldText.nullable(),
    severity: CaseSeverity.nullable(),
    /** Replaces the tag set; each is normalised (lower-case, spaces collapsed) and duplicates dropped. */
    tags: z.array(z.string().max(200)).max(50),
    resolution: FieldText.nullable(),
    rootCause: FieldText.nullable(),
  })
  .partial()
  .strict();
export type CaseFieldsPatch = z.infer<typeof CaseFieldsPatch>;

/** The largest file a case takes as an attachment. */
export const MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024;

/** A file stored with a case (a log capture, a configuration dump, a photo); the bytes are fetched on their own. */
export const CaseAttachment = z.object({
  id: Uuid,
  caseId: Uuid,
  fileName: z.string(),
  mediaType: z.string(),
  size: z.number().int().min(0),
  sha256: Sha256Hex,
  /** Whether its text (the first part of it) is searchable: text, JSON and log files. */
  searchable: z.boolean(),
  createdAt: IsoTime,
});
export type CaseAttachment = z.infer<typeof CaseAttachment>;

export const CaseAttachmentContent = CaseAttachment.extend({ contentBase64: z.string() });
export type CaseAttachmentContent = z.infer<typeof CaseAttachmentContent>;

export const CaseEventKind = z.enum(['case-opened', 'snapshot', 'status-changed', 'firmware', 'fields-changed', 'attachment-added', 'imported', 'procedure', 'log-mark']);
export type CaseEventKind = z.infer<typeof CaseEventKind>;

/** One entry of a case's timeline: what happened, when, in a sentence, with its details. */
export const CaseEvent = z.object({
  id: Uuid,
  caseId: Uuid,
  kind: CaseEventKind,
  at: IsoTime,
  summary: z.string(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
export type CaseEvent = z.infer<typeof CaseEvent>;

export const CaseDetail = CaseSummary.extend({
  fields: CaseFields,
  device: CaseDevice.nullable(),
  snapshot: DiagnosticsReport.nullable(),
  notes: z.array(Note),
  /** Oldest first, without their bytes. */
  attachments: z.array(CaseAttachment),
  /** Oldest first. */
  timeline: z.array(CaseEvent),
});
export type CaseDetail = z.infer<typeof CaseDetail>;

/** The largest escalation bundle taken for import: every attachment at its largest would not fit anyway. */
export const MAX_BUNDLE_BYTES = 4 * MAX_ATTACHMENT_BYTES;

/** A case written out as an escalation bundle (a zip), to save or send as it is. */
export const CaseBundleFile = z.object({
  /** A name to save it under: the case's title and id, ending in .zip. */
  fileName: z.string(),
  contentBase64: z.string(),
  size: z.number().int().min(0),
  sha256: Sha256Hex,
});
export type CaseBundleFile = z.infer<typeof CaseBundleFile>;

/** What an import stored: the new case, where it came from, and how much of it. */
export const CaseBundleImport = z.object({
  case: CaseSummary,
  /** The case's id on the machine it was exported from. */
  originalCaseId: Uuid,
  /** Its ids were in use here (the bundle was imported before), so it was stored under new ones. */
  renumbered: z.boolean(),
  machine: z.string(),
  fieldbenchVersion: z.string(),
  exportedAt: IsoTime,
  imported: z.object({
    notes: z.number().int().min(0),
    timelineEntries: z.number().int().min(0),
    snapshots: z.number().int().min(0),
    attachments: z.number().int().min(0),
    firmwareJobs: z.number().int().min(0),
  }),
});
export type CaseBundleImport = z.infer<typeof CaseBundleImport>;

/** A piece of text to show, and whether it is part of what the search matched. Plain text, never markup. */
export const TextSegment = z.object({ text: z.string(), hit: z.boolean() });
export type TextSegment = z.infer<typeof TextSegment>;

export const SearchField = z.enum([
  'title',
  'customer',
  'asset',
  'serial',
  'model',
  'symptom',
  'resolution',
  'root-cause',
  'tag',
  'note',
  'attachment',
  'procedure',
]);
export type SearchField = z.infer<typeof SearchField>;

/** Where a search matched inside a case: the field, the note, attachment or procedure run it is (sourceId), and a snippet. */
export const SearchMatch = z.object({
  field: SearchField,
  /** The note's, attachment's or procedure run's id for field note, attachment or procedure, else null. */
  sourceId: Uuid.nullable(),
  /** The text around the first hit, cut at word boundaries; "…" segments mark a cut. */
  snippet: z.array(TextSegment),
});
export type SearchMatch = z.infer<typeof SearchMatch>;

export const CaseSearchHit = z.object({
  caseId: Uuid,
  title: z.string(),
  status: CaseStatus,
  deviceModel: z.string().nullable(),
  deviceSerial: z.string().nullable(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  matches: z.array(SearchMatch),
});
export type CaseSearchHit = z.infer<typeof CaseSearchHit>;

export const CaseSearchResult = z.object({
  hits: z.array(CaseSearchHit),
  /** Matching cases, counted up to a cap; totalIsExact is false when there are more. */
  total: z.number().int().min(0),
  totalIsExact: z.boolean(),
});
export type CaseSearchResult = z.infer<typeof CaseSearchResult>;

// ---------------------------------------------------------------- firmware updates

/** The steps of an update, in the order they run; a job journals each as it starts and ends. */
export const FirmwareStep = z.enum([
  'preflight',
  // MCUboot over SMP
  'upload',
  'test',
  'reset',
  'reconnect',
  'verify',
  'health-check',
  'confirm',
  'revert',
  // USB DFU: detach the application into its bootloader, erase, write, verify (read back), manifest
  'detach',
  'erase',
  'write',
  'manifest',
]);
export type FirmwareStep = z.infer<typeof FirmwareStep>;

/**
 * uploaded, booted, confirmed, reverted: MCUboot (booted: the new image runs on trial, not yet
 * confirmed, as confirm 'later' asks). verified: USB DFU, written and read back identical.
 * written: USB DFU, written, but the device allows no read-back, so it could not be verified.
 */
export const FirmwareOutcome = z.enum(['uploaded', 'booted', 'confirmed', 'reverted', 'verified', 'written', 'failed', 'cancelled']);
export type FirmwareOutcome = z.infer<typeof FirmwareOutcome>;

export const FirmwareImageInfo = z.object({
  fileName: z.string(),
  sha256: Sha256Hex,
  version: z.string().nullable(),
  size: z.number().int().min(0),
});
export type FirmwareImageInfo = z.infer<typeof FirmwareImageInfo>;

export const FirmwareJobOptions = z
  .object({
    /** Stop once the image is in the secondary slot and its hash checked on the device. */
    uploadOnly: z.boolean().default(false),
    /** Install an older version than the one running; refused without it. */
    allowDowngrade: z.boolean().default(false),
    /**
     * After the new image boots: confirm it if healthy ('auto'); never, so it reverts at once;
     * or later: leave it running on trial (outcome 'booted') for a test to judge, after which
     * the caller confirms it or resets the device to go back (the bench station does this).
     */
    confirm: z.enum(['auto', 'never', 'later']).default('auto'),
    /** USB DFU only. */
    dfu: z
      .object({
        /** The alternate setting to flash through (default: the profile's, else 0). */
        alt: z.number().int().min(0).max(0xff).optional(),
        /** Where a raw binary goes (DfuSe); files with addresses (DfuSe, HEX, S-record) carry their own. */
        address: z.number().int().min(0).max(0xffffffff).optional(),
        /** Flash a .dfu file whose suffix names another VID:PID. */
        ignoreIdMismatch: z.boolean().optional(),
        /** DfuSe: erase the whole flash, not only the pages the image covers. */
        massErase: z.boolean().optional(),
        /** DfuSe: remove read protection first. This ERASES THE WHOLE FLASH, including data kept there. */
        readUnprotect: z.boolean().optional(),
        /** Leave DFU mode and start the new firmware afterwards (default true). */
        leave: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type FirmwareJobOptions = z.infer<typeof FirmwareJobOptions>;

export const FirmwareJobStep = z.object({
  step: FirmwareStep,
  status: z.enum(['started', 'done', 'failed', 'skipped']),
  at: IsoTime,
  detail: z.string().nullable(),
});
export type FirmwareJobStep = z.infer<typeof FirmwareJobStep>;

export const FirmwareJob = z.object({
  id: Uuid,
  deviceId: Id,
  /** The device as it was when the job started, for the record. */
  device: CaseDevice,
  caseId: Uuid.nullable(),
  image: FirmwareImageInfo,
  options: FirmwareJobOptions,
  state: z.enum(['running', 'finished']),
  /** Cancel is honoured now: only while the upload runs, never once the device is switching images. */
  cancellable: z.boolean(),
  outcome: FirmwareOutcome.nullable(),
  /** Why it ended as it did, in words: "the bootloader refused the image", "health check failed: battery". */
  reason: z.string().nullable(),
  versionBefore: z.string().nullable(),
  versionAfter: z.string().nullable(),
  /** Bytes the device acknowledged; where a resumed upload continues. */
  uploaded: z.number().int().min(0),
  startedAt: IsoTime,
  updatedAt: IsoTime,
  finishedAt: IsoTime.nullable(),
  steps: z.array(FirmwareJobStep),
});
export type FirmwareJob = z.infer<typeof FirmwareJob>;

/** A firmware file, base64 as it crosses the doors: up to 18 MiB of image, far more than any MCUboot slot. */
export const FirmwareFileContent = z.base64().max(24 * 1024 * 1024);

/** A public key given with a request: its name (the file it came from) and its PEM text. */
export const PublicKeyPem = z.object({ name: z.string().min(1).max(4096), pem: z.string().min(1).max(16 * 1024) }).strict();

export const SmpInfo = z.object({
  /** The device's SMP buffer: the largest request it takes, and how many it holds. */
  params: z.object({ bufSize: z.number().int(), bufCount: z.number().int() }).nullable(),
  os: z.string().nullable(),
  bootloader: z.string().nullable(),
  /** MCUboot's mode number (swap using scratch, overwrite only, …), where the bootloader reports it. */
  bootloaderMode: z.number().int().nullable(),
  /** Threads as the OS reports them (task statistics); empty where the device does not. */
  tasks: z.array(
    z.object({
      name: z.string(),
      priority: z.number().int().nullable(),
      stackUsed: z.number().int().nullable(),
      stackSize: z.number().int().nullable(),
      contextSwitches: z.number().int().nullable(),
    }),
  ),
});
export type SmpInfo = z.infer<typeof SmpInfo>;

/** One image slot as the device's bootloader reports it (SMP image state). */
export const ImageSlot = z.object({
  image: z.number().int().min(0),
  slot: z.number().int().min(0),
  version: z.string(),
  /** The image's hash TLV, as MCUboot identifies images. */
  hash: z.string().regex(/^[0-9a-f]+$/),
  bootable: z.boolean(),
  pending: z.boolean(),
  confirmed: z.boolean(),
  active: z.boolean(),
  permanent: z.boolean(),
});
export type ImageSlot = z.infer<typeof ImageSlot>;

export const FirmwareProgress = z.object({
  jobId: Uuid,
  step: FirmwareStep,
  sent: z.number().int().min(0),
  total: z.number().int().min(0),
  bytesPerSecond: z.number().min(0),
  secondsLeft: z.number().min(0).nullable(),
});
export type FirmwareProgress = z.infer<typeof FirmwareProgress>;

// ---------------------------------------------------------------- system

export const DiscoveryStatus = z.object({
  transport: Transport,
  /** How this transport finds devices here ("udev", "scan of /dev", "not available"). */
  method: z.string(),
  available: z.boolean(),
  /** A sentence for the device list when something is degraded, with what to do. */
  note: z.string().nullable(),
});
export type DiscoveryStatus = z.infer<typeof DiscoveryStatus>;

export const SystemInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  discovery: z.array(DiscoveryStatus),
  profiles: z.object({ loaded: z.number().int(), problems: z.array(ProfileProblem) }),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

// ---------------------------------------------------------------- firmware images

export const ImageFormat = z.enum(['mcuboot', 'ihex', 'srec', 'raw', 'dfu', 'dfuse']);
export type ImageFormat = z.infer<typeof ImageFormat>;

/** imgtool's verdict on an image for one public key. */
export const KeyVerdict = z.enum(['valid', 'bad-hash', 'no-signature-for-key']);
export type KeyVerdict = z.infer<typeof KeyVerdict>;

const HexDigest = z.string().regex(/^[0-9a-f]*$/);
const Uint32 = z.number().int().min(0).max(0xffffffff);

export const ImageTlv = z.object({
  type: z.number().int().min(0).max(0xffff),
  /** MCUboot's name (SHA256, ED25519, SEC_CNT …) or the type number in hex. */
  name: z.string(),
  length: z.number().int().min(0).max(0xffff),
  protected: z.boolean(),
});
export type ImageTlv = z.infer<typeof ImageTlv>;

export const ImageHash = z.object({
  algorithm: z.enum(['sha256', 'sha384', 'sha512']),
  /** The digest the image carries in its hash TLV. */
  tlv: HexDigest,
  /** The digest of header + body + protected TLV area as the file has them. */
  computed: HexDigest,
  ok: z.boolean(),
});
export type ImageHash = z.infer<typeof ImageHash>;

export const ImageSegment = z.object({
  address: Uint32,
  size: z.number().int().min(0),
  sha256: HexDigest,
});
export type ImageSegment = z.infer<typeof ImageSegment>;

export const ImageKeyCheck = z.object({
  /** The key's name as the caller gave it (the CLI passes the PEM file's path). */
  key: z.string(),
  verdict: KeyVerdict,
  /** Why, in a sentence. */
  detail: z.string(),
});
export type ImageKeyCheck = z.infer<typeof ImageKeyCheck>;

const Uint16 = z.number().int().min(0).max(0xffff);

/** A USB DFU file's suffix and, for DfuSe, its targets (one per alternate setting). */
export const ImageDfu = z.object({
  suffix: z.object({
    idVendor: Uint16,
    idProduct: Uint16,
    bcdDevice: Uint16,
    bcdDFU: Uint16,
    /** dwCRC as the suffix stores it, "0x" and 8 hex digits. */
    crc: z.string().regex(/^0x[0-9a-f]{8}$/),
    crcOk: z.boolean(),
  }),
  targets: z
    .array(
      z.object({
        alt: z.number().int().min(0).max(0xff),
        name: z.string(),
        elements: z.array(ImageSegment),
      }),
    )
    .optional(),
});
export type ImageDfu = z.infer<typeof ImageDfu>;

/** What Fieldbench found in a firmware file, before anything touches a device. */
export const ImageInspection = z.object({
  fileName: z.string(),
  format: ImageFormat,
  fileSize: z.number().int().min(0),
  /** MCUboot only: "major.minor.revision+build". */
  version: z.string().nullable(),
  /** MCUboot header size; 0 for formats without a header. */
  headerSize: z.number().int().min(0),
  /** MCUboot: the body's size from the header; other formats: the bytes of data. */
  imageSize: z.number().int().min(0),
  loadAddress: Uint32.nullable(),
  flags: Uint32.nullable(),
  flagNames: z.array(z.string()),
  /**
   * MCUboot: the image's hash TLV, which is how devices name the image (the SHA-256 TLV, or
   * the first other hash TLV; with none, the SHA-256 such a TLV would hold). Other formats:
   * the SHA-256 of the file.
   */
  sha256: HexDigest,
  /** MCUboot: every hash TLV matches its recomputed digest. Null for other formats. */
  hashOk: z.boolean().nullable(),
  hashes: z.array(ImageHash),
  tlvs: z.array(ImageTlv),
  securityCounter: Uint32.nullable(),
  /**
   * Address and size of each run of data; one for MCUboot (the whole file, at slot offset 0),
   * raw binaries and DFU files (the payload before the suffix, at 0); DfuSe: every element.
   */
  segments: z.array(ImageSegment),
  /** Entry point from an Intel HEX or S-record file, if it names one. */
  startAddress: Uint32.nullable(),
  keys: z.array(ImageKeyCheck),
  /** DFU and DfuSe files: the suffix and the DfuSe targets; null for other formats. */
  dfu: ImageDfu.nullable(),
  /** Sentences for a person: unsigned, larger than the slot, not an MCUboot image … */
  warnings: z.array(z.string()),
});
export type ImageInspection = z.infer<typeof ImageInspection>;

// ---------------------------------------------------------------- knowledge base

/**
 * An article rendered for a client: a tree of plain values, never HTML. The core builds it
 * from the article's Markdown with raw HTML off; links keep only http(s) and mailto targets
 * (href null otherwise), and a client shows them without navigating inside the app.
 */
export type MdInline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'break' }
  | { type: 'em' | 'strong' | 'del'; children: MdInline[] }
  | { type: 'link'; href: string | null; text: string };

export type MdBlock =
  | { type: 'heading'; level: number; children: MdInline[] }
  | { type: 'paragraph'; children: MdInline[] }
  | { type: 'list'; ordered: boolean; start: number | null; items: MdBlock[][] }
  | { type: 'code'; lang: string | null; text: string }
  | { type: 'blockquote'; children: MdBlock[] }
  | { type: 'table'; align: ('left' | 'center' | 'right' | null)[]; header: MdInline[][]; rows: MdInline[][][] }
  | { type: 'rule' };

export const MdInline: z.ZodType<MdInline> = z.lazy(() =>
  z.union([
    z.object({ type: z.literal('text'), text: z.string() }).strict(),
    z.object({ type: z.literal('code'), text: z.string() }).strict(),
    z.object({ type: z.literal('break') }).strict(),
    z.object({ type: z.enum(['em', 'strong', 'del']), children: z.array(MdInline) }).strict(),
    z.object({ type: z.literal('link'), href: z.string().nullable(), text: z.string() }).strict(),
  ]),
);

export const MdBlock: z.ZodType<MdBlock> = z.lazy(() =>
  z.union([
    z.object({ type: z.literal('heading'), level: z.number().int().min(1).max(6), children: z.array(MdInline) }).strict(),
    z.object({ type: z.literal('paragraph'), children: z.array(MdInline) }).strict(),
    z.object({ type: z.literal('list'), ordered: z.boolean(), start: z.number().int().nullable(), items: z.array(z.array(MdBlock)) }).strict(),
    z.object({ type: z.literal('code'), lang: z.string().nullable(), text: z.string() }).strict(),
    z.object({ type: z.literal('blockquote'), children: z.array(MdBlock) }).strict(),
    z
      .object({
        type: z.literal('table'),
        align: z.array(z.enum(['left', 'center', 'right']).nullable()),
        header: z.array(z.array(MdInline)),
        rows: z.array(z.array(z.array(MdInline))),
      })
      .strict(),
    z.object({ type: z.literal('rule') }).strict(),
  ]),
);

/** Which error list a code belongs to: SMP result codes, DFU statuses, or a device's own codes. */
export const KbErrorKind = z.enum(['smp', 'dfu', 'device']);
export type KbErrorKind = z.infer<typeof KbErrorKind>;

export const KbErrorCode = z.object({
  kind: KbErrorKind,
  /** SMP: the rc number; DFU: the status name ("errWRITE") or number; device: as it prints it. */
  code: z.union([z.number().int(), z.string().min(1).max(100)]),
  /** The firmware's name for it ("MGMT_ERR_ENOMEM"); also matched on its own. */
  name: z.string().min(1).max(100).nullable(),
});
export type KbErrorCode = z.infer<typeof KbErrorCode>;

/** A reading an article is about: by the status it was judged, or by its value against a bound. */
export const KbReadingRule = z.object({
  id: z.string().min(1).max(100),
  status: z.enum(['warn', 'fail', 'error']).nullable(),
  below: z.number().nullable(),
  above: z.number().nullable(),
});
export type KbReadingRule = z.infer<typeof KbReadingRule>;

/** shipped: from the app's knowledge-base folder; local: from the data folder; draft: from its drafts/ (never suggested). */
export const KbSource = z.enum(['shipped', 'local', 'draft']);
export type KbSource = z.infer<typeof KbSource>;

export const KbArticleSummary = z.object({
  id: z.string(),
  title: z.string(),
  symptoms: z.array(z.string()),
  errorCodes: z.array(KbErrorCode),
  logPatterns: z.array(z.string()),
  readings: z.array(KbReadingRule),
  /** Profile ids or model names; empty: any model. */
  models: z.array(z.string()),
  /** Version ranges (">=1.4.0 <1.6.0"), any of which may match; empty: any firmware. */
  firmware: z.array(z.string()),
  tags: z.array(z.string()),
  source: KbSource,
  file: z.string(),
  /** The file of the shipped article a local one with the same id replaces. */
  overrides: z.string().nullable(),
});
export type KbArticleSummary = z.infer<typeof KbArticleSummary>;

export const KbArticle = KbArticleSummary.extend({
  /** The Markdown after the front matter, as written. */
  body: z.string(),
  /** The body as a safe tree, to render. */
  tree: z.array(MdBlock),
});
export type KbArticle = z.infer<typeof KbArticle>;

/** An article file that did not load, and why (field: a JSON pointer into its front matter, "" for the file). */
export const KbProblem = ProfileProblem;
export type KbProblem = ProfileProblem;

export const KbReasonKind = z.enum(['reading', 'error-code', 'log-line', 'model', 'firmware']);
export type KbReasonKind = z.infer<typeof KbReasonKind>;

export const KbReason = z.object({
  kind: KbReasonKind,
  /** In words: "reading battery-voltage fail", "SMP error 2 (MGMT_ERR_ENOMEM)", "log line matches /brownout/". */
  text: z.string(),
});
export type KbReason = z.infer<typeof KbReason>;

export const KbSuggestion = z.object({
  article: KbArticleSummary,
  /** Why it matched: the readings, codes or log lines first, then the model and firmware it is written for. */
  reasons: z.array(KbReason),
  /** Higher ranks first. */
  score: z.number(),
});
export type KbSuggestion = z.infer<typeof KbSuggestion>;

// ---------------------------------------------------------------- test procedures

export const ProcedureStepKind = z.enum(['check', 'instruction', 'measurement', 'wait', 'firmware']);
export type ProcedureStepKind = z.infer<typeof ProcedureStepKind>;

export const ProcedureStepStatus = z.enum(['pending', 'running', 'waiting', 'passed', 'failed', 'skipped']);
export type ProcedureStepStatus = z.infer<typeof ProcedureStepStatus>;

/** waiting: for the operator (an answer, an image, or a decision on a failed step); paused: until resumed. */
export const ProcedureRunState = z.enum(['running', 'waiting', 'paused', 'passed', 'failed', 'aborted']);
export type ProcedureRunState = z.infer<typeof ProcedureRunState>;

export const ProcedureSummary = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  steps: z.array(z.object({ id: z.string(), kind: ProcedureStepKind, title: z.string() })),
});
export type ProcedureSummary = z.infer<typeof ProcedureSummary>;

/** What a step read or was told: the value, its unit, and the answer line it came from. */
export const StepReading = z.object({
  value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  unit: z.string().nullable(),
  text: z.string().nullable(),
});
export type StepReading = z.infer<typeof StepReading>;

/** An operator's answer as recorded: what, why, the value entered, the image supplied, who and when. */
export const StepAnswer = z.object({
  answer: z.enum(['pass', 'fail']),
  reason: z.string().nullable(),
  value: z.number().nullable(),
  imageFileName: z.string().nullable(),
  by: z.string(),
  at: IsoTime,
});
export type StepAnswer = z.infer<typeof StepAnswer>;

/** What a step waits for from the operator, if anything. */
export const StepAwaiting = z.enum(['confirm', 'value', 'button', 'image', 'decision']);
export type StepAwaiting = z.infer<typeof StepAwaiting>;

export const ProcedureStep = z.object({
  id: z.string(),
  kind: ProcedureStepKind,
  title: z.string(),
  instructions: z.string().nullable(),
  unit: z.string().nullable(),
  /** The limit the reading is judged against, in words: "3.3 to 4.25 V", "equals PASS". */
  limit: z.string().nullable(),
  /** The dependency, in words: "only when 'battery-voltage' failed". */
  when: z.string().nullable(),
  timeoutMs: z.number().int().nullable(),
  status: ProcedureStepStatus,
  /** Attempts made so far: automatic retries and the operator's retries count. */
  attempts: z.number().int().min(0),
  reading: StepReading.nullable(),
  /** Why it failed or was skipped, or what passing it showed. */
  reason: z.string().nullable(),
  answer: StepAnswer.nullable(),
  awaiting: StepAwaiting.nullable(),
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  /** A wait's deadline, while it waits. */
  deadlineAt: IsoTime.nullable(),
});
export type ProcedureStep = z.infer<typeof ProcedureStep>;

export const ProcedureRun = z.object({
  id: Uuid,
  deviceId: z.string(),
  /** The device as it was when the run started, for the record. */
  device: z.object({ label: z.string(), transport: Transport, model: z.string().nullable(), serialNumber: z.string().nullable(), firmwareVersion: z.string().nullable() }),
  profileId: z.string(),
  procedureId: z.string(),
  procedureName: z.string(),
  caseId: Uuid.nullable(),
  operator: z.string(),
  /** ask: a failed automated step waits for the operator to retry, skip or go on; continue: the run goes on. */
  onFail: z.enum(['ask', 'continue']),
  state: ProcedureRunState,
  /** Why it is paused or ended as it did: "Fieldbench stopped during step 3 (Self-test)". */
  stateReason: z.string().nullable(),
  /** Index of the step being run, or to run next; null once finished. */
  currentStep: z.number().int().min(0).nullable(),
  steps: z.array(ProcedureStep),
  startedAt: IsoTime,
  updatedAt: IsoTime,
  finishedAt: IsoTime.nullable(),
});
export type ProcedureRun = z.infer<typeof ProcedureRun>;
