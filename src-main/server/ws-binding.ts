// The WebSocket door: each frame is one request from the contract, answered through the
// same dispatch the Electron window uses; core events are pushed to every open socket.
import type { WebSocket } from 'ws';
import { eventChannels } from '../api/contract';
import type { Dispatch } from '../api/dispatch';
import { zodIssues } from '../api/dispatch';
import { WsClientMessage, type WsServerMessage } from '../api/ws-protocol';
import type { CoreEvents } from '../core/core';

/** A browser tab that stops reading must not make the server hold unbounded output for it. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export function bindWebSocket(socket: WebSocket, dispatch: Dispatch, events: CoreEvents): void {
  const send = (message: WsServerMessage) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.close(1013, 'client is not reading');
      return;
    }
    socket.send(JSON.stringify(message));
  };

  const unsubscribers = eventChannels.map((event) => events.on(event, (payload) => send({ kind: 'event', event, payload })));
  socket.on('close', () => unsubscribers.forEach((off) => off()));

  socket.on('message', (data, isBinary) => {
    void handleFrame(isBinary ? null : data.toString()).then(send);
  });

  async function handleFrame(text: string | null): Promise<WsServerMessage> {
    let json: unknown;
    try {
      json = text === null ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = WsClientMessage.safeParse(json);
    if (!parsed.success) {
      const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : -1;
      const issues = json === undefined ? [{ path: '(frame)', message: 'not a JSON text frame' }] : zodIssues(parsed.error);
      return {
        kind: 'response',
        id,
        envelope: {
          ok: false,
          error: {
            code: 'invalid-request',
            message: `malformed request frame: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            issues,
          },
        },
      };
    }
    const { id, channel, payload } = parsed.data;
    return { kind: 'response', id, envelope: await dispatch(channel, payload) };
  }
}
