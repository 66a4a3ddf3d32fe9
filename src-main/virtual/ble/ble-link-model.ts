// The radio link between the central and a simulated peripheral, as a throughput model:
// every connection interval the link carries a few packets, each holding at most one ATT
// PDU of MTU bytes (3 of them ATT header). Writes without response and notifications both
// take packets, so an SMP upload and its answers share the same budget, as they do over
// the air. The model's limit is exported so a benchmark can state what it achieved as a
// share of what this link could carry. The ATT figures (payload per packet, MTU range) are
// the transport's own (transports/ble/att.ts), so both ends size packets alike.
import { ATT_DEFAULT_MTU, ATT_MAX_MTU, attWritePayload } from '../../transports/ble/att';

export interface BleLinkParameters {
  /** ATT MTU in bytes (23 to 517); 247 by default, what Zephyr and BlueZ agree on with data length extension. */
  mtu: number;
  /** Connection interval in milliseconds (7.5 to 4000); 30 by default. */
  connectionIntervalMs: number;
  /** Packets the link carries per connection event; 4 by default. */
  packetsPerInterval: number;
}

export const DEFAULT_LINK_PARAMETERS: Readonly<BleLinkParameters> = { mtu: 247, connectionIntervalMs: 30, packetsPerInterval: 4 };

/** The most ATT payload bytes per second the link can carry at full use, both directions together (they share its packets). */
export function bleLinkLimitBytesPerSecond(parameters: BleLinkParameters): number {
  return (attWritePayload(parameters.mtu) * parameters.packetsPerInterval * 1_000) / parameters.connectionIntervalMs;
}

/** Refuses parameters no BLE link could have, so a test knob set wrong fails loudly. */
export function checkLinkParameters(parameters: BleLinkParameters): BleLinkParameters {
  const { mtu, connectionIntervalMs, packetsPerInterval } = parameters;
  if (!Number.isInteger(mtu) || mtu < ATT_DEFAULT_MTU || mtu > ATT_MAX_MTU) throw new RangeError(`ATT MTU ${mtu} is outside ${ATT_DEFAULT_MTU}..${ATT_MAX_MTU}`);
  if (!(connectionIntervalMs >= 7.5 && connectionIntervalMs <= 4_000)) throw new RangeError(`connection interval ${connectionIntervalMs} ms is outside 7.5..4000 ms`);
  if (!Number.isInteger(packetsPerInterval) || packetsPerInterval < 1) throw new RangeError(`packets per interval must be a positive integer, not ${packetsPerInterval}`);
  return parameters;
}

/**
 * Hands out packet slots on one connection: up to packetsPerInterval per connection event,
 * events every connectionIntervalMs × timeScale. A packet waits for the first event with a
 * free slot. With timeScale 0 every packet goes at once.
 */
export class BleLinkPacer {
  private eventStart = Number.NEGATIVE_INFINITY;
  private usedInEvent = 0;

  constructor(
    private readonly parameters: BleLinkParameters,
    private readonly timeScale: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Milliseconds from now until the next packet may go; the slot is taken. */
  reserve(): number {
    const interval = this.parameters.connectionIntervalMs * this.timeScale;
    if (interval <= 0) return 0;
    const now = this.now();
    if (now >= this.eventStart + interval) {
      // The link was idle: the next event is the first on the interval grid at or after now.
      const elapsed = Number.isFinite(this.eventStart) ? Math.ceil((now - this.eventStart) / interval) : 0;
      this.eventStart = Number.isFinite(this.eventStart) ? this.eventStart + elapsed * interval : now;
      this.usedInEvent = 0;
    }
    if (this.usedInEvent >= this.parameters.packetsPerInterval) {
      this.eventStart += interval;
      this.usedInEvent = 0;
    }
    this.usedInEvent += 1;
    return Math.max(0, this.eventStart - now);
  }

  /** Wait for a packet slot. */
  async next(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
