// The bundle writer: what entries it makes and in which order, a manifest whose sizes and
// hashes are the entries', reports that escape what the case holds, and the same bytes for
// the same case whatever the time zone of the machine that exports it.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BundleManifest } from '../../src-main/bundle/bundle-format';
import { readBundle } from '../../src-main/bundle/bundle-reader';
import { writeBundle } from '../../src-main/bundle/bundle-writer';
import { attachmentEntryName, unsafeEntryNameReason } from '../../src-main/bundle/entry-names';
import { readZipDirectory } from '../../src-main/bundle/zip-directory';
import { BINARY, entriesOf, LOG_TEXT, sampleAttachments, sampleBundledCase, SCRIPT_NOTE } from '../helpers/bundle-fixtures';

const origin = { fieldbenchVersion: '0.1.0', machine: 'bench-07' };
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

function written() {
  return writeBundle({ bundledCase: sampleBundledCase(), attachments: sampleAttachments(), ...origin });
}

const zone = process.env.TZ;
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('writeBundle', () => {
  it('writes the manifest first, then case.json, the reports and the attachments in name order', () => {
    const { bytes } = written();
    const names = [...entriesOf(bytes).keys()];
    const attachments = [...sampleAttachments().keys()].sort();
    expect(names).toEqual(['manifest.json', 'case.json', 'report.md', 'report.html', ...attachments]);
    for (const name of names) expect(unsafeEntryNameReason(name)).toBeNull();
  });

  it('lists every other entry in the manifest with its size and SHA-256', () => {
    const { bytes, manifest } = written();
    const entries = entriesOf(bytes);
    const stored = BundleManifest.parse(JSON.parse(text(entries.get('manifest.json'))));
    expect(stored).toEqual(manifest);
    expect(stored).toMatchObject({ format: 'fieldbench-case-bundle', formatVersion: 1, fieldbenchVersion: '0.1.0', origin: { machine: 'bench-07' } });
    // The case's last change, not the moment of export: that is what makes a re-export identical.
    expect(stored.createdAt).toBe(sampleBundledCase().case.updatedAt);
    expect(stored.entries.map((e) => e.path)).toEqual([...entries.keys()].filter((name) => name !== 'manifest.json'));
    for (const entry of stored.entries) {
      const content = entries.get(entry.path);
      expect(content?.length).toBe(entry.size);
      expect(sha(content ?? new Uint8Array())).toBe(entry.sha256);
    }
    expect(text(entries.get(sampleBundledCase().attachments[0]?.path ?? ''))).toBe(LOG_TEXT);
    expect(entries.get(sampleBundledCase().attachments[1]?.path ?? '')).toEqual(BINARY);
  });

  it('carries the whole case in case.json, timeline entries of unknown kinds included', () => {
    const caseJson = JSON.parse(text(entriesOf(written().bytes).get('case.json'))) as unknown;
    expect(caseJson).toEqual(sampleBundledCase());
    expect(JSON.stringify(caseJson)).toContain('"kind":"procedure-result"');
  });

  it('writes a printable, self-contained HTML report in which text from the case stays text', () => {
    const html = text(entriesOf(written().bytes).get('report.html'));
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; said it &quot;just stopped&quot;');
    expect(html).not.toMatch(/<script/iu);
    expect(html).toContain('Radio drops | after &lt;1.4&gt; update');
    expect(html).toContain('@media print');
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/u);
    // Nothing is fetched: no external stylesheet, image, font or link target.
    expect(html).not.toMatch(/\b(?:src|href)\s*=|url\(|@import|https?:/iu);
    for (const expected of ['SN-0042', 'PUMP-7', 'Harbour &amp; Co', 'FAIL', 'WARN', 'fail below 2.8 V', 'ab'.repeat(32), '1.4.0', '1.5.0', 'Stack overflow in radio_task', 'Radio soak test passed', 'bench-07']) {
      expect(html).toContain(expected);
    }
  });

  it('writes a Markdown report with the readings, firmware versions and hashes, notes as typed', () => {
    const md = text(entriesOf(written().bytes).get('report.md'));
    expect(md.startsWith('# Radio drops \\| after \\<1.4\\> update\n')).toBe(true);
    expect(md).toContain('- **Customer / site:** Harbour & Co');
    expect(md).toContain('| radio | 1.1 V | FAIL | fail below 2.8 V | radio out of range |');
    expect(md).toContain(`| 2026-11-21T07:58:00.000Z | sensor-1.5.0.bin | 1.5.0 | ${'ab'.repeat(32)} | 1.4.0 | 1.5.0 | confirmed |`);
    expect(md).toContain(`\`\`\`text\n${SCRIPT_NOTE}\n\`\`\``);
    // A note holding a fence gets a longer fence, so it cannot close the block early.
    expect(md).toContain('````text\nWatchdog resets seen in the log\n```\nwdt: reset\n```\n````');
    expect(md).toContain('Flashed 1.5.0');
  });

  it('lists procedure results with their steps, leaving out details of a shape it does not know', () => {
    const entries = entriesOf(written().bytes);
    const md = text(entries.get('report.md'));
    expect(md).toContain('### Bench check passed\n\nRun 2026-11-21T08:25:00.000Z by kim.');
    expect(md).toContain('| Battery voltage | passed | 3.92 V | 3.3 to 4.25 V |  |');
    expect(md).toContain('| LED \\<blinks\\> green | failed | — | — | stays red |');
    expect(md).not.toContain('not a step');
    const html = text(entries.get('report.html'));
    expect(html).toContain('<td>LED &lt;blinks&gt; green</td><td class="status-fail">failed</td>');
    // An entry of a kind this build does not know is in the timeline, not among the procedures.
    expect(md).not.toContain('### Radio soak test passed');
    expect(md).toContain('| 2026-11-21T08:20:00.000Z | procedure-result | Radio soak test passed |');
  });

  it('gives the same bytes for the same case, whatever the time zone', () => {
    process.env.TZ = 'UTC';
    const first = written().bytes;
    process.env.TZ = 'Pacific/Auckland';
    const second = written().bytes;
    expect(sha(second)).toBe(sha(first));
    const changed = sampleBundledCase();
    changed.case.updatedAt = '2026-11-22T08:30:00.000Z';
    expect(sha(writeBundle({ bundledCase: changed, attachments: sampleAttachments(), ...origin }).bytes)).not.toBe(sha(first));
  });

  it('stores uncompressed an entry that would pass the import ratio limit, so its own bundles always import', () => {
    const blank = new Uint8Array(4 * 1024 * 1024).fill(0xff);
    const bundledCase = sampleBundledCase();
    const path = attachmentEntryName(sha(blank), 'flash.bin');
    bundledCase.attachments = [{ ...bundledCase.attachments[1]!, fileName: 'flash.bin', size: blank.length, sha256: sha(blank), path }];
    const { bytes } = writeBundle({ bundledCase, attachments: new Map([[path, blank]]), ...origin });
    const entry = readZipDirectory(bytes, { maxEntries: 10 }).find((e) => e.name === path);
    expect(entry).toMatchObject({ method: 0, size: blank.length, compressedSize: blank.length });
    // Compared by hash: a deep comparison of 4 MiB element by element takes tens of seconds.
    expect(sha(readBundle(bytes, { label: 'flash.zip' }).attachments.get(path) ?? new Uint8Array())).toBe(sha(blank));
  });

  it('reads back what it wrote', () => {
    const content = readBundle(written().bytes, { label: 'case.zip' });
    expect(content.bundledCase).toEqual(sampleBundledCase());
    expect(content.attachments).toEqual(sampleAttachments());
  });
});

describe('attachment entry names', () => {
  it('keep the hash and a tame copy of the name', () => {
    const hash = 'c'.repeat(64);
    expect(attachmentEntryName(hash, 'uart capture (2).log')).toBe(`attachments/${hash}-uart_capture_2_.log`);
    expect(attachmentEntryName(hash, '../../etc/passwd')).toBe(`attachments/${hash}-etc_passwd`);
    expect(attachmentEntryName(hash, '...')).toBe(`attachments/${hash}-file`);
    const long = attachmentEntryName(hash, `${'x'.repeat(400)}.log`);
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long.endsWith('.log')).toBe(true);
    expect(unsafeEntryNameReason(long)).toBeNull();
  });
});
