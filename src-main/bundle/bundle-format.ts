// What an escalation bundle holds, as zod schemas: the manifest that lists and hashes every
// other entry, and case.json, the machine-readable case. The reader checks a bundle from
// another machine against these before anything of it reaches the case store; the writer
// builds its output through the same types, so what one Fieldbench writes another reads.
import { z } from 'zod';
import {
  CaseAttachment,
  CaseDevice,
  CaseFields,
  CaseStatus,
  DiagnosticsReport,
  FirmwareJob,
  IsoTime,
  MAX_ATTACHMENT_BYTES,
  Note,
  Sha256Hex,
  Uuid,
} from '../api/schemas';

export const BUNDLE_FORMAT = 'fieldbench-case-bundle';
/** The newest bundle layout this build writes and reads; a reader refuses anything newer. */
export const BUNDLE_FORMAT_VERSION = 1;

export const MANIFEST_ENTRY = 'manifest.json';
export const CASE_ENTRY = 'case.json';
export const REPORT_MARKDOWN_ENTRY = 'report.md';
export const REPORT_HTML_ENTRY = 'report.html';
export const ATTACHMENTS_FOLDER = 'attachments/';

/** The longest entry name the writer makes or the reader takes. */
export const MAX_ENTRY_NAME_LENGTH = 255;

export const BundleEntry = z
  .object({
    path: z.string().min(1).max(MAX_ENTRY_NAME_LENGTH),
    size: z.number().int().min(0),
    sha256: Sha256Hex,
  })
  .strict();
export type BundleEntry = z.infer<typeof BundleEntry>;

export const BundleManifest = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    formatVersion: z.number().int().min(1),
    /** The case's last change: a bundle is the case as of then, so exporting twice gives the same bytes. */
    createdAt: IsoTime,
    fieldbenchVersion: z.string().min(1).max(100),
    origin: z
      .object({
        /** The host name of the machine the case was exported from. */
        machine: z.string().max(255),
        caseId: Uuid,
      })
      .strict(),
    entries: z.array(BundleEntry),
  })
  .strict();
export type BundleManifest = z.infer<typeof BundleManifest>;

/**
 * A timeline entry as exported: any kind, so entries of kinds added by a later Fieldbench
 * (procedure results, log captures) travel whole; the importer decides what it can store.
 */
export const BundledEvent = z
  .object({
    id: Uuid,
    kind: z.string().min(1).max(100),
    at: IsoTime,
    summary: z.string().max(100_000),
    data: z.record(z.string(), z.unknown()).nullable(),
  })
  .strict();
export type BundledEvent = z.infer<typeof BundledEvent>;

export const BundledSnapshot = z.object({ takenAt: IsoTime, report: DiagnosticsReport }).strict();
export type BundledSnapshot = z.infer<typeof BundledSnapshot>;

export const BundledAttachment = CaseAttachment.extend({
  fileName: z.string().trim().min(1).max(255),
  size: z.number().int().min(0).max(MAX_ATTACHMENT_BYTES),
  /** The entry holding its bytes: attachments/<sha256>-<safe name>. */
  path: z.string().startsWith(ATTACHMENTS_FOLDER).max(MAX_ENTRY_NAME_LENGTH),
}).strict();
export type BundledAttachment = z.infer<typeof BundledAttachment>;

export const BundledCaseRecord = z
  .object({
    id: Uuid,
    title: z.string().trim().min(1).max(300),
    status: CaseStatus,
    deviceModel: z.string().max(200).nullable(),
    /** The device's serial number, or one typed in for a case with no device. */
    serialNumber: z.string().max(200).nullable(),
    fields: CaseFields,
    createdAt: IsoTime,
    updatedAt: IsoTime,
  })
  .strict();
export type BundledCaseRecord = z.infer<typeof BundledCaseRecord>;

/** case.json: everything the case store holds about the case, the bytes of attachments aside. */
export const BundledCase = z
  .object({
    case: BundledCaseRecord,
    device: CaseDevice.nullable(),
    /** Oldest first; the last is the one the case shows. */
    snapshots: z.array(BundledSnapshot),
    notes: z.array(Note),
    /** Oldest first, every kind. */
    timeline: z.array(BundledEvent),
    /** The firmware updates run for the case, with image hashes and the versions before and after. */
    firmwareJobs: z.array(FirmwareJob),
    attachments: z.array(BundledAttachment),
  })
  .strict();
export type BundledCase = z.infer<typeof BundledCase>;

/** The bundle as the writer takes it and the reader gives it back: the case and its attachments' bytes by entry path. */
export interface CaseBundleContent {
  manifest: BundleManifest;
  bundledCase: BundledCase;
  attachments: ReadonlyMap<string, Uint8Array>;
}
