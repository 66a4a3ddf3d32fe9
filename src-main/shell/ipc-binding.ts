// The Electron door to the core, and the only module that touches ipcMain. One invoke
// channel carries (channel, payload) to the same dispatch every other door uses; one event
// channel carries core events to the window. The sender of every call is checked before
// anything else happens, because any frame that manages to load in the window could try
// to call in.
import { ipcMain } from 'electron';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { eventChannels, IPC_EVENT, IPC_INVOKE, type Envelope } from '../api/contract';
import type { Dispatch } from '../api/dispatch';
import type { CoreEvents } from '../core/core';
import { isAppUrl, type RendererLocation } from './renderer-location';
import type { ShellLog } from './security';

/** The parts of an invoke event the binding reads; a real IpcMainInvokeEvent has them all. */
export type InvokeEventLike = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

export interface IpcBindingDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  dispatch: Dispatch;
  events: CoreEvents;
  /** The window's web contents: the only sender answered, the only receiver of events. */
  target: Pick<WebContents, 'send' | 'id' | 'isDestroyed'>;
  /** Checked after the sender id matches target: is the calling frame the app's own page? */
  isTrustedSender(event: InvokeEventLike): boolean;
  log?: ShellLog;
}

/** Registers the handler and the event forwarding; the returned function undoes both. */
export function bindIpc(deps: IpcBindingDeps): () => void {
  const log = deps.log ?? (() => undefined);

  deps.ipcMain.handle(IPC_INVOKE, async (event: InvokeEventLike, channel: unknown, payload: unknown): Promise<Envelope> => {
    if (event.sender.id !== deps.target.id || !deps.isTrustedSender(event)) {
      const from = event.senderFrame?.url ?? '(a frame that is gone)';
      log('warn', `ipc: refused ${describeChannel(channel)} from ${from} (web contents ${event.sender.id})`);
      return {
        ok: false,
        error: {
          code: 'forbidden',
          message: 'this request did not come from the Fieldbench window',
          step: describeChannel(channel),
        },
      };
    }
    return deps.dispatch(channel, payload);
  });

  const unsubscribers = eventChannels.map((name) =>
    deps.events.on(name, (payload) => {
      if (deps.target.isDestroyed()) return;
      try {
        deps.target.send(IPC_EVENT, name, payload);
      } catch (error) {
        // The window can go between the check and the send; an event for a closed window is moot.
        log('warn', `ipc: could not send ${name}: ${String(error)}`);
      }
    }),
  );

  return () => {
    deps.ipcMain.removeHandler(IPC_INVOKE);
    for (const off of unsubscribers) off();
  };
}

/**
 * The sender check for the window: the call must come from the main frame (not an iframe)
 * and that frame must be showing one of the app's own pages.
 */
export function isAppMainFrame(location: RendererLocation): (event: InvokeEventLike) => boolean {
  return (event) => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && isAppUrl(frame.url, location);
  };
}

/** Binds the real ipcMain to one window's web contents. */
export function bindWindowIpc(options: {
  contents: WebContents;
  dispatch: Dispatch;
  events: CoreEvents;
  location: RendererLocation;
  log: ShellLog;
}): () => void {
  return bindIpc({
    ipcMain,
    dispatch: options.dispatch,
    events: options.events,
    target: options.contents,
    isTrustedSender: isAppMainFrame(options.location),
    log: options.log,
  });
}

function describeChannel(channel: unknown): string {
  return typeof channel === 'string' ? JSON.stringify(channel.slice(0, 80)) : `a ${typeof channel} channel`;
}
