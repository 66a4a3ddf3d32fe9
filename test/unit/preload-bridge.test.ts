// The preload: exactly {invoke, on} on window.fieldbench, unknown channels stopped before
// IPC, and listeners that see the payload and nothing of Electron's event object.
import { describe, expect, it, vi } from 'vitest';
import { eventChannelNames, requestChannelNames } from '../../src-main/api/channels';
import { eventChannels, IPC_EVENT, IPC_INVOKE, requestChannels } from '../../src-main/api/contract';
import type { PreloadBridge } from '../../src-main/api/contract';
import { FakeIpcRenderer, type FakeElectron } from '../helpers/fake-electron';

vi.mock('electron', async () => (await import('../helpers/fake-electron')).createFakeElectron());

const electron = (await import('electron')) as unknown as FakeElectron;
const { createPreloadBridge } = await import('../../src-preload/index');

const CASE_ID = '6f1c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f';

function bridgeOverFake() {
  const ipc = new FakeIpcRenderer();
  return { ipc, bridge: createPreloadBridge(ipc as never) };
}

describe('preload bridge', () => {
  it('exposes exactly { invoke, on } as window.fieldbench, and nothing else', () => {
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['fieldbench']);
    const exposed = electron.contextBridge.exposed.get('fieldbench') as Record<string, unknown>;
    expect(Object.keys(exposed).sort()).toEqual(['invoke', 'on']);
    expect(typeof exposed.invoke).toBe('function');
    expect(typeof exposed.on).toBe('function');
    expect(Object.values(exposed)).not.toContain(electron.ipcRenderer);
  });

  it('the exposed bridge is wired to ipcRenderer on the single invoke channel', async () => {
    const exposed = electron.contextBridge.exposed.get('fieldbench') as PreloadBridge;
    electron.ipcRenderer.answer = () => ({ ok: true, value: { version: '0.1.0' } });
    expect(await exposed.invoke('system.info', {})).toEqual({ ok: true, value: { version: '0.1.0' } });
    expect(electron.ipcRenderer.invocations.at(-1)).toEqual([IPC_INVOKE, 'system.info', {}]);
  });

  it('sends known channels with their payload and hands back the envelope', async () => {
    const { ipc, bridge } = bridgeOverFake();
    ipc.answer = (_ipcChannel, channel, payload) => ({ ok: true, value: { channel, payload } });
    expect(await bridge.invoke('cases.get', { caseId: CASE_ID })).toEqual({
      ok: true,
      value: { channel: 'cases.get', payload: { caseId: CASE_ID } },
    });
    expect(ipc.invocations).toEqual([[IPC_INVOKE, 'cases.get', { caseId: CASE_ID }]]);
  });

  it('answers unknown channels itself with an unknown-channel envelope; they never reach IPC', async () => {
    const { ipc, bridge } = bridgeOverFake();
    for (const channel of ['nope', '__proto__', 'constructor', 'toString', 'devices.list.extra', '', 7, null]) {
      const envelope = await bridge.invoke(channel as string, {});
      expect(envelope).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    }
    expect(ipc.invocations).toEqual([]);
  });

  it('gives listeners the payload only, for their own event, until they unsubscribe', () => {
    const { ipc, bridge } = bridgeOverFake();
    const cases = vi.fn();
    const devices = vi.fn();
    const offCases = bridge.on('cases.changed', cases);
    bridge.on('devices.changed', devices);
    ipc.deliver(IPC_EVENT, 'cases.changed', { caseId: CASE_ID });
    expect(cases).toHaveBeenCalledTimes(1);
    expect(cases.mock.calls[0]).toEqual([{ caseId: CASE_ID }]);
    expect(devices).not.toHaveBeenCalled();
    offCases();
    ipc.deliver(IPC_EVENT, 'cases.changed', { caseId: CASE_ID });
    expect(cases).toHaveBeenCalledTimes(1);
  });

  it('keeps delivering to other listeners when one throws', () => {
    const { ipc, bridge } = bridgeOverFake();
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const after = vi.fn();
    bridge.on('devices.changed', () => {
      throw new Error('listener bug');
    });
    bridge.on('devices.changed', after);
    ipc.deliver(IPC_EVENT, 'devices.changed', []);
    expect(after).toHaveBeenCalledWith([]);
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });

  it('refuses to subscribe to an event that is not in the contract', () => {
    const { bridge } = bridgeOverFake();
    expect(() => bridge.on('nope', () => undefined)).toThrow(/no event named/);
    expect(() => bridge.on('__proto__', () => undefined)).toThrow(/no event named/);
  });

  it('uses channel lists that match the contract exactly', () => {
    expect([...requestChannelNames].sort()).toEqual([...requestChannels].sort());
    expect([...eventChannelNames].sort()).toEqual([...eventChannels].sort());
  });
});
