// A range of capture lines picked in the log view: a click sets one end, a shift-click the
// other. It holds line numbers (seq), not view offsets, so it stays the same lines when the
// filter changes. "From mark to now" is a range whose end is the capture's end.
import type { CaptureRange } from '../../src-main/api/console-schemas';

export interface RowSelection {
  anchor: number;
  /** null: open-ended, to the newest line at the time it is used. */
  focus: number | null;
}

/** A click (or shift-click) on the row with this seq. */
export function selectRow(selection: RowSelection | null, seq: number, extend: boolean): RowSelection {
  if (extend && selection) return { anchor: selection.anchor, focus: seq };
  return { anchor: seq, focus: seq };
}

export function fromSeqToNow(seq: number): RowSelection {
  return { anchor: seq, focus: null };
}

/** The selection as the contract's inclusive range, lower end first. */
export function selectionRange(selection: RowSelection): CaptureRange {
  if (selection.focus === null) return { fromSeq: selection.anchor };
  return { fromSeq: Math.min(selection.anchor, selection.focus), toSeq: Math.max(selection.anchor, selection.focus) };
}

export function isSelected(selection: RowSelection | null, seq: number): boolean {
  if (!selection) return false;
  const range = selectionRange(selection);
  return seq >= (range.fromSeq ?? 0) && (range.toSeq === undefined || seq <= range.toSeq);
}

/** "lines 120–480", "line 7", "lines 120 to the newest". */
export function selectionText(selection: RowSelection): string {
  const range = selectionRange(selection);
  if (range.toSeq === undefined) return `lines ${range.fromSeq} to the newest`;
  return range.fromSeq === range.toSeq ? `line ${range.fromSeq}` : `lines ${range.fromSeq}–${range.toSeq}`;
}
