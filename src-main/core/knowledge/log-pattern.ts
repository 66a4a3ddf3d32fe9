// Log patterns are regexes written by people into articles and run against every log line
// a device prints. JavaScript cannot stop a regex once it runs, so a pattern must be safe
// before it is ever used: short, compiled, and without the shapes that backtrack
// exponentially (a quantified group that itself holds a quantifier or an alternation, and
// backreferences). Lines are cut to a bounded length, and a pattern that still takes too
// long on one line is dropped for the rest of the batch instead of stalling the core.

/** Longer patterns are refused: an article names a log message, it does not parse a grammar. */
export const MAX_LOG_PATTERN_LENGTH = 200;
/** Only this much of a line is matched; device log lines are far shorter. */
export const MAX_LOG_LINE_LENGTH = 2000;
/** A pattern that needs longer than this on one line is taken out of the batch. */
export const LOG_MATCH_BUDGET_MS = 20;

export type CheckedPattern = { ok: true; regex: RegExp } | { ok: false; reason: string };

/** Compiles an article's log pattern (matched without regard to case), or says why it is refused. */
export function checkLogPattern(source: string): CheckedPattern {
  if (source.length === 0) return { ok: false, reason: 'is empty' };
  if (source.length > MAX_LOG_PATTERN_LENGTH) {
    return { ok: false, reason: `is ${source.length} characters long; the limit is ${MAX_LOG_PATTERN_LENGTH}` };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'i');
  } catch (error) {
    return { ok: false, reason: `is not a valid regex: ${error instanceof Error ? error.message : String(error)}` };
  }
  const risk = backtrackingRisk(source);
  if (risk) return { ok: false, reason: `could take exponential time on a long line (${risk}); write it without nesting quantifiers` };
  return { ok: true, regex };
}

/**
 * The shape in a pattern that can backtrack without bound, or null. A conservative scan of
 * the source: a group followed by a quantifier that can repeat (*, +, {n,} or {n,m} with m > 1)
 * must hold neither a quantifier nor an alternation; backreferences are refused outright.
 */
export function backtrackingRisk(source: string): string | null {
  // For each open group: whether it holds a quantifier or an alternation so far.
  const stack: { repeats: boolean; alternates: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<'))) return 'a backreference';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push({ repeats: false, alternates: false });
      // Skip the group's kind marker (?:, ?=, ?!, ?<=, ?<!, ?<name>) so its ? is not read as a quantifier.
      if (source[i + 1] === '?') {
        const named = /^\?<[A-Za-z_$][\w$]*>/.exec(source.slice(i + 1));
        i += named ? named[0].length : source[i + 2] === '<' ? 3 : 2;
      }
      continue;
    }
    if (c === '|') {
      const top = stack.at(-1);
      if (top) top.alternates = true;
      continue;
    }
    const quantifier = quantifierAt(source, i);
    if (c === ')') {
      const group = stack.pop();
      const after = quantifierAt(source, i + 1);
      if (group && after?.repeats && (group.repeats || group.alternates)) {
        return group.repeats ? 'a repeated group holds a quantifier' : 'a repeated group holds an alternation';
      }
      // What the closed group holds, the group around it holds too.
      const parent = stack.at(-1);
      if (parent && group) {
        parent.repeats ||= group.repeats || (after?.repeats ?? false);
        parent.alternates ||= group.alternates;
      }
      if (after) i += after.length;
      continue;
    }
    if (quantifier) {
      const top = stack.at(-1);
      if (top && quantifier.repeats) top.repeats = true;
      i += quantifier.length - 1;
    }
  }
  return adjacentUnboundedRepeats(source) ? 'two unbounded repeats with no literal between them' : null;
}

/**
 * Two unbounded repeats with nothing required between them but more repeatable atoms (`a*.*x`,
 * `.+\w+`) try every split of a line between them at every start: cubic time on a long line
 * that does not match. A literal character between them (`error.*timeout.*retry`) pins the
 * split down. Groups are looked through; an alternation starts afresh.
 */
function adjacentUnboundedRepeats(source: string): boolean {
  /** The repeat still open: what it repeats, a literal character or 'broad' (., a class, a group). */
  let open: string | null = null;
  const unbounded = (at: number, length: number) => /[*+]|,\}/.test(source.slice(at, at + length));
  /** A new unbounded repeat of `atom`: a risk when it can match what the open one matches. */
  const repeat = (atom: string): boolean => {
    if (open !== null && (open === 'broad' || atom === 'broad' || open === atom)) return true;
    open = atom;
    return false;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '(') {
      if (source[i + 1] === '?') {
        const named = /^\?<[A-Za-z_$][\w$]*>/.exec(source.slice(i + 1));
        i += named ? named[0].length : source[i + 2] === '<' ? 3 : 2;
      }
      continue;
    }
    if (c === ')') {
      const after = quantifierAt(source, i + 1);
      if (after) {
        if (after.repeats && unbounded(i + 1, after.length) && repeat('broad')) return true;
        i += after.length;
      }
      continue;
    }
    if (c === '|') {
      open = null;
      continue;
    }
    if (c === '^' || c === '$') continue;
    let atomEnd = i;
    let atom = 'broad';
    if (c === '[') {
      const close = source.indexOf(']', i + 2);
      atomEnd = close < 0 ? source.length - 1 : close;
    } else if (c === '\\') {
      atomEnd = i + 1;
      if (!/[dDwWsSbB]/.test(source[i + 1] ?? '')) atom = source[i + 1] ?? '';
    } else if (c !== '.') {
      atom = c;
    }
    const quantifier = quantifierAt(source, atomEnd + 1);
    if (!quantifier) {
      // A required literal pins down where the open repeat ends.
      if (atom !== 'broad') open = null;
    } else if (quantifier.repeats && unbounded(atomEnd + 1, quantifier.length) && repeat(atom)) {
      return true;
    }
    i = atomEnd + (quantifier?.length ?? 0);
  }
  return false;
}

/** The quantifier starting at i, with whether it can repeat more than once, and its length (a lazy ? included). */
function quantifierAt(source: string, i: number): { repeats: boolean; length: number } | null {
  const c = source[i];
  let length = 0;
  let repeats = false;
  if (c === '*' || c === '+') {
    length = 1;
    repeats = true;
  } else if (c === '?') {
    length = 1;
  } else if (c === '{') {
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (!braces) return null;
    length = braces[0].length;
    const max = braces[2] === undefined ? Number(braces[1]) : braces[3] === '' ? Infinity : Number(braces[3]);
    repeats = max > 1;
  } else {
    return null;
  }
  if (source[i + length] === '?') length++;
  return { repeats, length };
}

/** The first of these patterns a line matches, tested within the budget; patterns that overran are added to `slow`. */
export function matchLogLine(line: string, patterns: readonly RegExp[], slow: Set<RegExp>, now: () => number = performance.now.bind(performance)): RegExp | null {
  const text = line.length > MAX_LOG_LINE_LENGTH ? line.slice(0, MAX_LOG_LINE_LENGTH) : line;
  for (const pattern of patterns) {
    if (slow.has(pattern)) continue;
    const started = now();
    const hit = pattern.test(text);
    if (now() - started > LOG_MATCH_BUDGET_MS) slow.add(pattern);
    if (hit) return pattern;
  }
  return null;
}
