import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { crcText, dfuCrc, parseDfuFile, withDfuSuffix } from '../../src-main/firmware-images/dfu-file';
import { dfuseFile } from '../helpers/dfuse-file';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { readExpectations, readFixture, type DfuExpectation } from '../helpers/firmware-fixtures';
import { describeSegments } from '../helpers/segment-arbitraries';

const expectations = readExpectations<DfuExpectation>('dfu');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const accepted = expectations.filter((e) => e.expect === undefined);
const rejected = expectations.filter((e) => e.expect !== undefined);

describe('DFU files made by dfu-util', () => {
  it('has every kind of fixture', () => {
    expect(accepted.map((e) => e.format).sort()).toEqual(['dfu', 'dfuse']);
    expect(rejected).toHaveLength(1);
  });

  it.each(accepted.map((e) => [e.file, e] as const))('%s: suffix, payload and targets as dfu-util wrote them', (file, expected) => {
    const bytes = readFixture('dfu', file);
    const dfu = parseDfuFile(bytes);
    expect(dfu.kind).toBe(expected.format);
    const { crc_ok: crcOk, crc, ...ids } = expected.suffix;
    expect(dfu.suffix).toMatchObject(ids);
    expect(dfu.suffix.crc === dfu.suffix.computedCrc).toBe(crcOk);
    if (crc !== undefined) expect(crcText(dfu.suffix.crc)).toBe(crc);
    if (dfu.kind === 'dfu') {
      expect(dfu.payload.length).toBe(expected.payload_size);
      expect(sha256(dfu.payload)).toBe(expected.payload_sha256);
    } else {
      expect(dfu.targets.map((t) => ({ alt: t.alt, elements: describeSegments(t.elements) }))).toEqual(expected.targets);
    }
  });

  it('holds the bytes of the binaries it was made from', () => {
    const plain = parseDfuFile(readFixture('dfu', 'app-suffixed.dfu'));
    expect(plain.kind === 'dfu' && Buffer.from(plain.payload).equals(Buffer.from(readFixture('dfu', 'app.bin')))).toBe(true);
    const dfuse = parseDfuFile(readFixture('dfu', 'stm32-two-elements.dfu'));
    if (dfuse.kind !== 'dfuse') throw new Error('expected DfuSe');
    expect(dfuse.targets[0]?.name).toBe('ST...');
    expect(dfuse.targets[0]?.elements.map((e) => sha256(e.data))).toEqual([sha256(readFixture('dfu', 'part-a.bin')), sha256(readFixture('dfu', 'part-b.bin'))]);
  });

  it.each(rejected.map((e) => [e.file, e] as const))('%s is refused: %s', (file, expected) => {
    expect(expected.expect).toMatch(/suffix CRC mismatch/);
    const error = fieldbenchErrorFrom(() => parseDfuFile(readFixture('dfu', file)));
    expect(error.step).toBe('read DFU suffix');
    expect(error.message).toMatch(/^suffix CRC mismatch: the suffix says 0x[0-9a-f]{8}, but the file's CRC is 0x[0-9a-f]{8}$/);
    expect(error.hint).toBeTruthy();
  });
});

describe('DFU suffix CRC', () => {
  it("is zlib's CRC-32 without the final inversion, as dfu-util computes it", () => {
    const bytes = readFixture('dfu', 'app-suffixed.dfu');
    expect(crcText(dfuCrc(bytes.subarray(0, bytes.length - 4)))).toBe('0x5ae5bf01');
    expect(dfuCrc(new TextEncoder().encode('123456789'))).toBe(~0xcbf43926 >>> 0);
  });
});

describe('refusals', () => {
  const good = readFixture('dfu', 'stm32-two-elements.dfu');
  const resuffixed = (body: Uint8Array, bcdDFU = 0x011a) => withDfuSuffix(body, { bcdDFU });

  it('a file too short or without the UFD signature', () => {
    expect(fieldbenchErrorFrom(() => parseDfuFile(new Uint8Array(10))).message).toMatch(/^truncated: a DFU suffix needs 16 bytes, but the file has 10/);
    expect(fieldbenchErrorFrom(() => parseDfuFile(readFixture('dfu', 'app.bin'))).message).toMatch(/no DFU suffix: .* not the 'UFD' signature/);
  });

  it('a DfuSe file cut short, with a wrong signature or wrong sizes', () => {
    const body = good.subarray(0, good.length - 16);
    const cut = resuffixed(body.subarray(0, 5000));
    expect(fieldbenchErrorFrom(() => parseDfuFile(cut)).message).toMatch(/the DfuSe prefix says the file is 14413 bytes, but it is 5016/);
    const noPrefix = Buffer.from(body);
    noPrefix.write('DfuSX', 0, 'latin1');
    expect(fieldbenchErrorFrom(() => parseDfuFile(resuffixed(noPrefix))).message).toMatch(/no 'DfuSe' signature at offset 0/);
    const noTarget = Buffer.from(body);
    noTarget.write('Tarxet', 11, 'latin1');
    expect(fieldbenchErrorFrom(() => parseDfuFile(resuffixed(noTarget))).message).toMatch(/no 'Target' signature at 11 \(0xb\)/);
    const bigElement = Buffer.from(body);
    bigElement.writeUInt32LE(20_000, 11 + 274 + 4);
    expect(fieldbenchErrorFrom(() => parseDfuFile(resuffixed(bigElement))).message).toMatch(/^truncated: element 0 of target 0 \(20000 bytes at 0x08000000\)/);
    const moreTargets = Buffer.from(body);
    moreTargets.writeUInt8(2, 10);
    expect(fieldbenchErrorFrom(() => parseDfuFile(resuffixed(moreTargets))).message).toMatch(/^truncated: target 1's 274-byte prefix/);
  });

  it('reads several named and unnamed targets, and an element that runs past 4 GiB is refused', () => {
    const file = dfuseFile([
      { alt: 0, name: 'Internal Flash', elements: [{ address: 0x08000000, data: new Uint8Array([1, 2, 3]) }] },
      { alt: 1, elements: [] },
    ]);
    const dfu = parseDfuFile(file);
    expect(dfu.kind === 'dfuse' && dfu.targets.map((t) => [t.alt, t.name, t.elements.length])).toEqual([
      [0, 'Internal Flash', 1],
      [1, '', 0],
    ]);
    const past = dfuseFile([{ alt: 0, elements: [{ address: 0xffffffff, data: new Uint8Array(2) }] }]);
    expect(fieldbenchErrorFrom(() => parseDfuFile(past)).message).toMatch(/do not fit 32-bit addresses/);
  });
});

describe('properties', () => {
  it('never throws anything but a FieldbenchError, whatever the bytes', () => {
    const good = readFixture('dfu', 'stm32-two-elements.dfu');
    const attempt = (bytes: Uint8Array) => {
      try {
        parseDfuFile(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(FieldbenchError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => attempt(bytes)));
    // With a valid suffix and DfuSe prefix, so the body's reader is what the bytes reach.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 900 }), fc.boolean(), fc.nat(40), (tail, dfuse, kept) => {
        const head = dfuse ? good.subarray(0, 11 + 274 + kept) : new Uint8Array();
        attempt(withDfuSuffix(Buffer.concat([head, tail]), { bcdDFU: dfuse ? 0x011a : 0x0100 }));
      }),
    );
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (offset, flip) => {
        const changed = Uint8Array.from(good);
        changed[offset]! ^= flip;
        attempt(changed);
        attempt(withDfuSuffix(changed.subarray(0, changed.length - 16), { bcdDFU: 0x011a }));
      }),
    );
  });

  it('a suffix added to any payload reads back with its IDs and the payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (payload, bcdDevice, idProduct, idVendor) => {
        fc.pre(!Buffer.from(payload.subarray(0, 5)).equals(Buffer.from('DfuSe')));
        const dfu = parseDfuFile(withDfuSuffix(payload, { bcdDevice, idProduct, idVendor }));
        expect(dfu.kind).toBe('dfu');
        expect(dfu.suffix).toMatchObject({ bcdDevice, idProduct, idVendor, bcdDFU: 0x0100 });
        expect(dfu.kind === 'dfu' && Buffer.from(dfu.payload).equals(Buffer.from(payload))).toBe(true);
      }),
    );
  });
});
