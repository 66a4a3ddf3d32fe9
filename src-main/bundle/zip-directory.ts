// The structure of a zip file, read from its end-of-central-directory record and central
// directory without expanding anything: how many entries, their names, methods and declared
// sizes, and where each one's data lies. Everything a hostile bundle could lie about is
// checked here against the bytes actually present: records inside the file, local headers
// agreeing with the directory, data ranges that neither leave the file nor overlap (the
// overlap trick lets a few kilobytes declare gigabytes), no encryption, no zip64, no
// multi-disk archives. The reader then expands each entry with the declared size as its cap.

export const STORED = 0;
export const DEFLATED = 8;

export interface ZipEntry {
  name: string;
  method: typeof STORED | typeof DEFLATED;
  compressedSize: number;
  size: number;
  crc32: number;
  /** First byte of the entry's data, after its local header. */
  dataStart: number;
}

export class ZipStructureError extends Error {}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;

export interface DirectoryLimits {
  maxEntries: number;
}

/** The entries of a zip, in directory order; throws ZipStructureError with the reason otherwise. */
export function readZipDirectory(bytes: Uint8Array, limits: DirectoryLimits): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndRecord(view);
  const disk = view.getUint16(eocd + 4, true);
  const directoryDisk = view.getUint16(eocd + 6, true);
  const entriesOnDisk = view.getUint16(eocd + 8, true);
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== count) {
    throw new ZipStructureError('it is one part of a multi-part zip');
  }
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    throw new ZipStructureError('it is a zip64 archive, which no bundle needs');
  }
  if (count > limits.maxEntries) {
    throw new ZipStructureError(`it has ${count} entries; a bundle may have at most ${limits.maxEntries}`);
  }
  if (directoryOffset + directorySize > eocd) {
    throw new ZipStructureError('its directory lies outside the file (the file is cut short or damaged)');
  }

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let index = 0; index < count; index += 1) {
    if (at + CENTRAL_SIZE > directoryOffset + directorySize || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new ZipStructureError(`its directory is damaged at entry ${index + 1} of ${count}`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc32 = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > directoryOffset + directorySize) {
      throw new ZipStructureError(`its directory is damaged at entry ${index + 1} of ${count}`);
    }
    const name = decodeName(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength), index);
    if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) {
      throw new ZipStructureError(`entry ${quoted(name)} is encrypted`);
    }
    if (method !== STORED && method !== DEFLATED) {
      throw new ZipStructureError(`entry ${quoted(name)} uses compression method ${method}; a bundle uses only stored or deflate`);
    }
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      throw new ZipStructureError(`entry ${quoted(name)} has zip64 sizes, which no bundle needs`);
    }
    if (method === STORED && compressedSize !== size) {
      throw new ZipStructureError(`entry ${quoted(name)} is stored, but declares ${compressedSize} bytes stored and ${size} expanded`);
    }
    const dataStart = localDataStart(view, bytes, localOffset, name, directoryOffset);
    if (dataStart + compressedSize > directoryOffset) {
      throw new ZipStructureError(`entry ${quoted(name)} runs past the end of the data (the file is cut short or damaged)`);
    }
    entries.push({ name, method, compressedSize, size, crc32, dataStart });
    at = next;
  }
  refuseOverlaps(entries);
  return entries;
}

function findEndRecord(view: DataView): number {
  if (view.byteLength < EOCD_SIZE) throw new ZipStructureError('it is too short to be a zip file');
  const lowest = Math.max(0, view.byteLength - EOCD_SIZE - MAX_COMMENT);
  for (let at = view.byteLength - EOCD_SIZE; at >= lowest; at -= 1) {
    // The comment length must reach exactly to the end: a signature inside a comment is not the record.
    if (view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength) {
      return at;
    }
  }
  throw new ZipStructureError('it is not a zip file, or it is cut short (no end-of-directory record)');
}

function localDataStart(view: DataView, bytes: Uint8Array, offset: number, name: string, limit: number): number {
  if (offset + LOCAL_SIZE > limit || view.getUint32(offset, true) !== LOCAL_SIGNATURE) {
    throw new ZipStructureError(`entry ${quoted(name)} has no local header where the directory points`);
  }
  const nameLength = view.getUint16(offset + 26, true);
  const extraLength = view.getUint16(offset + 28, true);
  const nameEnd = offset + LOCAL_SIZE + nameLength;
  if (nameEnd + extraLength > limit) {
    throw new ZipStructureError(`entry ${quoted(name)} has a local header cut short`);
  }
  const localName = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(offset + LOCAL_SIZE, nameEnd));
  if (localName !== name) {
    throw new ZipStructureError(`entry ${quoted(name)} is named ${quoted(localName)} in its local header`);
  }
  return nameEnd + extraLength;
}

function refuseOverlaps(entries: readonly ZipEntry[]): void {
  const ranges = entries.map((entry) => ({ entry, end: entry.dataStart + entry.compressedSize })).sort((a, b) => a.entry.dataStart - b.entry.dataStart);
  for (let index = 1; index < ranges.length; index += 1) {
    const before = ranges[index - 1];
    const range = ranges[index];
    if (before !== undefined && range !== undefined && range.entry.dataStart < before.end) {
      throw new ZipStructureError(`entries ${quoted(before.entry.name)} and ${quoted(range.entry.name)} share their data`);
    }
  }
}

function decodeName(raw: Uint8Array, index: number): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new ZipStructureError(`the name of entry ${index + 1} is not UTF-8`);
  }
}

/** A name as JSON quotes it, so control characters show as escapes, never as themselves. */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}
