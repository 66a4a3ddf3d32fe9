// The wire format of the WebSocket door (`fieldbench serve`). One socket per browser tab at
// ws://127.0.0.1:PORT/api; the server has already checked the Origin and the access token
// (cookie set when the tokened URL was first opened) before the upgrade is accepted.
import { z } from 'zod';
import { Envelope } from './contract';

export const WS_PATH = '/api';
/**
 * Longest frame the server accepts: a firmware file travels base64 in one request
 * (FirmwareFileContent, 24 MiB of base64), with room for the rest of the message.
 */
export const WS_MAX_FRAME_BYTES = 25 * 1024 * 1024;

export const WsClientMessage = z
  .object({ id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), channel: z.string().max(100), payload: z.unknown() })
  .strict();
export type WsClientMessage = z.infer<typeof WsClientMessage>;

export const WsServerMessage = z.union([
  z.object({ kind: z.literal('response'), id: z.number().int(), envelope: Envelope }),
  z.object({ kind: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);
export type WsServerMessage =
  | { kind: 'response'; id: number; envelope: Envelope }
  | { kind: 'event'; event: string; payload: unknown };
