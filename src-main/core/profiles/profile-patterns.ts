// Profile patterns are regex sources written by people in JSON. The loader, the identity
// parser and the reading judge must agree on how such a source becomes a RegExp, so it
// happens here, once: no flags, compiled on first use and cached, since the same few
// patterns are used on every diagnostics read.

const cache = new Map<string, RegExp>();

/** Compiles a profile pattern; throws the engine's SyntaxError for an invalid one. */
export function compilePattern(source: string): RegExp {
  let compiled = cache.get(source);
  if (!compiled) {
    compiled = new RegExp(source);
    cache.set(source, compiled);
  }
  return compiled;
}

/** Compiles a profile pattern, or says in words why it does not compile. */
export function tryCompilePattern(source: string): { ok: true; regex: RegExp } | { ok: false; reason: string } {
  try {
    return { ok: true, regex: compilePattern(source) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, reason };
  }
}

/** How many capture groups a regex has, named ones included. */
export function captureGroupCount(regex: RegExp): number {
  // An alternative that matches the empty string makes exec() report every group.
  const match = new RegExp(`${regex.source}|`, regex.flags.replace('y', '')).exec('');
  return match ? match.length - 1 : 0;
}

/** The first capture of the first line the regex matches, or why there is none. */
export function captureFirst(
  regex: RegExp,
  lines: readonly string[],
): { found: true; value: string; line: string } | { found: false; line: string | null } {
  for (const line of lines) {
    const match = regex.exec(line);
    if (match) {
      const value = match[1];
      return value === undefined ? { found: false, line } : { found: true, value, line };
    }
  }
  return { found: false, line: null };
}
