// The Electron door's client: envelopes become values or ApiRequestErrors, every request
// has a deadline, and events pass straight through with their unsubscribe.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Envelope, PreloadBridge } from '../../src-main/api/contract';
import { ApiRequestError, toApiRequestError } from '../../src-renderer/api/api-request-error';
import { createBridgeClient } from '../../src-renderer/api/bridge-client';
import { connectApiFrom, webSocketUrlFor } from '../../src-renderer/api/connect-api';

function fakeBridge(answer: (channel: string, payload: unknown) => Promise<Envelope>) {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const bridge: PreloadBridge = {
    invoke: vi.fn(answer),
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload));
  return { bridge, emit, listeners };
}

afterEach(() => vi.useRealTimers());

describe('createBridgeClient', () => {
  it('resolves with the envelope value and passes channel and payload through', async () => {
    const { bridge } = fakeBridge(async () => ({ ok: true, value: [{ id: 'a' }] }));
    const { api, connection } = createBridgeClient(bridge);
    await expect(api.invoke('devices.list', {})).resolves.toEqual([{ id: 'a' }]);
    expect(bridge.invoke).toHaveBeenCalledWith('devices.list', {});
    expect(connection.get()).toMatchObject({ status: 'open', door: 'electron' });
  });

  it('rejects with an ApiRequestError carrying code, device, step and hint', async () => {
    const { bridge } = fakeBridge(async () => ({
      ok: false,
      error: { code: 'timeout', message: 'no answer in 2000 ms', device: 'Sensor Node SN-1', step: 'read diagnostics: battery', hint: 'Check the cable.' },
    }));
    const { api } = createBridgeClient(bridge);
    const error = await api.invoke('diagnostics.read', { deviceId: 'd1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({
      code: 'timeout',
      message: 'no answer in 2000 ms',
      device: 'Sensor Node SN-1',
      step: 'read diagnostics: battery',
      hint: 'Check the cable.',
      channel: 'diagnostics.read',
    });
  });

  it('turns a failing bridge into an internal ApiRequestError naming the channel', async () => {
    const { bridge } = fakeBridge(async () => {
      throw new Error('IPC closed');
    });
    const { api } = createBridgeClient(bridge);
    await expect(api.invoke('cases.list', {})).rejects.toMatchObject({ code: 'internal', message: 'IPC closed', step: 'cases.list' });
  });

  it('rejects an answer that is not an envelope', async () => {
    const { bridge } = fakeBridge(async () => 'nonsense' as unknown as Envelope);
    const { api } = createBridgeClient(bridge);
    await expect(api.invoke('system.info', {})).rejects.toMatchObject({ code: 'internal' });
  });

  it('gives up with a timeout error when the bridge never answers', async () => {
    vi.useFakeTimers();
    const { bridge } = fakeBridge(() => new Promise<Envelope>(() => undefined));
    const { api } = createBridgeClient(bridge, { deadlineFor: () => 1000 });
    const result = api.invoke('devices.list', {}).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toMatchObject({ code: 'timeout', step: 'devices.list' });
  });

  it('delivers events and unsubscribes', () => {
    const { bridge, emit } = fakeBridge(async () => ({ ok: true, value: null }));
    const { api } = createBridgeClient(bridge);
    const seen: unknown[] = [];
    const off = api.on('cases.changed', (payload) => seen.push(payload));
    emit('cases.changed', { caseId: 'c1' });
    off();
    emit('cases.changed', { caseId: 'c2' });
    expect(seen).toEqual([{ caseId: 'c1' }]);
  });
});

describe('toApiRequestError', () => {
  it('keeps an error shape and wraps anything else as internal', () => {
    expect(toApiRequestError({ code: 'not-found', message: 'no case', hint: 'List cases.' })).toMatchObject({ code: 'not-found', hint: 'List cases.' });
    expect(toApiRequestError({ code: 'no-such-code', message: 'x' })).toMatchObject({ code: 'internal' });
    expect(toApiRequestError('boom', 'cases.get')).toMatchObject({ code: 'internal', message: 'boom', step: 'cases.get' });
    const original = new ApiRequestError({ code: 'forbidden', message: 'no' });
    expect(toApiRequestError(original)).toBe(original);
    expect(original.toShape()).toEqual({ code: 'forbidden', message: 'no' });
  });
});

describe('connectApiFrom', () => {
  it('uses the bridge when the preload put one in place', () => {
    const { bridge } = fakeBridge(async () => ({ ok: true, value: null }));
    const made = vi.fn();
    const connected = connectApiFrom({ bridge, location: { protocol: 'file:', host: '' } }, made);
    expect(connected.connection.get().door).toBe('electron');
    expect(made).not.toHaveBeenCalled();
  });

  it('opens a WebSocket to the same host at the API path otherwise', () => {
    const made = vi.fn((url: string) => ({ api: {} as never, connection: { url } as never, reconnectNow: () => undefined, close: () => undefined }));
    connectApiFrom({ bridge: undefined, location: { protocol: 'http:', host: '127.0.0.1:4321' } }, made);
    expect(made).toHaveBeenCalledWith('ws://127.0.0.1:4321/api');
    expect(webSocketUrlFor({ protocol: 'https:', host: 'bench:1' })).toBe('wss://bench:1/api');
  });

  it('refuses a page that has neither door', () => {
    expect(() => connectApiFrom({ bridge: undefined, location: { protocol: 'file:', host: '' } })).toThrow(/fieldbench serve/);
  });
});
