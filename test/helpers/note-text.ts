// The text a crash-test writer saves as revision N of a note. Derived from the note id and
// revision alone, so the checking side can tell a stored text from a torn or stale one
// without the writer ever sending it the text.

/** FNV-1a over UTF-16 code units; only needs to spread lengths, not resist anyone. */
function hash(input: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i += 1) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const FILLER = 'Battery 3.41 V · radio reset ✓ señal débil 🔋 ';

/** Between a few bytes and about 24 KB: small saves and saves that span several pages. */
export function noteText(noteId: string, revision: number): string {
  const seed = hash(`${noteId}/${revision}`);
  const length = seed % 5 === 0 ? seed % 24_000 : seed % 600;
  const head = `${noteId} r${revision} `;
  // Cut by code points, not UTF-16 units, so the emoji in the filler is never split in two.
  return head + Array.from(FILLER.repeat(Math.ceil(length / FILLER.length) + 1)).slice(0, length).join('');
}
