// Import: a bundle read and checked whole (see bundle-reader), then stored as one case in
// one transaction, with a timeline entry saying where it came from. A timeline entry of a
// kind this Fieldbench does not know is refused with the rest, before anything is written:
// storing it would make the case unreadable here.
import { CaseEventKind, type CaseBundleImport } from '../api/schemas';
import type { CaseStore } from '../store/case-store';
import type { ImportedCase } from '../store/case-import';
import type { CaseBundleContent } from './bundle-format';
import type { BundleLimits } from './bundle-limits';
import { readBundle } from './bundle-reader';
import { bundleRefused } from './bundle-refusal';

export interface ImportBundleOptions {
  /** The bundle's file name, for refusals and the timeline; "bundle" when not known. */
  fileName?: string | undefined;
  limits?: BundleLimits;
}

export function importCaseBundle(store: Pick<CaseStore, 'cases'>, zip: Uint8Array, options: ImportBundleOptions = {}): CaseBundleImport {
  const label = options.fileName?.trim() || 'the bundle';
  const content = readBundle(zip, { label, ...(options.limits ? { limits: options.limits } : {}) });
  const input = importedCaseOf(content, label);
  const { detail, renumbered } = store.cases.importCase(input);
  const { manifest, bundledCase } = content;
  return {
    case: {
      id: detail.id,
      title: detail.title,
      status: detail.status,
      deviceModel: detail.deviceModel,
      deviceSerial: detail.deviceSerial,
      noteCount: detail.noteCount,
      createdAt: detail.createdAt,
      updatedAt: detail.updatedAt,
    },
    originalCaseId: bundledCase.case.id,
    renumbered,
    machine: manifest.origin.machine,
    fieldbenchVersion: manifest.fieldbenchVersion,
    exportedAt: manifest.createdAt,
    imported: {
      notes: bundledCase.notes.length,
      timelineEntries: bundledCase.timeline.length,
      snapshots: bundledCase.snapshots.length,
      attachments: bundledCase.attachments.length,
      firmwareJobs: bundledCase.firmwareJobs.length,
    },
  };
}

function importedCaseOf(content: CaseBundleContent, label: string): ImportedCase {
  const { manifest, bundledCase, attachments } = content;
  const timeline = bundledCase.timeline.map((event) => {
    const kind = CaseEventKind.safeParse(event.kind);
    if (!kind.success) {
      throw bundleRefused(
        label,
        `its timeline has entries of kind "${event.kind.slice(0, 40)}", which this Fieldbench does not know`,
        'This bundle was made by a newer Fieldbench: update Fieldbench on this machine to import it.',
      );
    }
    return { ...event, kind: kind.data };
  });
  const machine = manifest.origin.machine || 'an unnamed machine';
  return {
    case: bundledCase.case,
    device: bundledCase.device,
    snapshots: bundledCase.snapshots,
    notes: bundledCase.notes,
    timeline,
    attachments: bundledCase.attachments.map((attachment) => {
      const bytes = attachments.get(attachment.path);
      // The reader has matched every attachment with its entry; a miss here is a bug.
      if (bytes === undefined) throw new Error(`bundle import: no bytes for ${attachment.path}`);
      return { ...attachment, bytes };
    }),
    firmwareJobs: bundledCase.firmwareJobs,
    importEvent: {
      summary: `Imported from bundle ${label} (originally case ${bundledCase.case.id} on machine ${machine}, exported by Fieldbench ${manifest.fieldbenchVersion})`,
      data: {
        bundle: label,
        originalCaseId: bundledCase.case.id,
        machine: manifest.origin.machine,
        fieldbenchVersion: manifest.fieldbenchVersion,
        exportedAt: manifest.createdAt,
        formatVersion: manifest.formatVersion,
      },
    },
  };
}
