// fieldbench serve over real sockets: the token, Host and Origin checks, static files with
// their security headers, and the contract over a WebSocket.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Core } from '../../src-main/core/core';
import { serve, type RunningServer } from '../../src-main/server/serve';
import type { WsServerMessage } from '../../src-main/api/ws-protocol';
import { startCore } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;
let server: RunningServer;
let base: string;
let cookie: string;

beforeAll(async () => {
  dir = makeTempDir('serve');
  const staticDir = join(dir.path, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Fieldbench</title>');
  core = await startCore(join(dir.path, 'data'));
  server = await serve({ core, staticDir, port: 0 });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  await core?.close();
  dir?.remove();
});

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, { headers, redirect: 'manual' });
}

describe('HTTP', () => {
  it('listens on 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toBe(`${base}/?token=${server.token}`);
  });

  it('refuses requests without the token', async () => {
    const response = await get('/');
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/URL printed by fieldbench serve/);
    expect((await get('/assets/anything.js')).status).toBe(401);
  });

  it('refuses a wrong token', async () => {
    expect((await get('/?token=wrong')).status).toBe(403);
  });

  it('trades the URL token for an HttpOnly cookie and drops it from the address', async () => {
    const response = await get(`/?token=${server.token}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    cookie = setCookie.split(';')[0] ?? '';
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('Fieldbench');
    expect((await get('/../../etc/passwd', { cookie })).status).toBe(404);
  });

  it('refuses another Host (DNS rebinding) even with the cookie', async () => {
    // fetch() will not send a forged Host, so speak HTTP directly.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/', headers: { cookie, host: `evil.example:${server.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
      req.once('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('refuses to listen anywhere but loopback', async () => {
    await expect(serve({ core, staticDir: dir.path, host: '0.0.0.0' as never })).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('WebSocket', () => {
  function connect(headers: Record<string, string>): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers });
      const timer = setTimeout(() => reject(new Error('no answer to the upgrade within 5 s')), 5000);
      socket.once('open', () => (clearTimeout(timer), resolve(socket)));
      socket.once('unexpected-response', (_req, res) => (clearTimeout(timer), reject(new Error(`HTTP ${res.statusCode}`))));
      socket.once('error', (error) => (clearTimeout(timer), reject(error)));
    });
  }

  function nextMessage(socket: WebSocket, match: (m: WsServerMessage) => boolean): Promise<WsServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching message within 10 s')), 10_000);
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as WsServerMessage;
        if (match(message)) {
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve(message);
        }
      };
      socket.on('message', onMessage);
    });
  }

  const origin = () => `http://127.0.0.1:${server.port}`;

  it('refuses upgrades without the cookie or from another origin', async () => {
    await expect(connect({ origin: origin() })).rejects.toThrow(/403/);
    await expect(connect({ origin: 'http://evil.example', cookie })).rejects.toThrow(/403/);
    await expect(connect({ cookie })).rejects.toThrow(/403/);
  });

  it('answers contract requests, refuses malformed frames, and pushes events', async () => {
    const socket = await connect({ origin: origin(), cookie });
    try {
      socket.send('not json');
      const malformed = await nextMessage(socket, (m) => m.kind === 'response' && m.id === -1);
      expect(malformed.kind === 'response' && !malformed.envelope.ok && malformed.envelope.error.code).toBe('invalid-request');

      socket.send(JSON.stringify({ id: 1, channel: 'cases.get', payload: { caseId: 'nope' } }));
      const invalid = await nextMessage(socket, (m) => m.kind === 'response' && m.id === 1);
      expect(invalid.kind === 'response' && !invalid.envelope.ok && invalid.envelope.error.code).toBe('invalid-request');

      socket.send(JSON.stringify({ id: 2, channel: 'no.such', payload: {} }));
      const unknown = await nextMessage(socket, (m) => m.kind === 'response' && m.id === 2);
      expect(unknown.kind === 'response' && !unknown.envelope.ok && unknown.envelope.error.code).toBe('unknown-channel');

      const event = nextMessage(socket, (m) => m.kind === 'event' && m.event === 'cases.changed');
      socket.send(JSON.stringify({ id: 3, channel: 'cases.open', payload: { title: 'From the bench' } }));
      const opened = await nextMessage(socket, (m) => m.kind === 'response' && m.id === 3);
      expect(opened.kind === 'response' && opened.envelope.ok).toBe(true);
      expect(await event).toMatchObject({ kind: 'event', event: 'cases.changed' });
    } finally {
      socket.close();
    }
  });
});
