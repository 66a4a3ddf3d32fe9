// A case as a bundle carries it, with something of every kind (readings of each status, a
// firmware update, notes, a text and a binary attachment, a timeline entry of a kind a later
// Fieldbench adds), and the tools to take a written bundle apart and put a changed one back
// together, the way a hostile or damaged file would arrive.
import { createHash } from 'node:crypto';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import type { BundledCase, BundleManifest } from '../../src-main/bundle/bundle-format';
import { attachmentEntryName } from '../../src-main/bundle/entry-names';

export const CASE_ID = '6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f';
const DEVICE = { deviceId: 'virtual-1', transport: 'serial' as const, path: '/dev/pts/7', profileId: 'sensor-node', identity: { model: 'SN-200', serialNumber: 'SN-0042', firmwareVersion: '1.4.0' } };
export const LOG_TEXT = 'boot ok\nERROR: watchdog fired in radio_task\n';
export const BINARY = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
export const SCRIPT_NOTE = 'Customer pasted <script>alert("x")</script> & said it "just stopped"';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function sampleAttachments(): Map<string, Uint8Array> {
  const log = new TextEncoder().encode(LOG_TEXT);
  return new Map([
    [attachmentEntryName(sha(log), 'radio.log'), log],
    [attachmentEntryName(sha(BINARY), 'config dump.bin'), BINARY],
  ]);
}

export function sampleBundledCase(): BundledCase {
  const log = new TextEncoder().encode(LOG_TEXT);
  const reading = (id: string, value: number, status: 'ok' | 'warn' | 'fail', limits: string) => ({
    id, label: id, value, unit: 'V', status, limits, message: status === 'ok' ? null : `${id} out of range`, readAt: '2026-11-20T10:00:01.000Z',
  });
  return {
    case: {
      id: CASE_ID,
      title: 'Radio drops | after <1.4> update',
      status: 'resolved',
      deviceModel: 'SN-200',
      serialNumber: 'SN-0042',
      fields: { customer: 'Harbour & Co', assetId: 'PUMP-7', symptom: 'Radio drops every hour', severity: 'high', tags: ['radio', 'watchdog'], resolution: 'Flashed 1.5.0', rootCause: 'Stack overflow in radio_task', revision: 4 },
      createdAt: '2026-11-20T10:00:00.000Z',
      updatedAt: '2026-11-21T08:30:00.000Z',
    },
    device: DEVICE,
    snapshots: [
      {
        takenAt: '2026-11-20T10:00:02.000Z',
        report: {
          deviceId: 'virtual-1', profileId: 'sensor-node', identity: DEVICE.identity, startedAt: '2026-11-20T10:00:00.500Z', finishedAt: '2026-11-20T10:00:02.000Z',
          readings: [reading('battery', 3.7, 'ok', 'warn below 3.5 V'), reading('supply', 3.4, 'warn', 'warn below 3.5 V'), reading('radio', 1.1, 'fail', 'fail below 2.8 V')],
        },
      },
    ],
    notes: [
      { id: uuid(1), caseId: CASE_ID, text: SCRIPT_NOTE, revision: 3, createdAt: '2026-11-20T10:05:00.000Z', updatedAt: '2026-11-20T10:06:00.000Z' },
      { id: uuid(2), caseId: CASE_ID, text: 'Watchdog resets seen in the log\n```\nwdt: reset\n```', revision: 1, createdAt: '2026-11-20T11:00:00.000Z', updatedAt: '2026-11-20T11:00:00.000Z' },
    ],
    timeline: [
      { id: uuid(10), kind: 'case-opened', at: '2026-11-20T10:00:00.000Z', summary: 'Case opened for SN-200 SN-0042', data: { device: DEVICE } },
      { id: uuid(11), kind: 'firmware', at: '2026-11-21T08:00:00.000Z', summary: 'Firmware update confirmed', data: { jobId: uuid(30), outcome: 'confirmed', versionBefore: '1.4.0', versionAfter: '1.5.0' } },
      { id: uuid(12), kind: 'attachment-added', at: '2026-11-21T08:10:00.000Z', summary: 'Attached radio.log', data: { attachmentId: uuid(20) } },
      { id: uuid(13), kind: 'procedure-result', at: '2026-11-21T08:20:00.000Z', summary: 'Radio soak test passed', data: { steps: [{ id: 'rssi', outcome: 'pass' }] } },
      {
        id: uuid(14), kind: 'procedure', at: '2026-11-21T08:25:00.000Z', summary: 'Bench check passed',
        data: {
          procedureName: 'Bench check', result: 'passed', operator: 'kim',
          steps: [
            { id: 'battery', kind: 'check', title: 'Battery voltage', status: 'passed', reading: { value: 3.92, unit: 'V', text: null }, limit: '3.3 to 4.25 V', reason: null },
            { id: 'led', kind: 'instruction', title: 'LED <blinks> green', status: 'failed', reading: null, limit: null, reason: 'stays red' },
            'not a step',
          ],
        },
      },
    ],
    firmwareJobs: [
      {
        id: uuid(30), deviceId: 'virtual-1', device: DEVICE, caseId: CASE_ID,
        image: { fileName: 'sensor-1.5.0.bin', sha256: 'ab'.repeat(32), version: '1.5.0', size: 65536 },
        options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' },
        state: 'finished', cancellable: false, outcome: 'confirmed', reason: null, versionBefore: '1.4.0', versionAfter: '1.5.0', uploaded: 65536,
        startedAt: '2026-11-21T07:58:00.000Z', updatedAt: '2026-11-21T08:00:00.000Z', finishedAt: '2026-11-21T08:00:00.000Z',
        steps: [{ step: 'upload', status: 'done', at: '2026-11-21T07:59:00.000Z', detail: null }],
      },
    ],
    attachments: [
      { id: uuid(20), caseId: CASE_ID, fileName: 'radio.log', mediaType: 'text/plain', size: log.length, sha256: sha(log), searchable: true, createdAt: '2026-11-21T08:10:00.000Z', path: attachmentEntryName(sha(log), 'radio.log') },
      { id: uuid(21), caseId: CASE_ID, fileName: 'config dump.bin', mediaType: 'application/octet-stream', size: BINARY.length, sha256: sha(BINARY), searchable: false, createdAt: '2026-11-21T08:11:00.000Z', path: attachmentEntryName(sha(BINARY), 'config dump.bin') },
    ],
  };
}

/** The entries of a zip in their order, as fflate reads them. */
export function entriesOf(zip: Uint8Array): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(zip)));
}

export function zipOf(entries: Iterable<readonly [string, Uint8Array]>, level: 0 | 6 = 6): Uint8Array {
  const zippable: Zippable = {};
  for (const [name, bytes] of entries) zippable[name] = [bytes, { level, mtime: new Date(2026, 0, 1) }];
  return zipSync(zippable);
}

/**
 * A written bundle taken apart, changed, and zipped again. With `relist`, the manifest is
 * rewritten to list and hash the entries as they now are (a bundle built by hand to look
 * valid); without it, the manifest still describes the original.
 */
export function rebuilt(
  zip: Uint8Array,
  change: (entries: Map<string, Uint8Array>, manifest: BundleManifest) => void,
  options: { relist?: boolean } = {},
): Uint8Array {
  const entries = entriesOf(zip);
  const manifest = JSON.parse(new TextDecoder().decode(entries.get('manifest.json'))) as BundleManifest;
  change(entries, manifest);
  if (options.relist) {
    manifest.entries = [...entries].filter(([name]) => name !== 'manifest.json').map(([path, bytes]) => ({ path, size: bytes.length, sha256: sha(bytes) }));
  }
  entries.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
  return zipOf(entries);
}

export function jsonEntry(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
