// Reading a bundle from another machine: every check made before anything is handed on, so
// the importer either gets a bundle it can store whole or a refusal that says why. The zip's
// structure and declared sizes are judged first (entry count, sizes, ratio), then the
// manifest (its format and version), then each entry is expanded with its declared size as a
// hard cap and compared with the manifest's size and SHA-256, then case.json is checked
// against its schema and against the entries it names.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  ATTACHMENTS_FOLDER,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BundledCase,
  BundleManifest,
  CASE_ENTRY,
  MANIFEST_ENTRY,
  type CaseBundleContent,
} from './bundle-format';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from './bundle-limits';
import { bundleRefused } from './bundle-refusal';
import { InflateDataError, InflateLimitError, inflateEntry } from './bounded-inflate';
import { unsafeEntryNameReason } from './entry-names';
import { quoted, readZipDirectory, ZipStructureError, type ZipEntry } from './zip-directory';

export interface ReadBundleOptions {
  /** How the bundle is named in refusals: its file name. */
  label: string;
  limits?: BundleLimits;
}

const UPDATE_HINT = 'This bundle was made by a newer Fieldbench: update Fieldbench on this machine to import it.';
const NOT_A_BUNDLE_HINT = 'Choose the .zip that "Export for escalation" (or `fieldbench cases export`) wrote.';
const DAMAGED_ZIP_HINT = `${NOT_A_BUNDLE_HINT} If it is that file, it was cut short or damaged on the way: ask the sender to export the case again.`;

/** The bundle's manifest, case and attachment bytes, every one checked; throws a refusal otherwise. */
export function readBundle(zip: Uint8Array, options: ReadBundleOptions): CaseBundleContent {
  const limits = options.limits ?? DEFAULT_BUNDLE_LIMITS;
  const refuse = (reason: string, hint?: string) => bundleRefused(options.label, reason, hint);

  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(zip, limits);
  } catch (error) {
    if (error instanceof ZipStructureError) throw refuse(error.message, DAMAGED_ZIP_HINT);
    throw error;
  }
  const byName = checkDirectory(entries, limits, refuse);

  const expand = (entry: ZipEntry): Uint8Array => {
    try {
      return inflateEntry(zip, entry, entry.size);
    } catch (error) {
      if (error instanceof InflateLimitError) throw refuse(`entry ${quoted(entry.name)} ${error.message}, the size its directory declares: a zip bomb, or a damaged file`);
      if (error instanceof InflateDataError) throw refuse(`entry ${quoted(entry.name)}: ${error.message}`);
      throw error;
    }
  };

  const manifestEntry = byName.get(MANIFEST_ENTRY);
  if (manifestEntry === undefined) throw refuse(`it has no ${MANIFEST_ENTRY}, so it is not a Fieldbench case bundle`, NOT_A_BUNDLE_HINT);
  const manifest = readManifest(expand(manifestEntry), refuse);

  const listed = new Map(manifest.entries.map((entry) => [entry.path, entry]));
  if (listed.size !== manifest.entries.length) throw refuse(`its manifest lists an entry twice`);
  for (const entry of entries) {
    if (entry.name !== MANIFEST_ENTRY && !listed.has(entry.name)) {
      throw refuse(`entry ${quoted(entry.name)} is not listed in its manifest (something was added after export)`);
    }
  }
  const contents = new Map<string, Uint8Array>();
  for (const expected of manifest.entries) {
    const entry = byName.get(expected.path);
    if (entry === undefined) throw refuse(`entry ${quoted(expected.path)} is listed in its manifest but missing`);
    if (entry.size !== expected.size) {
      throw refuse(`entry ${quoted(expected.path)} is ${entry.size} bytes, but its manifest says ${expected.size}`);
    }
    const bytes = expand(entry);
    if (bytes.length !== expected.size) {
      throw refuse(`entry ${quoted(expected.path)} expands to ${bytes.length} bytes, but its manifest says ${expected.size}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== expected.sha256) {
      throw refuse(`entry ${quoted(expected.path)} fails its checksum (SHA-256 ${sha256}, the manifest says ${expected.sha256}): the file was changed or damaged after export`);
    }
    contents.set(expected.path, bytes);
  }

  const caseBytes = contents.get(CASE_ENTRY);
  if (caseBytes === undefined) throw refuse(`it has no ${CASE_ENTRY}`, NOT_A_BUNDLE_HINT);
  const bundledCase = parsed(BundledCase, jsonOf(caseBytes, CASE_ENTRY, refuse), CASE_ENTRY, refuse);
  checkCaseAgainstEntries(bundledCase, manifest, contents, refuse);

  const attachments = new Map<string, Uint8Array>();
  for (const [path, bytes] of contents) if (path.startsWith(ATTACHMENTS_FOLDER)) attachments.set(path, bytes);
  return { manifest, bundledCase, attachments };
}

type Refuse = (reason: string, hint?: string) => Error;

/** Names and declared sizes, judged before a single byte is expanded. */
function checkDirectory(entries: readonly ZipEntry[], limits: BundleLimits, refuse: Refuse): Map<string, ZipEntry> {
  const byName = new Map<string, ZipEntry>();
  let total = 0;
  for (const entry of entries) {
    const unsafe = unsafeEntryNameReason(entry.name);
    if (unsafe !== null) throw refuse(`entry ${quoted(entry.name)} has an unsafe name: ${unsafe}`);
    if (byName.has(entry.name)) throw refuse(`entry ${quoted(entry.name)} appears twice`);
    byName.set(entry.name, entry);
    if (entry.size > limits.maxEntryBytes) {
      throw refuse(`entry ${quoted(entry.name)} would expand to ${entry.size} bytes; an entry may have at most ${limits.maxEntryBytes}`);
    }
    total += entry.size;
    if (total > limits.maxTotalBytes) {
      throw refuse(`its entries would expand to more than ${limits.maxTotalBytes} bytes together`);
    }
    if (entry.size > limits.ratioFloorBytes && entry.size > limits.maxRatio * Math.max(1, entry.compressedSize)) {
      throw refuse(
        `entry ${quoted(entry.name)} would expand ${Math.round(entry.size / Math.max(1, entry.compressedSize))} times (${entry.compressedSize} bytes to ${entry.size}); more than ${limits.maxRatio} times is refused as a zip bomb`,
      );
    }
  }
  return byName;
}

function readManifest(bytes: Uint8Array, refuse: Refuse): BundleManifest {
  const raw = jsonOf(bytes, MANIFEST_ENTRY, refuse);
  const head = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  if (head.format !== BUNDLE_FORMAT) {
    throw refuse(`its manifest is for ${typeof head.format === 'string' ? quoted(head.format) : 'no known format'}, not a Fieldbench case bundle`, NOT_A_BUNDLE_HINT);
  }
  if (typeof head.formatVersion === 'number' && head.formatVersion > BUNDLE_FORMAT_VERSION) {
    const by = typeof head.fieldbenchVersion === 'string' ? ` by Fieldbench ${head.fieldbenchVersion.slice(0, 40)}` : '';
    throw refuse(`it was made${by} in bundle format ${head.formatVersion}, and this Fieldbench reads up to format ${BUNDLE_FORMAT_VERSION}`, UPDATE_HINT);
  }
  return parsed(BundleManifest, raw, MANIFEST_ENTRY, refuse);
}

/** What case.json says about attachments must be what the bundle holds. */
function checkCaseAgainstEntries(bundledCase: BundledCase, manifest: BundleManifest, contents: ReadonlyMap<string, Uint8Array>, refuse: Refuse): void {
  const listed = new Map(manifest.entries.map((entry) => [entry.path, entry]));
  const caseId = bundledCase.case.id;
  if (manifest.origin.caseId !== caseId) throw refuse(`its manifest is for case ${manifest.origin.caseId}, but ${CASE_ENTRY} holds case ${caseId}`);
  const owned = [...bundledCase.notes, ...bundledCase.attachments];
  for (const item of owned) {
    if (item.caseId !== caseId) throw refuse(`${CASE_ENTRY} holds ${item.id}, which belongs to another case (${item.caseId})`);
  }
  for (const job of bundledCase.firmwareJobs) {
    if (job.caseId !== caseId) throw refuse(`${CASE_ENTRY} holds firmware job ${job.id} of another case`);
  }
  const ids = [caseId, ...owned.map((item) => item.id), ...bundledCase.timeline.map((event) => event.id), ...bundledCase.firmwareJobs.map((job) => job.id)];
  if (new Set(ids).size !== ids.length) throw refuse(`${CASE_ENTRY} uses one id for two things`);
  for (const attachment of bundledCase.attachments) {
    const bytes = contents.get(attachment.path);
    if (bytes === undefined) throw refuse(`attachment ${quoted(attachment.fileName)} names entry ${quoted(attachment.path)}, which the bundle does not hold`);
    const sha256 = listed.get(attachment.path)?.sha256;
    if (bytes.length !== attachment.size || sha256 !== attachment.sha256) {
      throw refuse(`attachment ${quoted(attachment.fileName)} does not match entry ${quoted(attachment.path)} (size or SHA-256 differ)`);
    }
  }
}

function jsonOf(bytes: Uint8Array, entry: string, refuse: Refuse): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (error) {
    throw refuse(`${entry} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function parsed<S extends z.ZodType>(schema: S, raw: unknown, entry: string, refuse: Refuse): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`)
    .join('; ');
  throw refuse(`${entry} does not fit the bundle format (${problems})`);
}
