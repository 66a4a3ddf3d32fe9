import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bcdVersion, DFU_IMAGE_LIMIT, dfuImageElements, type DfuImageTarget } from '../../src-main/core/firmware/dfu-image-elements';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { withDfuSuffix } from '../../src-main/firmware-images/dfu-file';
import { toIntelHex } from '../../src-main/firmware-images/intel-hex';
import { toSrec } from '../../src-main/firmware-images/srec';
import { dfuseFile } from '../helpers/dfuse-file';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { readExpectations, readFixture, type DfuExpectation } from '../helpers/firmware-fixtures';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const expectations = readExpectations<DfuExpectation>('dfu');
const expected = (file: string) => expectations.find((e) => e.file === file)!;
const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const bytesOf = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);

/** The ids the suffix of app-suffixed.dfu names, as dfu-util wrote them. */
const appSuffix = expected('app-suffixed.dfu').suffix;
const stm32: DfuImageTarget = { label: 'STM32 bootloader', ids: { vendorId: 0x0483, productId: 0xdf11 }, dfuse: true, alt: 0 };
const gadget: DfuImageTarget = { label: 'DFU gadget', ids: { vendorId: 0x1209, productId: 0x0006 }, dfuse: false, alt: 0 };
const plainForApp: DfuImageTarget = { ...gadget, ids: { vendorId: appSuffix.idVendor!, productId: appSuffix.idProduct! } };

describe('DFU 1.1 files', () => {
  it('app-suffixed.dfu: the payload dfu-util suffixed, from 0, on a plain DFU device its suffix names', () => {
    const result = dfuImageElements(readFixture('dfu', 'app-suffixed.dfu'), 'app-suffixed.dfu', plainForApp);
    expect(result.format).toBe('dfu');
    expect(result.elements).toHaveLength(1);
    expect(result.elements[0]!.address).toBe(0);
    expect(result.total).toBe(expected('app-suffixed.dfu').payload_size);
    expect(sha256(result.elements[0]!.data)).toBe(expected('app-suffixed.dfu').payload_sha256);
    expect(result.image).toMatchObject({ fileName: 'app-suffixed.dfu', size: 20016, version: bcdVersion(appSuffix.bcdDevice!) });
    expect(result.checked.join('; ')).toMatch(/suffix CRC is right.*suffix ids 0483:df11 fit/);
    expect(result.suffixIds).toEqual({ vendorId: appSuffix.idVendor, productId: appSuffix.idProduct });
  });

  it('the payload is app.bin, byte for byte', () => {
    const result = dfuImageElements(readFixture('dfu', 'app-suffixed.dfu'), 'app-suffixed.dfu', plainForApp);
    expect(Buffer.from(result.elements[0]!.data).equals(Buffer.from(readFixture('dfu', 'app.bin')))).toBe(true);
  });

  it('refuses a file whose suffix names another device, naming both ids and the option', () => {
    const error = fieldbenchErrorFrom(() => dfuImageElements(readFixture('dfu', 'app-suffixed.dfu'), 'app-suffixed.dfu', gadget));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toContain('0483:df11');
    expect(error.message).toContain('1209:0006');
    expect(error.hint).toContain('ignoreIdMismatch');
    expect(error.device).toBe('DFU gadget');
  });

  it('flashes it anyway with ignoreIdMismatch, and says so in what was checked', () => {
    const result = dfuImageElements(readFixture('dfu', 'app-suffixed.dfu'), 'app-suffixed.dfu', gadget, { ignoreIdMismatch: true });
    expect(result.total).toBe(20000);
    expect(result.checked.join('; ')).toMatch(/names 0483:df11, not the device's 1209:0006: flashed anyway/);
  });

  it('leaves the id check for later while the DFU-mode ids are not known', () => {
    const result = dfuImageElements(readFixture('dfu', 'app-suffixed.dfu'), 'app-suffixed.dfu', { ...gadget, ids: null });
    expect(result.checked.join('; ')).not.toMatch(/suffix ids/);
    expect(result.suffixIds).toEqual({ vendorId: 0x0483, productId: 0xdf11 });
  });

  it('takes 0xffff ids as matching any device', () => {
    const file = withDfuSuffix(bytesOf(300, 1));
    const result = dfuImageElements(file, 'any.dfu', gadget);
    expect(result.suffixIds).toBeNull();
    expect(result.image.version).toBeNull();
    const vendorOnly = withDfuSuffix(bytesOf(300, 1), { idVendor: 0x1209 });
    expect(dfuImageElements(vendorOnly, 'vendor.dfu', gadget).checked.join('; ')).toContain('fit the device');
  });

  it('refuses app-suffixed-badcrc.dfu before anything else, as dfu-util does', () => {
    expect(expected('app-suffixed-badcrc.dfu').expect).toMatch(/CRC mismatch/);
    const error = fieldbenchErrorFrom(() => dfuImageElements(readFixture('dfu', 'app-suffixed-badcrc.dfu'), 'bad.dfu', plainForApp, { ignoreIdMismatch: true }));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(/suffix CRC mismatch/);
  });

  it('puts a plain DFU payload at an address on a DfuSe device, and refuses without one', () => {
    const file = readFixture('dfu', 'app-suffixed.dfu');
    const refused = fieldbenchErrorFrom(() => dfuImageElements(file, 'app.dfu', stm32));
    expect(refused.message).toMatch(/carries no address/);
    expect(refused.hint).toMatch(/address/);
    const placed = dfuImageElements(file, 'app.dfu', stm32, { address: 0x08004000 });
    expect(placed.elements.map((e) => [e.address, e.data.length])).toEqual([[0x08004000, 20000]]);
  });
});

describe('DfuSe files', () => {
  it('stm32-two-elements.dfu: alt 0 gives the elements dfuse-pack wrote, at their addresses', () => {
    const target = expected('stm32-two-elements.dfu').targets![0]!;
    const result = dfuImageElements(readFixture('dfu', 'stm32-two-elements.dfu'), 'two.dfu', stm32);
    expect(result.format).toBe('dfuse');
    expect(result.elements.map((e) => ({ address: e.address, size: e.data.length, sha256: sha256(e.data) }))).toEqual(target.elements);
    expect(result.total).toBe(target.elements.reduce((sum, e) => sum + e.size, 0));
    expect(result.checked.join('; ')).toMatch(/DfuSe target for alt 0 .*: 2 element\(s\)/);
  });

  it('the elements are part-a.bin and part-b.bin', () => {
    const result = dfuImageElements(readFixture('dfu', 'stm32-two-elements.dfu'), 'two.dfu', stm32);
    expect(sha256(result.elements[0]!.data)).toBe(sha256(readFixture('dfu', 'part-a.bin')));
    expect(sha256(result.elements[1]!.data)).toBe(sha256(readFixture('dfu', 'part-b.bin')));
  });

  it('refuses a file with no target for the chosen alt, listing the alts it has', () => {
    const error = fieldbenchErrorFrom(() => dfuImageElements(readFixture('dfu', 'stm32-two-elements.dfu'), 'two.dfu', { ...stm32, alt: 1 }));
    expect(error.message).toBe('the DfuSe file has no target for alternate setting 1: it has alt 0');
    expect(error.hint).toMatch(/alternate setting 0/);
  });

  it('picks the target for the chosen alt among several, and warns about the others', () => {
    const file = dfuseFile([
      { alt: 0, name: 'Internal Flash', elements: [{ address: 0x08000000, data: bytesOf(64, 1) }] },
      { alt: 1, name: 'Option Bytes', elements: [{ address: 0x1fffc000, data: bytesOf(16, 2) }] },
    ]);
    const result = dfuImageElements(file, 'both.dfu', { ...stm32, alt: 1 });
    expect(result.elements.map((e) => e.address)).toEqual([0x1fffc000]);
    expect(result.checked.join('; ')).toContain('("Option Bytes")');
    expect(result.warnings.join('; ')).toMatch(/1 other target/);
  });

  it('refuses a DfuSe file for a plain DFU bootloader, which has no addresses', () => {
    const error = fieldbenchErrorFrom(() => dfuImageElements(readFixture('dfu', 'stm32-two-elements.dfu'), 'two.dfu', { ...gadget, ids: stm32.ids }));
    expect(error.message).toMatch(/plain DFU 1.1, which has no addresses/);
  });

  it('checks the DfuSe suffix ids too, and says an address option is ignored', () => {
    const file = readFixture('dfu', 'stm32-two-elements.dfu');
    const other = { ...stm32, ids: { vendorId: 0x0483, productId: 0xdf12 } };
    expect(fieldbenchErrorFrom(() => dfuImageElements(file, 'two.dfu', other)).message).toContain('0483:df12');
    expect(dfuImageElements(file, 'two.dfu', stm32, { address: 0x08010000 }).warnings.join('; ')).toMatch(/address option \(0x08010000\) is ignored/);
  });
});

describe('Intel HEX and S-record', () => {
  const segments = [
    { address: 0x08000000, data: bytesOf(40, 3) },
    { address: 0x08000100, data: bytesOf(24, 4) },
  ];

  it.each([
    ['app.hex', toIntelHex(segments)],
    ['app.srec', toSrec(segments)],
  ])('%s: its segments at their addresses on a DfuSe device', (name, source) => {
    const result = dfuImageElements(text(source), name, stm32);
    expect(result.elements.map((e) => [e.address, sha256(e.data)])).toEqual(segments.map((s) => [s.address, sha256(s.data)]));
    expect(result.total).toBe(64);
  });

  it.each([
    ['app.hex', toIntelHex(segments)],
    ['app.srec', toSrec(segments)],
  ])('%s: refused for a plain DFU device when it does not start at 0', (name, source) => {
    const error = fieldbenchErrorFrom(() => dfuImageElements(text(source), name, gadget));
    expect(error.message).toMatch(/starts at 0x08000000, but a plain DFU bootloader has no addresses/);
  });

  it('one stream from 0 for a plain DFU device, gaps left erased', () => {
    const fromZero = [
      { address: 0, data: bytesOf(16, 5) },
      { address: 32, data: bytesOf(8, 6) },
    ];
    const result = dfuImageElements(text(toIntelHex(fromZero)), 'app.hex', gadget);
    expect(result.elements).toHaveLength(1);
    const stream = result.elements[0]!.data;
    expect(stream.length).toBe(40);
    expect(Buffer.from(stream.subarray(0, 16)).equals(Buffer.from(fromZero[0]!.data))).toBe(true);
    expect([...stream.subarray(16, 32)].every((b) => b === 0xff)).toBe(true);
    expect(Buffer.from(stream.subarray(32)).equals(Buffer.from(fromZero[1]!.data))).toBe(true);
  });

  it('refuses a HEX file with no data', () => {
    expect(fieldbenchErrorFrom(() => dfuImageElements(text(':00000001FF\n'), 'empty.hex', stm32)).message).toMatch(/holds no data/);
  });
});

describe('raw binaries', () => {
  const app = () => readFixture('dfu', 'app.bin');

  it('DfuSe: at the requested address, else the profile default, else refused with a hint', () => {
    expect(dfuImageElements(app(), 'app.bin', stm32, { address: 0x08008000, defaultAddress: 0x08000000 }).elements[0]!.address).toBe(0x08008000);
    const byDefault = dfuImageElements(app(), 'app.bin', stm32, { defaultAddress: 0x08000000 });
    expect(byDefault.elements[0]!.address).toBe(0x08000000);
    expect(byDefault.checked.join('; ')).toContain("the profile's default address");
    const error = fieldbenchErrorFrom(() => dfuImageElements(app(), 'app.bin', stm32));
    expect(error.message).toBe('a raw binary carries no address, and a DfuSe bootloader writes only at addresses');
    expect(error.hint).toMatch(/--address 0x08000000.*defaultAddress/);
  });

  it('plain DFU: from the start, an address option ignored with a warning', () => {
    const result = dfuImageElements(app(), 'app.bin', gadget, { address: 0x100 });
    expect(result.elements.map((e) => [e.address, e.data.length])).toEqual([[0, 20000]]);
    expect(result.warnings.join('; ')).toMatch(/ignored: a plain DFU bootloader writes from the start/);
    expect(result.suffixIds).toBeNull();
  });

  it('an MCUboot image is written raw, with a warning', () => {
    const image = createMcubootImage({ version: '1.2.3', payload: bytesOf(1000, 7) });
    const result = dfuImageElements(image, 'zephyr.signed.bin', stm32, { address: 0x08020000 });
    expect(result.format).toBe('mcuboot');
    expect(result.elements[0]!.data.length).toBe(image.length);
    expect(result.warnings.join('; ')).toMatch(/MCUboot image is written as raw bytes/);
  });

  it('refuses an empty file and one larger than 16 MiB', () => {
    expect(fieldbenchErrorFrom(() => dfuImageElements(new Uint8Array(0), 'empty.bin', gadget)).message).toBe('empty.bin is empty');
    const huge = new Uint8Array(DFU_IMAGE_LIMIT + 1);
    const error = fieldbenchErrorFrom(() => dfuImageElements(huge, 'disk.img', stm32, { address: 0x08000000 }));
    expect(error.message).toMatch(/16777217 bytes; no DFU target takes more than 16777216/);
  });
});

describe('bcdVersion', () => {
  it('reads BCD as people write versions', () => {
    expect(bcdVersion(0x0200)).toBe('2.00');
    expect(bcdVersion(0x0110)).toBe('1.10');
    expect(bcdVersion(0x1234)).toBe('12.34');
  });
});
