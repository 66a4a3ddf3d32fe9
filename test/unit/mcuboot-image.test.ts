import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { parseMcubootImage } from '../../src-main/firmware-images/mcuboot-image';
import { checkKey, readPublicKey } from '../../src-main/firmware-images/mcuboot-signatures';
import { compareMcubootVersions, formatMcubootVersion, parseMcubootVersion } from '../../src-main/firmware-images/mcuboot-version';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { readExpectations, readFixture, tlvRows, type McubootExpectation } from '../helpers/firmware-fixtures';
import { signMcubootImage } from '../helpers/sign-mcuboot-image';

const expectations = readExpectations<McubootExpectation>('mcuboot');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');


describe('MCUboot images made by imgtool', () => {
  it('has every fixture listed', () => {
    expect(expectations).toHaveLength(6);
  });

  describe.each(expectations.map((e) => [e.file, e] as const))('%s', (file, expected) => {
    const bytes = readFixture('mcuboot', file);
    const image = parseMcubootImage(bytes);

    it('reads the header and version as imgtool wrote them', () => {
      expect(image.header).toMatchObject({
        loadAddress: expected.load_addr,
        headerSize: expected.header_size,
        protectedTlvSize: expected.protected_tlv_size,
        imageSize: expected.image_size,
        flags: expected.flags,
      });
      expect(formatMcubootVersion(image.header.version)).toBe(expected.version);
    });

    it('lists the TLVs in order with type, length and protection', () => {
      expect(tlvRows(image.tlvs)).toEqual(expected.tlvs);
    });

    it('carries the SHA-256 TLV and recomputes the hash over header, body and protected TLVs', () => {
      const sha = image.hashes.find((h) => h.algorithm === 'sha256');
      expect(sha && hex(sha.expected)).toBe(expected.sha256_tlv);
      expect(sha && hex(sha.computed)).toBe(expected.sha256_computed);
      expect(image.hashOk).toBe(expected.sha256_tlv === expected.sha256_computed);
    });

    it.each(Object.entries(expected.imgtool_verify))('gives imgtool verify verdict for %s: %s', (keyFile, verdict) => {
      const key = readPublicKey(keyFile, Buffer.from(readFixture('mcuboot', keyFile)).toString('utf8'));
      expect(checkKey(image, keyFile, key).verdict).toBe(verdict);
    });
  });

  it('reads the security counter from the protected TLV area', () => {
    const image = parseMcubootImage(readFixture('mcuboot', 'app-1.2.0-ed25519-seccnt.bin'));
    // imgtool's --security-counter auto: major << 24 | minor << 16 | revision.
    expect(image.securityCounter).toBe(0x01020000);
    expect(parseMcubootImage(readFixture('mcuboot', 'app-1.1.0-ed25519.bin')).securityCounter).toBeNull();
  });
});

describe('createMcubootImage', () => {
  it('rebuilds the unsigned imgtool fixture byte for byte from its payload', () => {
    const fixture = readFixture('mcuboot', 'app-1.0.0-unsigned.bin');
    const payload = fixture.subarray(0x200, 0x200 + 12345);
    expect(hex(createMcubootImage({ version: '1.0.0+1', payload }))).toBe(hex(fixture));
  });

  it.each([
    ['app-1.1.0-ed25519.bin', '1.1.0+7', undefined],
    ['app-1.2.0-ed25519-seccnt.bin', '1.2.0+9', 0x01020000],
    ['app-2.0.0-ecdsa-p256.bin', '2.0.0+0', undefined],
  ])('hashes %s the way imgtool did', (file, version, securityCounter) => {
    const fixture = parseMcubootImage(readFixture('mcuboot', file));
    const payload = fixture.signedRegion.subarray(fixture.header.headerSize, fixture.header.headerSize + fixture.header.imageSize);
    const made = parseMcubootImage(createMcubootImage({ version, payload, ...(securityCounter === undefined ? {} : { securityCounter }) }));
    expect(hex(made.signedRegion)).toBe(hex(fixture.signedRegion));
    expect(made.hashes[0]?.expected).toEqual(fixture.hashes[0]?.expected);
  });

  it('round-trips through the parser for any header, version and payload', () => {
    fc.assert(
      fc.property(
        fc.record({
          major: fc.integer({ min: 0, max: 255 }),
          minor: fc.integer({ min: 0, max: 255 }),
          revision: fc.integer({ min: 0, max: 0xffff }),
          build: fc.integer({ min: 0, max: 0xffffffff }),
        }),
        fc.uint8Array({ maxLength: 2048 }),
        fc.integer({ min: 32, max: 0x400 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
        (version, payload, headerSize, loadAddress, flags, securityCounter) => {
          const text = formatMcubootVersion(version);
          const bytes = createMcubootImage({ version: text, payload, headerSize, loadAddress, flags, ...(securityCounter === undefined ? {} : { securityCounter }) });
          const image = parseMcubootImage(bytes);
          expect(image.header).toEqual({ loadAddress, headerSize, protectedTlvSize: securityCounter === undefined ? 0 : 12, imageSize: payload.length, flags, version });
          expect(image.hashOk).toBe(true);
          expect(image.securityCounter).toBe(securityCounter ?? null);
          expect(image.tlvs.map((t) => t.name)).toEqual(securityCounter === undefined ? ['SHA256'] : ['SEC_CNT', 'SHA256']);
          expect(hex(bytes.subarray(headerSize, headerSize + payload.length))).toBe(hex(payload));
          expect(image.imageEnd).toBe(bytes.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    [{ version: 'v1.2.3' }, /'v1\.2\.3' is not an image version/],
    [{ version: '256.0.0' }, /major part .* above 255/],
    [{ version: '1.0.0', headerSize: 16 }, /smaller than the 32 bytes/],
    [{ version: '1.0.0', slotSize: 100 }, /larger than the 100-byte slot/],
    [{ version: '1.0.0', loadAddress: -1 }, /loadAddress must be a whole number/],
  ])('refuses %j with a reason', (options, reason) => {
    expect(fieldbenchErrorFrom(() => createMcubootImage({ payload: new Uint8Array(200), ...options })).message).toMatch(reason);
  });
});

describe('versions', () => {
  it('reads imgtool forms and orders them, build last', () => {
    expect(parseMcubootVersion('1')).toEqual({ major: 1, minor: 0, revision: 0, build: 0 });
    expect(parseMcubootVersion('1.2')).toEqual({ major: 1, minor: 2, revision: 0, build: 0 });
    expect(formatMcubootVersion(parseMcubootVersion('1.4.2+17'))).toBe('1.4.2+17');
    const order = (a: string, b: string) => Math.sign(compareMcubootVersions(parseMcubootVersion(a), parseMcubootVersion(b)));
    expect(order('1.2.3', '1.2.3+0')).toBe(0);
    expect(order('1.10.0', '1.9.9')).toBe(1);
    expect(order('1.2.3+1', '1.2.3+2')).toBe(-1);
    expect(order('0.9.65535', '1.0.0')).toBe(-1);
  });
});

describe('signatures with keys made here', () => {
  const pairs = {
    ed25519: () => generateKeyPairSync('ed25519'),
    'ecdsa-p256': () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
    'ecdsa-p384': () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
    'rsa-2048': () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
    'rsa-3072': () => generateKeyPairSync('rsa', { modulusLength: 3072 }),
  };
  const unsigned = createMcubootImage({ version: '3.1.4+1', payload: new Uint8Array(5000).map((_, i) => (i * 7) & 0xff), securityCounter: 7 });

  it.each(Object.entries(pairs))('%s: valid with its key, no-signature-for-key with another, bad-hash when changed', (_kind, make) => {
    const mine = make();
    const other = make();
    const signed = signMcubootImage(unsigned, mine.privateKey, mine.publicKey);
    const image = parseMcubootImage(signed);
    expect(checkKey(image, 'mine', mine.publicKey)).toMatchObject({ verdict: 'valid' });
    expect(checkKey(image, 'other', other.publicKey)).toMatchObject({ verdict: 'no-signature-for-key', detail: expect.stringMatching(/different signing key/) });

    const tampered = signed.slice();
    tampered[0x200 + 100]! ^= 1;
    expect(checkKey(parseMcubootImage(tampered), 'mine', mine.publicKey)).toMatchObject({ verdict: 'bad-hash' });

    const badSignature = signed.slice();
    badSignature[badSignature.length - 1]! ^= 0x40;
    expect(checkKey(parseMcubootImage(badSignature), 'mine', mine.publicKey).verdict).toBe('no-signature-for-key');
  });

  it('says a key MCUboot cannot use is not the signer, and refuses text that is no key', () => {
    const image = parseMcubootImage(unsigned);
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(checkKey(image, 'small', rsa1024)).toMatchObject({ verdict: 'no-signature-for-key', detail: expect.stringMatching(/RSA-2048 or RSA-3072/) });
    const error = fieldbenchErrorFrom(() => readPublicKey('notes.txt', 'hello'));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(/'notes\.txt' is not a PEM public key/);
  });
});

describe('damaged images', () => {
  const good = readFixture('mcuboot', 'app-1.2.0-ed25519-seccnt.bin');
  const withUint16 = (offset: number, value: number) => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint16(offset, value, true);
    return bytes;
  };
  const bodyEnd = 0x200 + 12345;

  it.each([
    ['cut inside the header', good.subarray(0, 20), /truncated: the 32-byte header .* file ends at 20/],
    ['cut inside the body', good.subarray(0, 5000), /truncated: the header says 512 bytes of header and 12345 bytes of image \(to byte 12857 \(0x3239\)\), but the file ends at 5000/],
    ['cut inside the TLV area', good.subarray(0, good.length - 10), /truncated: the \d+-byte TLV area at/],
    ['header size below 32', withUint16(8, 16), /says it is 16 bytes long/],
    ['wrong protected TLV magic', withUint16(bodyEnd, 0x1234), /expected the protected TLV area magic 0x6908 at offset 12857 \(0x3239\), found 0x1234/],
    ['protected size disagrees with the header', withUint16(10, 16), /the header says the protected TLV area is 16 bytes, but the area at 12857 \(0x3239\) says 12/],
    ['a TLV longer than its area', withUint16(bodyEnd + 6, 400), /TLV SEC_CNT .* runs past the end of the protected TLV area/],
  ])('%s: a FieldbenchError naming where', (_what, bytes, reason) => {
    const error = fieldbenchErrorFrom(() => parseMcubootImage(bytes));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(reason);
  });
});
