// Writing a bundle: case.json, the two reports and the attachments, listed with their sizes
// and SHA-256 in manifest.json, zipped in a fixed order with the case's last change as every
// entry's time. The same case therefore gives the same bytes however often it is exported,
// and the receiver can tell a re-export from a changed case by its hash alone.
import { createHash } from 'node:crypto';
import { deflateSync, zipSync, type Zippable } from 'fflate';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  CASE_ENTRY,
  MANIFEST_ENTRY,
  REPORT_HTML_ENTRY,
  REPORT_MARKDOWN_ENTRY,
  type BundledCase,
  type BundleEntry,
  type BundleManifest,
} from './bundle-format';
import { DEFAULT_BUNDLE_LIMITS } from './bundle-limits';
import { caseReport } from './case-report';
import { reportHtml } from './report-html';
import { reportMarkdown } from './report-markdown';

export interface WriteBundleInput {
  bundledCase: BundledCase;
  /** Attachment bytes by the entry path each BundledAttachment names. */
  attachments: ReadonlyMap<string, Uint8Array>;
  fieldbenchVersion: string;
  /** The host name of this machine, so the receiver can say where the case came from. */
  machine: string;
}

export interface WrittenBundle {
  bytes: Uint8Array;
  manifest: BundleManifest;
}

const LEVEL = 6;
/** A zip's clock starts in 1980; an earlier time (a machine with no clock set) is written as then. */
const DOS_EPOCH_MS = Date.UTC(1980, 0, 1, 0, 0, 2);

export function writeBundle(input: WriteBundleInput): WrittenBundle {
  const { bundledCase } = input;
  const createdAt = bundledCase.case.updatedAt;
  const files: [string, Uint8Array][] = [[CASE_ENTRY, utf8(`${JSON.stringify(bundledCase, null, 2)}\n`)]];
  const manifestWithout: Omit<BundleManifest, 'entries'> = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt,
    fieldbenchVersion: input.fieldbenchVersion,
    origin: { machine: input.machine, caseId: bundledCase.case.id },
  };
  const report = caseReport(bundledCase, { ...manifestWithout, entries: [] });
  files.push([REPORT_MARKDOWN_ENTRY, utf8(reportMarkdown(report))]);
  files.push([REPORT_HTML_ENTRY, utf8(reportHtml(report))]);
  const attachmentPaths = [...new Set(bundledCase.attachments.map((attachment) => attachment.path))].sort();
  for (const path of attachmentPaths) {
    const bytes = input.attachments.get(path);
    if (bytes === undefined) throw new Error(`bundle writer: no bytes given for ${path}`);
    files.push([path, bytes]);
  }

  const entries: BundleEntry[] = files.map(([path, bytes]) => ({ path, size: bytes.length, sha256: sha256Of(bytes) }));
  const manifest: BundleManifest = { ...manifestWithout, entries };
  const mtime = zipTime(createdAt);
  const zippable: Zippable = {};
  for (const [path, bytes] of [[MANIFEST_ENTRY, utf8(`${JSON.stringify(manifest, null, 2)}\n`)] as const, ...files]) {
    zippable[path] = [bytes, { level: levelFor(bytes), mtime }];
  }
  return { bytes: zipSync(zippable), manifest };
}

/**
 * Deflate, unless the entry would shrink past the ratio an importer refuses as a zip bomb (a
 * dump of blank flash does): such an entry is stored as it is, so every bundle this writes
 * is one a Fieldbench can import.
 */
function levelFor(bytes: Uint8Array): 0 | typeof LEVEL {
  const { ratioFloorBytes, maxRatio } = DEFAULT_BUNDLE_LIMITS;
  if (bytes.length <= ratioFloorBytes) return LEVEL;
  const deflated = deflateSync(bytes, { level: LEVEL }).length;
  return bytes.length > maxRatio * Math.max(1, deflated) ? 0 : LEVEL;
}

/**
 * The zip format keeps local time without a zone, and fflate reads a Date's local fields:
 * shifting by this machine's offset makes those fields the UTC ones, so the bytes do not
 * depend on the time zone of the machine that exports.
 */
function zipTime(iso: string): Date {
  const ms = Math.max(Date.parse(iso), DOS_EPOCH_MS);
  return new Date(ms + new Date(ms).getTimezoneOffset() * 60_000);
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
