// The preload: exposes window.fieldbench with the contract's two verbs and nothing else.
// It runs sandboxed, so it is bundled into one CommonJS file; it imports only the zod-free
// channel lists, and the page never sees ipcRenderer or an IPC event object.
import { contextBridge, ipcRenderer } from 'electron';
import type { ContextBridge, IpcRenderer, IpcRendererEvent } from 'electron';
import {
  eventChannelNames,
  IPC_EVENT,
  IPC_INVOKE,
  requestChannelNames,
} from '../src-main/api/channels';
import type { Envelope, PreloadBridge } from '../src-main/api/contract';

const knownRequests: ReadonlySet<string> = new Set(requestChannelNames);
const knownEvents: ReadonlySet<string> = new Set(eventChannelNames);

type Listener = (payload: unknown) => void;

/** Builds the bridge over an ipcRenderer; exported so it can be tested with a fake one. */
export function createPreloadBridge(ipc: Pick<IpcRenderer, 'invoke' | 'on'>): PreloadBridge {
  const listeners = new Map<string, Set<Listener>>();

  // One IPC listener for all events; the page's listeners get the payload alone.
  ipc.on(IPC_EVENT, (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
    if (typeof name !== 'string') return;
    for (const listener of listeners.get(name) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        // One failing listener must not keep the event from the others.
        console.error(`fieldbench: a listener for ${name} failed`, error);
      }
    }
  });

  return {
    invoke(channel: string, payload: unknown): Promise<Envelope> {
      if (typeof channel !== 'string' || !knownRequests.has(channel)) {
        return Promise.resolve({
          ok: false,
          error: {
            code: 'unknown-channel',
            message: `no request named ${JSON.stringify(String(channel)).slice(0, 80)}`,
            hint: 'The window and the app are from different versions; restart Fieldbench.',
          },
        });
      }
      return ipc.invoke(IPC_INVOKE, channel, payload) as Promise<Envelope>;
    },

    on(event: string, listener: Listener): () => void {
      if (typeof event !== 'string' || !knownEvents.has(event)) {
        throw new TypeError(`fieldbench: no event named ${JSON.stringify(String(event)).slice(0, 80)}`);
      }
      if (typeof listener !== 'function') throw new TypeError('fieldbench: the listener must be a function');
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      // Wrapped, so the same function subscribed twice gets two independent subscriptions.
      const subscription: Listener = (payload) => listener(payload);
      set.add(subscription);
      return () => {
        set.delete(subscription);
      };
    },
  };
}

export function exposeBridge(bridge: Pick<ContextBridge, 'exposeInMainWorld'>, ipc: Pick<IpcRenderer, 'invoke' | 'on'>): void {
  const api = createPreloadBridge(ipc);
  // Only the two functions cross the bridge, never the object behind them.
  bridge.exposeInMainWorld('fieldbench', {
    invoke: (channel: string, payload: unknown) => api.invoke(channel, payload),
    on: (event: string, listener: Listener) => api.on(event, listener),
  } satisfies PreloadBridge);
}

exposeBridge(contextBridge, ipcRenderer);
