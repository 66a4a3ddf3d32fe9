// Export: a case from the store, gathered whole (every snapshot, note, timeline entry,
// firmware job and attachment) and written as one bundle, with a file name a person can
// recognise in a downloads folder or a mail.
import type { CaseBundleFile } from '../api/schemas';
import type { CaseStore } from '../store/case-store';
import type { BundledAttachment, BundledCase } from './bundle-format';
import { sha256Of, writeBundle } from './bundle-writer';
import { attachmentEntryName } from './entry-names';

export interface ExportOrigin {
  fieldbenchVersion: string;
  machine: string;
}

export function exportCaseBundle(store: Pick<CaseStore, 'cases' | 'attachments' | 'firmware'>, caseId: string, origin: ExportOrigin): { file: CaseBundleFile; bytes: Uint8Array } {
  const detail = store.cases.get(caseId);
  const attachmentBytes = new Map<string, Uint8Array>();
  const attachments: BundledAttachment[] = detail.attachments.map((attachment) => {
    const content = store.attachments.get(caseId, attachment.id);
    const path = attachmentEntryName(attachment.sha256, attachment.fileName);
    attachmentBytes.set(path, Buffer.from(content.contentBase64, 'base64'));
    return { ...attachment, path };
  });
  const bundledCase: BundledCase = {
    case: {
      id: detail.id,
      title: detail.title,
      status: detail.status,
      deviceModel: detail.deviceModel,
      serialNumber: detail.deviceSerial,
      fields: detail.fields,
      createdAt: detail.createdAt,
      updatedAt: detail.updatedAt,
    },
    device: detail.device,
    snapshots: store.cases.snapshotsOf(caseId),
    notes: detail.notes,
    timeline: detail.timeline.map(({ id, kind, at, summary, data }) => ({ id, kind, at, summary, data })),
    firmwareJobs: store.firmware.ofCase(caseId),
    attachments,
  };
  const { bytes } = writeBundle({ bundledCase, attachments: attachmentBytes, ...origin });
  const file: CaseBundleFile = {
    fileName: bundleFileName(detail.title, detail.id),
    contentBase64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64'),
    size: bytes.length,
    sha256: sha256Of(bytes),
  };
  return { file, bytes };
}

/** "case-battery-drains-overnight-3f2a9c1b.zip": the title for people, the id's start to tell two apart. */
export function bundleFileName(title: string, caseId: string): string {
  const slug = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/gu, '-')
    .replace(/^-+|-+$/gu, '')
    .slice(0, 60)
    .replace(/-+$/u, '');
  return `case-${slug.length > 0 ? `${slug}-` : ''}${caseId.slice(0, 8)}.zip`;
}
