// The core as every door sees it, against the virtual sensor node on a real PTY through
// the real serialport, and a real SQLite file.
import { existsSync, realpathSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import type { Device } from '../../src-main/api/schemas';
import { stableHostPath } from '../../src-main/virtual/attach-sensor-node';
import { fails, ok, startCore } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir>;
let core: Core;

beforeEach(async () => {
  dir = makeTempDir('core');
  core = await startCore(dir.path);
});

afterEach(async () => {
  await core.close();
  dir.remove();
});

describe('devices', () => {
  it('attaches a virtual sensor node on a pseudo-terminal and recognises it from its profile', async () => {
    const seen: Device[][] = [];
    core.events.on('devices.changed', (list) => seen.push(list));
    const device = await ok(core, 'devices.attachVirtual', {});
    expect(device).toMatchObject({
      transport: 'serial',
      virtual: true,
      profileId: 'fieldbench-sensor-node',
      state: 'ready',
      identity: { model: 'sensor-node', firmwareVersion: '1.4.2' },
    });
    expect(device.identity?.serialNumber).toMatch(/^SN-[0-9A-F]{8}$/);
    // A stable path named after the node, linked to its pseudo-terminal, as /dev/serial/by-id/... is to a USB adapter.
    expect(device.path).toBe(stableHostPath(device.identity?.serialNumber ?? ''));
    expect(realpathSync(device.path)).toMatch(/^\/dev\/pts\/\d+$/);
    // Whatever real ports this machine has are listed too; look at the virtual ones.
    const virtualOnly = (list: Device[] | undefined) => (list ?? []).filter((d) => d.virtual);
    expect(virtualOnly(await ok(core, 'devices.list', {}))).toEqual([device]);
    expect(virtualOnly(seen.at(-1)).map((d) => d.id)).toEqual([device.id]);

    await ok(core, 'devices.detach', { deviceId: device.id });
    expect(virtualOnly(await ok(core, 'devices.list', {}))).toEqual([]);
    expect(existsSync(device.path)).toBe(false);
    expect(virtualOnly(seen.at(-1))).toEqual([]);
  });

  it('reads diagnostics with values, units and statuses against the profile limits', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const report = await ok(core, 'diagnostics.read', { deviceId: device.id });
    const byId = Object.fromEntries(report.readings.map((r) => [r.id, r]));
    expect(report.identity?.serialNumber).toBe(device.identity?.serialNumber);
    expect(report.readings.length).toBeGreaterThanOrEqual(6);
    for (const reading of report.readings) {
      expect(['ok', 'warn', 'fail']).toContain(reading.status);
      expect(Date.parse(reading.readAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
    }
    const voltage = Object.values(byId).find((r) => r.unit === 'V');
    expect(voltage?.value).toBeTypeOf('number');
    expect(await ok(core, 'diagnostics.last', { deviceId: device.id })).toEqual(report);
  });

  it('a device that stops answering gives a time-out naming the port and the command, and is marked unresponsive', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    await ok(core, 'devices.setFaults', { deviceId: device.id, faults: { silent: true } });
    const error = await fails(core, 'diagnostics.read', { deviceId: device.id });
    expect(error.code).toBe('timeout');
    expect(error.device).toBe(device.path);
    expect(`${error.step} ${error.message}`).toMatch(/device info|kernel uptime/);
    expect(error.hint).toBeTruthy();
    const listed = (await ok(core, 'devices.list', {})).find((d) => d.id === device.id);
    expect(listed?.state).toBe('unresponsive');

    // It recovers once the device answers again.
    await ok(core, 'devices.setFaults', { deviceId: device.id, faults: {} });
    const report = await ok(core, 'diagnostics.read', { deviceId: device.id });
    expect(report.readings.length).toBeGreaterThan(0);
  });

  it('a device that drops off mid-answer is reported gone, not hung', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    // Counted from now: the answers to the first few commands get out, then the cable is pulled.
    await ok(core, 'devices.setFaults', { deviceId: device.id, faults: { dropAfterBytes: 120 } });
    const error = await fails(core, 'diagnostics.read', { deviceId: device.id });
    expect(error.code).toBe('device-gone');
    expect(error.device).toBe(device.path);
    expect(error.hint).toBeTruthy();
  });

  it('refuses unknown devices, missing ports and invalid payloads with typed errors', async () => {
    expect((await fails(core, 'diagnostics.read', { deviceId: 'serial:/dev/nothing' })).code).toBe('not-found');
    expect((await fails(core, 'devices.addPort', { path: '/dev/does-not-exist' })).code).toBe('not-found');
    expect((await fails(core, 'devices.attachVirtual', { model: 'toaster' })).code).toBe('invalid-request');
    expect((await fails(core, 'devices.setFaults', { deviceId: 'x', faults: { garbage: 5 } })).code).toBe('invalid-request');
  });
});

describe('cases', () => {
  it('opens a case from a device with its identity and a diagnostics snapshot, and keeps notes across a restart', async () => {
    const device = await ok(core, 'devices.attachVirtual', {});
    const opened = await ok(core, 'cases.open', { title: 'Battery drains overnight', deviceId: device.id });
    expect(opened.device?.identity?.serialNumber).toBe(device.identity?.serialNumber);
    expect(opened.snapshot?.readings.length).toBeGreaterThan(0);
    expect(opened.deviceSerial).toBe(device.identity?.serialNumber);

    const noteId = crypto.randomUUID();
    await ok(core, 'cases.saveNote', { caseId: opened.id, noteId, text: 'Voltage sags' });
    const saved = await ok(core, 'cases.saveNote', { caseId: opened.id, noteId, text: 'Voltage sags under radio load' });
    expect(saved.revision).toBe(2);
    await ok(core, 'cases.setStatus', { caseId: opened.id, status: 'resolved' });

    await core.close();
    core = await startCore(dir.path);
    const reopened = await ok(core, 'cases.get', { caseId: opened.id });
    expect(reopened.status).toBe('resolved');
    expect(reopened.notes.map((n) => n.text)).toEqual(['Voltage sags under radio load']);
    expect(reopened.snapshot).toEqual(opened.snapshot);
    expect((await ok(core, 'cases.list', { status: 'resolved' })).map((c) => c.id)).toEqual([opened.id]);
    expect(await ok(core, 'cases.list', { status: 'open' })).toEqual([]);
  });

  it('opens a case without a device', async () => {
    const opened = await ok(core, 'cases.open', { title: 'Customer call, no unit yet' });
    expect(opened.device).toBeNull();
    expect(opened.snapshot).toBeNull();
    expect((await fails(core, 'cases.get', { caseId: crypto.randomUUID() })).code).toBe('not-found');
  });
});
