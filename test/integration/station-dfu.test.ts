// The bench station over USB DFU: a real core watching a virtual USB bus, a tray of virtual DFU
// gadgets attached in one request (one whose flash fails to program), the shipped gadget recipe.
// Each unit leaves its application for its DFU bootloader and comes back, so it re-enumerates
// twice during its run; its tile must follow it rather than multiply. What each unit's flash
// holds is read back from the board itself.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Device } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import { dfuStatusMeaning } from '../../src-main/protocols/dfu/dfu-status';
import { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { ok, PROFILES_DIR } from '../helpers/core-fixture';
import { readFixture } from '../helpers/firmware-fixtures';
import { allFinished, watchStation, type StationWatcher } from '../helpers/station-units';
import { makeTempDir } from '../helpers/temp-dir';
import { until } from '../helpers/until';

const RECIPE = fileURLToPath(new URL('../../recipes/dfu-gadget-1.00.yaml', import.meta.url));
const IMAGE = readFixture('dfu', 'app.bin');
/** Virtual boards run this much faster than hardware: erases and re-enumeration take milliseconds. */
const TIME_SCALE = 0.01;
const TRAY_DEADLINE_MS = 60_000;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let dir: ReturnType<typeof makeTempDir>;
let bus: VirtualUsbBus;
let core: Core;
let station: StationWatcher;

beforeEach(async () => {
  dir = makeTempDir('station-dfu');
  bus = new VirtualUsbBus();
  core = await createCore({ dataDir: dir.path, profilesDir: PROFILES_DIR, checkResponses: true, discoveryIntervalMs: 0, usbBus: bus, virtualTimeScale: TIME_SCALE });
  station = watchStation(core);
});
afterEach(async () => {
  station.stop();
  for (const board of bus.boards()) await core.dispatch('devices.detach', { deviceId: `usb:${board.serialNumber}` });
  await core.close();
  dir.remove();
});

/** The device as the list shows it once `ready` holds (with a deadline). */
function listed(deviceId: string, ready: (device: Device) => boolean): Promise<Device> {
  return until(`${deviceId} as expected in the device list`, async () => (await ok(core, 'devices.list', {})).find((d) => d.id === deviceId && ready(d)), 10_000, 20);
}

describe('the station over USB DFU', () => {
  it('flashes four gadgets at once, one failing to program: three verified and back in their application, one left in DFU mode with the status; four tiles, four records', async () => {
    const loaded = await ok(core, 'station.load', { file: RECIPE });
    expect(loaded).toMatchObject({ autoStart: true, recipe: { id: 'dfu-gadget-production', method: 'usb-dfu', onPass: 'reset', onFail: 'leave-in-bootloader', parallelism: { usb: 4 } } });

    const FAILING = 1;
    // Which USB modes each unit was listed in while the station ran it.
    const modes = new Map<string, Set<string>>();
    const offDevices = core.events.on('devices.changed', (list) => {
      for (const device of list) {
        const mode = device.usb?.dfu?.mode;
        if (mode) modes.set(device.id, (modes.get(device.id) ?? new Set()).add(mode));
      }
    });
    const devices = await ok(core, 'devices.attachVirtualMany', {
      model: 'dfu-gadget',
      units: [{}, { faults: { dfuError: { status: 'errWRITE', atByte: 8192 } } }, {}, {}],
    });
    expect(devices.map((d) => d.transport)).toEqual(['usb', 'usb', 'usb', 'usb']);
    const ids = devices.map((d) => d.id);
    const tiles = await station.until('all four tiles finished', allFinished(ids), TRAY_DEADLINE_MS);

    const passed = ids.filter((_, i) => i !== FAILING);
    for (const id of passed) expect(tiles.get(id)).toMatchObject({ state: 'passed', reason: null, present: true });
    const failed = tiles.get(ids[FAILING]!)!;
    expect(failed.state).toBe('failed');
    expect(failed.reason).toContain('errWRITE');
    expect(failed.reason).toContain(dfuStatusMeaning(0x03));

    offDevices();
    // Each unit left for its bootloader and came back under the same id: one tile each, never more.
    for (const id of ids) expect([...(modes.get(id) ?? [])].sort()).toEqual(['dfu', 'runtime']);
    expect(new Set(station.seen.map((u) => u.deviceId))).toEqual(new Set(ids));
    const state = await ok(core, 'station.state', {});
    expect(state.units.map((u) => u.deviceId)).toEqual(ids);
    expect(state.counts).toMatchObject({ passed: 3, failed: 1, running: 0 });
    expect(station.peakRunning('usb')).toBeLessThanOrEqual(4);

    // The flash jobs verified what they wrote; the boards hold the image, and those that passed run it.
    for (const id of passed) {
      const job = await ok(core, 'firmware.job', { jobId: tiles.get(id)!.firmwareJobId! });
      expect(job.outcome).toBe('verified');
      await listed(id, (d) => d.state === 'ready' && d.usb?.dfu?.mode === 'runtime');
    }
    await listed(ids[FAILING]!, (d) => d.usb?.dfu?.mode === 'dfu');
    for (const device of devices) {
      const board = bus.boards().find((b) => `usb:${b.serialNumber}` === device.id)!;
      const written = sha256(board.readFlash(0, IMAGE.length)) === sha256(IMAGE);
      expect(written, `${device.id} holds the image`).toBe(device.id !== ids[FAILING]);
    }

    const runs = await ok(core, 'station.runs', {});
    expect(runs).toHaveLength(4);
    expect(runs.map((r) => r.serialNumber).sort()).toEqual(devices.map((d) => d.identity?.serialNumber).sort());
    for (const run of runs) expect(run).toMatchObject({ transport: 'usb', recipeId: 'dfu-gadget-production', imageSha256: sha256(IMAGE), procedureId: null, operator: null });
    const failedRun = runs.find((r) => r.serialNumber === devices[FAILING]!.identity?.serialNumber)!;
    expect(failedRun.outcome).toBe('failed');
    expect(failedRun.failureReason).toContain('errWRITE');
    expect(runs.filter((r) => r.outcome === 'passed')).toHaveLength(3);
  }, 90_000);
});
