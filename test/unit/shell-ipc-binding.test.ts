// The IPC door: sender checks before anything, the real dispatch behind it, and events
// forwarded only to a window that is still there.
import { describe, expect, it, vi } from 'vitest';
import { eventChannels, IPC_EVENT, IPC_INVOKE, requestChannels, type EventChannel, type EventOf } from '../../src-main/api/contract';
import { createDispatcher, type Handlers } from '../../src-main/api/dispatch';
import type { CoreEvents } from '../../src-main/core/core';
import { FakeIpcMain, FakeWebContents, FakeWebFrame } from '../helpers/fake-electron';

vi.mock('electron', async () => (await import('../helpers/fake-electron')).createFakeElectron());

const { bindIpc, bindWindowIpc, isAppMainFrame } = await import('../../src-main/shell/ipc-binding');
const { rendererLocation } = await import('../../src-main/shell/renderer-location');

const location = rendererLocation({ rendererDir: '/opt/fieldbench/out/renderer', isPackaged: true });
const APP_PAGE = 'file:///opt/fieldbench/out/renderer/index.html';
const CASE_ID = '6f1c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f';

const SYSTEM_INFO = { version: '0.1.0' };

/** Every handler is a spy; system.info answers, the rest must never be reached here. */
function spyHandlers() {
  const handlers = Object.fromEntries(
    requestChannels.map((channel) => [channel, vi.fn(async () => Promise.reject(new Error(`${channel} must not run`)))]),
  ) as unknown as Handlers & Record<string, ReturnType<typeof vi.fn>>;
  handlers['system.info'] = vi.fn(async () => SYSTEM_INFO) as never;
  return handlers;
}

class FakeEvents implements CoreEvents {
  readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener as (payload: unknown) => void);
    return () => set.delete(listener as (payload: unknown) => void);
  }
  emit(event: EventChannel, payload: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }
  count(): number {
    return [...this.listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
}

function setup() {
  const ipcMain = new FakeIpcMain();
  const handlers = spyHandlers();
  const dispatch = vi.fn(createDispatcher(handlers));
  const events = new FakeEvents();
  const target = new FakeWebContents();
  const log = vi.fn();
  const unbind = bindIpc({ ipcMain, dispatch, events, target, isTrustedSender: isAppMainFrame(location), log });
  const appFrame = new FakeWebFrame(APP_PAGE);
  const fromWindow = { sender: target, senderFrame: appFrame };
  const call = (event: unknown, channel: unknown, payload?: unknown) => ipcMain.invoke(IPC_INVOKE, event, channel, payload);
  return { ipcMain, handlers, dispatch, events, target, log, unbind, appFrame, fromWindow, call };
}

function expectError(envelope: unknown, code: string) {
  expect(envelope).toMatchObject({ ok: false, error: { code } });
}

describe('IPC binding', () => {
  it('answers the window through the real dispatch', async () => {
    const { call, fromWindow, handlers } = setup();
    expect(await call(fromWindow, 'system.info', {})).toEqual({ ok: true, value: SYSTEM_INFO });
    expect(handlers['system.info']).toHaveBeenCalledTimes(1);
  });

  it('refuses another web contents with forbidden, and never reaches the core', async () => {
    const { call, dispatch, handlers, log } = setup();
    const other = new FakeWebContents();
    const envelope = await call({ sender: other, senderFrame: new FakeWebFrame(APP_PAGE) }, 'system.info', {});
    expectError(envelope, 'forbidden');
    expect(dispatch).not.toHaveBeenCalled();
    expect(handlers['system.info']).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledWith('warn', expect.stringContaining('refused'));
  });

  it('refuses a subframe, a foreign page and a frame that is gone, even inside the window', async () => {
    const { call, dispatch, target, appFrame } = setup();
    const senders = [
      { sender: target, senderFrame: new FakeWebFrame(APP_PAGE, appFrame) }, // an iframe of the app's own page
      { sender: target, senderFrame: new FakeWebFrame('https://example.com/') },
      { sender: target, senderFrame: new FakeWebFrame('file:///tmp/evil.html') },
      { sender: target, senderFrame: new FakeWebFrame('file:///opt/fieldbench/out/renderer/../../evil.html') },
      { sender: target, senderFrame: new FakeWebFrame('http://localhost:5173/') },
      { sender: target, senderFrame: null },
    ];
    for (const event of senders) expectError(await call(event, 'system.info', {}), 'forbidden');
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('answers an unknown channel with unknown-channel', async () => {
    const { call, fromWindow } = setup();
    for (const channel of ['nope', '__proto__', 42, null, undefined]) {
      expectError(await call(fromWindow, channel, {}), 'unknown-channel');
    }
  });

  it('answers an invalid payload with invalid-request and field-level issues, without calling the handler', async () => {
    const { call, fromWindow, handlers } = setup();
    const envelope = await call(fromWindow, 'cases.saveNote', { caseId: 'nope', noteId: CASE_ID, text: 5 });
    expectError(envelope, 'invalid-request');
    const issues = (envelope as { error: { issues: { path: string }[] } }).error.issues;
    expect(issues.map((issue) => issue.path).sort()).toEqual(['caseId', 'text']);
    expect(handlers['cases.saveNote']).not.toHaveBeenCalled();
  });

  it('forwards core events to a live window as (event, payload), and stops once it is destroyed', () => {
    const { events, target } = setup();
    events.emit('cases.changed', { caseId: CASE_ID });
    expect(target.sent).toEqual([[IPC_EVENT, 'cases.changed', { caseId: CASE_ID }]]);
    target.destroy();
    expect(() => events.emit('devices.changed', [])).not.toThrow();
    expect(target.sent).toHaveLength(1);
  });

  it('unbinds: removes the handler and every event subscription', async () => {
    const { ipcMain, events, unbind, call, fromWindow } = setup();
    // One subscription per event in the contract.
    expect(events.count()).toBe(eventChannels.length);
    unbind();
    expect(ipcMain.handlers.size).toBe(0);
    expect(events.count()).toBe(0);
    await expect(call(fromWindow, 'system.info', {})).rejects.toThrow(/No handler/);
  });

  it('binds the real ipcMain to a window, and can bind again after the window is gone', async () => {
    const electron = (await import('electron')) as unknown as { ipcMain: FakeIpcMain };
    const contents = new FakeWebContents();
    const options = { contents: contents as never, dispatch: createDispatcher(spyHandlers()), events: new FakeEvents(), location, log: vi.fn() };
    const unbind = bindWindowIpc(options);
    expect(electron.ipcMain.handlers.has(IPC_INVOKE)).toBe(true);
    expect(await electron.ipcMain.invoke(IPC_INVOKE, { sender: contents, senderFrame: new FakeWebFrame(APP_PAGE) }, 'system.info', {})).toEqual({
      ok: true,
      value: SYSTEM_INFO,
    });
    unbind();
    bindWindowIpc(options)();
  });
});
