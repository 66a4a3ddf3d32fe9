// What a console knows about a device family before its first line arrives: the commands to
// complete (the profile's console list, its identity and diagnostics commands) and the
// known-issue patterns to flag (the profile's and every knowledge-base article's log patterns).
import type { KnownIssuePattern } from '../logs/capture-service';
import type { LoadedArticle } from '../knowledge/article-file';
import type { DeviceProfile } from '../profiles/profile-types';

export function completionCommands(profile: DeviceProfile | null): string[] {
  if (!profile) return [];
  // A BLE device's shell over its UART service is the same shell, so the same commands complete.
  const commands = [...(profile.console?.commands ?? []), profile.identity?.command ?? '', ...profile.diagnostics.map((spec) => spec.command)];
  return [...new Set(commands.map((command) => command.trim()).filter((command) => command !== ''))];
}

export function profileKnownIssues(profile: DeviceProfile | null): KnownIssuePattern[] {
  return (profile?.console?.knownIssues ?? []).map((issue) => ({
    id: issue.id,
    title: issue.title,
    regex: issue.regex,
    source: 'profile',
    ...(issue.article ? { articleId: issue.article } : {}),
    ...(issue.hint ? { hint: issue.hint } : {}),
  }));
}

/** One pattern per log pattern of each article; the article explains what the line means. */
export function articleKnownIssues(articles: readonly LoadedArticle[]): KnownIssuePattern[] {
  return articles.flatMap((article) =>
    article.summary.logPatterns.map((regex, index) => ({
      id: `${article.summary.id}#${index + 1}`,
      title: article.summary.title,
      regex,
      source: 'knowledge-base' as const,
      articleId: article.summary.id,
      hint: `Read the article “${article.summary.title}”.`,
    })),
  );
}
