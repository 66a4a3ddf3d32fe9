// report.html: the same report as one printable page. It stands alone (inline CSS, no
// script, no font, image or link fetched from anywhere) and its policy forbids scripts
// outright, so a bundle opened on a locked-down machine shows the same page, and text from
// the case (a note that pastes markup, say) is only ever text: every value is escaped.
import type { CaseReport } from './case-report';

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; color: #1b1f24; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin-bottom: 0.5rem; }
  h2 { font-size: 1.15rem; border-bottom: 1px solid #c9ced6; padding-bottom: 0.2rem; margin-top: 1.8rem; }
  h3 { font-size: 1rem; }
  dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
  dl.facts dt { font-weight: 600; }
  dl.facts dd { margin: 0; }
  table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
  th, td { border: 1px solid #c9ced6; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
  th { background: #eef1f5; }
  td.hash { font-family: ui-monospace, monospace; font-size: 0.8rem; word-break: break-all; }
  .status-ok { color: #14692f; } .status-warn { color: #8a5a00; } .status-fail, .status-error { color: #b3261e; font-weight: 600; }
  pre.note { white-space: pre-wrap; background: #f6f8fa; border: 1px solid #dde1e6; padding: 0.5rem; }
  footer { margin-top: 2rem; color: #57606a; font-size: 0.85rem; }
  @media print {
    body { margin: 0; max-width: none; font-size: 11pt; }
    h2 { break-after: avoid; }
    table, pre.note { break-inside: avoid; }
    th { background: none; }
  }
`;

export function reportHtml(report: CaseReport): string {
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(report.title)}</h1>`,
    '<dl class="facts">',
    ...report.facts.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`),
    '</dl>',
    '<h2>Readings</h2>',
  ];
  if (report.snapshots.length === 0) parts.push('<p>No diagnostics snapshot was taken.</p>');
  for (const snapshot of report.snapshots) {
    parts.push(`<h3>Snapshot of ${escapeHtml(snapshot.takenAt)} (profile ${escapeHtml(snapshot.profileId)})</h3>`);
    parts.push(
      table(
        ['Reading', 'Value', 'Status', 'Limits', 'Note'],
        snapshot.readings.map((r) => [cell(r.label), cell(r.value), `<td class="status-${r.status}">${escapeHtml(r.status.toUpperCase())}</td>`, cell(r.limits), cell(r.message)]),
      ),
    );
  }
  parts.push('<h2>Firmware updates</h2>');
  if (report.firmwareUpdates.length === 0) parts.push('<p>No firmware update was run for this case.</p>');
  else {
    parts.push(
      table(
        ['Started', 'Image', 'Image version', 'Image SHA-256', 'Before', 'After', 'Outcome'],
        report.firmwareUpdates.map((u) => [cell(u.startedAt), cell(u.image), cell(u.imageVersion), hash(u.imageSha256), cell(u.versionBefore), cell(u.versionAfter), cell(u.outcome)]),
      ),
    );
  }
  parts.push('<h2>Procedure results</h2>');
  if (report.procedures.length === 0) parts.push('<p>No procedure was run for this case.</p>');
  for (const procedure of report.procedures) {
    parts.push(`<h3>${escapeHtml(procedure.summary)}</h3>`, `<p>Run ${escapeHtml(procedure.at)}${procedure.operator ? ` by ${escapeHtml(procedure.operator)}` : ''}.</p>`);
    if (procedure.steps.length > 0) {
      parts.push(
        table(
          ['Step', 'Result', 'Reading', 'Limit', 'Note'],
          procedure.steps.map((s) => [cell(s.title), `<td class="status-${stepClass(s.status)}">${escapeHtml(s.status)}</td>`, cell(s.reading), cell(s.limit), cell(s.reason)]),
        ),
      );
    }
  }
  parts.push('<h2>Timeline</h2>', table(['When', 'What', 'Summary'], report.timeline.map((e) => [cell(e.at), cell(e.kind), cell(e.summary)])));
  parts.push('<h2>Notes</h2>');
  if (report.notes.length === 0) parts.push('<p>No notes.</p>');
  for (const note of report.notes) {
    parts.push(`<p>Written ${escapeHtml(note.createdAt)}, last changed ${escapeHtml(note.updatedAt)}:</p>`, `<pre class="note">${escapeHtml(note.text)}</pre>`);
  }
  parts.push('<h2>Attachments</h2>');
  if (report.attachments.length === 0) parts.push('<p>No attachments.</p>');
  else {
    parts.push(
      table(
        ['File', 'Type', 'Bytes', 'SHA-256', 'In this bundle'],
        report.attachments.map((a) => [cell(a.fileName), cell(a.mediaType), cell(String(a.size)), hash(a.sha256), cell(a.path)]),
      ),
    );
  }
  parts.push('<h2>Resolution</h2>', `<p>${escapeHtml(report.resolution ?? 'No resolution recorded.')}</p>`);
  parts.push('<h2>Root cause</h2>', `<p>${escapeHtml(report.rootCause ?? 'No root cause recorded.')}</p>`);
  parts.push(`<footer>${escapeHtml(report.origin)}</footer>`, '</body>', '</html>', '');
  return parts.join('\n');
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (c) => ENTITIES[c] ?? c);
}

/** A step's status coloured as a reading's: passed as ok, failed as fail. */
function stepClass(status: string): string {
  if (status === 'passed') return 'ok';
  if (status === 'failed') return 'fail';
  return 'other';
}

function cell(text: string): string {
  return `<td>${escapeHtml(text)}</td>`;
}

function hash(text: string): string {
  return `<td class="hash">${escapeHtml(text)}</td>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const header = `<tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  return `<table>\n<thead>${header}</thead>\n<tbody>\n${rows.map((cells) => `<tr>${cells.join('')}</tr>`).join('\n')}\n</tbody>\n</table>`;
}
