// The bundle reader against bundles built to hurt: path traversal in names, zip bombs (by
// declared size, by a directory that lies about the size, by ratio, by count), a newer
// format, a flipped byte, an entry added after export, a file cut short, a file that is not
// a zip at all. Each is refused as invalid-request at the 'import bundle' step, with a hint.
import { deflateSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { BundleLimits } from '../../src-main/bundle/bundle-limits';
import { DEFAULT_BUNDLE_LIMITS } from '../../src-main/bundle/bundle-limits';
import { readBundle } from '../../src-main/bundle/bundle-reader';
import { writeBundle } from '../../src-main/bundle/bundle-writer';
import { unsafeEntryNameReason } from '../../src-main/bundle/entry-names';
import { readZipDirectory } from '../../src-main/bundle/zip-directory';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { entriesOf, jsonEntry, rebuilt, sampleAttachments, sampleBundledCase, zipOf } from '../helpers/bundle-fixtures';

const good = writeBundle({ bundledCase: sampleBundledCase(), attachments: sampleAttachments(), fieldbenchVersion: '0.1.0', machine: 'bench-07' }).bytes;

function refusal(zip: Uint8Array, limits?: Partial<BundleLimits>) {
  const error = fieldbenchErrorFrom(() => readBundle(zip, { label: 'case.zip', limits: { ...DEFAULT_BUNDLE_LIMITS, ...limits } }));
  expect(error).toMatchObject({ code: 'invalid-request', step: 'import bundle', device: 'case.zip' });
  expect(error.message).toMatch(/^case\.zip was not imported: /u);
  expect(error.hint?.length).toBeGreaterThan(10);
  return error;
}

/** Little-endian offsets of a zip's central directory records, for tests that tamper with them. */
function centralRecords(zip: Uint8Array): number[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  expect(view.getUint32(eocd, true)).toBe(0x06054b50);
  const records: number[] = [];
  let at = view.getUint32(eocd + 16, true);
  for (let i = 0; i < view.getUint16(eocd + 10, true); i += 1) {
    records.push(at);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return records;
}

describe('readBundle accepts', () => {
  it('a bundle as written', () => {
    expect(readBundle(good, { label: 'case.zip' }).bundledCase.case.id).toBe(sampleBundledCase().case.id);
  });
});

describe('readBundle refuses', () => {
  it('a file that is not a zip, and one cut short', () => {
    expect(refusal(new TextEncoder().encode('%PDF-1.7 this is a report, not a bundle')).message).toMatch(/not a zip/u);
    expect(refusal(new Uint8Array(0)).message).toMatch(/too short/u);
    for (const keep of [good.length - 1, good.length - 30, Math.floor(good.length / 2), 100]) {
      refusal(good.subarray(0, keep));
    }
  });

  it.each([
    ['../escape.txt', /\.\./u],
    ['attachments/../../escape.txt', /\.\./u],
    ['/etc/cron.d/job', /absolute/u],
    ['C:/Windows/evil.dll', /drive letter/u],
    ['c:evil', /drive letter/u],
    ['attachments\\..\\evil', /backslash/u],
    ['attach\u0000ments/x', /control/u],
    ['report\n.md', /control/u],
    ['attachments//x', /empty/u],
    ['./case.json', /"\."/u],
    ['notes.txt:hidden', /colon/u],
  ])('an entry named %j (path traversal)', (name, reason) => {
    const zip = zipOf([...entriesOf(good), [name, new TextEncoder().encode('pwned')]]);
    expect(refusal(zip).message).toMatch(reason);
  });

  it('more entries than the limit, before reading any of them', () => {
    const many = zipOf(Array.from({ length: 12 }, (_, i) => [`attachments/${i}`, new Uint8Array([i])] as const));
    expect(refusal(many, { maxEntries: 10 }).message).toMatch(/12 entries; a bundle may have at most 10/u);
  });

  it('an entry whose declared size is above the per-entry cap (a zip bomb)', () => {
    const bomb = zipOf([...entriesOf(good), ['attachments/zeros', new Uint8Array(300_000)]]);
    expect(refusal(bomb, { maxEntryBytes: 256 * 1024 }).message).toMatch(/"attachments\/zeros" would expand to 300000 bytes/u);
  });

  it('entries that together expand past the total cap', () => {
    const entries = Array.from({ length: 5 }, (_, i) => [`attachments/part-${i}`, new Uint8Array(40_000).fill(i)] as const);
    const zip = zipOf([...entriesOf(good), ...entries]);
    expect(refusal(zip, { maxTotalBytes: 150_000, ratioFloorBytes: 1e9 }).message).toMatch(/more than 150000 bytes together/u);
  });

  it('an entry whose directory claims a small size but whose data expands past it', () => {
    const zip = rebuilt(good, (entries, manifest) => {
      entries.set('attachments/liar', new Uint8Array(2_000_000));
      manifest.entries.push({ path: 'attachments/liar', size: 1000, sha256: 'f'.repeat(64) });
    });
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const liar = centralRecords(zip).at(-1)!;
    view.setUint32(liar + 24, 1000, true); // uncompressed size: 1000 bytes, says the directory
    expect(refusal(zip).message).toMatch(/"attachments\/liar" expands past 1000 bytes, the size its directory declares: a zip bomb/u);
  });

  it('an entry that expands more than 200 times at real size (the default limits)', () => {
    const zeros = new Uint8Array(8 * 1024 * 1024);
    expect(deflateSync(zeros).length * 200).toBeLessThan(zeros.length);
    const zip = zipOf([...entriesOf(good), ['attachments/zeros.bin', zeros]]);
    expect(refusal(zip).message).toMatch(/would expand \d+ times .* more than 200 times is refused as a zip bomb/u);
  });

  it('two entries that point at one local header', () => {
    const zip = zipOf([['a', new Uint8Array(100).fill(1)], ['b', new Uint8Array(100).fill(1)]], 0);
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const [first, second] = centralRecords(zip);
    view.setUint32(second! + 42, view.getUint32(first! + 42, true), true);
    expect(refusal(zip).message).toMatch(/named "a" in its local header|share their data/u);
  });

  it('an entry whose data runs into the next one (overlapping entries, the trick of the best zip bombs)', () => {
    const zip = zipOf([['a', new Uint8Array(100).fill(1)], ['b', new Uint8Array(100).fill(2)]], 0);
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const [first] = centralRecords(zip);
    // Stored entries declare the same size twice; 150 bytes reach past "a" into "b".
    view.setUint32(first! + 20, 150, true);
    view.setUint32(first! + 24, 150, true);
    expect(refusal(zip).message).toMatch(/entries "a" and "b" share their data/u);
  });

  it('a bundle with no manifest, or a manifest of another format', () => {
    const entries = entriesOf(good);
    entries.delete('manifest.json');
    expect(refusal(zipOf(entries)).message).toMatch(/no manifest\.json/u);
    expect(refusal(rebuilt(good, (_, m) => Object.assign(m, { format: 'other-tool-export' }))).message).toMatch(/"other-tool-export", not a Fieldbench case bundle/u);
  });

  it('a bundle from a newer format version, saying to update', () => {
    const error = refusal(rebuilt(good, (_, m) => Object.assign(m, { formatVersion: 2, fieldbenchVersion: '9.0.0' })));
    expect(error.message).toMatch(/made by Fieldbench 9\.0\.0 in bundle format 2, and this Fieldbench reads up to format 1/u);
    expect(error.hint).toMatch(/newer Fieldbench: update/u);
  });

  it('a flipped byte: an entry that fails its checksum', () => {
    const flipped = rebuilt(good, (entries) => {
      const log = Uint8Array.from(entries.get(sampleBundledCase().attachments[0]!.path)!);
      log[3] = log[3]! ^ 0x01;
      entries.set(sampleBundledCase().attachments[0]!.path, log);
    });
    expect(refusal(flipped).message).toMatch(/fails its checksum/u);
  });

  it('a flipped byte in the zip itself, inside deflated data', () => {
    const caseEntry = readZipDirectory(good, DEFAULT_BUNDLE_LIMITS).find((entry) => entry.name === 'case.json')!;
    expect(caseEntry.method).toBe(8);
    const tampered = Uint8Array.from(good);
    const at = caseEntry.dataStart + Math.floor(caseEntry.compressedSize / 2);
    tampered[at] = tampered[at]! ^ 0x10;
    // A flip inside deflated data either breaks the stream or changes the text: either is refused.
    expect(refusal(tampered).message).toMatch(/"case\.json"(: its compressed data is damaged| fails its checksum| expands)/u);
  });

  it('a size that does not match the manifest', () => {
    const error = refusal(rebuilt(good, (_, m) => { m.entries[0]!.size += 1; }));
    expect(error.message).toMatch(/"case\.json" is \d+ bytes, but its manifest says \d+/u);
  });

  it('an entry not listed in the manifest', () => {
    const extra = rebuilt(good, (entries) => entries.set('attachments/extra.sh', new TextEncoder().encode('rm -rf ~')));
    expect(refusal(extra).message).toMatch(/"attachments\/extra\.sh" is not listed in its manifest/u);
  });

  it('an entry listed but missing', () => {
    expect(refusal(rebuilt(good, (entries) => entries.delete('report.md'))).message).toMatch(/"report\.md" is listed in its manifest but missing/u);
  });

  it('a case.json that does not fit its schema, even with hashes that match', () => {
    const bad = rebuilt(good, (entries) => {
      const caseJson = JSON.parse(new TextDecoder().decode(entries.get('case.json'))) as { case: { status: string } };
      caseJson.case.status = 'closed';
      entries.set('case.json', jsonEntry(caseJson));
    }, { relist: true });
    expect(refusal(bad).message).toMatch(/case\.json does not fit the bundle format \(case\.status/u);
  });

  it('a case.json that is not JSON', () => {
    const bad = rebuilt(good, (entries) => entries.set('case.json', new TextEncoder().encode('{"case": ')), { relist: true });
    expect(refusal(bad).message).toMatch(/case\.json is not valid JSON/u);
  });

  it('an attachment that names bytes the bundle does not hold, or other bytes', () => {
    const missing = rebuilt(good, (entries) => {
      const caseJson = JSON.parse(new TextDecoder().decode(entries.get('case.json'))) as { attachments: { path: string }[] };
      caseJson.attachments[0]!.path = 'attachments/nowhere';
      entries.set('case.json', jsonEntry(caseJson));
    }, { relist: true });
    expect(refusal(missing).message).toMatch(/names entry "attachments\/nowhere", which the bundle does not hold/u);
    const swapped = rebuilt(good, (entries) => {
      const caseJson = JSON.parse(new TextDecoder().decode(entries.get('case.json'))) as { attachments: { path: string }[] };
      caseJson.attachments[0]!.path = caseJson.attachments[1]!.path;
      entries.set('case.json', jsonEntry(caseJson));
    }, { relist: true });
    expect(refusal(swapped).message).toMatch(/does not match entry/u);
  });

  it('notes of another case smuggled into this one', () => {
    const bad = rebuilt(good, (entries) => {
      const caseJson = JSON.parse(new TextDecoder().decode(entries.get('case.json'))) as { notes: { caseId: string }[] };
      caseJson.notes[0]!.caseId = '11111111-2222-4333-8444-555555555555';
      entries.set('case.json', jsonEntry(caseJson));
    }, { relist: true });
    expect(refusal(bad).message).toMatch(/belongs to another case/u);
  });
});

describe('readBundle on damaged copies', () => {
  it('reads a copy back whole or refuses it cleanly, whatever bytes were changed or cut', () => {
    const content = readBundle(good, { label: 'case.zip' });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(good.length - 1), { nil: undefined }),
        (flips, cut) => {
          const damaged = Uint8Array.from(good);
          for (const [at, mask] of flips) damaged[at] = damaged[at]! ^ mask;
          const copy = cut === undefined ? damaged : damaged.subarray(0, cut);
          let read: ReturnType<typeof readBundle> | undefined;
          try {
            read = readBundle(copy, { label: 'case.zip' });
          } catch (error) {
            expect(error).toBeInstanceOf(FieldbenchError);
            expect(error).toMatchObject({ code: 'invalid-request', step: 'import bundle' });
            return;
          }
          // A flip in a place nothing reads (a timestamp, a CRC the SHA-256 stands in for) changes nothing.
          expect(read.bundledCase).toEqual(content.bundledCase);
          expect(read.attachments).toEqual(content.attachments);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('unsafeEntryNameReason', () => {
  it('passes plain relative names', () => {
    for (const name of ['manifest.json', 'attachments/abc-uart.log', 'a/b/c.txt', 'ünïcode.txt']) expect(unsafeEntryNameReason(name)).toBeNull();
  });
  it('refuses C1 controls, DEL and overlong names', () => {
    expect(unsafeEntryNameReason('a\u009bb')).toMatch(/control/u);
    expect(unsafeEntryNameReason('a\u007fb')).toMatch(/control/u);
    expect(unsafeEntryNameReason('x'.repeat(256))).toMatch(/longer/u);
  });
});
