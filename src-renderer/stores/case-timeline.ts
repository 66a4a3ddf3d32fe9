// A case's history as one list, oldest first: the core's timeline (opened, snapshot,
// status changes, firmware steps) with each note's creation slotted in at its time, so a
// reader sees what was written when, between the things that happened.
import type { CaseDetail, CaseEventKind } from '../../src-main/api/schemas';

export type TimelineKind = CaseEventKind | 'note';

export interface TimelineEntry {
  key: string;
  at: string;
  kind: TimelineKind;
  summary: string;
}

export const timelineKindLabel: Record<TimelineKind, string> = {
  'case-opened': 'Case opened',
  snapshot: 'Diagnostics',
  'status-changed': 'Status',
  firmware: 'Firmware',
  'fields-changed': 'Fields',
  'attachment-added': 'Attachment',
  imported: 'Imported',
  note: 'Note',
};

/** A small sign beside each label; decoration only, the label carries the meaning. */
export const timelineKindMark: Record<TimelineKind, string> = {
  'case-opened': '○',
  snapshot: '≡',
  'status-changed': '⇄',
  firmware: '↧',
  'fields-changed': '✱',
  'attachment-added': '⎘',
  imported: '⇲',
  note: '✎',
};

const NOTE_EXCERPT_CHARS = 80;

function excerpt(text: string): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  return line.length > NOTE_EXCERPT_CHARS ? `${line.slice(0, NOTE_EXCERPT_CHARS - 1)}…` : line;
}

export function caseTimeline(detail: Pick<CaseDetail, 'timeline' | 'notes'>): TimelineEntry[] {
  const entries: (TimelineEntry & { time: number; order: number })[] = [];
  detail.timeline.forEach((event, index) => {
    entries.push({ key: event.id, at: event.at, kind: event.kind, summary: event.summary, time: Date.parse(event.at), order: index });
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
  return entries.map(({ key, at, kind, summary }) => ({ key, at, kind, summary }));
}
