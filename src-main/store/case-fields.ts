// The support fields of a case as the store keeps them: a change request turned into column
// values, tags normalised so that "Battery ", "battery" and "BATTERY" are one tag, and the
// difference between before and after, which is what the timeline records.
import { FieldbenchError } from '../api/errors';
import { CaseTag, spellTag, type CaseFieldsPatch, type CaseSeverity, type CaseStatus } from '../api/schemas';

/** A case's editable values, as stored: null where nothing is filled in. */
export interface CaseFieldValues {
  title: string;
  status: CaseStatus;
  customer: string | null;
  assetId: string | null;
  serialNumber: string | null;
  symptom: string | null;
  severity: CaseSeverity | null;
  tags: string[];
  resolution: string | null;
  rootCause: string | null;
}

export type CaseFieldName = keyof CaseFieldValues;

export interface FieldChange {
  field: CaseFieldName;
  from: CaseFieldValues[CaseFieldName];
  to: CaseFieldValues[CaseFieldName];
}

const MAX_TAG_LENGTH = CaseTag.maxLength ?? 60;

/** Lower-case, Unicode-normalised (NFC), whitespace collapsed to one space; null for a blank tag. */
export function normalizeTag(raw: string): string | null {
  const tag = spellTag(raw);
  if (tag.length === 0) return null;
  if (tag.length > MAX_TAG_LENGTH) {
    throw new FieldbenchError({
      code: 'invalid-request',
      message: `the tag "${tag.slice(0, 40)}…" is ${tag.length} characters long; a tag has at most ${MAX_TAG_LENGTH}`,
      step: 'tag case',
      hint: 'Use a shorter tag; put longer text in the symptom or a note.',
    });
  }
  return tag;
}

/** Each tag once, blank ones dropped, sorted, so the stored set does not depend on how it was typed. */
export function normalizeTags(raw: readonly string[]): string[] {
  const tags = new Set<string>();
  for (const item of raw) {
    const tag = normalizeTag(item);
    if (tag !== null) tags.add(tag);
  }
  return [...tags].sort();
}

/** A free-text field as stored: trimmed, and null when empty. */
function text(value: string | null): string | null {
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed.length === 0 ? null : trimmed;
}

/** The values after applying a patch; fields the patch leaves out keep their current value. */
export function applyPatch(current: CaseFieldValues, patch: CaseFieldsPatch): CaseFieldValues {
  return {
    title: patch.title === undefined ? current.title : patch.title.trim(),
    status: patch.status ?? current.status,
    customer: patch.customer === undefined ? current.customer : text(patch.customer),
    assetId: patch.assetId === undefined ? current.assetId : text(patch.assetId),
    serialNumber: patch.serialNumber === undefined ? current.serialNumber : text(patch.serialNumber),
    symptom: patch.symptom === undefined ? current.symptom : text(patch.symptom),
    severity: patch.severity === undefined ? current.severity : patch.severity,
    tags: patch.tags === undefined ? current.tags : normalizeTags(patch.tags),
    resolution: patch.resolution === undefined ? current.resolution : text(patch.resolution),
    rootCause: patch.rootCause === undefined ? current.rootCause : text(patch.rootCause),
  };
}

export function changesBetween(before: CaseFieldValues, after: CaseFieldValues): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of Object.keys(after) as CaseFieldName[]) {
    const from = before[field];
    const to = after[field];
    const same = Array.isArray(from) && Array.isArray(to) ? from.join('\n') === to.join('\n') : from === to;
    if (!same) changes.push({ field, from, to });
  }
  return changes;
}

const FIELD_LABELS: Record<CaseFieldName, string> = {
  title: 'title',
  status: 'status',
  customer: 'customer',
  assetId: 'asset id',
  serialNumber: 'serial number',
  symptom: 'symptom',
  severity: 'severity',
  tags: 'tags',
  resolution: 'resolution',
  rootCause: 'root cause',
};

/** One sentence for the timeline: "Changed severity (high), tags (+battery −radio), symptom". */
export function describeChanges(changes: readonly FieldChange[]): string {
  const parts = changes.map((change) => {
    const label = FIELD_LABELS[change.field];
    if (change.field === 'tags' && Array.isArray(change.from) && Array.isArray(change.to)) {
      const from = change.from;
      const to = change.to;
      const added = to.filter((tag) => !from.includes(tag)).map((tag) => `+${tag}`);
      const removed = from.filter((tag) => !to.includes(tag)).map((tag) => `−${tag}`);
      return `${label} (${[...added, ...removed].join(' ')})`;
    }
    if (change.to === null) return `${label} (cleared)`;
    if (change.field === 'severity') return `${label} (${String(change.to)})`;
    return label;
  });
  return `Changed ${parts.join(', ')}`;
}
