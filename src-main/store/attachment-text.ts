// What an attached file is, and the text in it that search should see. A log capture or a
// configuration dump is what an engineer searches for later ("that watchdog line"); a photo
// or a core dump has no words, and indexing its bytes would only fill the index with noise.

/** The first part of a text file that is indexed: enough for any log a person reads, bounded per save. */
export const MAX_SEARCHABLE_TEXT_BYTES = 1024 * 1024;

const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  ini: 'text/plain',
  conf: 'text/plain',
  cfg: 'text/plain',
  html: 'text/html',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  zip: 'application/zip',
  bin: 'application/octet-stream',
  hex: 'text/plain',
};

const TEXT_MEDIA_TYPES = new Set([
  'application/json',
  'application/x-ndjson',
  'application/xml',
  'application/yaml',
]);

/** Extensions that are text whatever media type the sender gave (a browser often says octet-stream for .log). */
const TEXT_EXTENSIONS = new Set(['txt', 'log', 'md', 'csv', 'tsv', 'json', 'ndjson', 'xml', 'yaml', 'yml', 'ini', 'conf', 'cfg', 'hex']);

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

/** The media type as given (lower-cased, parameters dropped), or guessed from the file name. */
export function mediaTypeOf(fileName: string, given: string | undefined): string {
  const declared = given?.split(';')[0]?.trim().toLowerCase();
  if (declared) return declared;
  return BY_EXTENSION[extensionOf(fileName)] ?? 'application/octet-stream';
}

function isTextual(fileName: string, mediaType: string): boolean {
  return mediaType.startsWith('text/') || TEXT_MEDIA_TYPES.has(mediaType) || mediaType.endsWith('+json') || TEXT_EXTENSIONS.has(extensionOf(fileName));
}

/**
 * The searchable text of a file: its first MAX_SEARCHABLE_TEXT_BYTES decoded as UTF-8, cut at
 * a character boundary; null when the file is not text or is not valid UTF-8 (a binary blob
 * named .log), so nothing is indexed from bytes that are not words.
 */
export function searchableText(bytes: Uint8Array, fileName: string, mediaType: string): string | null {
  if (!isTextual(fileName, mediaType)) return null;
  let end = Math.min(bytes.length, MAX_SEARCHABLE_TEXT_BYTES);
  // Step back over a UTF-8 sequence the cut would split: continuation bytes are 10xxxxxx.
  if (end < bytes.length) {
    let start = end;
    while (start > 0 && start > end - 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start -= 1;
    end = start;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes.subarray(0, end));
  } catch {
    return null;
  }
  // NUL is never in a text file; it is the mark of a binary one.
  if (text.includes('\u0000')) return null;
  return text;
}
