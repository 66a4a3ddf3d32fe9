// Picks the door the renderer came through: the Electron preload puts window.fieldbench
// in place before any script runs; a page served by `fieldbench serve` has none and talks
// to the same origin over a WebSocket (the server's cookie authenticates the upgrade).
import type { PreloadBridge } from '../../src-main/api/contract';
import { WS_PATH } from '../../src-main/api/ws-protocol';
import { createBridgeClient, type ConnectedApi } from './bridge-client';
import { createWebSocketClient, type WebSocketClient } from './websocket-client';

export interface RendererApi extends ConnectedApi {
  /** Present in the browser door: lets the header offer "Reconnect now". */
  reconnectNow?: () => void;
}

interface DoorEnvironment {
  bridge: PreloadBridge | undefined;
  location: { protocol: string; host: string };
}

export function webSocketUrlFor(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${WS_PATH}`;
}

export function connectApiFrom(environment: DoorEnvironment, makeWebSocketClient: (url: string) => WebSocketClient = createWebSocketClient): RendererApi {
  if (environment.bridge) return createBridgeClient(environment.bridge);
  const { protocol } = environment.location;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error('Fieldbench cannot reach its core: no desktop bridge, and this page was not served by `fieldbench serve`.');
  }
  const client = makeWebSocketClient(webSocketUrlFor(environment.location));
  return { api: client.api, connection: client.connection, reconnectNow: client.reconnectNow };
}

declare global {
  interface Window {
    fieldbench?: PreloadBridge;
  }
}

export function connectApi(): RendererApi {
  return connectApiFrom({ bridge: window.fieldbench, location: window.location });
}
