// A case's history as one list, oldest first: the core's timeline (opened, snapshot,
// status changes, firmware steps) with each note's creation slotted in at its time, so a
// reader sees what was written when, between the things that happened.
import type { CaseDetail, CaseEvent, CaseEventKind } from '../../src-main/api/schemas';
import { formatBytes } from '../format/format-transfer';
import { procedureRecordLines } from './procedure-words';

export type TimelineKind = CaseEventKind | 'note';

export interface TimelineEntry {
  key: string;
  at: string;
  kind: TimelineKind;
  summary: string;
  /** Lines under the summary: a procedure result's steps. */
  details?: string[];
}

export const timelineKindLabel: Record<TimelineKind, string> = {
  'case-opened': 'Case opened',
  snapshot: 'Diagnostics',
  'status-changed': 'Status',
  firmware: 'Firmware',
  'fields-changed': 'Fields',
  'attachment-added': 'Attachment',
  imported: 'Imported',
  procedure: 'Procedure',
  'log-mark': 'Log mark',
  note: 'Note',
};

/** A small sign beside each label; decoration only, the label carries the meaning. */
export const timelineKindMark: Record<TimelineKind, string> = {
  'case-opened': '○',
  snapshot: '≡',
  'status-changed': '⇄',
  firmware: '↧',
  'fields-changed': '✱',
  // ⎘ is missing from common UI fonts and shows as an empty box.
  'attachment-added': '⊕',
  imported: '⇲',
  procedure: '☑',
  'log-mark': '⚑',
  note: '✎',
};

const NOTE_EXCERPT_CHARS = 80;

function excerpt(text: string): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  return line.length > NOTE_EXCERPT_CHARS ? `${line.slice(0, NOTE_EXCERPT_CHARS - 1)}…` : line;
}

/** The store's names for the fields a 'fields-changed' event lists, in words. */
const changedFieldWords: Record<string, string> = {
  title: 'title',
  status: 'status',
  customer: 'customer or site',
  assetId: 'asset id',
  serialNumber: 'serial number',
  symptom: 'symptom',
  severity: 'severity',
  tags: 'tags',
  resolution: 'resolution',
  rootCause: 'root cause',
};

const VALUE_EXCERPT_CHARS = 60;

function quoted(value: string): string {
  const line = value.split('\n')[0]?.trim() ?? '';
  return `“${line.length > VALUE_EXCERPT_CHARS ? `${line.slice(0, VALUE_EXCERPT_CHARS - 1)}…` : line}”`;
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}

/** One change of a 'fields-changed' event in words, or null for a shape this renderer does not know. */
function describeFieldChange(change: unknown): string | null {
  if (typeof change !== 'object' || change === null) return null;
  const { field, from, to } = change as Record<string, unknown>;
  if (typeof field !== 'string') return null;
  const name = changedFieldWords[field] ?? field;
  if (field === 'tags') {
    const before = stringList(from) ?? [];
    const after = stringList(to);
    if (!after) return null;
    const added = after.filter((tag) => !before.includes(tag));
    const removed = before.filter((tag) => !after.includes(tag));
    const parts = [added.length > 0 ? `added ${added.join(', ')}` : null, removed.length > 0 ? `removed ${removed.join(', ')}` : null];
    return `tags: ${parts.filter(Boolean).join(' and ')}`;
  }
  if (to === null) return `cleared ${name}`;
  if (typeof to !== 'string') return null;
  return from === null ? `set ${name} to ${quoted(to)}` : `changed ${name} to ${quoted(to)}`;
}

/**
 * The sentence for one of the core's events. Field changes and attachments are told from
 * their details (what became what, which file); anything else, or details of a shape this
 * renderer does not know, keeps the core's own sentence.
 */
export function eventSentence(event: Pick<CaseEvent, 'kind' | 'summary' | 'data'>): string {
  const data = event.data;
  if (event.kind === 'fields-changed' && data && Array.isArray(data.changes)) {
    const parts = data.changes.map(describeFieldChange);
    if (parts.length > 0 && parts.every((part): part is string => part !== null)) {
      const sentence = parts.join('; ');
      return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}`;
    }
  }
  if (event.kind === 'attachment-added' && data && typeof data.fileName === 'string' && typeof data.size === 'number') {
    const type = typeof data.mediaType === 'string' ? `, ${data.mediaType}` : '';
    return `Attached ${data.fileName} (${formatBytes(data.size)}${type})`;
  }
  return event.summary;
}

export function caseTimeline(detail: Pick<CaseDetail, 'timeline' | 'notes'>): TimelineEntry[] {
  const entries: (TimelineEntry & { time: number; order: number })[] = [];
  detail.timeline.forEach((event, index) => {
    const details = event.kind === 'procedure' ? procedureRecordLines(event.data) : [];
    entries.push({ key: event.id, at: event.at, kind: event.kind, summary: eventSentence(event), time: Date.parse(event.at), order: index, details });
  });
  detail.notes.forEach((note, index) => {
    const text = excerpt(note.text);
    entries.push({
      key: `note-${note.id}`,
      at: note.createdAt,
      kind: 'note',
      summary: text ? `Note ${index + 1} written: “${text}”` : `Note ${index + 1} started`,
      time: Date.parse(note.createdAt),
      order: detail.timeline.length + index,
    });
  });
  // Same instant: the core's events first, then notes, each in their own order.
  entries.sort((a, b) => a.time - b.time || a.order - b.order);
  return entries.map(({ key, at, kind, summary, details }) => (details && details.length > 0 ? { key, at, kind, summary, details } : { key, at, kind, summary }));
}
