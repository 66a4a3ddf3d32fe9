// Checks a profile's console section, after the rest of the profile has passed. Its patterns
// run against every line a device prints, so each must pass checkLogPattern (compiles, short,
// no exponential backtracking), and known-issue ids must be unique. Like procedures, what
// fails is left out with its problem: one bad known issue must not cost the console the
// others, nor the device its diagnostics.
import { checkLogPattern } from '../knowledge/log-pattern';
import type { FieldProblem } from './procedure-checks';
import type { ConsoleSpec } from './profile-types';

const AT = '/console';
/** Fields whose entries are left out one by one; any other field goes whole. */
const LISTS = new Set(['commands', 'levelPatterns', 'knownIssues']);

/**
 * The console section as it can be used, and the problems of what was left out.
 * `validate` checks a value against the schema's $defs/console and names fields under `at`.
 */
export function checkConsole(
  raw: unknown,
  validate: (value: unknown, at: string) => FieldProblem[],
): { console: ConsoleSpec | undefined; problems: FieldProblem[] } {
  if (raw === undefined) return { console: undefined, problems: [] };
  const problems = validate(raw, AT);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { console: undefined, problems };
  const { section, origins } = pruneSchemaProblems(raw as Record<string, unknown>, problems);
  // What is left fits the schema unless the pruning missed a shape: then the section goes whole.
  if (problems.length > 0 && validate(section, AT).length > 0) return { console: undefined, problems };
  const spec = section as ConsoleSpec;
  problems.push(...checkConsolePatterns(spec, (list, i) => origins.get(list)?.[i] ?? i));
  return { console: spec, problems };
}

/**
 * A copy of the section without the entries and fields the schema problems point into, and
 * for each list pruned, the index in the file of each entry kept (so later problems name it).
 */
function pruneSchemaProblems(
  section: Record<string, unknown>,
  problems: readonly FieldProblem[],
): { section: Record<string, unknown>; origins: Map<string, number[]> } {
  const dropFields = new Set<string>();
  const dropEntries = new Map<string, Set<number>>();
  for (const { field } of problems) {
    const [name, index] = field.slice(AT.length + 1).split('/');
    if (name === undefined || name === '') continue;
    const entry = index === undefined ? NaN : Number(index);
    if (LISTS.has(name) && Number.isInteger(entry)) {
      const entries = dropEntries.get(name) ?? new Set<number>();
      entries.add(entry);
      dropEntries.set(name, entries);
    } else {
      dropFields.add(name);
    }
  }
  const pruned: Record<string, unknown> = {};
  const origins = new Map<string, number[]>();
  for (const [name, value] of Object.entries(section)) {
    if (dropFields.has(name)) continue;
    const entries = dropEntries.get(name);
    if (entries && Array.isArray(value)) {
      const kept = value.map((_, i) => i).filter((i) => !entries.has(i));
      origins.set(name, kept);
      pruned[name] = kept.map((i) => value[i] as unknown);
    } else {
      pruned[name] = value;
    }
  }
  return { section: pruned, origins };
}

/** Patterns that cannot run safely, and known-issue ids used twice, are taken out of `spec` and reported. */
function checkConsolePatterns(spec: ConsoleSpec, inFile: (list: string, index: number) => number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const usable = (field: string, source: string): boolean => {
    const checked = checkLogPattern(source);
    if (!checked.ok) problems.push({ field, message: `${checked.reason}; left out` });
    return checked.ok;
  };
  if (spec.bootBanner !== undefined && !usable(`${AT}/bootBanner`, spec.bootBanner)) delete spec.bootBanner;
  if (spec.levelPatterns) {
    spec.levelPatterns = spec.levelPatterns.filter((pattern, i) => usable(`${AT}/levelPatterns/${inFile('levelPatterns', i)}/regex`, pattern.regex));
  }
  if (spec.knownIssues) {
    const firstIndexOfId = new Map<string, number>();
    spec.knownIssues = spec.knownIssues.filter((issue, kept) => {
      const i = inFile('knownIssues', kept);
      const first = firstIndexOfId.get(issue.id);
      if (first !== undefined) {
        problems.push({ field: `${AT}/knownIssues/${i}/id`, message: `the id '${issue.id}' is already used by ${AT}/knownIssues/${first}; left out` });
        return false;
      }
      if (!usable(`${AT}/knownIssues/${i}/regex`, issue.regex)) return false;
      firstIndexOfId.set(issue.id, i);
      return true;
    });
  }
  return problems;
}
