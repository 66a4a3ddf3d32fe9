// Up and Down on the console's command line walk the commands sent before, newest first, the
// way a shell does; what was being typed is kept and comes back past the newest.

export interface HistoryCursor {
  /** Index into the history being shown; null: the person's own draft. */
  index: number | null;
  /** What was typed before the walk began. */
  draft: string;
}

export const AT_DRAFT: HistoryCursor = Object.freeze({ index: null, draft: '' });

export interface HistoryStep {
  text: string;
  cursor: HistoryCursor;
}

/** An older command; stays on the oldest. */
export function historyUp(history: readonly string[], cursor: HistoryCursor, current: string): HistoryStep {
  if (history.length === 0) return { text: current, cursor };
  if (cursor.index === null) {
    const index = history.length - 1;
    return { text: history[index]!, cursor: { index, draft: current } };
  }
  const index = Math.max(0, Math.min(cursor.index, history.length) - 1);
  return { text: history[index]!, cursor: { index, draft: cursor.draft } };
}

/** A newer command, or back to the draft after the newest. */
export function historyDown(history: readonly string[], cursor: HistoryCursor, current: string): HistoryStep {
  if (cursor.index === null) return { text: current, cursor };
  const index = cursor.index + 1;
  if (index >= history.length) return { text: cursor.draft, cursor: AT_DRAFT };
  return { text: history[index]!, cursor: { index, draft: cursor.draft } };
}
