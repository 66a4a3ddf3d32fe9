// The lines of one live log kept in memory: the newest `capacity` of them, with a count of
// the older ones let go, so a device that logs for hours cannot fill the renderer's memory.
import { logLevelOf, withoutTerminalCodes, type LogLevel } from './log-line';

export interface LogEntry {
  /** Unique within the buffer's life (clears included): the line's key in the view. */
  seq: number;
  /** When the host received it (ISO). */
  at: string;
  text: string;
  level: LogLevel | null;
}

export interface LogBuffer {
  entries: readonly LogEntry[];
  /** Lines received since the last clear, kept or not. */
  captured: number;
  /** Lines received since the last clear that no longer fit. */
  dropped: number;
  nextSeq: number;
}

/** Enough for minutes of a chatty device, few enough that every render stays quick. */
export const LOG_CAPACITY = 5000;

export const EMPTY_LOG: LogBuffer = Object.freeze({ entries: Object.freeze([]) as readonly LogEntry[], captured: 0, dropped: 0, nextSeq: 0 });

export function appendToLog(buffer: LogBuffer, lines: readonly { at: string; text: string }[], capacity = LOG_CAPACITY): LogBuffer {
  if (lines.length === 0) return buffer;
  let seq = buffer.nextSeq;
  const added = lines.map((line): LogEntry => {
    const text = withoutTerminalCodes(line.text);
    return { seq: seq++, at: line.at, text, level: logLevelOf(text) };
  });
  const all = buffer.entries.concat(added);
  const over = Math.max(0, all.length - capacity);
  return {
    entries: over > 0 ? all.slice(over) : all,
    captured: buffer.captured + lines.length,
    dropped: buffer.dropped + over,
    nextSeq: seq,
  };
}

/** Empty, counting from zero again; sequence numbers go on so no key is reused. */
export function clearLog(buffer: LogBuffer): LogBuffer {
  return { entries: [], captured: 0, dropped: 0, nextSeq: buffer.nextSeq };
}

/** "1 older line dropped from view", "1,200 older lines dropped from view"; null when none were. */
export function droppedText(dropped: number): string | null {
  if (dropped <= 0) return null;
  return `${dropped.toLocaleString('en-US')} older ${dropped === 1 ? 'line' : 'lines'} dropped from view`;
}
