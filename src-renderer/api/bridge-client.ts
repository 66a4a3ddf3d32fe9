// The Electron door: window.fieldbench (the sandboxed preload) carries each request over
// IPC and answers with an Envelope. This client unwraps envelopes into values or
// ApiRequestErrors and puts a deadline on every request.
import type {
  EventChannel,
  EventOf,
  FieldbenchApi,
  PreloadBridge,
  RequestChannel,
  RequestOf,
  ResponseOf,
} from '../../src-main/api/contract';
import { ApiRequestError, toApiRequestError } from './api-request-error';
import { createConnectionSource, type ConnectionSource } from './connection-state';
import { defaultDeadlineFor, withDeadline, type DeadlineFor } from './request-deadlines';

export interface BridgeClientOptions {
  deadlineFor?: DeadlineFor;
}

export interface ConnectedApi {
  api: FieldbenchApi;
  connection: ConnectionSource;
}

export function createBridgeClient(bridge: PreloadBridge, options: BridgeClientOptions = {}): ConnectedApi {
  const deadlineFor = options.deadlineFor ?? defaultDeadlineFor;

  async function call(channel: RequestChannel, payload: unknown): Promise<unknown> {
    let envelope;
    try {
      envelope = await bridge.invoke(channel, payload);
    } catch (error) {
      // The preload itself failed (IPC torn down, window closing): not a contract answer.
      throw toApiRequestError(error, channel);
    }
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.ok !== 'boolean') {
      throw new ApiRequestError({ code: 'internal', message: 'the desktop bridge sent an answer without an envelope', step: channel }, channel);
    }
    if (envelope.ok) return envelope.value;
    throw toApiRequestError(envelope.error, channel);
  }

  const api: FieldbenchApi = {
    invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
      return withDeadline(call(channel, payload), channel, deadlineFor(channel)) as Promise<ResponseOf<C>>;
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
      return bridge.on(event, (payload) => listener(payload as EventOf<E>));
    },
  };

  const connection = createConnectionSource({ status: 'open', door: 'electron', attempt: 0, retryAt: null, reason: null });
  return { api, connection };
}
