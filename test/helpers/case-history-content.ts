// What the case-history crash writer stores, derived from a word alone, so the checking side
// can rebuild the exact bytes of an acknowledged attachment or field without being sent them.

/** A log-like text holding the word, or binary bytes, from tiny to a few hundred KB. */
export function attachmentBytes(word: string, sizeClass: number): Uint8Array {
  const lines = [10, 400, 6000][sizeClass] ?? 10;
  const text = Array.from({ length: lines }, (_, i) => `[${String(i).padStart(6, '0')}] <inf> ${word} sample ${i * 31} mV\n`).join('');
  return new TextEncoder().encode(text);
}

export function fieldsWord(word: string): string {
  return `Intermittent ${word} after the crash round`;
}
