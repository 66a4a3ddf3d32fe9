// Handing bytes to the person as a file to save: a Blob behind an object URL on a download
// link, clicked from script, so the app's own page never navigates. The URL is let go once
// the browser has had time to start reading it.
import { base64ToBytes } from '../stores/attachment-bytes';

/** Long enough for the browser to have opened the Blob; the page may still be in use after. */
const OBJECT_URL_LIFETIME_MS = 60_000;

export function saveBase64AsFile(contentBase64: string, fileName: string, mediaType: string): void {
  const url = URL.createObjectURL(new Blob([base64ToBytes(contentBase64)], { type: mediaType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_LIFETIME_MS);
}
