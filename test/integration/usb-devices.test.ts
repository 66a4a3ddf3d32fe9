// USB devices through the contract, as every door sees them: virtual DFU boards on a virtual
// USB bus beside a virtual sensor node on a real pseudo-terminal, and the real USB bus's status
// (on this machine: none) in system.info.
import { afterEach, describe, expect, it } from 'vitest';
import type { Device } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { fails, ok, PROFILES_DIR, startCore } from '../helpers/core-fixture';
import { makeTempDir } from '../helpers/temp-dir';

let dir: ReturnType<typeof makeTempDir> | null = null;
let core: Core | null = null;

async function startUsbCore(): Promise<Core> {
  dir = makeTempDir('usb-core');
  core = await createCore({
    dataDir: dir.path,
    profilesDir: PROFILES_DIR,
    checkResponses: true,
    discoveryIntervalMs: 0,
    usbBus: new VirtualUsbBus(),
    virtualTimeScale: 0.02,
  });
  return core;
}

afterEach(async () => {
  await core?.close();
  dir?.remove();
  core = null;
  dir = null;
});

describe('USB devices through the core', () => {
  it('lists an attached STM32 board with its USB and DFU details, beside a working virtual sensor node', async () => {
    const core = await startUsbCore();
    const seen: Device[][] = [];
    core.events.on('devices.changed', (list) => seen.push(list));

    const board = await ok(core, 'devices.attachVirtual', { model: 'stm32-dfu' });
    expect(board).toMatchObject({
      transport: 'usb',
      virtual: true,
      path: 'usb 0483:5740 (virtual)',
      profileId: 'stm32-dfu-runtime-board',
      state: 'ready',
      firmware: { method: 'usb-dfu', mode: 'runtime' },
      usb: { vendorId: '0483', productId: '5740', dfu: { mode: 'runtime' } },
    });
    expect(board.id).toBe(`usb:${board.usb?.serialNumber}`);

    const node = await ok(core, 'devices.attachVirtual', { model: 'sensor-node' });
    expect(node).toMatchObject({ transport: 'serial', profileId: 'fieldbench-sensor-node', state: 'ready' });
    const report = await ok(core, 'diagnostics.read', { deviceId: node.id });
    expect(report.readings.length).toBeGreaterThan(0);

    const virtual = (await ok(core, 'devices.list', {})).filter((d) => d.virtual);
    expect(virtual.map((d) => d.id).sort()).toEqual([board.id, node.id].sort());
    expect(virtual.map((d) => d.path)).toEqual([...virtual.map((d) => d.path)].sort((a, b) => a.localeCompare(b)));
    // devices.changed carries the whole merged list, not one registry's.
    const last = (seen.at(-1) ?? []).filter((d) => d.virtual).map((d) => d.id);
    expect(last.sort()).toEqual([board.id, node.id].sort());
  });

  it('enters DFU mode: the same id comes back in the DfuSe bootloader, announced by devices.changed', async () => {
    const core = await startUsbCore();
    const board = await ok(core, 'devices.attachVirtual', { model: 'stm32-dfu' });
    const seen: Device[][] = [];
    core.events.on('devices.changed', (list) => seen.push(list));
    const inDfu = await ok(core, 'devices.enterDfu', { deviceId: board.id });
    expect(inDfu).toMatchObject({ id: board.id, path: 'usb 0483:df11 (virtual)', profileId: 'stm32-system-bootloader', firmware: { method: 'usb-dfu', mode: 'dfu', dfuse: true } });
    expect(inDfu.usb?.dfu?.alts[0]?.layout?.regions[0]?.address).toBe(0x08000000);
    const states = seen.map((list) => list.find((d) => d.id === board.id)?.state);
    expect(states).toContain('busy');
    expect(states.at(-1)).toBe('ready');
    expect((await ok(core, 'devices.list', {})).find((d) => d.id === board.id)).toEqual(inDfu);
  });

  it('attaches a board straight into its bootloader; virtual models take only their own start modes', async () => {
    const core = await startUsbCore();
    const gadget = await ok(core, 'devices.attachVirtual', { model: 'dfu-gadget', startIn: 'bootloader' });
    expect(gadget).toMatchObject({ path: 'usb 1209:0006 (virtual)', firmware: { mode: 'dfu', dfuse: false } });
    expect(await fails(core, 'devices.attachVirtual', { model: 'dfu-gadget', startIn: 'serial-recovery' })).toMatchObject({ code: 'invalid-request' });
    expect(await fails(core, 'devices.attachVirtual', { model: 'sensor-node', startIn: 'bootloader' })).toMatchObject({ code: 'invalid-request' });
    expect((await fails(core, 'devices.enterDfu', { deviceId: gadget.id })).message).toContain('already runs its DFU bootloader');
    await ok(core, 'devices.setFaults', { deviceId: gadget.id, faults: { usbStallNext: true } });
    await ok(core, 'devices.detach', { deviceId: gadget.id });
    expect((await ok(core, 'devices.list', {})).filter((d) => d.transport === 'usb')).toEqual([]);
  });

  it('answers shell, SMP and serial-only requests on a USB device with a sentence, and opens a case with its identity', async () => {
    const core = await startUsbCore();
    const board = await ok(core, 'devices.attachVirtual', { model: 'stm32-dfu', startIn: 'bootloader' });
    const diagnostics = await fails(core, 'diagnostics.read', { deviceId: board.id });
    expect(diagnostics).toMatchObject({ code: 'unavailable' });
    expect(diagnostics.message).toContain('no diagnostics to read');
    expect(await fails(core, 'smp.echo', { deviceId: board.id, text: 'x' })).toMatchObject({ code: 'unavailable' });
    expect(await fails(core, 'firmware.slots', { deviceId: board.id })).toMatchObject({ code: 'unavailable' });

    const node = await ok(core, 'devices.attachVirtual', { model: 'sensor-node' });
    expect((await fails(core, 'devices.enterDfu', { deviceId: node.id })).message).toContain('not a USB DFU device');

    const opened = await ok(core, 'cases.open', { title: 'Board will not boot', deviceId: board.id });
    const detail = await ok(core, 'cases.get', { caseId: opened.id });
    expect(detail.device).toMatchObject({ deviceId: board.id, transport: 'usb', identity: { serialNumber: board.usb?.serialNumber } });
    expect(detail.device?.identity?.firmwareVersion).toMatch(/^\d+\.\d\d$/);
  });
});

describe('the real USB bus in system.info', () => {
  it('lists serial and USB discovery; on a machine without a USB bus the USB line says why and what to do', async () => {
    dir = makeTempDir('usb-core');
    core = await startCore(dir.path);
    await core.ready();
    const info = await ok(core, 'system.info', {});
    expect(info.discovery.map((d) => d.transport)).toEqual(['serial', 'usb', 'ble']);
    const usb = info.discovery.find((d) => d.transport === 'usb');
    if (usb?.available) {
      console.warn(`[usb-devices] this machine HAS a USB bus (${usb.method}); the no-bus branch did not run here`);
      expect(usb.note).toBeNull();
    } else {
      console.warn(`[usb-devices] no USB bus here: ${usb?.note}`);
      expect(usb).toMatchObject({ method: 'not available', available: false });
      expect(usb?.note).toMatch(/USB devices are not listed/);
      // Serial discovery and virtual devices are untouched by the missing bus.
      const node = await ok(core, 'devices.attachVirtual', { model: 'sensor-node' });
      expect(node.state).toBe('ready');
    }
  });
});
