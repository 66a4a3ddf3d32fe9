// A tray of virtual devices attached in one request, all or nothing: the order of the tray is
// kept, and a unit that cannot attach takes the ones before it down again, newest first, with
// an error that says which unit failed and keeps what its cause told the user to do.
import { describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { Device, VirtualFaults } from '../../src-main/api/schemas';
import { attachVirtualMany, type AttachVirtualManyDeps } from '../../src-main/core/devices/attach-virtual-many';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

function virtualNode(n: number): Device {
  return {
    id: `serial:/tmp/fieldbench-virtual/SN-${n}`,
    transport: 'serial',
    path: `/tmp/fieldbench-virtual/SN-${n}`,
    virtual: true,
    profileId: 'fieldbench-sensor-node',
    profileName: 'Sensor Node',
    identity: { model: 'sensor-node', serialNumber: `SN-${n}`, firmwareVersion: '1.4.2', hardwareRevision: 'rev C' },
    firmware: { method: 'mcumgr-serial', slotSize: 393216, signatureRequired: false },
    state: 'ready',
    seenAt: '2026-01-01T00:00:00.000Z',
  };
}

/** A directory that attaches units in turn and fails the ones `failAt` names; every call is written down. */
function tray(failAt: Map<number, unknown>, detachFails = new Set<string>()) {
  const calls: string[] = [];
  const logged: { level: string; message: string }[] = [];
  let attempts = 0;
  const deps: AttachVirtualManyDeps = {
    attach: async (faults: VirtualFaults | undefined) => {
      attempts += 1;
      calls.push(`attach ${attempts} ${JSON.stringify(faults ?? null)}`);
      const failure = failAt.get(attempts);
      if (failure !== undefined) throw failure;
      return virtualNode(attempts);
    },
    detach: async (deviceId: string) => {
      calls.push(`detach ${deviceId}`);
      if (detachFails.has(deviceId)) throw new Error('the pseudo-terminal would not close');
      return {};
    },
    log: (level, message) => logged.push({ level, message }),
  };
  return { deps, calls, logged };
}

describe('attachVirtualMany', () => {
  it('attaches every unit in the order given, each with its own faults', async () => {
    const { deps, calls, logged } = tray(new Map());
    const units = [{}, { faults: { failingSelftestPart: 'sensor' as const } }, { faults: { batteryVolts: 3.1 } }];
    const devices = await attachVirtualMany(units, deps);
    expect(devices.map((d) => d.id)).toEqual([1, 2, 3].map((n) => virtualNode(n).id));
    expect(calls).toEqual(['attach 1 null', 'attach 2 {"failingSelftestPart":"sensor"}', 'attach 3 {"batteryVolts":3.1}']);
    expect(logged).toEqual([]);
  });

  it('a unit failing in the middle detaches those attached before it, newest first, and names the unit with its cause’s code and hint', async () => {
    const cause = new FieldbenchError({ code: 'unavailable', message: 'socat is not installed', step: 'make pseudo-terminal', hint: 'Install socat.' });
    const { deps, calls, logged } = tray(new Map([[3, cause]]));
    const error = await fieldbenchErrorOf(attachVirtualMany([{}, {}, {}, {}], deps));
    expect(calls).toEqual(['attach 1 null', 'attach 2 null', 'attach 3 null', `detach ${virtualNode(2).id}`, `detach ${virtualNode(1).id}`]);
    expect(error.code).toBe('unavailable');
    expect(error.hint).toBe('Install socat.');
    expect(error.step).toBe('attach virtual devices');
    expect(error.message).toBe('virtual unit 3 of 4 could not be attached: socat is not installed; the 2 attached before it were detached again');
    expect(error.cause).toBe(cause);
    expect(logged).toEqual([]);
  });

  it('an unexpected failure becomes an internal error with a hint of its own', async () => {
    const { deps, calls } = tray(new Map([[1, new Error('out of file descriptors')]]));
    const error = await fieldbenchErrorOf(attachVirtualMany([{}, {}], deps));
    expect(calls).toEqual(['attach 1 null']);
    expect(error.code).toBe('internal');
    expect(error.message).toContain('virtual unit 1 of 2 could not be attached: Error: out of file descriptors');
    expect(error.hint).toBeTruthy();
  });

  it('a detach that fails on the way back is logged, the others are still detached, and the attach error is what is thrown', async () => {
    const cause = new FieldbenchError({ code: 'device-busy', message: 'the port is held', hint: 'Close the other console.' });
    const { deps, calls, logged } = tray(new Map([[4, cause]]), new Set([virtualNode(2).id]));
    const error = await fieldbenchErrorOf(attachVirtualMany([{}, {}, {}, {}], deps));
    expect(calls.filter((c) => c.startsWith('detach'))).toEqual([3, 2, 1].map((n) => `detach ${virtualNode(n).id}`));
    expect(logged).toHaveLength(1);
    expect(logged[0]?.level).toBe('warn');
    expect(logged[0]?.message).toContain(virtualNode(2).path);
    expect(logged[0]?.message).toContain('unit 4 failed');
    expect(logged[0]?.message).toContain('the pseudo-terminal would not close');
    expect(error).toMatchObject({ code: 'device-busy', hint: 'Close the other console.' });
    expect(error.message).toBe(`virtual unit 4 of 4 could not be attached: the port is held; of the 3 attached before it, ${virtualNode(2).path} could not be detached: detach it from the device list`);
  });
});
