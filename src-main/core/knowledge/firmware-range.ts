// Firmware ranges in articles: ">=1.4.0 <1.6.0", "1.4.2", "<2", "*". A range is a list of
// comparators that must all hold; an article's list of ranges matches when any range does.
// Versions compare by their dotted numbers (missing parts are zero, a "+build" suffix and a
// leading "v" are ignored), which fits MCUboot, Zephyr and most vendor version strings.

type Operator = '<' | '<=' | '>' | '>=' | '=';

interface Comparator {
  operator: Operator;
  version: number[];
}

export type ParsedRange = { ok: true; comparators: Comparator[] } | { ok: false; reason: string };

const COMPARATOR = /^(<=|>=|<|>|=)?\s*(v?\d+(?:\.\d+){0,3})(?:\+[\w.]+)?$/;

export function parseFirmwareRange(text: string): ParsedRange {
  const trimmed = text.trim();
  if (trimmed === '*' || trimmed === '') return trimmed === '*' ? { ok: true, comparators: [] } : { ok: false, reason: 'is empty' };
  // Operators may be written apart from their version (">= 1.4.0"); join them first.
  const parts = trimmed.replace(/(<=|>=|<|>|=)\s+/g, '$1').split(/\s+/);
  const comparators: Comparator[] = [];
  for (const part of parts) {
    const match = COMPARATOR.exec(part);
    const version = match?.[2] === undefined ? null : parseVersion(match[2]);
    if (!match || !version) {
      return { ok: false, reason: `'${part}' is not a version comparison; write ranges as ">=1.4.0 <1.6.0", "1.4.2" or "*"` };
    }
    comparators.push({ operator: (match[1] as Operator | undefined) ?? '=', version });
  }
  return { ok: true, comparators };
}

/** The dotted numbers of a version string ("1.4.2+0", "v1.4", "1.4.2-rc1" → 1,4,2), or null when it has none up front. */
export function parseVersion(text: string): number[] | null {
  const match = /^v?(\d+(?:\.\d+){0,3})/.exec(text.trim());
  return match?.[1] ? match[1].split('.').map(Number) : null;
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Whether a version falls in any of these ranges; null when the version is not one that can be compared. */
export function firmwareInRanges(version: string, ranges: readonly string[]): boolean | null {
  const parsed = parseVersion(version);
  if (!parsed) return null;
  return ranges.some((range) => {
    const checked = parseFirmwareRange(range);
    return checked.ok && checked.comparators.every((c) => holds(compareVersions(parsed, c.version), c.operator));
  });
}

function holds(order: number, operator: Operator): boolean {
  switch (operator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '=':
      return order === 0;
  }
}
