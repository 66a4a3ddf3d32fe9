import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { ImageInspection } from '../../src-main/api/schemas';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { detectFormat, inspectImage, type PublicKeyPem } from '../../src-main/firmware-images/inspect-image';
import { toIntelHex } from '../../src-main/firmware-images/intel-hex';
import { withDfuSuffix } from '../../src-main/firmware-images/dfu-file';
import { inspectionPerImgtool, readExpectations, readFixture, tlvRows, type DfuExpectation, type McubootExpectation, type SegmentsExpectation } from '../helpers/firmware-fixtures';

const mcuboot = readExpectations<McubootExpectation>('mcuboot');
const segmentFiles = readExpectations<SegmentsExpectation>('ihex');
const dfuFiles = readExpectations<DfuExpectation>('dfu');
const keyFiles = ['test-pub-ed25519.pem', 'test-pub-ecdsa-p256.pem', 'test-pub-rsa-2048.pem'];
const keys: PublicKeyPem[] = keyFiles.map((name) => ({ name, pem: Buffer.from(readFixture('mcuboot', name)).toString('utf8') }));
const text = (s: string) => new TextEncoder().encode(s);

/** Inspects, and holds the answer to the contract's schema; anything thrown must be a FieldbenchError. */
function inspectOrReason(bytes: Uint8Array, fileName?: string): ImageInspection | FieldbenchError {
  try {
    return ImageInspection.parse(inspectImage(bytes, { ...(fileName === undefined ? {} : { fileName }), keys }));
  } catch (error) {
    if (error instanceof FieldbenchError) return error;
    throw error;
  }
}

describe('detectFormat', () => {
  it.each([
    ...mcuboot.map((e) => ['mcuboot', e.file] as const),
    ...segmentFiles.map((e) => ['ihex', e.file] as const),
  ])('knows the reference files by their content (%s/%s)', (folder, file) => {
    const expected = mcuboot.some((e) => e.file === file) ? 'mcuboot' : segmentFiles.find((e) => e.file === file)?.format;
    expect(detectFormat(readFixture(folder, file), 'renamed.bin')).toBe(expected);
  });

  it('goes by the name only for text it cannot place, and never guesses MCUboot', () => {
    expect(detectFormat(text('garbage'), 'app.hex')).toBe('ihex');
    expect(detectFormat(text('garbage'), 'app.s19')).toBe('srec');
    expect(detectFormat(text(':)'), 'app.bin')).toBe('raw');
    expect(detectFormat(text('Some text'), 'app.bin')).toBe('raw');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.string(), (bytes, name) => {
        const magic = bytes.length >= 4 && bytes[0] === 0x3d && bytes[1] === 0xb8 && bytes[2] === 0xf3 && bytes[3] === 0x96;
        expect(detectFormat(bytes, name) === 'mcuboot').toBe(magic);
      }),
    );
  });
});

describe('inspectImage on DFU files', () => {
  it.each(dfuFiles.map((e) => [e.file, e] as const))('%s: known by its suffix, whatever its name', (file, expected) => {
    expect(detectFormat(readFixture('dfu', file), 'renamed.bin')).toBe(expected.format);
  });

  it.each(dfuFiles.filter((e) => e.expect === undefined).map((e) => [e.file, e] as const))('%s agrees with dfu-util', (file, expected) => {
    const result = inspectOrReason(readFixture('dfu', file), file);
    if (result instanceof FieldbenchError) throw result;
    const { crc_ok: crcOk, ...suffix } = expected.suffix;
    expect(result.format).toBe(expected.format);
    expect(result.dfu?.suffix).toMatchObject({ ...suffix, crcOk });
    expect(result.hashOk).toBeNull();
    expect(result.keys.map((k) => k.verdict)).toEqual(keys.map(() => 'no-signature-for-key'));
    if (expected.format === 'dfu') {
      expect(result.segments).toEqual([{ address: 0, size: expected.payload_size, sha256: expected.payload_sha256 }]);
      expect(result.dfu?.targets).toBeUndefined();
    } else {
      expect(result.dfu?.targets?.map((t) => ({ alt: t.alt, elements: t.elements }))).toEqual(expected.targets);
      expect(result.segments).toEqual(expected.targets?.flatMap((t) => t.elements));
    }
  });

  it('refuses a file whose suffix CRC does not match', () => {
    const error = inspectOrReason(readFixture('dfu', 'app-suffixed-badcrc.dfu'), 'app.dfu');
    expect(error).toBeInstanceOf(FieldbenchError);
    expect((error as FieldbenchError).message).toMatch(/^suffix CRC mismatch/);
  });

  it('has no DFU part for other formats, and warns about an empty DFU file', () => {
    const raw = inspectOrReason(readFixture('dfu', 'app.bin'), 'app.bin');
    expect(raw).toMatchObject({ format: 'raw', dfu: null });
    const empty = inspectOrReason(withDfuSuffix(new Uint8Array()), 'empty.dfu');
    expect(empty).toMatchObject({ format: 'dfu', imageSize: 0 });
    expect((empty as ImageInspection).warnings).toContain('the file holds no data');
  });
});

describe('inspectImage on the reference files', () => {
  it.each(mcuboot.map((e) => [e.file, e] as const))('%s agrees with imgtool', (file, expected) => {
    const result = inspectOrReason(readFixture('mcuboot', file), file);
    if (result instanceof FieldbenchError) throw result;
    expect(result).toMatchObject({ ...inspectionPerImgtool(expected), loadAddress: expected.load_addr, flags: expected.flags });
    expect(tlvRows(result.tlvs)).toEqual(expected.tlvs);
    expect(Object.fromEntries(result.keys.map((k) => [k.key, k.verdict]))).toEqual(expected.imgtool_verify);
    expect(result.segments).toHaveLength(1);
    expect(result.segments[0]?.size).toBe(readFixture('mcuboot', file).length);
  });

  it('warns about an unsigned image, a changed image and one too large for the slot', () => {
    const unsigned = inspectImage(readFixture('mcuboot', 'app-1.0.0-unsigned.bin'), { slotSize: 4096 });
    expect(unsigned.warnings.join('\n')).toMatch(/unsigned image/);
    expect(unsigned.warnings.join('\n')).toMatch(/larger than the slot \(4096 bytes\)/);
    const corrupt = inspectImage(readFixture('mcuboot', 'app-1.1.0-ed25519-corrupt.bin'));
    expect(corrupt.hashOk).toBe(false);
    expect(corrupt.warnings.join('\n')).toMatch(/hash does not match/);
    expect(inspectImage(readFixture('mcuboot', 'app-1.2.0-ed25519-seccnt.bin')).securityCounter).toBe(0x01020000);
  });

  it.each(segmentFiles.map((e) => [e.file, e] as const))('%s: segments as srecord lists them', (file, expected) => {
    const result = inspectOrReason(readFixture('ihex', file), file);
    if (result instanceof FieldbenchError) throw result;
    expect(result.format).toBe(expected.format);
    expect(result.segments).toEqual(expected.segments);
    expect(result.imageSize).toBe(expected.segments.reduce((sum, s) => sum + s.size, 0));
    expect(result.keys.every((k) => k.verdict === 'no-signature-for-key')).toBe(true);
    expect(result.warnings.join('\n')).toMatch(/not an MCUboot image/);
  });

  it('takes a raw binary as one segment at 0, hashed as a whole', () => {
    const bytes = readFixture('ihex', 'part-b.bin');
    const result = inspectImage(bytes, { fileName: 'part-b.bin' });
    const expected = segmentFiles.find((e) => e.file === 'low-16bit.hex')?.segments;
    expect(result).toMatchObject({ format: 'raw', version: null, hashOk: null, imageSize: bytes.length, segments: expected });
    expect(result.sha256).toBe(expected?.[0]?.sha256);
  });

  it('points out an MCUboot image inside an Intel HEX file', () => {
    const image = createMcubootImage({ version: '1.0.0', payload: new Uint8Array(64) });
    const result = inspectImage(text(toIntelHex([{ address: 0x10000, data: image }])), { fileName: 'zephyr.signed.hex' });
    expect(result.warnings.join('\n')).toMatch(/data at 0x00010000 is an MCUboot image/);
  });

  it('refuses an empty file and a key that is not PEM', () => {
    expect(() => inspectImage(new Uint8Array(), { fileName: 'empty.bin' })).toThrow(/empty\.bin is empty/);
    expect(() => inspectImage(readFixture('ihex', 'part-a.bin'), { keys: [{ name: 'k.pem', pem: 'nope' }] })).toThrow(/'k\.pem' is not a PEM public key/);
  });
});

describe('inspectImage on damaged and arbitrary input', () => {
  const image = readFixture('mcuboot', 'app-1.2.0-ed25519-seccnt.bin');

  it('refuses the image cut at every length, with a reason', () => {
    // Below four bytes the magic itself is gone: what is left is only a raw binary.
    for (let length = 4; length < image.length; length++) {
      const result = inspectOrReason(image.subarray(0, length), 'app.bin');
      expect(result, `cut at ${length}`).toBeInstanceOf(FieldbenchError);
      expect((result as FieldbenchError).message).toMatch(/truncated|magic/);
    }
    expect(inspectOrReason(image.subarray(0, 3))).toMatchObject({ format: 'raw' });
  });

  it('answers or refuses cleanly for any change to a real image', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(image.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (changes) => {
        const bytes = image.slice();
        for (const [at, value] of changes) bytes[at] = value;
        const result = inspectOrReason(bytes, 'app.bin');
        if (!(result instanceof FieldbenchError) && result.format === 'mcuboot' && result.hashOk === false) {
          expect(result.keys.every((k) => k.verdict === 'bad-hash')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('answers or refuses cleanly for any bytes where the TLV areas should be', () => {
    const made = createMcubootImage({ version: '1.0.0', payload: new Uint8Array(32), securityCounter: 1 });
    const bodyEnd = 0x200 + 32;
    const protectedInfo = made.subarray(bodyEnd, bodyEnd + 4);
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 300 }), (keepInfo, tail) => {
        const info = keepInfo ? [...protectedInfo] : [];
        inspectOrReason(Uint8Array.from([...made.subarray(0, bodyEnd), ...info, ...tail]), 'app.bin');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but a FieldbenchError, for any bytes and name', () => {
    const prefixes = [new Uint8Array([0x3d, 0xb8, 0xf3, 0x96]), text(':'), text('S1'), text('DfuSe\x01'), new Uint8Array()];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 600 }), fc.constantFrom('a.bin', 'a.hex', 'a.srec', ''), (prefix, rest, name) => {
        inspectOrReason(Uint8Array.from([...prefix, ...rest]), name);
        inspectOrReason(withDfuSuffix(Uint8Array.from([...prefix, ...rest]), { bcdDFU: prefix.length === 6 ? 0x011a : 0x0100 }), name);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...':0123456789ABCDEFS\n\r '.split('')), { maxLength: 200 }), fc.constantFrom('a.hex', 'a.srec'), (chars, name) => {
        inspectOrReason(text(chars.join('')), name);
      }),
      { numRuns: 2000 },
    );
  });
});
