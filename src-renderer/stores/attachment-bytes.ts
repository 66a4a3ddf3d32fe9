// An attachment's bytes as they arrive (base64 in the contract), turned into what the page
// offers: a file to save, and for a text file the start of its text to read in place.
import type { CaseAttachment } from '../../src-main/api/schemas';

/** Shown in place at most; a longer capture is saved and opened in an editor. */
export const PREVIEW_MAX_BYTES = 64 * 1024;

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether the page can show the file as text: what the store indexes as text, or a text media type. */
export function isTextAttachment(attachment: Pick<CaseAttachment, 'mediaType' | 'searchable'>): boolean {
  return attachment.searchable || attachment.mediaType.startsWith('text/') || attachment.mediaType === 'application/json';
}

export interface TextPreview {
  text: string;
  /** The file is longer than what is shown. */
  truncated: boolean;
}

/**
 * The start of a text file, decoded as UTF-8. A cut in the middle of a multi-byte character
 * loses that character only, and bytes that are not UTF-8 show as U+FFFD rather than failing.
 */
export function textPreviewOf(bytes: Uint8Array, maxBytes = PREVIEW_MAX_BYTES): TextPreview {
  const truncated = bytes.length > maxBytes;
  const shown = truncated ? bytes.subarray(0, maxBytes) : bytes;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(shown, { stream: truncated });
  return { text, truncated };
}
