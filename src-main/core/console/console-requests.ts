// The contract's console.* requests, over the console sessions. create-core builds the
// sessions from the serial registry, the capture worker and the case store, and hands these
// handlers to the dispatcher.
import type { Handlers } from '../../api/dispatch';
import type { ConsoleSessions } from './console-sessions';

type ConsoleHandlers = Pick<
  Handlers,
  | 'console.open'
  | 'console.configure'
  | 'console.close'
  | 'console.sessions'
  | 'console.captures'
  | 'console.send'
  | 'console.read'
  | 'console.locate'
  | 'console.search'
  | 'console.mark'
  | 'console.flags'
  | 'console.attach'
  | 'console.export'
>;

export function consoleRequests(sessions: ConsoleSessions): ConsoleHandlers {
  return {
    'console.open': async (request) => sessions.open(request),
    'console.configure': async (request) => sessions.configure(request),
    'console.close': async ({ captureId }) => sessions.close(captureId),
    'console.sessions': async () => sessions.sessions(),
    'console.captures': async (request) => sessions.captures(request),
    'console.send': async ({ captureId, text }) => sessions.send(captureId, text),
    'console.read': async ({ captureId, offset, count, filter }) => sessions.read(captureId, offset, count, filter),
    'console.locate': async ({ captureId, seq, filter }) => sessions.locate(captureId, seq, filter),
    'console.search': async ({ captureId, query, regex, ignoreCase, fromSeq, toSeq, limit }) =>
      sessions.search(captureId, {
        query,
        limit,
        ...(regex !== undefined ? { regex } : {}),
        ...(ignoreCase !== undefined ? { ignoreCase } : {}),
        ...(fromSeq !== undefined ? { fromSeq } : {}),
        ...(toSeq !== undefined ? { toSeq } : {}),
      }),
    'console.mark': async (request) => sessions.mark(request),
    'console.flags': async ({ captureId }) => sessions.flags(captureId),
    'console.attach': async (request) => sessions.attach(request),
    'console.export': async (request) => sessions.export(request),
  };
}
