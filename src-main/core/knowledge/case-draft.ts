// "Write an article from this case": a resolved case becomes a draft article, its front
// matter filled with what a suggestion needs (the readings that failed, the error codes of
// the firmware steps that failed, the model and firmware) and its body with what the next
// engineer reads (symptom, what was measured, what failed, the notes' gist, resolution and
// root cause). The draft is a starting point an engineer edits, not a finished article.
import { stringify } from 'yaml';
import { FieldbenchError } from '../../api/errors';
import type { CaseDetail, Reading } from '../../api/schemas';
import { firmwareFailures } from './observations';
import { errorCodesInText } from './suggest-articles';

const MAX_NOTES = 10;
const NOTE_LINE_CHARS = 200;

export interface CaseDraft {
  /** The article id, also the file's base name. */
  id: string;
  text: string;
}

/** The draft's Markdown; `suffix` makes the id unique when a draft of that name exists. */
export function draftFromCase(detail: CaseDetail, writtenAt: Date, suffix = ''): CaseDraft {
  if (detail.status !== 'resolved') {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `the case '${detail.title}' is ${detail.status}, not resolved`,
      step: 'write article from case',
      hint: 'Fill in its resolution and root cause and mark it resolved, then write the article: a draft is only worth having once the fix is known.',
    });
  }
  const id = `${slug(detail.title)}${suffix}`;
  const { fields } = detail;
  const identity = detail.snapshot?.identity ?? detail.device?.identity ?? null;
  const model = detail.device?.profileId ?? identity?.model ?? detail.deviceModel;
  const failing = (detail.snapshot?.readings ?? []).filter((r) => r.status !== 'ok');
  const failures = firmwareFailures(detail);
  const codes = failures.flatMap(errorCodesInText);

  const frontMatter = {
    id,
    title: detail.title,
    symptoms: fields.symptom ? fields.symptom.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).slice(0, 5).map((line) => clip(line, 300)) : [],
    errorCodes: codes.map((code) => ({ kind: code.kind, code: code.code })),
    readings: failing.map((r) => ({ id: r.id, status: r.status })),
    models: model ? [model] : [],
    ...(identity?.firmwareVersion ? { firmware: identity.firmwareVersion } : {}),
    tags: [...fields.tags.slice(0, 29), 'from-case'],
  };

  const body: string[] = [`# ${oneLine(detail.title)}`, ''];
  body.push(`> Draft written on ${writtenAt.toISOString().slice(0, 10)} from case ${detail.id}. Check every section, add the log patterns that identify the fault, then move the file out of drafts/ to publish it.`, '');
  body.push('## Symptoms', '');
  body.push(fields.symptom ? fields.symptom.trim() : '_No symptom was recorded on the case._', '');
  if (fields.severity) body.push(`Severity on the case: **${fields.severity}**.`, '');
  body.push('## Affected devices', '');
  const device = [detail.deviceModel ?? identity?.model, identity?.firmwareVersion ? `firmware ${identity.firmwareVersion}` : null, identity?.hardwareRevision ? `hardware ${identity.hardwareRevision}` : null]
    .filter(Boolean)
    .join(', ');
  body.push(device ? `- ${device}` : '- _The case has no device attached._', '');
  if (failing.length > 0) {
    body.push('## What the diagnostics showed', '', '| Reading | Value | Status | Limits |', '|---|---|---|---|');
    for (const reading of failing) body.push(`| ${cell(reading.label)} | ${cell(valueOf(reading))} | ${reading.status} | ${cell(reading.limits ?? '')} |`);
    body.push('');
  }
  if (failures.length > 0) {
    body.push('## Firmware steps that failed', '');
    for (const failure of failures) body.push(`- ${oneLine(failure)}`);
    body.push('');
  }
  const notes = detail.notes
    .map((note) => note.text.split(/\r?\n/).find((line) => line.trim() !== '')?.trim())
    .filter((line): line is string => Boolean(line))
    .slice(0, MAX_NOTES);
  if (notes.length > 0) {
    body.push('## From the case notes', '');
    for (const note of notes) body.push(`- ${clip(note, NOTE_LINE_CHARS)}`);
    body.push('');
  }
  body.push('## Resolution', '', fields.resolution?.trim() || '_Write the steps that fixed it._', '');
  body.push('## Root cause', '', fields.rootCause?.trim() || '_Write what caused it._', '');
  return { id, text: `---\n${stringify(frontMatter, { lineWidth: 0 })}---\n\n${body.join('\n')}` };
}

/** A kebab-case id from a title: lower-case letters and digits, at most 60 characters. */
export function slug(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents, split off by NFKD
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = words.slice(0, 60).replace(/-+$/, '');
  return cut || 'case';
}

function valueOf(reading: Reading): string {
  if (reading.value === null) return reading.message ?? '—';
  return `${String(reading.value)}${reading.unit ? ` ${reading.unit}` : ''}`;
}

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
