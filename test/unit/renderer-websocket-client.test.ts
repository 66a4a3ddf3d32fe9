// The browser door's client against a fake WebSocket class: id correlation, deadlines,
// queueing while connecting, dropping and reconnecting with backoff, and events.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WsClientMessage, WsServerMessage } from '../../src-main/api/ws-protocol';
import type { ConnectionState } from '../../src-renderer/api/connection-state';
import { createWebSocketClient, reconnectDelayMs, type WebSocketLike } from '../../src-renderer/api/websocket-client';

class FakeSocket implements WebSocketLike {
  static made: FakeSocket[] = [];
  readyState = 0;
  sent: WsClientMessage[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  closedWith: number | null = null;

  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as WsClientMessage);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // --- the server side
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(message: WsServerMessage | string): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  answer(id: number, value: unknown): void {
    this.push({ kind: 'response', id, envelope: { ok: true, value } });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

const latest = () => FakeSocket.made[FakeSocket.made.length - 1]!;
const backoff = { initialMs: 100, maxMs: 1000, factor: 2 };

function makeClient(deadlineMs = 5000) {
  const protocolErrors: string[] = [];
  const client = createWebSocketClient('ws://127.0.0.1:9/api', {
    WebSocketImpl: FakeSocket,
    deadlineFor: () => deadlineMs,
    backoff,
    onProtocolError: (m) => protocolErrors.push(m),
  });
  const states: ConnectionState['status'][] = [];
  client.connection.subscribe((s) => states.push(s.status));
  return { client, api: client.api, states, protocolErrors };
}

beforeEach(() => {
  FakeSocket.made = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('createWebSocketClient', () => {
  it('connects to the URL and queues requests until the socket opens', async () => {
    const { api, client } = makeClient();
    expect(latest().url).toBe('ws://127.0.0.1:9/api');
    expect(client.connection.get()).toMatchObject({ status: 'connecting', door: 'browser' });
    const answer = api.invoke('devices.list', {});
    expect(latest().sent).toEqual([]);
    latest().open();
    expect(latest().sent).toEqual([{ id: 1, channel: 'devices.list', payload: {} }]);
    latest().answer(1, []);
    await expect(answer).resolves.toEqual([]);
  });

  it('correlates answers by id, whatever order they come in', async () => {
    const { api } = makeClient();
    latest().open();
    const first = api.invoke('cases.list', {});
    const second = api.invoke('system.info', {});
    const [a, b] = latest().sent;
    latest().answer(b!.id, 'info');
    latest().answer(a!.id, ['case']);
    await expect(first).resolves.toEqual(['case']);
    await expect(second).resolves.toBe('info');
  });

  it('rejects with the error from the envelope as an ApiRequestError', async () => {
    const { api } = makeClient();
    latest().open();
    const result = api.invoke('cases.get', { caseId: '00000000-0000-4000-8000-000000000000' });
    latest().push({
      kind: 'response',
      id: 1,
      envelope: { ok: false, error: { code: 'not-found', message: 'no such case', hint: 'Open the case list.' } },
    });
    await expect(result).rejects.toMatchObject({ name: 'ApiRequestError', code: 'not-found', hint: 'Open the case list.', channel: 'cases.get' });
  });

  it('rejects with timeout after the deadline and ignores the late answer', async () => {
    const { api } = makeClient(1000);
    latest().open();
    const result = api.invoke('diagnostics.read', { deviceId: 'd' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(result).resolves.toMatchObject({ code: 'timeout', step: 'diagnostics.read' });
    expect(() => latest().answer(1, 'late')).not.toThrow();
  });

  it('rejects sent requests with unavailable when the socket drops, then reconnects with backoff', async () => {
    const { api, client, states } = makeClient();
    latest().open();
    const inFlight = api.invoke('devices.list', {}).catch((e: unknown) => e);
    latest().drop(1006);
    await expect(inFlight).resolves.toMatchObject({ code: 'unavailable', message: expect.stringContaining('dropped before it answered') });
    expect(client.connection.get()).toMatchObject({ status: 'reconnecting', attempt: 1 });

    // While waiting to retry there is no socket: requests fail at once rather than hang.
    await expect(api.invoke('devices.list', {})).rejects.toMatchObject({ code: 'unavailable' });

    expect(FakeSocket.made).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(FakeSocket.made).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.made).toHaveLength(2);
    latest().drop(); // the server is still down
    expect(client.connection.get().attempt).toBe(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(FakeSocket.made).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.made).toHaveLength(3);
    latest().open();
    expect(client.connection.get()).toMatchObject({ status: 'open', attempt: 0, reason: null });
    expect(states).toEqual(['open', 'reconnecting', 'reconnecting', 'reconnecting', 'reconnecting', 'open']);

    const again = api.invoke('devices.list', {});
    latest().answer(latest().sent[0]!.id, ['back']);
    await expect(again).resolves.toEqual(['back']);
  });

  it('caps the backoff', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => reconnectDelayMs(n, backoff))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('keeps event listeners across a reconnect and stops after unsubscribe', async () => {
    const { api } = makeClient();
    latest().open();
    const seen: unknown[] = [];
    const off = api.on('devices.changed', (devices) => seen.push(devices));
    latest().push({ kind: 'event', event: 'devices.changed', payload: ['one'] });
    latest().drop();
    await vi.advanceTimersByTimeAsync(100);
    latest().open();
    latest().push({ kind: 'event', event: 'devices.changed', payload: ['two'] });
    latest().push({ kind: 'event', event: 'not.an.event', payload: 'ignored' });
    off();
    latest().push({ kind: 'event', event: 'devices.changed', payload: ['three'] });
    expect(seen).toEqual([['one'], ['two']]);
  });

  it('drops frames that break the wire format and reports them', () => {
    const { protocolErrors } = makeClient();
    latest().open();
    latest().push('not json');
    latest().push(JSON.stringify({ kind: 'response', id: 'x' }));
    expect(protocolErrors).toHaveLength(2);
  });

  it('reconnectNow skips the wait; close stops for good', async () => {
    const { api, client } = makeClient();
    latest().open();
    latest().drop();
    client.reconnectNow();
    expect(FakeSocket.made).toHaveLength(2);
    latest().open();
    const pending = api.invoke('devices.list', {}).catch((e: unknown) => e);
    client.close();
    await expect(pending).resolves.toMatchObject({ code: 'unavailable' });
    expect(latest().closedWith).toBe(1000);
    expect(client.connection.get().status).toBe('closed');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.made).toHaveLength(2);
  });
});
