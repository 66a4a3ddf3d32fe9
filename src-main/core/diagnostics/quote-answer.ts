// Error messages about a device's answer quote it, so a support engineer sees at once
// whether the firmware said something unexpected or nothing at all. Answers can be long
// or full of line noise, so the quote is short, on one line, with control bytes escaped.

const MAX_QUOTE = 160;

export function quoteAnswer(lines: readonly string[]): string {
  const text = lines
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(' | ');
  if (text.length === 0) return 'an empty answer';
  const cut = text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE - 1)}…` : text;
  return JSON.stringify(cut);
}
