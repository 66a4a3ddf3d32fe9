// Entry names in a bundle. A name from elsewhere is a path that some tool may one day write
// to disk, so anything that could leave the bundle's folder or mean different things on
// different systems is refused, not cleaned: "..", absolute paths, drive letters,
// backslashes, colons (NTFS streams), control characters. Names the writer makes for
// attachments are built from the file's hash and a tamed copy of its name.
import { ATTACHMENTS_FOLDER, MAX_ENTRY_NAME_LENGTH } from './bundle-format';

// C0 and C1 controls and DEL: a NUL ends a name early in C, the others hide in a terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** Why a name cannot be an entry of a bundle, or null when it is a plain relative path. */
export function unsafeEntryNameReason(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_ENTRY_NAME_LENGTH) return `it is longer than ${MAX_ENTRY_NAME_LENGTH} characters`;
  if (CONTROL.test(name)) return 'it holds a NUL or another control character';
  if (name.includes('\\')) return 'it holds a backslash';
  if (/^[A-Za-z]:/u.test(name)) return 'it starts with a drive letter';
  if (name.includes(':')) return 'it holds a colon';
  if (name.startsWith('/')) return 'it is an absolute path';
  const parts = name.split('/');
  if (parts.includes('..')) return 'it climbs out of the bundle with ".."';
  if (parts.some((part, index) => part === '.' || (part === '' && index < parts.length - 1))) {
    return 'it has an empty or "." folder';
  }
  return null;
}

const NAME_BUDGET = MAX_ENTRY_NAME_LENGTH - ATTACHMENTS_FOLDER.length - 65;

/**
 * attachments/<sha256>-<name>: the hash keeps two files of the same name apart (and one file
 * attached twice in one entry); the name keeps the folder readable once unpacked.
 */
export function attachmentEntryName(sha256: string, fileName: string): string {
  const tame = fileName
    .normalize('NFC')
    .replace(/[^A-Za-z0-9._-]+/gu, '_')
    .replace(/^[._]+/u, '')
    .slice(-NAME_BUDGET);
  return `${ATTACHMENTS_FOLDER}${sha256}-${tame.length > 0 ? tame : 'file'}`;
}
