// Editing a case's support fields without losing anyone's work. A draft remembers the values
// it started from (and their revision); saving sends only what the person changed, with that
// revision, so the store refuses the save if someone else saved in between. The conflict is
// then laid out field by field: what this person typed, what is stored now, and which of
// the other changes a save would keep.
import type { ApiErrorShape } from '../../src-main/api/errors';
import { CaseTag, spellTag, type CaseDetail, type CaseFieldsPatch, type CaseSeverity, type CaseStatus } from '../../src-main/api/schemas';

/** The values the editor shows: text as typed ('' for not filled in), tags as chips. */
export interface CaseFieldValues {
  status: CaseStatus;
  customer: string;
  assetId: string;
  serialNumber: string;
  symptom: string;
  severity: CaseSeverity | '';
  tags: string[];
  resolution: string;
  rootCause: string;
}

export type CaseFieldName = keyof CaseFieldValues;

export const caseFieldNames: readonly CaseFieldName[] = ['status', 'customer', 'assetId', 'serialNumber', 'symptom', 'severity', 'tags', 'resolution', 'rootCause'];

export const caseFieldLabel: Record<CaseFieldName, string> = {
  status: 'Status',
  customer: 'Customer or site',
  assetId: 'Asset id',
  serialNumber: 'Serial number',
  symptom: 'Symptom',
  severity: 'Severity',
  tags: 'Tags',
  resolution: 'Resolution',
  rootCause: 'Root cause',
};

export const severityLabel: Record<CaseSeverity, string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };

export interface CaseFieldsDraft {
  caseId: string;
  /** The stored values the edit started from, and their revision (sent as expectedRevision). */
  base: CaseFieldValues;
  baseRevision: number;
  values: CaseFieldValues;
}

/** A save the store refused because the case moved on: the draft, and the case as it is now. */
export interface CaseFieldsConflict {
  caseId: string;
  mine: CaseFieldValues;
  theirs: CaseFieldValues;
  theirRevision: number;
  /** Fields both sides changed, each to a different value. */
  contested: CaseFieldName[];
  /** Fields only the other side changed: a save of this draft keeps them as they are stored. */
  kept: CaseFieldName[];
}

/** The editor's view of a stored case. */
export function fieldValuesOf(detail: Pick<CaseDetail, 'status' | 'deviceSerial' | 'fields'>): CaseFieldValues {
  const f = detail.fields;
  return {
    status: detail.status,
    customer: f.customer ?? '',
    assetId: f.assetId ?? '',
    serialNumber: detail.deviceSerial ?? '',
    symptom: f.symptom ?? '',
    severity: f.severity ?? '',
    tags: [...f.tags],
    resolution: f.resolution ?? '',
    rootCause: f.rootCause ?? '',
  };
}

export function newDraft(detail: CaseDetail): CaseFieldsDraft {
  const base = fieldValuesOf(detail);
  return { caseId: detail.id, base, baseRevision: detail.fields.revision, values: { ...base, tags: [...base.tags] } };
}

/** Text compares as the store keeps it (trimmed), tags as a set in the store's order. */
export function sameValue(name: CaseFieldName, a: CaseFieldValues, b: CaseFieldValues): boolean {
  if (name === 'tags') return a.tags.length === b.tags.length && a.tags.every((tag) => b.tags.includes(tag));
  const x = a[name];
  const y = b[name];
  return typeof x === 'string' && typeof y === 'string' ? x.trim() === y.trim() : x === y;
}

export function changedFields(from: CaseFieldValues, to: CaseFieldValues): CaseFieldName[] {
  return caseFieldNames.filter((name) => !sameValue(name, from, to));
}

export function draftIsDirty(draft: CaseFieldsDraft | null | undefined): boolean {
  return draft != null && changedFields(draft.base, draft.values).length > 0;
}

function textOrNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * The change request for exactly the fields that differ from the base. A serial number is
 * sent only for a case with no device: a device's serial is its own and cannot be typed over.
 */
export function patchOf(base: CaseFieldValues, values: CaseFieldValues, hasDevice: boolean): CaseFieldsPatch {
  const patch: CaseFieldsPatch = {};
  for (const name of changedFields(base, values)) {
    switch (name) {
      case 'status':
        patch.status = values.status;
        break;
      case 'severity':
        patch.severity = values.severity === '' ? null : values.severity;
        break;
      case 'tags':
        patch.tags = [...values.tags];
        break;
      case 'serialNumber':
        if (!hasDevice) patch.serialNumber = textOrNull(values.serialNumber);
        break;
      default:
        patch[name] = textOrNull(values[name]);
    }
  }
  return patch;
}

/** Lay out a refused save against the case as it is stored now. */
export function conflictOf(draft: CaseFieldsDraft, current: CaseDetail): CaseFieldsConflict {
  const theirs = fieldValuesOf(current);
  const mineChanged = changedFields(draft.base, draft.values);
  const theirChanged = changedFields(draft.base, theirs);
  return {
    caseId: draft.caseId,
    mine: draft.values,
    theirs,
    theirRevision: current.fields.revision,
    contested: mineChanged.filter((name) => theirChanged.includes(name) && !sameValue(name, draft.values, theirs)),
    kept: theirChanged.filter((name) => !mineChanged.includes(name)),
  };
}

/**
 * "Overwrite with mine": the draft moved onto the stored case, so that the next save (sent
 * with the stored revision) writes this person's changes and leaves the other changes alone.
 */
export function rebasedDraft(conflict: CaseFieldsConflict, mineChanged: readonly CaseFieldName[]): CaseFieldsDraft {
  const values: CaseFieldValues = { ...conflict.theirs, tags: [...conflict.theirs.tags] };
  for (const name of mineChanged) {
    if (name === 'tags') values.tags = [...conflict.mine.tags];
    else Object.assign(values, { [name]: conflict.mine[name] });
  }
  return { caseId: conflict.caseId, base: conflict.theirs, baseRevision: conflict.theirRevision, values };
}

/** A field's value in words, for the conflict table and the timeline. */
export function describeFieldValue(name: CaseFieldName, values: CaseFieldValues): string {
  if (name === 'tags') return values.tags.length === 0 ? '(no tags)' : values.tags.join(', ');
  if (name === 'severity') return values.severity === '' ? '(not set)' : severityLabel[values.severity];
  const value = values[name].trim();
  return value === '' ? '(empty)' : value;
}

const MAX_TAG_CHARS = CaseTag.maxLength ?? 60;

/**
 * A typed tag as the chip shows it, or why it cannot be one. The store normalises tags on
 * save (its rule decides); folding case and spaces here too means "Battery " and "battery"
 * show as one chip before the save, not after it.
 */
export function tagOf(raw: string, existing: readonly string[]): { tag: string } | { problem: ApiErrorShape } | null {
  const tag = spellTag(raw);
  if (tag === '') return null;
  if (tag.length > MAX_TAG_CHARS) {
    return {
      problem: {
        code: 'invalid-request',
        message: `that tag is ${tag.length} characters long; a tag has at most ${MAX_TAG_CHARS}`,
        step: 'tag case',
        hint: 'Use a shorter tag; put longer text in the symptom or a note.',
      },
    };
  }
  if (existing.includes(tag)) return null;
  return { tag };
}
