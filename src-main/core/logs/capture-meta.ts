// The `<captureId>.json` file beside each capture: who and what it captured, and when. It
// lets the captures folder be listed, and a capture reopened, without its console. It is
// replaced whole (written to a temporary file, then renamed over), so a crash leaves the old
// meta or the new one, never half of one; a capture whose meta is lost anyway is still
// listed, from its file, with what the file itself can tell.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SerialSettings, type CaptureSummary } from '../../api/console-schemas';
import { FieldbenchError } from '../../api/errors';
import type { CaptureMeta, KnownIssuePattern } from './capture-service';
import type { LevelPattern } from './log-levels';
import { CAPTURE_EXTENSION, openLogCapture } from './log-capture-file';

const META_EXTENSION = '.json';
/** Named in summaries of a capture whose meta is gone: the file alone does not say which device. */
export const UNKNOWN_DEVICE = 'unknown device';

export function captureMetaPath(folder: string, captureId: string): string {
  return join(folder, `${captureId}${META_EXTENSION}`);
}

/**
 * The profile's log knowledge the capture was taken with, kept with its meta: a capture read
 * back later (after a restart, on another machine) shows the same levels, issues and reboots.
 */
export interface CaptureRules {
  levelPatterns: readonly LevelPattern[];
  knownIssues: readonly KnownIssuePattern[];
  bootBanner: string | null;
}

export const NO_RULES: CaptureRules = { levelPatterns: [], knownIssues: [], bootBanner: null };

export function writeCaptureMeta(folder: string, meta: CaptureMeta, rules: CaptureRules): void {
  const path = captureMetaPath(folder, meta.captureId);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temporary, 'w', 0o644);
    try {
      writeSync(fd, `${JSON.stringify({ ...meta, rules }, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new FieldbenchError(
      {
        code: 'store-error',
        message: `could not save ${path}: ${error instanceof Error ? error.message : String(error)}`,
        device: meta.device,
        step: 'save capture details',
        hint: 'Check that the captures folder is writable and the disk has space',
      },
      { cause: error },
    );
  }
}

/** The capture's meta, or null when it is missing or not one Fieldbench wrote. */
export function readCaptureMeta(folder: string, captureId: string): CaptureMeta | null {
  return readCaptureMetaFile(folder, captureId)?.meta ?? null;
}

/** The meta and the rules saved with it; rules that do not read back are taken as none. */
export function readCaptureMetaFile(folder: string, captureId: string): { meta: CaptureMeta; rules: CaptureRules } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(captureMetaPath(folder, captureId), 'utf8'));
  } catch {
    return null;
  }
  if (!isCaptureMeta(parsed, captureId)) return null;
  const { rules, ...meta } = parsed as CaptureMeta & { rules?: unknown };
  return { meta, rules: isCaptureRules(rules) ? rules : NO_RULES };
}

function isCaptureRules(value: unknown): value is CaptureRules {
  if (typeof value !== 'object' || value === null) return false;
  const rules = value as Record<string, unknown>;
  return (
    Array.isArray(rules.levelPatterns) &&
    rules.levelPatterns.every((p) => typeof p === 'object' && p !== null && typeof (p as LevelPattern).regex === 'string' && typeof (p as LevelPattern).level === 'string') &&
    Array.isArray(rules.knownIssues) &&
    rules.knownIssues.every((p) => typeof p === 'object' && p !== null && typeof (p as KnownIssuePattern).id === 'string' && typeof (p as KnownIssuePattern).regex === 'string' && typeof (p as KnownIssuePattern).title === 'string') &&
    (rules.bootBanner === null || typeof rules.bootBanner === 'string')
  );
}

function isCaptureMeta(value: unknown, captureId: string): value is CaptureMeta {
  if (typeof value !== 'object' || value === null) return false;
  const meta = value as Record<string, unknown>;
  const nullableString = (v: unknown): boolean => v === null || typeof v === 'string';
  return (
    meta.captureId === captureId &&
    typeof meta.deviceId === 'string' &&
    typeof meta.device === 'string' &&
    nullableString(meta.serialNumber) &&
    nullableString(meta.profileId) &&
    (meta.source === 'serial' || meta.source === 'nus') &&
    (meta.settings === null || SerialSettings.safeParse(meta.settings).success) &&
    typeof meta.startedAt === 'string' &&
    !Number.isNaN(Date.parse(meta.startedAt)) &&
    nullableString(meta.endedAt)
  );
}

/** Capture ids in the folder (one per capture file); none when the folder does not exist yet. */
export function captureIds(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith(CAPTURE_EXTENSION)).map((name) => name.slice(0, -CAPTURE_EXTENSION.length));
}

/**
 * A finished capture's summary, from its meta and file. A capture whose meta is missing or
 * broken is summarised from its file: its first record's time as the start, the file's last
 * change as the end; one too damaged to open counts no lines.
 */
export function summariseFinishedCapture(folder: string, captureId: string): CaptureSummary {
  const file = join(folder, `${captureId}${CAPTURE_EXTENSION}`);
  let fileBytes = 0;
  let modified = new Date(0);
  try {
    const stat = statSync(file);
    fileBytes = stat.size;
    modified = stat.mtime;
  } catch {
    // Gone between the listing and now: summarised as empty rather than failing the list.
  }
  const meta = readCaptureMeta(folder, captureId);
  let lines = 0;
  let firstTime: number | null = null;
  try {
    const capture = openLogCapture({ folder, session: captureId, device: meta?.device ?? UNKNOWN_DEVICE, readOnly: true, repair: true });
    try {
      lines = capture.count;
      if (!meta && lines > 0) firstTime = capture.readRange(0, 1)[0]?.time ?? null;
    } finally {
      capture.close();
    }
  } catch {
    // Not readable as a capture: listed with no lines so the user can still see and remove it.
  }
  const summary = {
    captureId,
    deviceId: meta?.deviceId ?? '',
    device: meta?.device ?? UNKNOWN_DEVICE,
    serialNumber: meta?.serialNumber ?? null,
    source: meta?.source ?? 'serial',
    startedAt: meta?.startedAt ?? new Date(firstTime !== null && Number.isFinite(firstTime) ? firstTime : modified.getTime()).toISOString(),
    endedAt: meta ? (meta.endedAt ?? modified.toISOString()) : modified.toISOString(),
    lines,
    fileBytes,
    live: false,
  } satisfies CaptureSummary;
  return summary;
}

/** Newest first by start; ties by id so the order is stable. */
export function sortNewestFirst(summaries: CaptureSummary[]): CaptureSummary[] {
  return summaries.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || a.captureId.localeCompare(b.captureId));
}
