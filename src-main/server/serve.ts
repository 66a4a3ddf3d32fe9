// `fieldbench serve`: the built renderer and the contract over a WebSocket, on 127.0.0.1
// only, for bench stations with no display. Every HTTP request and every upgrade must
// carry the access token (URL once, then cookie) and name this server as its Host;
// upgrades must also come from a page of this server (Origin).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { FieldbenchError } from '../api/errors';
import { WS_MAX_FRAME_BYTES, WS_PATH } from '../api/ws-protocol';
import type { Core } from '../core/core';
import { AccessGuard, newAccessToken } from './access-guard';
import { securityHeaders, serveStatic } from './static-files';
import { bindWebSocket } from './ws-binding';

export interface ServeOptions {
  core: Core;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Loopback only; anything else is refused, since the token is the only lock. */
  host?: '127.0.0.1' | 'localhost';
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new FieldbenchError({
      code: 'forbidden',
      message: `refusing to listen on ${String(host)}`,
      step: 'serve',
      hint: 'fieldbench serve listens on 127.0.0.1 only; reach it from another machine through an SSH tunnel.',
    });
  }
  const guard = new AccessGuard(options.token ?? newAccessToken());
  const sockets = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_FRAME_BYTES });

  const refuse = (response: ServerResponse, status: number, text: string) => {
    response.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`${text}\n`);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      if (!guard.hostAllowed(request)) return refuse(response, 421, 'Wrong host.');
      if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Method not allowed.');
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const queryToken = url.searchParams.get('token');
      if (queryToken !== null) {
        if (!guard.tokenMatches(queryToken)) return refuse(response, 403, 'This access token is not valid. Use the URL fieldbench serve printed.');
        // Trade the URL token for a cookie and drop it from the address bar.
        url.searchParams.delete('token');
        response.writeHead(303, { ...securityHeaders(), 'Set-Cookie': guard.sessionCookie(), Location: url.pathname + url.search });
        return response.end();
      }
      if (!guard.tokenMatches(guard.cookieToken(request))) {
        return refuse(response, 401, 'Open the URL printed by fieldbench serve: it carries the access token.');
      }
      await serveStatic(options.staticDir, url.pathname, response);
    })().catch(() => {
      if (!response.headersSent) refuse(response, 500, 'Internal error.');
      else response.destroy();
    });
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const authorised =
      url.pathname === WS_PATH &&
      guard.hostAllowed(request) &&
      guard.originAllowed(request) &&
      guard.tokenMatches(guard.cookieToken(request) ?? url.searchParams.get('token'));
    if (!authorised) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => bindWebSocket(ws, options.core.dispatch, options.core.events));
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      rejectListen(
        new FieldbenchError({
          code: 'unavailable',
          message: `cannot listen on ${host}:${options.port ?? 0}: ${error.code ?? error.message}`,
          step: 'serve',
          hint: error.code === 'EADDRINUSE' ? 'Another program uses that port; pick another with --port, or 0 for any.' : 'Check the port number.',
        }),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  guard.setPort(port);

  return {
    url: `http://127.0.0.1:${port}/?token=${guard.token}`,
    port,
    token: guard.token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
