// Motorola S-record: 'S' type count address data checksum, in hex digits, where count
// covers address, data and checksum, and the checksum is the ones' complement of the sum
// of count, address and data. S0 header; S1/S2/S3 data with 2/3/4-byte addresses; S5/S6
// count of data records; S7/S8/S9 start address, ending the file. srec_cat leaves the end
// record out when there is no start address, so a file may end without one.
import { imageError } from './image-error';
import { checkStartAddress, mergeChunks, normaliseSegments, type DataChunk, type LoadableImage, type Segment } from './segments';
import { byteSum, hexByte, recordBytes, textLines, type TextLine } from './text-records';

const STEP = 'read S-record';
const WRITE_STEP = 'write S-record';
const RECORD_DATA_SIZE = 32;

/** Address (or count) field size of each record type; S4 is reserved. */
const fieldSizes = new Map<number, number>([
  [0, 2],
  [1, 2],
  [2, 3],
  [3, 4],
  [5, 2],
  [6, 3],
  [7, 4],
  [8, 3],
  [9, 2],
]);

interface SRecord {
  type: number;
  field: number;
  data: Uint8Array;
}

function uint(bytes: Uint8Array): number {
  return bytes.reduce((value, byte) => value * 256 + byte, 0);
}

function readRecord(line: TextLine): SRecord {
  const type = /^S[0-9]/.test(line.text) ? Number(line.text[1]) : undefined;
  if (type === undefined) {
    throw imageError(STEP, `line ${line.number}: a record starts with S0 to S9, this one with '${line.text.slice(0, 8)}'`, 'The file is damaged or not an S-record file.');
  }
  const fieldSize = fieldSizes.get(type);
  if (fieldSize === undefined) {
    throw imageError(STEP, `line ${line.number}: record type S${type} is reserved`, 'The file is damaged or not an S-record file.');
  }
  const bytes = recordBytes(line, 2, STEP);
  const count = bytes[0] ?? 0;
  if (bytes.length !== count + 1 || count < fieldSize + 1) {
    throw imageError(STEP, `line ${line.number}: the record says ${count} bytes follow, but ${Math.max(0, bytes.length - 1)} do (an S${type} record needs at least ${fieldSize + 1})`, 'The line was cut short or edited; rebuild the file.');
  }
  const last = bytes.length - 1;
  const expected = ~byteSum(bytes, last) & 0xff;
  if (bytes[last] !== expected) {
    throw imageError(STEP, `line ${line.number}: bad checksum 0x${hexByte(bytes[last] ?? 0)}, the record's bytes need 0x${hexByte(expected)}`, 'The file was damaged in transfer; get it again.');
  }
  return { type, field: uint(bytes.subarray(1, 1 + fieldSize)), data: bytes.subarray(1 + fieldSize, last) };
}

export function parseSrec(bytes: Uint8Array): LoadableImage {
  const chunks: DataChunk[] = [];
  let startAddress: number | undefined;
  let endLine: number | undefined;
  for (const line of textLines(bytes)) {
    if (endLine !== undefined) {
      throw imageError(STEP, `line ${line.number}: a record after the end record on line ${endLine}`, 'Something was appended to the file; rebuild it.');
    }
    const record = readRecord(line);
    if (record.type >= 1 && record.type <= 3) {
      chunks.push({ address: record.field, data: record.data, line: line.number });
    } else if (record.type === 5 || record.type === 6) {
      if (record.field !== chunks.length % (record.type === 5 ? 0x10000 : 0x1000000)) {
        throw imageError(STEP, `line ${line.number}: the count record says ${record.field} data records, but the file has ${chunks.length} before it`, 'Records were lost or added; get the file again.');
      }
    } else if (record.type >= 7) {
      startAddress = record.field;
      endLine = line.number;
    }
  }
  const segments = mergeChunks(chunks, STEP);
  return startAddress === undefined ? { segments } : { segments, startAddress };
}

function record(type: number, field: number, fieldSize: number, data: Uint8Array): string {
  const bytes = new Uint8Array(1 + fieldSize + data.length + 1);
  bytes[0] = fieldSize + data.length + 1;
  for (let i = 0; i < fieldSize; i++) bytes[fieldSize - i] = Math.floor(field / 256 ** i) & 0xff;
  bytes.set(data, 1 + fieldSize);
  bytes[bytes.length - 1] = ~byteSum(bytes, bytes.length - 1) & 0xff;
  return `S${type}${Buffer.from(bytes).toString('hex').toUpperCase()}`;
}

export function toSrec(segments: Segment[], startAddress?: number): string {
  checkStartAddress(startAddress, WRITE_STEP);
  const merged = normaliseSegments(segments, WRITE_STEP);
  const highest = Math.max(startAddress ?? 0, ...merged.map((s) => s.address + s.data.length - 1));
  // The shortest address field that reaches every byte: S1 (16-bit), S2 (24-bit), S3 (32-bit).
  const dataType = highest <= 0xffff ? 1 : highest <= 0xffffff ? 2 : 3;
  const addressSize = dataType + 1;
  const lines = [record(0, 0, 2, new TextEncoder().encode('fieldbench'))];
  let dataRecords = 0;
  for (const segment of merged) {
    for (let offset = 0; offset < segment.data.length; offset += RECORD_DATA_SIZE) {
      lines.push(record(dataType, segment.address + offset, addressSize, segment.data.subarray(offset, offset + RECORD_DATA_SIZE)));
      dataRecords++;
    }
  }
  if (dataRecords <= 0xffff) lines.push(record(5, dataRecords, 2, new Uint8Array()));
  else if (dataRecords <= 0xffffff) lines.push(record(6, dataRecords, 3, new Uint8Array()));
  if (startAddress !== undefined) lines.push(record(10 - dataType, startAddress, addressSize, new Uint8Array()));
  return `${lines.join('\n')}\n`;
}
