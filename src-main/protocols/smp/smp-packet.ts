// One SMP (MCUmgr) packet: the 8-byte header and its CBOR body. Every transport carries
// exactly these bytes (serial wraps them in base64 lines, BLE sends them bare), so this
// module knows nothing about framing.
import { FieldbenchError } from '../../api/errors';
import { type CborValue, decodeCbor, encodeCbor } from '../cbor/cbor';

export const SMP_HEADER_SIZE = 8;
/** The header's length field is 16 bits. */
export const SMP_MAX_BODY_SIZE = 0xffff;

export const SmpOp = { READ: 0, READ_RSP: 1, WRITE: 2, WRITE_RSP: 3 } as const;
export type SmpOp = (typeof SmpOp)[keyof typeof SmpOp];

export interface SmpHeader {
  /** 1: the original protocol (errors as `rc`); 2: adds group errors (`err: { group, rc }`). */
  version: 1 | 2;
  op: SmpOp;
  flags: number;
  /** Length of the CBOR body in bytes. */
  length: number;
  group: number;
  /** 0..255, echoed by the device so a response can be matched to its request. */
  sequence: number;
  command: number;
}

export interface SmpPacket {
  header: SmpHeader;
  /** The decoded body; undefined when the packet has none (length 0). */
  body: CborValue;
}

function packetError(message: string): FieldbenchError {
  return new FieldbenchError({
    code: 'device-error',
    message: `SMP packet: ${message}`,
    step: 'decode SMP packet',
    hint: 'The device sent a malformed management packet; check its firmware, or the line for noise.',
  });
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new FieldbenchError({ code: 'invalid-request', message: `SMP header ${name} ${value} is outside 0..${max}`, step: 'encode SMP packet' });
  }
}

/** Header and body as sent; a body of undefined sends no body at all (length 0). */
export function encodeSmpPacket(header: Omit<SmpHeader, 'length'>, body: CborValue): Uint8Array {
  return encodeSmpPacketBytes(header, body === undefined ? new Uint8Array(0) : encodeCbor(body));
}

/**
 * Header and an already-encoded body: for a server (or a test) that must send bytes a CBOR
 * encoder would not write, such as the indefinite-length maps real devices produce.
 */
export function encodeSmpPacketBytes(header: Omit<SmpHeader, 'length'>, data: Uint8Array): Uint8Array {
  checkField('op', header.op, 3);
  checkField('flags', header.flags, 0xff);
  checkField('group', header.group, 0xffff);
  checkField('sequence', header.sequence, 0xff);
  checkField('command', header.command, 0xff);
  if (header.version !== 1 && header.version !== 2) {
    throw new FieldbenchError({ code: 'invalid-request', message: `SMP version ${String(header.version)} does not exist`, step: 'encode SMP packet' });
  }
  if (data.length > SMP_MAX_BODY_SIZE) {
    throw new FieldbenchError({ code: 'invalid-request', message: `SMP body of ${data.length} bytes exceeds ${SMP_MAX_BODY_SIZE}`, step: 'encode SMP packet' });
  }
  const packet = new Uint8Array(SMP_HEADER_SIZE + data.length);
  const view = new DataView(packet.buffer);
  // Res (bits 5-7) is zero; Ver (bits 3-4) is 0 for version 1 and 1 for version 2; OP in bits 0-2.
  view.setUint8(0, ((header.version - 1) << 3) | header.op);
  view.setUint8(1, header.flags);
  view.setUint16(2, data.length);
  view.setUint16(4, header.group);
  view.setUint8(6, header.sequence);
  view.setUint8(7, header.command);
  packet.set(data, SMP_HEADER_SIZE);
  return packet;
}

/**
 * The header alone, from the first 8 bytes: enough to know how long the packet is, which a
 * transport without framing (BLE) needs to reassemble it.
 */
export function decodeSmpHeader(bytes: Uint8Array): SmpHeader {
  if (bytes.length < SMP_HEADER_SIZE) throw packetError(`${bytes.length} bytes is shorter than the ${SMP_HEADER_SIZE}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint8(0);
  const versionBits = (first >> 3) & 0b11;
  if (first >> 5 !== 0) throw packetError(`reserved header bits are set (first byte 0x${first.toString(16).padStart(2, '0')})`);
  if (versionBits > 1) throw packetError(`unknown protocol version bits ${versionBits}`);
  const op = first & 0b111;
  if (op > 3) throw packetError(`unknown operation ${op}`);
  return {
    version: versionBits === 0 ? 1 : 2,
    op: op as SmpOp,
    flags: view.getUint8(1),
    length: view.getUint16(2),
    group: view.getUint16(4),
    sequence: view.getUint8(6),
    command: view.getUint8(7),
  };
}

/** Exactly one packet: the header's length must account for every byte after it. */
export function decodeSmpPacket(bytes: Uint8Array): SmpPacket {
  const header = decodeSmpHeader(bytes);
  const actual = bytes.length - SMP_HEADER_SIZE;
  if (actual < header.length) throw packetError(`truncated: the header announces ${header.length} body bytes, ${actual} arrived`);
  if (actual > header.length) throw packetError(`${actual - header.length} trailing bytes after the ${header.length}-byte body`);
  const body = header.length === 0 ? undefined : decodeCbor(bytes.subarray(SMP_HEADER_SIZE));
  return { header, body };
}
