// The browser door: one WebSocket to `fieldbench serve` at ws://HOST/api carrying
// WsClientMessage frames out and WsServerMessage frames back (src-main/api/ws-protocol).
//
// - Requests are correlated by a numeric id and each has a deadline.
// - A request made while a socket is still connecting waits for it (within its deadline).
// - When the socket drops, requests already sent are rejected with 'unavailable' at once:
//   the core may or may not have carried them out, and only the caller knows whether a
//   retry is harmless (saving a note is; the autosaver retries by itself).
// - The client reconnects with exponential backoff. The server pushes every event to every
//   socket, so listeners stay registered here across reconnects; the connection state going
//   back to 'open' is the cue for stores to refetch what they missed while it was down.
import type {
  EventChannel,
  EventOf,
  FieldbenchApi,
  RequestChannel,
  RequestOf,
  ResponseOf,
} from '../../src-main/api/contract';
import { isEventChannel } from '../../src-main/api/contract';
import { WS_MAX_FRAME_BYTES, WsServerMessage, type WsClientMessage } from '../../src-main/api/ws-protocol';
import { ApiRequestError, toApiRequestError } from './api-request-error';
import type { ConnectedApi } from './bridge-client';
import { createConnectionSource, type ConnectionState } from './connection-state';
import { defaultDeadlineFor, deadlineError, type DeadlineFor } from './request-deadlines';

/** The part of the DOM WebSocket this client uses, so tests can inject a fake class. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export interface WebSocketClientOptions {
  WebSocketImpl?: WebSocketConstructor;
  deadlineFor?: DeadlineFor;
  backoff?: BackoffOptions;
  /** Told about frames that break the wire format (they are dropped). */
  onProtocolError?: (message: string) => void;
}

export interface WebSocketClient extends ConnectedApi {
  /** Skip the rest of the backoff wait and try to connect now. */
  reconnectNow(): void;
  /** Close for good: pending requests are rejected and no reconnect follows. */
  close(): void;
}

const OPEN = 1;
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, factor: 2 };

interface PendingRequest {
  channel: string;
  frame: string;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve(value: unknown): void;
  reject(error: ApiRequestError): void;
}

export function reconnectDelayMs(attempt: number, backoff: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, attempt - 1));
}

function unavailable(channel: string, message: string): ApiRequestError {
  return new ApiRequestError(
    {
      code: 'unavailable',
      message,
      step: channel,
      hint: 'Fieldbench reconnects by itself; check that `fieldbench serve` is still running, then try again.',
    },
    channel,
  );
}

export function createWebSocketClient(url: string, options: WebSocketClientOptions = {}): WebSocketClient {
  const WebSocketImpl = options.WebSocketImpl ?? (globalThis.WebSocket as unknown as WebSocketConstructor);
  const deadlineFor = options.deadlineFor ?? defaultDeadlineFor;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const onProtocolError = options.onProtocolError ?? ((message: string) => console.warn(`fieldbench: ${message}`));

  const connection = createConnectionSource({ status: 'connecting', door: 'browser', attempt: 0, retryAt: null, reason: null });
  const setConnection = (patch: Partial<ConnectionState>) => connection.set({ ...connection.get(), ...patch });

  const pending = new Map<number, PendingRequest>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  let closedForGood = false;

  function settle(id: number): PendingRequest | undefined {
    const request = pending.get(id);
    if (!request) return undefined;
    pending.delete(id);
    clearTimeout(request.timer);
    return request;
  }

  function sendFrame(id: number, request: PendingRequest): void {
    if (!socket || socket.readyState !== OPEN) return;
    try {
      socket.send(request.frame);
      request.sent = true;
    } catch (error) {
      settle(id)?.reject(unavailable(request.channel, `could not send the request: ${toApiRequestError(error).message}`));
    }
  }

  function handleFrame(data: unknown): void {
    let json: unknown;
    try {
      json = typeof data === 'string' ? JSON.parse(data) : undefined;
    } catch {
      json = undefined;
    }
    const parsed = WsServerMessage.safeParse(json);
    if (!parsed.success) {
      onProtocolError('dropped a frame from the server that is not a WsServerMessage');
      return;
    }
    const message = parsed.data;
    if (message.kind === 'response') {
      // A response for a request that already timed out (or was never ours) is dropped.
      const request = settle(message.id);
      if (!request) return;
      if (message.envelope.ok) request.resolve(message.envelope.value);
      else request.reject(toApiRequestError(message.envelope.error, request.channel));
      return;
    }
    if (!isEventChannel(message.event)) return;
    for (const listener of [...(listeners.get(message.event) ?? [])]) {
      try {
        listener(message.payload);
      } catch (error) {
        onProtocolError(`a listener for ${message.event} failed: ${String(error)}`);
      }
    }
  }

  function connect(): void {
    retryTimer = null;
    setConnection({ status: attempt === 0 ? 'connecting' : 'reconnecting', retryAt: null });
    let current: WebSocketLike;
    try {
      current = new WebSocketImpl(url);
    } catch (error) {
      dropped(`cannot open ${url}: ${toApiRequestError(error).message}`);
      return;
    }
    socket = current;
    current.onopen = () => {
      if (socket !== current) return;
      attempt = 0;
      setConnection({ status: 'open', attempt: 0, retryAt: null, reason: null });
      for (const [id, request] of pending) if (!request.sent) sendFrame(id, request);
    };
    current.onmessage = (event) => {
      if (socket === current) handleFrame(event.data);
    };
    current.onerror = () => {
      // A close event always follows; that is where the drop is handled.
    };
    current.onclose = (event) => {
      if (socket !== current) return;
      socket = null;
      const why = event.reason ? `${event.reason} (code ${event.code})` : `code ${event.code}`;
      dropped(`the connection to Fieldbench closed: ${why}`);
    };
  }

  function dropped(reason: string): void {
    socket = null;
    // Everything still waiting fails now: a sent request may or may not have been carried
    // out, and an unsent one would otherwise sit through the whole backoff.
    for (const [id, request] of [...pending]) {
      settle(id);
      request.reject(
        unavailable(
          request.channel,
          request.sent ? 'the connection to Fieldbench dropped before it answered' : 'not connected to Fieldbench',
        ),
      );
    }
    if (closedForGood) return;
    attempt += 1;
    const delay = reconnectDelayMs(attempt, backoff);
    setConnection({ status: 'reconnecting', attempt, retryAt: Date.now() + delay, reason });
    retryTimer = setTimeout(connect, delay);
  }

  const api: FieldbenchApi = {
    invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
      return new Promise<ResponseOf<C>>((resolve, reject) => {
        if (closedForGood) return reject(unavailable(channel, 'the connection to Fieldbench was closed'));
        if (!socket) return reject(unavailable(channel, 'not connected to Fieldbench'));
        const id = nextId++;
        const message: WsClientMessage = { id, channel, payload };
        const frame = JSON.stringify(message);
        if (frame.length > WS_MAX_FRAME_BYTES) {
          return reject(new ApiRequestError({ code: 'invalid-request', message: 'the request is too large to send', step: channel }, channel));
        }
        const deadline = deadlineFor(channel);
        const request: PendingRequest = {
          channel,
          frame,
          sent: false,
          resolve: resolve as (value: unknown) => void,
          reject,
          timer: setTimeout(() => settle(id)?.reject(deadlineError(channel, deadline)), deadline),
        };
        pending.set(id, request);
        sendFrame(id, request);
      });
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
      const wrapped = (payload: unknown) => listener(payload as EventOf<E>);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(wrapped);
      return () => {
        listeners.get(event)?.delete(wrapped);
      };
    },
  };

  connect();

  return {
    api,
    connection,
    reconnectNow() {
      if (closedForGood || retryTimer === null) return;
      clearTimeout(retryTimer);
      connect();
    },
    close() {
      closedForGood = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      const current = socket;
      socket = null;
      for (const [id, request] of [...pending]) {
        settle(id);
        request.reject(unavailable(request.channel, 'the connection to Fieldbench was closed'));
      }
      current?.close(1000, 'client closed');
      setConnection({ status: 'closed', retryAt: null, reason: 'closed' });
    },
  };
}
