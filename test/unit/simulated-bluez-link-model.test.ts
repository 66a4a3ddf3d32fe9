// The BLE link model behind the simulated BlueZ, and the pieces of the node's GATT side
// that are pure: SMP request reassembly and the PnP ID value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmpOp, encodeSmpPacket } from '../../src-main/protocols/smp/smp-packet';
import { BleLinkPacer, DEFAULT_LINK_PARAMETERS, bleLinkLimitBytesPerSecond, checkLinkParameters } from '../../src-main/virtual/ble/ble-link-model';
import { SmpRequestAssembler } from '../../src-main/virtual/ble/smp-request-assembler';
import { encodePnpId } from '../../src-main/virtual/ble/sensor-node-gatt';

describe('BLE link model', () => {
  it('carries (MTU − 3) × packets per interval each interval', () => {
    // 244 bytes × 4 packets every 30 ms.
    expect(bleLinkLimitBytesPerSecond(DEFAULT_LINK_PARAMETERS)).toBeCloseTo((244 * 4 * 1000) / 30, 6);
    expect(bleLinkLimitBytesPerSecond({ mtu: 23, connectionIntervalMs: 7.5, packetsPerInterval: 1 })).toBeCloseTo(2_666.67, 1);
  });

  it('refuses parameters no BLE link has', () => {
    expect(() => checkLinkParameters({ ...DEFAULT_LINK_PARAMETERS, mtu: 22 })).toThrow(RangeError);
    expect(() => checkLinkParameters({ ...DEFAULT_LINK_PARAMETERS, mtu: 518 })).toThrow(RangeError);
    expect(() => checkLinkParameters({ ...DEFAULT_LINK_PARAMETERS, connectionIntervalMs: 5 })).toThrow(RangeError);
    expect(() => checkLinkParameters({ ...DEFAULT_LINK_PARAMETERS, packetsPerInterval: 0 })).toThrow(RangeError);
    expect(checkLinkParameters(DEFAULT_LINK_PARAMETERS)).toEqual(DEFAULT_LINK_PARAMETERS);
  });

  it('gives each connection event at most packetsPerInterval slots, on the interval grid', () => {
    let now = 1_000;
    const pacer = new BleLinkPacer({ mtu: 247, connectionIntervalMs: 30, packetsPerInterval: 4 }, 1, () => now);
    const waits = Array.from({ length: 9 }, () => pacer.reserve());
    expect(waits).toEqual([0, 0, 0, 0, 30, 30, 30, 30, 60]);
    // Idle for a while: the next packet waits for the next event on the grid, never longer.
    now = 1_000 + 200;
    expect(pacer.reserve()).toBe(10);
  });

  it('sends at once at time scale 0', () => {
    const pacer = new BleLinkPacer(DEFAULT_LINK_PARAMETERS, 0, () => 0);
    expect(Array.from({ length: 20 }, () => pacer.reserve()).every((wait) => wait === 0)).toBe(true);
  });

  it('paces a long run at the model limit', () => {
    const now = 0;
    const parameters = { mtu: 247, connectionIntervalMs: 30, packetsPerInterval: 4 };
    const pacer = new BleLinkPacer(parameters, 1, () => now);
    let last = 0;
    for (let i = 0; i < 400; i++) last = now + pacer.reserve();
    const bytes = 400 * (parameters.mtu - 3);
    // 100 events: the last packet goes at the start of event 100, 99 intervals in.
    expect(last).toBe(99 * 30);
    expect(bytes / ((last + 30) / 1000)).toBeCloseTo(bleLinkLimitBytesPerSecond(parameters), 6);
  });
});

describe('SMP request reassembly', () => {
  const packet = (size: number, sequence: number) =>
    encodeSmpPacket({ version: 1, op: SmpOp.WRITE, flags: 0, group: 0, sequence, command: 0 }, { d: 'z'.repeat(size) });

  it('puts back any run of packets written in any pieces', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1 }), (sizes, cuts) => {
        const packets = sizes.map((size, i) => packet(size, i));
        const stream = Buffer.concat(packets);
        const assembler = new SmpRequestAssembler();
        const out: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const length = cuts[i % cuts.length] ?? 1;
          out.push(...assembler.push(stream.subarray(at, at + length)));
          at += length;
        }
        expect(out.map((p) => Buffer.from(p))).toEqual(packets.map((p) => Buffer.from(p)));
        expect(assembler.heldBytes).toBe(0);
      }),
    );
  });

  it('holds a packet cut off by the link until reset drops it', () => {
    const assembler = new SmpRequestAssembler();
    const whole = packet(40, 1);
    expect(assembler.push(whole.subarray(0, 20))).toEqual([]);
    expect(assembler.heldBytes).toBe(20);
    assembler.reset();
    expect(assembler.push(whole).map((p) => Buffer.from(p))).toEqual([Buffer.from(whole)]);
  });
});

describe('PnP ID', () => {
  it('encodes vendor source, vendor, product and the running version as 0xJJMN', () => {
    const value = Buffer.from(encodePnpId('1.4.2'));
    expect(value.length).toBe(7);
    expect(value[0]).toBe(0x01);
    expect(value.readUInt16LE(1)).toBe(0x0059);
    expect(value.readUInt16LE(3)).toBe(0x5e05);
    expect(value.readUInt16LE(5)).toBe(0x0142);
    expect(Buffer.from(encodePnpId('2.10.3')).readUInt16LE(5)).toBe(0x02a3);
  });
});
