// `fieldbench cases`: the case history on this machine. With no action it lists cases;
// `cases search QUERY` finds them by their words with filters, `cases show ID` prints one,
// `cases history SERIAL` lists every case a device has had, and `cases export` / `cases import`
// carry a case between machines as an escalation bundle.
import { basename } from 'node:path';
import type { CaseBundleImport, CaseDetail, CaseSearchResult, CaseStatus, CaseSummary, TextSegment } from '../../api/schemas';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table, UsageError, type Io } from '../output';
import { readInputFile, writeNewFile } from '../read-files';

export type CasesAction =
  | { action: 'list'; status: CaseStatus | undefined }
  | { action: 'search'; query: string; status: CaseStatus | undefined; tag: string | undefined; serial: string | undefined; limit: number }
  | { action: 'show'; caseId: string }
  | { action: 'history'; serial: string }
  | { action: 'export'; caseId: string; out: string }
  | { action: 'import'; file: string };

export const CASES_USAGE = 'cases [--status S] | cases search QUERY [--status S] [--tag T] [--serial N] [--limit N] | cases show ID | cases history SERIAL | cases export ID --out FILE | cases import FILE';

/** Reads the words after `cases` into an action; options were parsed by the caller. */
export function casesActionOf(
  rest: readonly string[],
  options: { status: CaseStatus | undefined; tag: string | undefined; serial: string | undefined; limit: number | undefined; out?: string | undefined },
): CasesAction {
  const [action, ...args] = rest;
  if (options.out !== undefined && action !== 'export') throw new UsageError('--out is for cases export');
  if (options.status !== undefined && (action === 'export' || action === 'import')) throw new UsageError('--status is for listing or searching cases');
  const searchOnly = (['tag', 'serial', 'limit'] as const).find((name) => options[name] !== undefined);
  if (searchOnly && action !== 'search') throw new UsageError(`--${searchOnly} is for cases search`);
  const one = (what: string): string => {
    if (args.length !== 1 || !args[0]?.trim()) throw new UsageError(`cases ${action} needs ${what}: ${CASES_USAGE}`);
    return args[0];
  };
  switch (action) {
    case undefined:
      return { action: 'list', status: options.status };
    case 'search':
      // The words may come as one quoted argument or several: they are one query either way.
      return { action: 'search', query: args.join(' '), status: options.status, tag: options.tag, serial: options.serial, limit: options.limit ?? 20 };
    case 'show':
      if (options.status !== undefined) throw new UsageError('--status is for listing or searching cases');
      return { action: 'show', caseId: one('a case id') };
    case 'history':
      if (options.status !== undefined) throw new UsageError('--status is for listing or searching cases');
      return { action: 'history', serial: one('a serial number') };
    case 'export': {
      const caseId = one('a case id');
      if (!options.out?.trim()) throw new UsageError(`cases export needs --out FILE, the .zip to write: ${CASES_USAGE}`);
      return { action: 'export', caseId, out: options.out };
    }
    case 'import':
      return { action: 'import', file: one('a bundle file (.zip)') };
    default:
      throw new UsageError(`unknown cases action '${action}': ${CASES_USAGE}`);
  }
}

export async function casesCommand(session: CoreSessionOptions, json: boolean, request: CasesAction): Promise<number> {
  return withCore({ ...session, noDevices: true }, async (core) => {
    const { io } = session;
    switch (request.action) {
      case 'list': {
        const cases = await call(core, 'cases.list', request.status ? { status: request.status } : {});
        if (json) printJson(io, cases);
        else printSummaries(io, cases, 'No cases yet.');
        return EXIT_OK;
      }
      case 'history': {
        const cases = await call(core, 'cases.deviceHistory', { serial: request.serial });
        if (json) printJson(io, cases);
        else printSummaries(io, cases, `No cases for serial number ${request.serial}.`);
        return EXIT_OK;
      }
      case 'search': {
        const result = await call(core, 'cases.search', {
          query: request.query,
          limit: request.limit,
          ...(request.status ? { status: request.status } : {}),
          ...(request.tag ? { tag: request.tag } : {}),
          ...(request.serial ? { serial: request.serial } : {}),
        });
        if (json) printJson(io, result);
        else printSearch(io, result);
        return EXIT_OK;
      }
      case 'show': {
        const detail = await call(core, 'cases.get', { caseId: request.caseId });
        if (json) printJson(io, detail);
        else printDetail(io, detail);
        return EXIT_OK;
      }
      case 'export': {
        const bundle = await call(core, 'cases.export', { caseId: request.caseId });
        await writeNewFile(request.out, Buffer.from(bundle.contentBase64, 'base64'), 'write bundle');
        if (json) printJson(io, { caseId: request.caseId, file: request.out, size: bundle.size, sha256: bundle.sha256 });
        else io.out(`Wrote case ${request.caseId} to ${request.out} (${bundle.size} bytes, SHA-256 ${bundle.sha256})`);
        return EXIT_OK;
      }
      case 'import': {
        const bytes = await readInputFile(request.file, 'read bundle');
        const imported = await call(core, 'cases.import', { contentBase64: Buffer.from(bytes).toString('base64'), fileName: basename(request.file) });
        if (json) printJson(io, imported);
        else printImported(io, imported);
        return EXIT_OK;
      }
    }
  });
}

function printImported(io: Io, imported: CaseBundleImport): void {
  const { imported: counts } = imported;
  const lines = [
    `Imported case ${imported.case.id}: ${imported.case.title} (${imported.case.status})`,
    `  from case ${imported.originalCaseId} on ${imported.machine || 'an unnamed machine'}, exported by Fieldbench ${imported.fieldbenchVersion} (as of ${when(imported.exportedAt)})`,
    `  ${counts.notes} notes, ${counts.timelineEntries} timeline entries, ${counts.snapshots} snapshots, ${counts.attachments} attachments, ${counts.firmwareJobs} firmware updates`,
  ];
  if (imported.renumbered) lines.push('  Its ids were already in use here (imported before?), so it was stored as a new case.');
  io.out(lines.join('\n'));
}

function when(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

function printSummaries(io: Io, cases: readonly CaseSummary[], empty: string): void {
  if (cases.length === 0) {
    io.out(empty);
    return;
  }
  io.out(
    table([
      ['UPDATED', 'STATUS', 'SERIAL', 'NOTES', 'ID', 'TITLE'],
      ...cases.map((c) => [when(c.updatedAt), c.status, c.deviceSerial ?? '—', String(c.noteCount), c.id, c.title]),
    ]),
  );
}

/** A snippet for a terminal: hits in [brackets], since a terminal may not show bold. */
function plain(segments: readonly TextSegment[]): string {
  return segments.map((segment) => (segment.hit ? `[${segment.text}]` : segment.text)).join('');
}

function printSearch(io: Io, result: CaseSearchResult): void {
  if (result.hits.length === 0) {
    io.out('No cases match.');
    return;
  }
  const lines: string[] = [];
  for (const hit of result.hits) {
    lines.push(`${when(hit.updatedAt)}  ${hit.status.padEnd(8)}  ${hit.deviceSerial ?? '—'}  ${hit.title}  (${hit.caseId})`);
    for (const match of hit.matches) lines.push(`    ${match.field}: ${plain(match.snippet)}`);
  }
  const total = result.totalIsExact ? String(result.total) : `more than ${result.total}`;
  lines.push(`${total} matching case${result.total === 1 ? '' : 's'}${result.hits.length < result.total ? `, showing ${result.hits.length}` : ''}`);
  io.out(lines.join('\n'));
}

function printDetail(io: Io, detail: CaseDetail): void {
  const { fields } = detail;
  const rows: [string, string | null][] = [
    ['Case', `${detail.title} (${detail.id})`],
    ['Status', detail.status],
    ['Device', detail.deviceModel === null ? null : `${detail.deviceModel} ${detail.deviceSerial ?? ''}`.trim()],
    ['Serial', detail.deviceModel === null ? detail.deviceSerial : null],
    ['Customer', fields.customer],
    ['Asset', fields.assetId],
    ['Symptom', fields.symptom],
    ['Severity', fields.severity],
    ['Tags', fields.tags.length > 0 ? fields.tags.join(', ') : null],
    ['Resolution', fields.resolution],
    ['Root cause', fields.rootCause],
    ['Opened', when(detail.createdAt)],
    ['Updated', when(detail.updatedAt)],
  ];
  const lines = [table(rows.filter((row): row is [string, string] => row[1] !== null).map(([k, v]) => [`${k}:`, v]))];
  for (const attachment of detail.attachments) lines.push(`Attachment: ${attachment.fileName} (${attachment.mediaType}, ${attachment.size} bytes)`);
  for (const note of detail.notes) lines.push(`Note ${when(note.updatedAt)}: ${note.text}`);
  lines.push('Timeline:');
  for (const event of detail.timeline) lines.push(`  ${when(event.at)}  ${event.summary}`);
  io.out(lines.join('\n'));
}
