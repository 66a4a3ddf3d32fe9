// The dates of "Export production log" as the record's filter: the day fields are local
// calendar days, both included, while the contract's range is ISO instants with `to`
// excluded, so the end is the start of the day after.
import type { StationRunFilterInput } from '../../src-main/api/station-schemas';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function startOfLocalDay(text: string, addDays = 0): Date | null {
  const match = DAY.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(year, month - 1, day + addDays);
  // Date rolls 2026-02-31 over into March; a day that does not exist is refused instead.
  if (addDays === 0 && (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day)) return null;
  return date;
}

/** From and to as typed in date fields ('' for open-ended), or why they cannot be used. */
export function exportRange(from: string, to: string): { filter: Pick<StationRunFilterInput, 'from' | 'to'> } | { problem: string } {
  const filter: Pick<StationRunFilterInput, 'from' | 'to'> = {};
  if (from) {
    const start = startOfLocalDay(from);
    if (!start) return { problem: `"${from}" is not a date (YYYY-MM-DD).` };
    filter.from = start.toISOString();
  }
  if (to) {
    if (!startOfLocalDay(to)) return { problem: `"${to}" is not a date (YYYY-MM-DD).` };
    filter.to = startOfLocalDay(to, 1)!.toISOString();
  }
  if (filter.from && filter.to && filter.from >= filter.to) return { problem: 'The "to" day is before the "from" day.' };
  return { filter };
}
