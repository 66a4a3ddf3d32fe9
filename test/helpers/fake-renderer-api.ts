// A FieldbenchApi for renderer store tests: each channel answers through a handler that may
// return a value, throw, or return a promise the test settles when it chooses (to make
// answers arrive out of order); events are emitted by hand.
import type { EventChannel, EventOf, FieldbenchApi, RequestChannel, RequestOf, ResponseOf } from '../../src-main/api/contract';
import { ApiRequestError } from '../../src-renderer/api/api-request-error';

type Handler = (payload: never) => unknown;

export class FakeRendererApi implements FieldbenchApi {
  readonly calls: { channel: RequestChannel; payload: unknown }[] = [];
  private readonly handlers = new Map<RequestChannel, Handler>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  handle<C extends RequestChannel>(channel: C, handler: (payload: RequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>>): void {
    this.handlers.set(channel, handler as Handler);
  }

  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
    this.calls.push({ channel, payload });
    const handler = this.handlers.get(channel);
    if (!handler) return Promise.reject(new ApiRequestError({ code: 'unknown-channel', message: `no fake for ${channel}` }));
    try {
      return Promise.resolve(handler(payload as never) as ResponseOf<C>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const wrapped = (p: unknown) => listener(p as EventOf<E>);
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    this.listeners.get(event)?.forEach((listener) => listener(payload));
  }

  callsTo<C extends RequestChannel>(channel: C): RequestOf<C>[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.payload as RequestOf<C>);
  }
}

/** A promise and the functions that settle it, for answers that arrive when the test says. */
export function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
