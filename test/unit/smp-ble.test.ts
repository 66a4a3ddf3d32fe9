import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import { encodeCbor } from '../../src-main/protocols/cbor/cbor';
import { SmpBleDecoder, smpBleFraming } from '../../src-main/protocols/smp/smp-ble';
import { encodeSmpPacket, encodeSmpPacketBytes, SMP_HEADER_SIZE, SmpOp } from '../../src-main/protocols/smp/smp-packet';
import { largestUploadChunk, uploadRequestBody } from '../../src-main/protocols/smp/smp-upload-chunk';
import { attWritePayload } from '../../src-main/transports/ble/att';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';

/** A well-formed SMP packet: any header fields, a CBOR map body of any size (the empty map at least). */
const packetArb = fc
  .record({
    version: fc.constantFrom(1 as const, 2 as const),
    op: fc.constantFrom(SmpOp.READ, SmpOp.READ_RSP, SmpOp.WRITE, SmpOp.WRITE_RSP),
    flags: fc.integer({ min: 0, max: 0xff }),
    group: fc.integer({ min: 0, max: 0xffff }),
    sequence: fc.integer({ min: 0, max: 0xff }),
    command: fc.integer({ min: 0, max: 0xff }),
    body: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 600 }), fc.string({ maxLength: 40 })), { maxKeys: 4 }),
  })
  .map(({ body, ...header }) => encodeSmpPacket(header, body));

/** Cut points for `length` bytes: the pieces notifications of any size would make. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const point of [...sorted, bytes.length]) {
    pieces.push(bytes.slice(at, point));
    at = point;
  }
  return pieces;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function feed(decoder: SmpBleDecoder, pieces: Uint8Array[]): { packets: Uint8Array[]; errors: string[] } {
  const packets: Uint8Array[] = [];
  const errors: string[] = [];
  for (const piece of pieces) {
    const result = decoder.push(piece);
    expect(result.text.length).toBe(0);
    packets.push(...result.packets);
    errors.push(...result.errors);
  }
  return { packets, errors };
}

describe('SMP over BLE: reassembly by the header length', () => {
  test('any packets, cut into any pieces, come out whole, in order, with nothing reported', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 40 }), (packets, points) => {
        const { packets: out, errors } = feed(new SmpBleDecoder(), cut(join(packets), points));
        expect(errors).toEqual([]);
        expect(out).toEqual(packets);
      }),
    );
  });

  test('a packet cut into notifications of MTU − 3 bytes comes out only once its last piece arrives', () => {
    const packet = encodeSmpPacket({ version: 2, op: SmpOp.WRITE_RSP, flags: 0, group: 1, sequence: 7, command: 1 }, { rc: 0, off: 4096 });
    const decoder = new SmpBleDecoder();
    const payload = attWritePayload(23);
    for (let at = 0; at < packet.length; at += payload) {
      const { packets } = decoder.push(packet.slice(at, at + payload));
      expect(packets.length).toBe(at + payload >= packet.length ? 1 : 0);
    }
  });

  test('junk bytes never throw and never come out as packets but as a report; a packet after them is found', () => {
    // Bytes with a reserved bit set can never start a header, so the decoder must skip every one.
    const junkArb = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => bytes.map((b) => b | 0x80));
    fc.assert(
      fc.property(junkArb, packetArb, fc.array(fc.nat(), { maxLength: 10 }), (junk, packet, points) => {
        const { packets, errors } = feed(new SmpBleDecoder(), cut(join([junk, packet]), points));
        expect(packets).toEqual([packet]);
        expect(errors.join(' ')).toMatch(/skipped \d+ bytes? that did not start an SMP packet/);
      }),
    );
  });

  test('a header whose body does not start as a CBOR map is skipped, and the real packet behind it found', () => {
    const fake = encodeSmpPacketBytes({ version: 2, op: SmpOp.READ_RSP, flags: 0, group: 0, sequence: 1, command: 0 }, Uint8Array.of(0x01, 0x02));
    const real = encodeSmpPacket({ version: 2, op: SmpOp.READ_RSP, flags: 0, group: 0, sequence: 2, command: 0 }, { r: 'hi' });
    const { packets, errors } = feed(new SmpBleDecoder(), [fake.subarray(0, 9), real]);
    expect(packets).toEqual([real]);
    expect(errors.length).toBeGreaterThan(0);
  });

  test('a header announcing an empty body is junk: every SMP body holds a map', () => {
    const empty = encodeSmpPacketBytes({ version: 2, op: SmpOp.READ_RSP, flags: 0, group: 0, sequence: 1, command: 0 }, new Uint8Array(0));
    const { packets, errors } = feed(new SmpBleDecoder(), [empty]);
    expect(packets).toEqual([]);
    expect(errors.join()).toMatch(/skipped/);
  });

  test('a header announcing more than the longest accepted body is not waited for', () => {
    const decoder = new SmpBleDecoder(512);
    const huge = Uint8Array.of(0x03, 0, 0x10, 0, 0, 0, 0, 0, 0xa0);
    const real = encodeSmpPacket({ version: 2, op: SmpOp.WRITE_RSP, flags: 0, group: 0, sequence: 3, command: 0 }, { r: 'ok' });
    const { packets } = feed(decoder, [huge, real]);
    expect(packets).toEqual([real]);
  });

  test('any bytes at all: the decoder never throws, and every packet it emits is a whole header and body', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), (pieces) => {
        const decoder = new SmpBleDecoder();
        for (const piece of pieces) {
          const { packets } = decoder.push(piece);
          for (const packet of packets) {
            expect(packet.length).toBe(SMP_HEADER_SIZE + ((packet[2]! << 8) | packet[3]!));
          }
        }
      }),
    );
  });

  test('the framing refuses only with FieldbenchErrors, whatever it is given', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 600 }), fc.integer({ min: 0, max: 70_000 }), (mtu, length) => {
        for (const work of [
          () => smpBleFraming({ mtu }).bufferedSize(length),
          () => smpBleFraming({ mtu }).encode(new Uint8Array(length)),
          () => attWritePayload(mtu),
        ]) {
          try {
            work();
          } catch (error) {
            expect(error).toBeInstanceOf(FieldbenchError);
          }
        }
      }),
    );
  });

  test('packets travel bare: encode is the identity, and the framed size is the packet size', () => {
    const framing = smpBleFraming({ mtu: 247 });
    const packet = encodeSmpPacket({ version: 2, op: SmpOp.READ, flags: 0, group: 0, sequence: 0, command: 0 }, {});
    expect(framing.encode(packet)).toEqual(packet);
    expect(framing.framedSize(300)).toBe(300);
    expect(framing.name).toBe('BLE GATT (MTU 247)');
    expect(fieldbenchErrorFrom(() => framing.encode(new Uint8Array(SMP_HEADER_SIZE + 0x10000))).code).toBe('invalid-request');
    expect(fieldbenchErrorFrom(() => smpBleFraming({ mtu: 3 })).code).toBe('invalid-request');
  });
});

describe('SMP over BLE: upload chunks follow the MTU and the device buffer', () => {
  const packetFor = (fields: Parameters<typeof largestUploadChunk>[0], data: number): number =>
    SMP_HEADER_SIZE + encodeCbor(uploadRequestBody(fields, new Uint8Array(data))).length;

  test('a request fills whole writes within buf_size, so every write but none goes out short', () => {
    fc.assert(
      fc.property(fc.integer({ min: 23, max: 517 }), fc.integer({ min: 64, max: 4096 }), fc.nat({ max: 1 << 20 }), (mtu, bufSize, off) => {
        const framing = smpBleFraming({ mtu });
        const payload = mtu - 3;
        const fields = { off };
        const chunk = largestUploadChunk(fields, 1 << 20, bufSize, framing);
        if (chunk === 0) return;
        const packet = packetFor(fields, chunk);
        expect(packet).toBeLessThanOrEqual(bufSize);
        if (packet > payload) {
          // Whole writes: one more data byte would need a write more, or overflow the buffer.
          expect(Math.ceil(packet / payload) * payload).toBeLessThanOrEqual(bufSize);
          expect(packetFor(fields, chunk + 1) > Math.floor(bufSize / payload) * payload).toBe(true);
        }
      }),
    );
  });

  test('the chunk changes with the MTU the connection has now', () => {
    let mtu = 23;
    const framing = smpBleFraming({ mtu: () => mtu });
    const small = largestUploadChunk({ off: 4096 }, 100_000, 1024, framing);
    mtu = 247;
    const large = largestUploadChunk({ off: 4096 }, 100_000, 1024, framing);
    expect(small).not.toBe(large);
    expect(packetFor({ off: 4096 }, small)).toBeLessThanOrEqual(Math.floor(1024 / 20) * 20);
    expect(packetFor({ off: 4096 }, large)).toBeLessThanOrEqual(Math.floor(1024 / 244) * 244);
    expect(framing.name).toBe('BLE GATT (MTU 247)');
  });

  test('a buffer smaller than one write is filled exactly', () => {
    const framing = smpBleFraming({ mtu: 498 });
    const chunk = largestUploadChunk({ off: 0 }, 100_000, 384, framing);
    expect(packetFor({ off: 0 }, chunk)).toBeLessThanOrEqual(384);
    expect(packetFor({ off: 0 }, chunk + 1)).toBeGreaterThan(384);
  });

  test('a device without reassembly gets requests that fit one write', () => {
    const framing = smpBleFraming({ mtu: 185, reassembly: false });
    const chunk = largestUploadChunk({ off: 8192 }, 100_000, 2048, framing);
    expect(packetFor({ off: 8192 }, chunk)).toBeLessThanOrEqual(182);
    expect(packetFor({ off: 8192 }, chunk + 1)).toBeGreaterThan(182);
  });
});
