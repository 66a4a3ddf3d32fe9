import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { encodeCbor } from '../../src-main/protocols/cbor/cbor';
import { crc16Xmodem } from '../../src-main/protocols/smp/crc16';
import { describeSmpError, ImageCommand, MgmtErr, OsCommand, SmpGroup, smpResultOf } from '../../src-main/protocols/smp/smp-groups';
import { decodeSmpHeader, decodeSmpPacket, encodeSmpPacket, encodeSmpPacketBytes, type SmpHeader, SmpOp } from '../../src-main/protocols/smp/smp-packet';

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function failure(run: () => unknown): FieldbenchError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FieldbenchError);
    return error as FieldbenchError;
  }
  throw new Error('expected a failure');
}

describe('SMP header', () => {
  test('an echo request in version 2: the header bytes as the specification lays them out', () => {
    const packet = encodeSmpPacket({ version: 2, op: SmpOp.WRITE, flags: 0, group: SmpGroup.OS, sequence: 0x42, command: OsCommand.ECHO }, { d: 'hi' });
    // Res/Ver/OP = 0b000_01_010, flags, length 6, group 0, sequence, command.
    expect(toHex(packet.subarray(0, 8))).toBe('0a00000600004200');
    expect(toHex(packet.subarray(8))).toBe('a161646268' + '69');
  });

  test('version 1 puts zero in the version bits; group and length are big-endian', () => {
    const packet = encodeSmpPacket({ version: 1, op: SmpOp.READ_RSP, flags: 0x80, group: 0x1234, sequence: 255, command: 7 }, undefined);
    expect(toHex(packet)).toBe('018000001234ff07');
    expect(decodeSmpPacket(packet)).toEqual({
      header: { version: 1, op: SmpOp.READ_RSP, flags: 0x80, length: 0, group: 0x1234, sequence: 255, command: 7 },
      body: undefined,
    });
  });

  test('round trip for any header and body', () => {
    const header = fc.record({
      version: fc.constantFrom(1 as const, 2 as const),
      op: fc.constantFrom(SmpOp.READ, SmpOp.READ_RSP, SmpOp.WRITE, SmpOp.WRITE_RSP),
      flags: fc.integer({ min: 0, max: 255 }),
      group: fc.integer({ min: 0, max: 0xffff }),
      sequence: fc.integer({ min: 0, max: 255 }),
      command: fc.integer({ min: 0, max: 255 }),
    });
    const body = fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.uint8Array({ maxLength: 40 })), { maxKeys: 6 });
    fc.assert(
      fc.property(header, body, (h, b) => {
        const packet = encodeSmpPacket(h, b);
        const decoded = decodeSmpPacket(packet);
        expect(decoded.header).toEqual({ ...h, length: packet.length - 8 } satisfies SmpHeader);
        expect(decoded.body).toEqual(b);
      }),
    );
  });

  test.each([
    ['0a000006000042', 'shorter than the 8-byte header'],
    ['0a00000600004200a16164626869ff', '1 trailing bytes'],
    ['0a00000600004200a161646268', 'truncated: the header announces 6 body bytes, 5 arrived'],
    ['1a00000000000000', 'unknown protocol version bits 3'],
    ['2a00000000000000', 'reserved header bits'],
    ['0c00000000000000', 'unknown operation 4'],
    ['0a00000100000000ff', 'CBOR: unexpected break'],
  ])('%s is refused: %s', (packet, words) => {
    const error = failure(() => decodeSmpPacket(Uint8Array.from(Buffer.from(packet, 'hex'))));
    expect(error.code).toBe('device-error');
    expect(error.message).toContain(words);
  });

  test('header fields out of range are refused before anything is sent', () => {
    const base = { version: 2 as const, op: SmpOp.READ, flags: 0, group: 0, sequence: 0, command: 0 };
    expect(failure(() => encodeSmpPacket({ ...base, sequence: 256 }, {})).message).toContain('sequence 256');
    expect(failure(() => encodeSmpPacket({ ...base, group: 0x10000 }, {})).message).toContain('group 65536');
    expect(failure(() => encodeSmpPacket({ ...base, version: 3 as 2 }, {})).message).toContain('version 3');
    expect(failure(() => encodeSmpPacket(base, { d: new Uint8Array(0x10000) })).message).toContain('exceeds 65535');
  });

  test('an already-encoded body goes out as it is: an indefinite-length map, as Zephyr writes it', () => {
    const header = { version: 2 as const, op: SmpOp.READ_RSP, flags: 0, group: 0, sequence: 1, command: 6 };
    const packet = encodeSmpPacketBytes(header, Uint8Array.from([0xbf, 0x61, 0x61, 0x01, 0xff]));
    expect(decodeSmpPacket(packet).body).toEqual({ a: 1 });
  });

  test('the header alone tells a transport how long the packet is', () => {
    const packet = encodeSmpPacket({ version: 2, op: SmpOp.READ, flags: 0, group: 1, sequence: 3, command: 0 }, { a: new Uint8Array(300) });
    expect(decodeSmpHeader(packet.subarray(0, 8)).length).toBe(packet.length - 8);
  });
});

describe('CRC-16/XMODEM', () => {
  test('the standard check value, and continuing over parts', () => {
    const data = new TextEncoder().encode('123456789');
    expect(crc16Xmodem(data)).toBe(0x31c3);
    expect(crc16Xmodem(data.subarray(4), crc16Xmodem(data.subarray(0, 4)))).toBe(0x31c3);
    expect(crc16Xmodem(new Uint8Array(0))).toBe(0);
  });
});

describe('SMP result codes', () => {
  test('version 1 rc and version 2 group errors are told apart', () => {
    expect(smpResultOf({ rc: 0, r: 'x' }, 0)).toBeNull();
    expect(smpResultOf({ off: 10 }, 1)).toBeNull();
    expect(smpResultOf({ rc: 8 }, 1)).toEqual({ version: 1, group: 1, rc: 8 });
    expect(smpResultOf({ err: { group: 1, rc: 9 } }, 1)).toEqual({ version: 2, group: 1, rc: 9 });
    expect(smpResultOf({ err: { group: 1, rc: 0 } }, 1)).toBeNull();
    expect(smpResultOf(undefined, 0)).toBeNull();
  });

  test('messages a person understands, with a hint', () => {
    expect(describeSmpError(SmpGroup.IMAGE, MgmtErr.ENOTSUP, 1)).toMatchObject({ name: 'MGMT_ERR_ENOTSUP', message: expect.stringContaining('does not support') });
    const noSlot = describeSmpError(SmpGroup.IMAGE, 9, 2);
    expect(noSlot.name).toBe('IMG_MGMT_ERR_NO_FREE_SLOT');
    expect(noSlot.hint).toMatch(/erase the secondary slot/);
    expect(describeSmpError(SmpGroup.IMAGE, 33, 2).name).toBe('IMG_MGMT_ERR_IMAGE_SETTING_TEST_TO_ACTIVE_DENIED');
    expect(describeSmpError(SmpGroup.IMAGE, 34, 2).name).toBe('IMG_MGMT_ERR_ACTIVE_SLOT_NOT_KNOWN');
    expect(describeSmpError(SmpGroup.STATS, 2, 2).name).toBe('STAT_MGMT_ERR_INVALID_GROUP');
    expect(describeSmpError(SmpGroup.OS, 2, 2).name).toBe('OS_MGMT_ERR_INVALID_FORMAT');
    const unknown = describeSmpError(SmpGroup.FS, 77, 2);
    expect(unknown.name).toBe('rc 77');
    expect(unknown.message).toContain('file system group error 77');
    expect(describeSmpError(0, 200, 1).message).toContain('result code 200');
  });

  test('every MGMT_ERR code has words', () => {
    for (const rc of Object.values(MgmtErr)) expect(describeSmpError(0, rc, 1).name).toMatch(/^MGMT_ERR_/);
    expect(ImageCommand.UPLOAD).toBe(1);
    expect(encodeCbor({})).toEqual(new Uint8Array([0xa0]));
  });
});
