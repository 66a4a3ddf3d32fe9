// What a live log view shows besides the lines: whether it keeps to the newest line (it stops
// when the person scrolls up to read, and says how many lines came since), and a paused view
// that holds still while capture goes on.
import type { LogBuffer, LogEntry } from './log-buffer';

/** How close to the bottom (px) still counts as at the bottom: a wheel notch short of it is. */
export const BOTTOM_SLACK_PX = 24;

export function isAtBottom(metrics: { scrollTop: number; scrollHeight: number; clientHeight: number }, slack = BOTTOM_SLACK_PX): boolean {
  return metrics.scrollHeight - metrics.scrollTop - metrics.clientHeight <= slack;
}

export interface AutoScroll {
  /** Keep the newest line in view. */
  pinned: boolean;
  /** Lines that arrived while not pinned: what "Jump to latest" would bring into view. */
  unseen: number;
}

export const PINNED: AutoScroll = Object.freeze({ pinned: true, unseen: 0 });

/** The person scrolled: back at the bottom pins again, anywhere above unpins. */
export function afterUserScroll(state: AutoScroll, atBottom: boolean): AutoScroll {
  if (atBottom) return state.pinned && state.unseen === 0 ? state : PINNED;
  return state.pinned ? { pinned: false, unseen: 0 } : state;
}

export function afterLinesShown(state: AutoScroll, count: number): AutoScroll {
  if (state.pinned || count <= 0) return state;
  return { pinned: false, unseen: state.unseen + count };
}

/** A paused view: the lines as they were when Pause was pressed, and how many had been captured then. */
export interface PausedLog {
  entries: readonly LogEntry[];
  captured: number;
}

export function pauseLog(buffer: LogBuffer): PausedLog {
  return { entries: buffer.entries, captured: buffer.captured };
}

/** Lines captured since the pause; a clear ends the pause, so the count never runs backwards. */
export function capturedSincePause(buffer: LogBuffer, paused: PausedLog): number {
  return Math.max(0, buffer.captured - paused.captured);
}

export function linesText(count: number): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? 'line' : 'lines'}`;
}
