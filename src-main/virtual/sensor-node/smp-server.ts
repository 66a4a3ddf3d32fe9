// The device side of SMP (MCUmgr): one request packet in, one response packet out, as
// Zephyr's SMP server answers. The response keeps the request's protocol version and
// sequence number and turns READ into READ_RSP, WRITE into WRITE_RSP. Errors take the
// version's form: a version 1 request gets `rc` from the shared MGMT_ERR list (group errors
// translated as Zephyr translates them, with `rsn` saying why); a version 2 request gets
// `err: { group, rc }` for group errors and `rc` for errors outside any group (unknown
// group or command, request too large). The groups themselves live in smp-*-group.ts;
// framing on the serial line is the simulator's business.
import { type CborValue } from '../../protocols/cbor/cbor';
import { MgmtErr } from '../../protocols/smp/smp-groups';
import { SMP_HEADER_SIZE, SmpOp, decodeSmpHeader, decodeSmpPacket, encodeSmpPacket, type SmpHeader } from '../../protocols/smp/smp-packet';

export type SmpBody = { [key: string]: CborValue };

export interface SmpRequest {
  version: 1 | 2;
  /** READ or WRITE. */
  write: boolean;
  command: number;
  body: SmpBody;
}

/** What a group handler answers: a body, a group error (the group's own rc), or a shared MGMT_ERR rc. */
export type SmpAnswer =
  | { kind: 'ok'; body: SmpBody }
  | { kind: 'group-error'; rc: number; reason: string }
  | { kind: 'mgmt-error'; rc: number }
  /** The device reset while handling the request: nothing goes back. */
  | { kind: 'no-answer' };

export interface SmpGroupHandler {
  readonly group: number;
  handle(request: SmpRequest): Promise<SmpAnswer>;
  /** The MGMT_ERR code a version 1 client gets for one of this group's errors. */
  toMgmtErr(groupRc: number): number;
}

export const ok = (body: SmpBody = {}): SmpAnswer => ({ kind: 'ok', body });
export const groupError = (rc: number, reason: string): SmpAnswer => ({ kind: 'group-error', rc, reason });
export const mgmtError = (rc: number): SmpAnswer => ({ kind: 'mgmt-error', rc });
export const notSupported = (): SmpAnswer => mgmtError(MgmtErr.ENOTSUP);

export interface SmpServerOptions {
  groups: SmpGroupHandler[];
  /** MCUmgr's buffer size: a request that does not fit it is answered MGMT_ERR_EMSGSIZE. */
  bufSize: number;
  /**
   * Bytes the transport keeps beside each request packet in that buffer: 4 on a serial line
   * (length field and CRC, decoded with the packet), none for bare packets.
   */
  transportOverhead?: number;
  /** Fault knob: the rc to answer the next request with instead of handling it, taken once. */
  takeInjectedRc?: () => number | undefined;
}

export interface SmpServerCounters {
  requests: number;
  responses: number;
  errors: number;
  /** Request packets dropped unanswered: unreadable, or no buffer free to take them in. */
  dropped: number;
}

export class SmpServer {
  private readonly groups = new Map<number, SmpGroupHandler>();
  private readonly counters: SmpServerCounters = { requests: 0, responses: 0, errors: 0, dropped: 0 };

  constructor(private readonly options: SmpServerOptions) {
    for (const handler of options.groups) this.groups.set(handler.group, handler);
  }

  get stats(): SmpServerCounters {
    return { ...this.counters };
  }

  /** A request frame the transport had no buffer for, dropped before it reached the server. */
  noteDropped(): void {
    this.counters.dropped++;
  }

  /** A request packet (header and CBOR body); the response packet, or null when nothing is sent back. */
  async handle(packet: Uint8Array): Promise<Uint8Array | null> {
    let header: SmpHeader;
    try {
      header = decodeSmpHeader(packet);
    } catch {
      this.counters.dropped++;
      return null; // Zephyr drops what it cannot even frame as a request.
    }
    if (header.op !== SmpOp.READ && header.op !== SmpOp.WRITE) {
      this.counters.dropped++;
      return null; // a response sent to the device: not for it to answer
    }
    this.counters.requests++;
    const answer = await this.answer(header, packet);
    if (answer.kind === 'no-answer') return null;
    const body = this.shape(header, answer);
    if (answer.kind !== 'ok') this.counters.errors++;
    this.counters.responses++;
    return encodeSmpPacket(
      { version: header.version, op: header.op === SmpOp.READ ? SmpOp.READ_RSP : SmpOp.WRITE_RSP, flags: 0, group: header.group, sequence: header.sequence, command: header.command },
      body,
    );
  }

  private async answer(header: SmpHeader, packet: Uint8Array): Promise<SmpAnswer> {
    const injected = this.options.takeInjectedRc?.();
    if (injected !== undefined) return mgmtError(injected);
    if (packet.length + (this.options.transportOverhead ?? 0) > this.options.bufSize) return mgmtError(MgmtErr.EMSGSIZE);
    let body: CborValue;
    try {
      body = decodeSmpPacket(packet).body;
    } catch {
      return mgmtError(MgmtErr.EINVAL);
    }
    if (body === undefined && packet.length === SMP_HEADER_SIZE) body = {};
    if (!isMap(body)) return mgmtError(MgmtErr.EINVAL);
    const handler = this.groups.get(header.group);
    if (!handler) return notSupported();
    return handler.handle({ version: header.version, write: header.op === SmpOp.WRITE, command: header.command, body });
  }

  private shape(header: SmpHeader, answer: Exclude<SmpAnswer, { kind: 'no-answer' }>): SmpBody {
    switch (answer.kind) {
      case 'ok':
        return answer.body;
      case 'mgmt-error':
        return { rc: answer.rc };
      case 'group-error': {
        if (header.version === 2) return { err: { group: header.group, rc: answer.rc } };
        const handler = this.groups.get(header.group);
        return { rc: handler ? handler.toMgmtErr(answer.rc) : MgmtErr.EUNKNOWN, rsn: answer.reason };
      }
    }
  }
}

export function isMap(value: CborValue): value is SmpBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Field readers for request bodies: a wrong type counts as absent, as zcbor's decoder treats it. */
export const field = {
  uint(body: SmpBody, key: string): number | undefined {
    const value = body[key];
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
  },
  text(body: SmpBody, key: string): string | undefined {
    const value = body[key];
    return typeof value === 'string' ? value : undefined;
  },
  bytes(body: SmpBody, key: string): Uint8Array | undefined {
    const value = body[key];
    return value instanceof Uint8Array ? value : undefined;
  },
  bool(body: SmpBody, key: string): boolean | undefined {
    const value = body[key];
    return typeof value === 'boolean' ? value : undefined;
  },
};
