// report.md: the case report as Markdown, for a ticket, a mail or a repository. Text from the
// case is inline-escaped (a serial like SN_001_ stays itself, an HTML tag in a symptom stays
// text in any renderer), and notes go in fenced blocks longer than any run of backticks in
// them, so a note shows exactly as it was typed.
import type { CaseReport } from './case-report';

export function reportMarkdown(report: CaseReport): string {
  const lines: string[] = [`# ${inline(report.title)}`, ''];
  for (const [label, value] of report.facts) lines.push(`- **${label}:** ${inline(value)}`);

  lines.push('', '## Readings', '');
  if (report.snapshots.length === 0) lines.push('No diagnostics snapshot was taken.');
  for (const snapshot of report.snapshots) {
    lines.push(`### Snapshot of ${inline(snapshot.takenAt)} (profile ${inline(snapshot.profileId)})`, '');
    lines.push(...table(['Reading', 'Value', 'Status', 'Limits', 'Note'], snapshot.readings.map((r) => [r.label, r.value, r.status.toUpperCase(), r.limits, r.message])), '');
  }

  lines.push('', '## Firmware updates', '');
  if (report.firmwareUpdates.length === 0) lines.push('No firmware update was run for this case.');
  else {
    lines.push(
      ...table(
        ['Started', 'Image', 'Image version', 'Image SHA-256', 'Before', 'After', 'Outcome'],
        report.firmwareUpdates.map((u) => [u.startedAt, u.image, u.imageVersion, u.imageSha256, u.versionBefore, u.versionAfter, u.outcome]),
      ),
    );
  }

  lines.push('', '## Procedure results', '');
  if (report.procedures.length === 0) lines.push('No procedure was run for this case.');
  for (const procedure of report.procedures) {
    lines.push(`### ${inline(procedure.summary)}`, '', `Run ${inline(procedure.at)}${procedure.operator ? ` by ${inline(procedure.operator)}` : ''}.`, '');
    if (procedure.steps.length > 0) {
      lines.push(...table(['Step', 'Result', 'Reading', 'Limit', 'Note'], procedure.steps.map((s) => [s.title, s.status, s.reading, s.limit, s.reason])), '');
    }
  }

  lines.push('', '## Timeline', '');
  lines.push(...table(['When', 'What', 'Summary'], report.timeline.map((e) => [e.at, e.kind, e.summary])));

  lines.push('', '## Notes', '');
  if (report.notes.length === 0) lines.push('No notes.');
  for (const note of report.notes) {
    lines.push(`Written ${inline(note.createdAt)}, last changed ${inline(note.updatedAt)}:`, '', ...fenced(note.text), '');
  }

  lines.push('', '## Attachments', '');
  if (report.attachments.length === 0) lines.push('No attachments.');
  else lines.push(...table(['File', 'Type', 'Bytes', 'SHA-256', 'In this bundle'], report.attachments.map((a) => [a.fileName, a.mediaType, String(a.size), a.sha256, a.path])));

  lines.push('', '## Resolution', '', report.resolution === null ? 'No resolution recorded.' : inline(report.resolution));
  lines.push('', '## Root cause', '', report.rootCause === null ? 'No root cause recorded.' : inline(report.rootCause));
  lines.push('', '---', '', inline(report.origin), '');
  return lines.join('\n');
}

/** Markdown's punctuation escaped, line breaks flattened: one value stays one value. */
function inline(text: string): string {
  return text.replace(/[\\`*_[\]<>|~]/gu, (c) => `\\${c}`).replace(/\s*\r?\n\s*/gu, ' ');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map(inline).join(' | ')} |`)];
}

function fenced(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/gu)].map((run) => run[0].length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, text, fence];
}
