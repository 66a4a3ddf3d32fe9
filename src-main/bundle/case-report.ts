// The human report of a bundled case, as plain data: the facts, the readings of each
// diagnostics snapshot, the firmware updates, the timeline, the notes, the attachments and
// how the case ended. The Markdown and the HTML report render this one model, so the two
// always say the same thing.
import type { ReadingStatus } from '../api/schemas';
import type { BundledCase, BundledEvent, BundleManifest } from './bundle-format';

export interface ReportReading {
  label: string;
  value: string;
  status: ReadingStatus;
  limits: string;
  message: string;
}

export interface ReportSnapshot {
  takenAt: string;
  profileId: string;
  readings: ReportReading[];
}

export interface ReportFirmwareUpdate {
  startedAt: string;
  image: string;
  imageVersion: string;
  imageSha256: string;
  versionBefore: string;
  versionAfter: string;
  outcome: string;
}

export interface ReportProcedureStep {
  title: string;
  status: string;
  reading: string;
  limit: string;
  reason: string;
}

/** A procedure result from the timeline; steps are empty when its details have a shape this build does not know. */
export interface ReportProcedure {
  at: string;
  summary: string;
  operator: string;
  steps: ReportProcedureStep[];
}

export interface CaseReport {
  title: string;
  /** Label and value, in the order a reader scans them; blank values are left out. */
  facts: [string, string][];
  snapshots: ReportSnapshot[];
  firmwareUpdates: ReportFirmwareUpdate[];
  procedures: ReportProcedure[];
  timeline: { at: string; kind: string; summary: string }[];
  notes: { createdAt: string; updatedAt: string; text: string }[];
  attachments: { fileName: string; mediaType: string; size: number; sha256: string; path: string }[];
  resolution: string | null;
  rootCause: string | null;
  /** Where and when the bundle was made, for the footer. */
  origin: string;
}

const NONE = '—';

export function caseReport(bundledCase: BundledCase, manifest: BundleManifest): CaseReport {
  const { case: record, device } = bundledCase;
  const { fields } = record;
  const identity = device?.identity ?? bundledCase.snapshots.at(-1)?.report.identity ?? null;
  const facts: [string, string | null][] = [
    ['Case', record.id],
    ['Status', record.status],
    ['Customer / site', fields.customer],
    ['Asset', fields.assetId],
    ['Serial number', record.serialNumber],
    ['Symptom', fields.symptom],
    ['Severity', fields.severity],
    ['Tags', fields.tags.length > 0 ? fields.tags.join(', ') : null],
    ['Device model', identity?.model ?? record.deviceModel],
    ['Firmware', identity?.firmwareVersion ?? null],
    ['Hardware revision', identity?.hardwareRevision ?? null],
    ['Profile', device?.profileId ?? null],
    ['Connected over', device ? `${device.transport} ${device.path}` : null],
    ['Opened', record.createdAt],
    ['Last changed', record.updatedAt],
  ];
  return {
    title: record.title,
    facts: facts.filter((fact): fact is [string, string] => fact[1] !== null && fact[1] !== ''),
    snapshots: bundledCase.snapshots.map(({ takenAt, report }) => ({
      takenAt,
      profileId: report.profileId,
      readings: report.readings.map((reading) => ({
        label: reading.label,
        value: reading.value === null ? NONE : `${String(reading.value)}${reading.unit ? ` ${reading.unit}` : ''}`,
        status: reading.status,
        limits: reading.limits ?? NONE,
        message: reading.message ?? '',
      })),
    })),
    firmwareUpdates: bundledCase.firmwareJobs.map((job) => ({
      startedAt: job.startedAt,
      image: job.image.fileName,
      imageVersion: job.image.version ?? NONE,
      imageSha256: job.image.sha256,
      versionBefore: job.versionBefore ?? NONE,
      versionAfter: job.versionAfter ?? NONE,
      outcome: job.outcome === null ? 'unfinished' : `${job.outcome}${job.reason ? `: ${job.reason}` : ''}`,
    })),
    procedures: bundledCase.timeline.filter((event) => event.kind === 'procedure').map(procedureOf),
    timeline: bundledCase.timeline.map((event) => ({ at: event.at, kind: event.kind, summary: event.summary })),
    notes: bundledCase.notes.map((note) => ({ createdAt: note.createdAt, updatedAt: note.updatedAt, text: note.text })),
    attachments: bundledCase.attachments.map(({ fileName, mediaType, size, sha256, path }) => ({ fileName, mediaType, size, sha256, path })),
    resolution: fields.resolution,
    rootCause: fields.rootCause,
    origin: `Exported by Fieldbench ${manifest.fieldbenchVersion} on ${manifest.origin.machine || 'an unnamed machine'}; the case as of ${manifest.createdAt}.`,
  };
}

/**
 * A procedure result as its timeline entry records it. The details are read field by field
 * and anything of another shape is left out: a bundle's timeline is free-form, and a report
 * must not fail over one entry a later Fieldbench wrote differently.
 */
function procedureOf(event: BundledEvent): ReportProcedure {
  const data = event.data ?? {};
  const steps = Array.isArray(data.steps) ? data.steps : [];
  return {
    at: event.at,
    summary: event.summary,
    operator: text(data.operator),
    steps: steps.flatMap((step: unknown) => {
      if (typeof step !== 'object' || step === null) return [];
      const fields = step as Record<string, unknown>;
      if (typeof fields.title !== 'string' || typeof fields.status !== 'string') return [];
      return [{ title: fields.title, status: fields.status, reading: readingText(fields.reading), limit: text(fields.limit) || NONE, reason: text(fields.reason) }];
    }),
  };
}

function readingText(reading: unknown): string {
  if (typeof reading !== 'object' || reading === null) return NONE;
  const { value, unit, text: said } = reading as Record<string, unknown>;
  if (typeof said === 'string' && said) return said;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return `${String(value)}${typeof unit === 'string' && unit ? ` ${unit}` : ''}`;
  return NONE;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
