// Intel HEX: ':' count(1) address(2) type(1) data(count) checksum(1), in hex digits, where
// the checksum makes all the record's bytes sum to zero. Record types: 00 data, 01 end of
// file, 02 extended segment address (base = value * 16), 03 start segment address (CS:IP),
// 04 extended linear address (base = value << 16), 05 start linear address.
import { imageError } from './image-error';
import { checkStartAddress, mergeChunks, normaliseSegments, type DataChunk, type LoadableImage, type Segment } from './segments';
import { byteSum, hexByte, recordBytes, textLines, type TextLine } from './text-records';

const STEP = 'read Intel HEX';
const WRITE_STEP = 'write Intel HEX';
/** Data bytes per record the writer emits; srec_cat's default. */
const RECORD_DATA_SIZE = 32;

const RecordType = { data: 0, endOfFile: 1, extendedSegment: 2, startSegment: 3, extendedLinear: 4, startLinear: 5 } as const;

/** Value length each non-data record must have. */
const fixedLengths = new Map<number, number>([
  [RecordType.endOfFile, 0],
  [RecordType.extendedSegment, 2],
  [RecordType.startSegment, 4],
  [RecordType.extendedLinear, 2],
  [RecordType.startLinear, 4],
]);

interface HexRecord {
  type: number;
  offset: number;
  value: Uint8Array;
}

function readRecord(line: TextLine): HexRecord {
  if (!line.text.startsWith(':')) {
    throw imageError(STEP, `line ${line.number}: a record starts with ':', this one with '${line.text.slice(0, 8)}'`, 'The file is damaged or not Intel HEX.');
  }
  const bytes = recordBytes(line, 1, STEP);
  const count = bytes[0] ?? 0;
  if (bytes.length < 5 || bytes.length !== count + 5) {
    throw imageError(STEP, `line ${line.number}: the record says ${count} data bytes, but holds ${Math.max(0, bytes.length - 5)}`, 'The line was cut short or edited; rebuild the file.');
  }
  const last = bytes.length - 1;
  const expected = (0x100 - byteSum(bytes, last)) & 0xff;
  if (bytes[last] !== expected) {
    throw imageError(STEP, `line ${line.number}: bad checksum 0x${hexByte(bytes[last] ?? 0)}, the record's bytes need 0x${hexByte(expected)}`, 'The file was damaged in transfer; get it again.');
  }
  const type = bytes[3] ?? 0;
  const required = fixedLengths.get(type);
  if (type !== RecordType.data && required === undefined) {
    throw imageError(STEP, `line ${line.number}: unknown record type 0x${hexByte(type)} (Intel HEX has 00 to 05)`, 'The file is damaged or not Intel HEX.');
  }
  if (required !== undefined && count !== required) {
    throw imageError(STEP, `line ${line.number}: a type 0${type} record holds ${required} bytes, this one ${count}`, 'The file is damaged; rebuild it.');
  }
  return { type, offset: ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0), value: bytes.subarray(4, last) };
}

function uint(bytes: Uint8Array): number {
  return bytes.reduce((value, byte) => value * 256 + byte, 0);
}

export function parseIntelHex(bytes: Uint8Array): LoadableImage {
  const chunks: DataChunk[] = [];
  let base = 0;
  let startAddress: number | undefined;
  let endLine: number | undefined;
  for (const line of textLines(bytes)) {
    if (endLine !== undefined) {
      throw imageError(STEP, `line ${line.number}: a record after the end-of-file record on line ${endLine}`, 'Something was appended to the file; rebuild it.');
    }
    const record = readRecord(line);
    switch (record.type) {
      case RecordType.data: {
        chunks.push({ address: base + record.offset, data: record.value, line: line.number });
        break;
      }
      case RecordType.endOfFile:
        endLine = line.number;
        break;
      case RecordType.extendedSegment:
        base = uint(record.value) * 16;
        break;
      case RecordType.extendedLinear:
        base = uint(record.value) * 0x10000;
        break;
      case RecordType.startSegment:
        // CS:IP as the linear address a real-mode CPU would start at.
        startAddress = uint(record.value.subarray(0, 2)) * 16 + uint(record.value.subarray(2));
        break;
      case RecordType.startLinear:
        startAddress = uint(record.value);
        break;
    }
  }
  if (endLine === undefined) {
    throw imageError(STEP, 'the file has no end-of-file record (:00000001FF); it may have been cut short', 'Get the complete file again.');
  }
  const segments = mergeChunks(chunks, STEP);
  return startAddress === undefined ? { segments } : { segments, startAddress };
}

function record(type: number, offset: number, value: Uint8Array): string {
  const bytes = new Uint8Array(value.length + 5);
  bytes[0] = value.length;
  bytes[1] = offset >> 8;
  bytes[2] = offset & 0xff;
  bytes[3] = type;
  bytes.set(value, 4);
  bytes[bytes.length - 1] = (0x100 - byteSum(bytes, bytes.length - 1)) & 0xff;
  return `:${Buffer.from(bytes).toString('hex').toUpperCase()}`;
}

function uint16(value: number): Uint8Array {
  return new Uint8Array([(value >> 8) & 0xff, value & 0xff]);
}

export function toIntelHex(segments: Segment[], startAddress?: number): string {
  checkStartAddress(startAddress, WRITE_STEP);
  const lines: string[] = [];
  let upper = 0;
  for (const segment of normaliseSegments(segments, WRITE_STEP)) {
    let offset = 0;
    while (offset < segment.data.length) {
      const address = segment.address + offset;
      const high = Math.floor(address / 0x10000);
      if (high !== upper) {
        lines.push(record(RecordType.extendedLinear, 0, uint16(high)));
        upper = high;
      }
      // A record never crosses a 64 KiB boundary: its 16-bit offset could not say where it goes.
      const size = Math.min(RECORD_DATA_SIZE, segment.data.length - offset, 0x10000 - (address % 0x10000));
      lines.push(record(RecordType.data, address % 0x10000, segment.data.subarray(offset, offset + size)));
      offset += size;
    }
  }
  if (startAddress !== undefined) {
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, startAddress);
    lines.push(record(RecordType.startLinear, 0, value));
  }
  lines.push(record(RecordType.endOfFile, 0, new Uint8Array()));
  return `${lines.join('\n')}\n`;
}
