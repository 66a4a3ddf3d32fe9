// The USB descriptors a DFU device is known by: an STM32 bootloader's configuration, a
// runtime interface beside others, DFU 1.0's short functional descriptor, string
// descriptors, and broken descriptors refused with a FieldbenchError whatever the bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import {
  parseConfigurationDescriptor,
  parseDfuFunctionalDescriptor,
  parseLanguageIds,
  parseStringDescriptor,
} from '../../src-main/protocols/dfu/dfu-descriptors';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';

function configuration(value: number, body: number[][]): Uint8Array {
  const rest = body.flat();
  const total = 9 + rest.length;
  return Uint8Array.from([9, 2, total & 0xff, total >> 8, 1, value, 0, 0x80, 50, ...rest]);
}

const iface = (number: number, alt: number, cls: number, sub: number, protocol: number, iInterface: number): number[] => [9, 4, number, alt, 0, cls, sub, protocol, iInterface];
const functional = (attributes: number, detach: number, transfer: number, version: number): number[] => [9, 0x21, attributes, detach & 0xff, detach >> 8, transfer & 0xff, transfer >> 8, version & 0xff, version >> 8];
const endpoint = (address: number): number[] => [7, 5, address, 2, 64, 0, 0];

describe('parseDfuFunctionalDescriptor', () => {
  it("reads an STM32 ROM bootloader's: download, upload, will detach, 2048-byte blocks, DfuSe", () => {
    expect(parseDfuFunctionalDescriptor(Uint8Array.from(functional(0x0b, 255, 2048, 0x011a)))).toEqual({
      canDownload: true,
      canUpload: true,
      manifestationTolerant: false,
      willDetach: true,
      detachTimeoutMs: 255,
      transferSize: 2048,
      dfuVersion: '011a',
    });
  });

  it('reads a DFU 1.0 descriptor without bcdDFUVersion as version 1.0', () => {
    const f = parseDfuFunctionalDescriptor(Uint8Array.from([7, 0x21, 0x05, 0xe8, 0x03, 0x00, 0x01]));
    expect(f).toMatchObject({ canDownload: true, canUpload: false, manifestationTolerant: true, willDetach: false, detachTimeoutMs: 1000, transferSize: 256, dfuVersion: '0100' });
  });

  it.each([
    ['too short', [7, 0x21, 0, 0]],
    ['wrong type', [9, 0x24, 0x0b, 0xff, 0, 0, 8, 0x1a, 1]],
    ['bLength past the end', [12, 0x21, 0x0b, 0xff, 0, 0, 8, 0x1a, 1]],
    ['bLength 0', [0, 0x21, 0x0b, 0xff, 0, 0, 8, 0x1a, 1]],
    ['transfer size 0', [9, 0x21, 0x0b, 0xff, 0, 0, 0, 0x1a, 1]],
  ])('refuses one %s', (_what, bytes) => {
    const error = fieldbenchErrorFrom(() => parseDfuFunctionalDescriptor(Uint8Array.from(bytes)));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe('read DFU functional descriptor');
  });
});

describe('parseConfigurationDescriptor', () => {
  it('reads an STM32 bootloader: one DFU interface, four alternates, the functional descriptor after them', () => {
    const bytes = configuration(1, [iface(0, 0, 0xfe, 1, 2, 4), iface(0, 1, 0xfe, 1, 2, 5), iface(0, 2, 0xfe, 1, 2, 6), iface(0, 3, 0xfe, 1, 2, 7), functional(0x0b, 255, 2048, 0x011a)]);
    const parsed = parseConfigurationDescriptor(bytes);
    expect(parsed.configurationValue).toBe(1);
    expect(parsed.totalLength).toBe(bytes.length);
    expect(parsed.interfaces).toHaveLength(1);
    expect(parsed.interfaces[0]!.alternates.map((a) => [a.alternateSetting, a.interfaceProtocol, a.interfaceStringIndex])).toEqual([
      [0, 2, 4],
      [1, 2, 5],
      [2, 2, 6],
      [3, 2, 7],
    ]);
    // The functional descriptor follows the interface block; it belongs to the last alternate read.
    expect(parsed.interfaces[0]!.alternates[3]!.dfuFunctional?.dfuVersion).toBe('011a');
  });

  it('reads a runtime DFU interface beside a CDC interface with endpoints, ignoring what it does not know', () => {
    const bytes = configuration(2, [iface(0, 0, 0x02, 0x02, 1, 0), [5, 0x24, 0, 0x10, 1], endpoint(0x81), iface(1, 0, 0x0a, 0, 0, 0), endpoint(0x02), endpoint(0x82), iface(2, 0, 0xfe, 1, 1, 9), functional(0x07, 500, 1024, 0x0110)]);
    const parsed = parseConfigurationDescriptor(bytes);
    expect(parsed.configurationValue).toBe(2);
    expect(parsed.interfaces.map((i) => i.interfaceNumber)).toEqual([0, 1, 2]);
    expect(parsed.interfaces[0]!.alternates[0]!.dfuFunctional).toBeNull();
    expect(parsed.interfaces[2]!.alternates[0]).toMatchObject({ interfaceClass: 0xfe, interfaceSubclass: 1, interfaceProtocol: 1, interfaceStringIndex: 9 });
    expect(parsed.interfaces[2]!.alternates[0]!.dfuFunctional).toMatchObject({ canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: false, detachTimeoutMs: 500, transferSize: 1024 });
  });

  it.each([
    ['shorter than a configuration descriptor', Uint8Array.from([9, 2, 9])],
    ['of the wrong type', Uint8Array.from([9, 1, 9, 0, 1, 1, 0, 0x80, 50])],
    ['with wTotalLength past what arrived', Uint8Array.from([9, 2, 40, 0, 1, 1, 0, 0x80, 50])],
    ['with wTotalLength shorter than itself', Uint8Array.from([9, 2, 4, 0, 1, 1, 0, 0x80, 50])],
    ['with a descriptor of bLength 0', configuration(1, [[0, 4, 0, 0, 0, 0xfe, 1, 2, 0]])],
    ['with a descriptor running past the end', configuration(1, [[12, 4, 0, 0, 0, 0xfe, 1, 2, 0]])],
    ['with a short interface descriptor', configuration(1, [[5, 4, 0, 0, 0]])],
    ['with a cut-off descriptor header', configuration(1, [[9]])],
    ['with a broken DFU functional descriptor', configuration(1, [iface(0, 0, 0xfe, 1, 2, 0), [4, 0x21, 0, 0]])],
  ])('refuses one %s', (_what, bytes) => {
    const error = fieldbenchErrorFrom(() => parseConfigurationDescriptor(bytes));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe('read configuration descriptor');
    expect(error.hint).toBeTruthy();
  });

  it('any bytes either parse or are refused with a FieldbenchError', () => {
    const mutated = fc
      .tuple(fc.array(fc.nat({ max: 255 }), { maxLength: 8 }), fc.uint8Array({ maxLength: 80 }))
      .map(([edits, tail]) => {
        const bytes = configuration(1, [iface(0, 0, 0xfe, 1, 2, 4), functional(0x0b, 255, 2048, 0x011a), [...tail]]);
        edits.forEach((value, i) => (bytes[(value * 7 + i) % bytes.length] = value));
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutated), (bytes) => {
        try {
          parseConfigurationDescriptor(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(FieldbenchError);
        }
        try {
          parseDfuFunctionalDescriptor(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(FieldbenchError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('string descriptors', () => {
  it('reads UTF-16LE text and the language ids of string 0', () => {
    const text = '@Internal Flash  /0x08000000/04*016Kg';
    const bytes = Uint8Array.from([2 + 2 * text.length, 3, ...[...text].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(parseStringDescriptor(bytes)).toBe(text);
    expect(parseLanguageIds(Uint8Array.from([6, 3, 0x09, 0x04, 0x07, 0x04]))).toEqual([0x0409, 0x0407]);
    expect(parseStringDescriptor(Uint8Array.from([4, 2, 0x41, 0]))).toBeNull();
    expect(parseLanguageIds(Uint8Array.from([1]))).toEqual([]);
  });
});
