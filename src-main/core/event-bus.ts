// Typed events from the core to every door. Each payload is checked against the contract
// before it leaves, so a client never receives something its schema would refuse.
import { events, type EventChannel, type EventOf } from '../api/contract';
import type { CoreEvents } from './core';

type Listener = (payload: unknown) => void;

export class EventBus implements CoreEvents {
  private readonly listeners = new Map<EventChannel, Set<Listener>>();

  constructor(private readonly onListenerError?: (event: EventChannel, error: unknown) => void) {}

  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const entry = listener as Listener;
    set.add(entry);
    return () => set.delete(entry);
  }

  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    const checked = events[event].parse(payload);
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(checked);
      } catch (error) {
        // One broken subscriber (a closed socket, a destroyed window) must not starve the others.
        this.onListenerError?.(event, error);
      }
    }
  }
}
