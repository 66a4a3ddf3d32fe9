// Tab completion on the console's command line, from the profile's commands and the history.
// It completes a word at a time, so "lo" becomes "log " and a second Tab offers the
// subcommands ("log stream", "log flood"); when the candidates share nothing more than what
// is typed, repeated Tabs cycle through them (Shift+Tab backwards).

export interface CompletionCycle {
  /** What was typed before the cycle began. */
  base: string;
  options: readonly string[];
  index: number;
}

export interface Completion {
  text: string;
  /** Set while Tab cycles through options; null once the text was completed outright. */
  cycle: CompletionCycle | null;
}

/** Distinct candidates, in first-seen order, without blanks. */
export function completionCandidates(...lists: readonly (readonly string[])[]): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const item of list) if (item.trim() !== '') seen.add(item);
  return [...seen];
}

/** Each candidate the input begins, cut after the word being typed (or the next word, after a space). */
export function nextWordOptions(input: string, candidates: readonly string[]): string[] {
  const options = new Set<string>();
  for (const candidate of candidates) {
    if (!candidate.startsWith(input) || candidate === input) continue;
    // After a space the next word is the one offered, not the space itself.
    const from = candidate[input.length] === ' ' ? input.length + 1 : input.length;
    const wordEnd = candidate.indexOf(' ', from);
    options.add(wordEnd < 0 ? candidate : candidate.slice(0, wordEnd));
  }
  return [...options].sort((a, b) => a.localeCompare(b));
}

export function commonPrefix(values: readonly string[]): string {
  if (values.length === 0) return '';
  let prefix = values[0]!;
  for (const value of values) {
    let i = 0;
    while (i < prefix.length && i < value.length && prefix[i] === value[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

/**
 * One Tab (or Shift+Tab, `backwards`). `cycle` is what the previous Tab returned, as long as
 * nothing was typed since; pass null otherwise.
 */
export function completeCommand(input: string, candidates: readonly string[], cycle: CompletionCycle | null, backwards = false): Completion {
  if (cycle && cycle.options.length > 0 && cycle.options[cycle.index] === input) {
    const n = cycle.options.length;
    const index = (cycle.index + (backwards ? n - 1 : 1)) % n;
    return { text: cycle.options[index]!, cycle: { ...cycle, index } };
  }
  const options = nextWordOptions(input, candidates);
  if (options.length === 0) return { text: input, cycle: null };
  if (options.length === 1) {
    const only = options[0]!;
    // A word that more words follow gets its space, ready for the next Tab.
    const continues = candidates.some((c) => c.startsWith(`${only} `));
    return { text: continues ? `${only} ` : only, cycle: null };
  }
  const prefix = commonPrefix(options);
  if (prefix.length > input.length) return { text: prefix, cycle: null };
  const index = backwards ? options.length - 1 : 0;
  return { text: options[index]!, cycle: { base: input, options, index } };
}
