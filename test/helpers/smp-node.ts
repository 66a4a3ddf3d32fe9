// Helpers for talking SMP to the virtual sensor node: raw request/response exchanges (for
// the exact wire forms a client hides), waiting for console text such as the boot banner,
// and the images the tests upload.
import { createHash } from 'node:crypto';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { type CborValue } from '../../src-main/protocols/cbor/cbor';
import { SmpOp, decodeSmpPacket, encodeSmpPacket, type SmpPacket } from '../../src-main/protocols/smp/smp-packet';
import { SmpSerialDecoder, encodeSmpSerialFrames } from '../../src-main/protocols/smp/smp-serial';
import type { Link } from '../../src-main/transports/link';

export interface RawRequest {
  version?: 1 | 2;
  op: 'read' | 'write';
  group: number;
  command: number;
  sequence?: number;
  body?: CborValue;
}

/** Send one request as serial frames and return the first SMP packet that comes back. */
export async function rawExchange(link: Link, request: RawRequest, timeoutMs = 2_000): Promise<SmpPacket> {
  const packet = encodeSmpPacket(
    {
      version: request.version ?? 2,
      op: request.op === 'read' ? SmpOp.READ : SmpOp.WRITE,
      flags: 0,
      group: request.group,
      sequence: request.sequence ?? 7,
      command: request.command,
    },
    request.body ?? {},
  );
  await link.write(encodeSmpSerialFrames(packet));
  return rawResponse(link, timeoutMs);
}

export async function rawResponse(link: Link, timeoutMs = 2_000): Promise<SmpPacket> {
  const decoder = new SmpSerialDecoder();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { packets } = decoder.push(await link.read(Math.max(1, deadline - Date.now())));
    const first = packets[0];
    if (first) return decodeSmpPacket(first);
  }
  throw new Error(`no SMP response within ${timeoutMs} ms`);
}

/** Read console text until `pattern` shows up; what was read, or an error at the deadline. */
export async function waitForText(link: Link, pattern: RegExp, timeoutMs = 5_000): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    text += Buffer.from(await link.read(Math.max(1, deadline - Date.now()))).toString('latin1');
    if (pattern.test(text)) return text;
  }
  throw new Error(`no ${String(pattern)} within ${timeoutMs} ms; got ${JSON.stringify(text.slice(-200))}`);
}

/** Bytes read within `ms`, for proving the line stays quiet. */
export async function drain(link: Link, ms: number): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const chunk = await link.read(Math.max(1, deadline - Date.now()));
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}

export function testImage(version: string, size = 24_000, seed = 3): { image: Uint8Array; sha256: Uint8Array } {
  const payload = Uint8Array.from({ length: size }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 0xff);
  const image = createMcubootImage({ version, payload });
  return { image, sha256: new Uint8Array(createHash('sha256').update(image).digest()) };
}

export function bodyOf(packet: SmpPacket): { [key: string]: CborValue } {
  const body = packet.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array) throw new Error('response body is not a map');
  return body;
}
