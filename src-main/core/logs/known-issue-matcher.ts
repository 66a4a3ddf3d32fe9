// Known-issue patterns from the device's profile and the knowledge base, run over every line
// as it arrives. Each is checked by checkLogPattern before it ever runs (no pattern that can
// backtrack without bound); one that fails is reported and left out, so a bad article costs
// the console that one flag, not the others.
import { FieldbenchError } from '../../api/errors';
import { checkLogPattern, MAX_LOG_LINE_LENGTH } from '../knowledge/log-pattern';
import type { KnownIssuePattern } from './capture-service';

interface CompiledIssue {
  issue: KnownIssuePattern;
  regex: RegExp;
}

export class KnownIssueMatcher {
  /** Patterns that were left out, each saying why. */
  readonly problems: readonly FieldbenchError[];
  private readonly compiled: readonly CompiledIssue[];
  private readonly byId: ReadonlyMap<string, KnownIssuePattern>;

  constructor(patterns: readonly KnownIssuePattern[], device: string) {
    const compiled: CompiledIssue[] = [];
    const problems: FieldbenchError[] = [];
    for (const issue of patterns) {
      const checked = checkLogPattern(issue.regex);
      if (checked.ok) {
        compiled.push({ issue, regex: checked.regex });
        continue;
      }
      problems.push(
        new FieldbenchError({
          code: 'profile-error',
          message: `known issue "${issue.title}" (${issue.id}): its pattern /${issue.regex}/ ${checked.reason}`,
          device,
          step: 'known issues',
          hint:
            issue.source === 'profile'
              ? 'Fix the pattern in the device profile; lines it would flag are not flagged until then'
              : `Fix the pattern in knowledge-base article ${issue.articleId ?? issue.id}; lines it would flag are not flagged until then`,
        }),
      );
    }
    this.compiled = compiled;
    this.problems = problems;
    this.byId = new Map(patterns.map((issue) => [issue.id, issue]));
  }

  get size(): number {
    return this.compiled.length;
  }

  /** The issues `text` (a line's shown text) matches, ignoring case, in pattern order. */
  match(text: string): KnownIssuePattern[] {
    if (this.compiled.length === 0) return [];
    // Bounded work per line, whatever a runaway line holds.
    const line = text.length > MAX_LOG_LINE_LENGTH ? text.slice(0, MAX_LOG_LINE_LENGTH) : text;
    const found: KnownIssuePattern[] = [];
    for (const { issue, regex } of this.compiled) {
      if (regex.test(line)) found.push(issue);
    }
    return found;
  }

  issue(id: string): KnownIssuePattern | undefined {
    return this.byId.get(id);
  }
}
