// The commands sent from a console, for Up/Down in its command line: oldest first, newest
// last, a command sent twice in a row kept once, and only the most recent ones.

export const MAX_HISTORY = 200;

export function withCommand(history: readonly string[], command: string, max = MAX_HISTORY): string[] {
  if (command.trim() === '') return [...history];
  const next = history.at(-1) === command ? [...history] : [...history, command];
  return next.length > max ? next.slice(next.length - max) : next;
}
