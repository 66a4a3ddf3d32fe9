// USB DFU flashing through the core, as every door drives it: virtual STM32 and DFU gadget
// boards on a virtual USB bus, the real DFU engine, the USB registry following each board
// across re-enumeration, a real case store. What lands in the board's flash is read back from
// the board itself, and every fault the board can play is taken through the whole job.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { Device, FirmwareJob, FirmwareJobOptions, FirmwareProgress, VirtualFaults } from '../../src-main/api/schemas';
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import { dfuStatusMeaning } from '../../src-main/protocols/dfu/dfu-status';
import { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';
import { fails, ok, PROFILES_DIR } from '../helpers/core-fixture';
import { readExpectations, readFixture, type DfuExpectation } from '../helpers/firmware-fixtures';
import { makeTempDir } from '../helpers/temp-dir';

/** Virtual boards run this much faster than hardware: erases and re-enumeration take milliseconds. */
const TIME_SCALE = 0.01;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const expectations = readExpectations<DfuExpectation>('dfu');
const expected = (file: string) => expectations.find((e) => e.file === file)!;

let dir: ReturnType<typeof makeTempDir>;
let bus: VirtualUsbBus;
let core: Core;
let serial = 0;

beforeEach(async () => {
  dir = makeTempDir('usb-dfu');
  bus = new VirtualUsbBus();
  core = await createCore({ dataDir: dir.path, profilesDir: PROFILES_DIR, checkResponses: true, discoveryIntervalMs: 0, usbBus: bus });
});
afterEach(async () => {
  await core.close();
  dir.remove();
});

type Board = ReturnType<VirtualUsbBus['plug']>;

/** A board on the bus, and its entry in the device list once the registry has read it. */
async function plug(model: 'stm32-dfu' | 'dfu-gadget', startIn: 'application' | 'bootloader', faults?: VirtualFaults): Promise<{ board: Board; device: Device }> {
  serial += 1;
  const serialNumber = `FB${String(serial).padStart(6, '0')}`;
  const board = bus.plug({ model, serialNumber, startIn, timeScale: TIME_SCALE, ...(faults ? { faults } : {}) });
  const device = await listed(`usb:${serialNumber}`, (d) => d.usb?.dfu?.mode === (startIn === 'application' ? 'runtime' : 'dfu') && d.state === 'ready');
  return { board, device };
}

/** The device as the list shows it once `ready` holds (with a deadline). */
async function listed(deviceId: string, ready: (device: Device) => boolean, deadlineMs = 10_000): Promise<Device> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const device = (await ok(core, 'devices.list', {})).find((d) => d.id === deviceId);
    if (device && ready(device)) return device;
    if (Date.now() > deadline) throw new Error(`device ${deviceId} not as expected within ${deadlineMs} ms: ${JSON.stringify(device ?? null)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface FlashRun {
  job: FirmwareJob;
  progress: FirmwareProgress[];
}

/** Start a flash and collect its events until it finishes (with a deadline); `during` runs on each progress event. */
async function flash(
  deviceId: string,
  file: { name: string; bytes: Uint8Array },
  dfu: FirmwareJobOptions['dfu'] = {},
  extra: { caseId?: string; during?: (p: FirmwareProgress, jobId: string) => void; deadlineMs?: number } = {},
): Promise<FlashRun> {
  const progress: FirmwareProgress[] = [];
  let jobId = '';
  const offProgress = core.events.on('firmware.progress', (p) => {
    if (p.jobId !== jobId) return;
    progress.push(p);
    extra.during?.(p, jobId);
  });
  let finish!: (job: FirmwareJob) => void;
  const finished = new Promise<FirmwareJob>((resolve) => (finish = resolve));
  const offJob = core.events.on('firmware.job', (job) => {
    if (job.id === jobId && job.state === 'finished') finish(job);
  });
  try {
    const started = await ok(core, 'firmware.flash', {
      deviceId,
      fileName: file.name,
      contentBase64: base64(file.bytes),
      options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu },
      ...(extra.caseId ? { caseId: extra.caseId } : {}),
    });
    jobId = started.id;
    expect(started.state).toBe('running');
    const deadlineMs = extra.deadlineMs ?? 30_000;
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no outcome within ${deadlineMs} ms`)), deadlineMs));
    const job = await Promise.race([finished, timer, ok(core, 'firmware.job', { jobId }).then((j) => (j.state === 'finished' ? j : finished))]);
    // The journal, read through the contract, says the same as the last event.
    expect(await ok(core, 'firmware.job', { jobId })).toEqual(job);
    return { job, progress };
  } finally {
    offProgress();
    offJob();
  }
}

async function refused(deviceId: string, file: { name: string; bytes: Uint8Array }, dfu: FirmwareJobOptions['dfu'] = {}): Promise<ApiErrorShape> {
  return fails(core, 'firmware.flash', {
    deviceId,
    fileName: file.name,
    contentBase64: base64(file.bytes),
    options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu },
  });
}

const fixture = (name: string) => ({ name, bytes: readFixture('dfu', name) });
const doneSteps = (job: FirmwareJob) => job.steps.filter((s) => s.status === 'done').map((s) => s.step);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('an STM32 board flashed from its application', () => {
  it('detaches, reconnects, erases, writes, verifies, leaves and comes back under the same id; the DfuSe file lands byte for byte', async () => {
    const { board, device } = await plug('stm32-dfu', 'application');
    const opened = await ok(core, 'cases.open', { title: 'Reflash the bench board', deviceId: device.id });
    const { job, progress } = await flash(device.id, fixture('stm32-two-elements.dfu'), {}, { caseId: opened.id });

    expect(job).toMatchObject({ outcome: 'verified', reason: null, state: 'finished', cancellable: false });
    expect(doneSteps(job)).toEqual(['preflight', 'detach', 'reconnect', 'preflight', 'erase', 'write', 'verify', 'manifest', 'reconnect']);
    const target = expected('stm32-two-elements.dfu').targets![0]!;
    const total = target.elements.reduce((sum, e) => sum + e.size, 0);
    expect(job.uploaded).toBe(total);
    for (const element of target.elements) expect(sha256(board.readFlash(element.address, element.size))).toBe(element.sha256);
    expect(board.stats().pagesErased).toBeGreaterThan(0);
    expect(progress.filter((p) => p.step === 'write').at(-1)).toMatchObject({ sent: total, total });
    expect(progress.some((p) => p.step === 'verify')).toBe(true);

    // Back in its application, under the id it had, with the version it reports.
    const back = await listed(device.id, (d) => d.usb?.dfu?.mode === 'runtime' && d.state === 'ready');
    expect(job.versionAfter).toBe(back.identity?.firmwareVersion);
    expect(job.versionBefore).toBe(device.identity?.firmwareVersion);

    const timeline = (await ok(core, 'cases.get', { caseId: opened.id })).timeline.filter((e) => e.kind === 'firmware');
    expect(timeline.map((e) => e.summary.replace(/ — .*/su, ''))).toEqual([
      ...job.steps.map((s) => `Firmware stm32-two-elements.dfu: ${s.step} ${s.status}`),
      'Firmware update verified',
    ]);
  });

  it('a raw binary goes to the address asked for', async () => {
    const { board, device } = await plug('stm32-dfu', 'application');
    const app = fixture('app.bin');
    const { job } = await flash(device.id, app, { address: 0x08020000 });
    expect(job.outcome).toBe('verified');
    expect(same(board.readFlash(0x08020000, app.bytes.length), app.bytes)).toBe(true);
  });
});

describe('refused before the device is touched', () => {
  it('a DFU file whose suffix CRC is wrong', async () => {
    const { board, device } = await plug('stm32-dfu', 'bootloader');
    const before = board.stats().controlTransfers;
    const error = await refused(device.id, fixture('app-suffixed-badcrc.dfu'), { address: 0x08000000 });
    expect(error).toMatchObject({ code: 'invalid-request' });
    expect(error.message).toMatch(/suffix CRC mismatch/);
    expect(board.stats().controlTransfers).toBe(before);
  });

  it('an image outside the memory layout: not one page erased', async () => {
    const { board, device } = await plug('stm32-dfu', 'bootloader');
    const error = await refused(device.id, fixture('app.bin'), { address: 0x080ff000 });
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(/does not fit the memory layout/);
    expect(board.stats().pagesErased).toBe(0);
    expect(board.stats().bytesWritten).toBe(0);
  });
});

describe('the DFU gadget (plain DFU 1.1)', () => {
  const suffix = expected('app-suffixed.dfu').suffix;
  const gadgetIds = { vendorId: 0x1209, productId: 0x0006 };

  it('refuses app-suffixed.dfu, made for another device, naming both ids and the option', async () => {
    // The fixture names the STM32 bootloader; the gadget's bootloader is 1209:0006.
    expect([suffix.idVendor, suffix.idProduct]).not.toEqual([gadgetIds.vendorId, gadgetIds.productId]);
    const { board, device } = await plug('dfu-gadget', 'bootloader');
    const error = await refused(device.id, fixture('app-suffixed.dfu'));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toContain('0483:df11');
    expect(error.message).toContain('1209:0006');
    expect(error.hint).toContain('ignoreIdMismatch');
    expect(board.stats().bytesWritten).toBe(0);
  });

  it('flashes it from the application with ignoreIdMismatch: the payload lands from 0', async () => {
    const { board, device } = await plug('dfu-gadget', 'application');
    // The profile names the gadget's bootloader, so the mismatch is seen before the detach too.
    expect((await refused(device.id, fixture('app-suffixed.dfu'))).message).toContain('1209:0006');
    const { job } = await flash(device.id, fixture('app-suffixed.dfu'), { ignoreIdMismatch: true });
    expect(['verified', 'written']).toContain(job.outcome);
    if (job.outcome === 'written') expect(job.reason).toMatch(/not read back/);
    expect(doneSteps(job)).toEqual(expect.arrayContaining(['detach', 'reconnect', 'write', 'manifest']));
    expect(job.steps.find((s) => s.step === 'erase')?.status).toBe('skipped');
    const payload = readFixture('dfu', 'app.bin');
    expect(sha256(board.readFlash(0, payload.length))).toBe(expected('app-suffixed.dfu').payload_sha256);
    await listed(device.id, (d) => d.usb?.dfu?.mode === 'runtime');
  });
});

describe('faults through the job', () => {
  const app = () => fixture('app.bin');

  it('a stalled request: failed, saying the device stalled it', async () => {
    const { board, device } = await plug('stm32-dfu', 'bootloader');
    board.setFaults({ usbStallNext: true });
    const { job } = await flash(device.id, app(), { address: 0x08000000 });
    expect(job.outcome).toBe('failed');
    expect(job.reason).toMatch(/^preflight failed: the device stalled DFU_GETSTATUS.*; nothing was written: the flash holds what it held before\./);
    expect(board.stats().pagesErased).toBe(0);
  });

  it.each([
    ['errWRITE', 0x03],
    ['errVERIFY', 0x07],
    ['errADDRESS', 0x08],
  ] as const)('%s mid-write: failed in write, naming the error and the partly written flash', async (status, code) => {
    const { device } = await plug('stm32-dfu', 'bootloader', { dfuError: { status, atByte: 8192 } });
    const { job } = await flash(device.id, app(), { address: 0x08000000 });
    expect(job.outcome).toBe('failed');
    expect(job.reason).toContain('write failed: ');
    expect(job.reason).toContain(dfuStatusMeaning(code));
    expect(job.reason).toMatch(/the flash is partly written \(\d+ of 20000 bytes\) and the application will not start; the ROM bootloader is intact/);
  });

  it('unplugged mid-write: failed, naming the byte, with what to do', async () => {
    const { device } = await plug('stm32-dfu', 'bootloader', { dropAtReceivedBytes: 10_000 });
    const { job } = await flash(device.id, app(), { address: 0x08000000 });
    expect(job.outcome).toBe('failed');
    expect(job.reason).toMatch(/^unplugged during write .*at byte \d+ of 20000.*the flash is partly written.*flash again/);
    const stoppedAt = Number(/at byte (\d+) of/.exec(job.reason!)![1]);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(20_000);
    expect(job.uploaded).toBe(stoppedAt);
  });

  it('read-protected flash: failed with the read-unprotect hint, then flashed with readUnprotect', async () => {
    const { board, device } = await plug('stm32-dfu', 'bootloader', { readProtected: true });
    const first = await flash(device.id, app(), { address: 0x08000000 });
    expect(first.job.outcome).toBe('failed');
    expect(first.job.reason).toMatch(/^erase failed: errVENDOR.*the device refused to erase its first page: the flash holds what it held before\..*flash again with read-unprotect/);

    await listed(device.id, (d) => d.state !== 'busy' && d.usb?.dfu?.mode === 'dfu');
    const { job } = await flash(device.id, app(), { address: 0x08000000, readUnprotect: true });
    expect(job.outcome).toBe('verified');
    expect(board.stats().massErases).toBeGreaterThan(0);
    expect(same(board.readFlash(0x08000000, 20_000), app().bytes)).toBe(true);
  });

  it('a device that goes silent mid-write: failed with a timeout naming the step', async () => {
    const { board, device } = await plug('stm32-dfu', 'bootloader');
    let silenced = false;
    const { job } = await flash(
      device.id,
      app(),
      { address: 0x08000000 },
      {
        during: (p) => {
          if (p.step === 'write' && !silenced) {
            silenced = true;
            board.setFaults({ silent: true });
          }
        },
        deadlineMs: 60_000,
      },
    );
    expect(job.outcome).toBe('failed');
    expect(job.reason).toMatch(/^write failed: no answer to .* within \d+ ms/);
  }, 90_000);
});

describe('cancel, busy, and the record', () => {
  it('cancel mid-write: cancelled, the device told to ABORT, the flash partly written', async () => {
    const { device } = await plug('stm32-dfu', 'bootloader');
    let cancelled: Promise<unknown> | null = null;
    const big = { name: 'big.bin', bytes: Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 7) & 0xff) };
    const { job } = await flash(device.id, big, { address: 0x08000000 }, {
      during: (p, jobId) => {
        if (p.step === 'write' && !cancelled) cancelled = ok(core, 'firmware.cancel', { jobId });
      },
    });
    await cancelled;
    expect(job.outcome).toBe('cancelled');
    expect(job.reason).toMatch(/^cancelled during write after \d+ of 262144 bytes: the device was told to ABORT and waits in its DFU bootloader \(dfuIDLE\); the flash is partly written/);
    expect(job.steps.at(-1)).toMatchObject({ step: 'write', status: 'failed', detail: 'cancelled' });
    // It listens again: the same image goes through.
    await listed(device.id, (d) => d.state !== 'busy');
    expect((await flash(device.id, big, { address: 0x08000000 })).job.outcome).toBe('verified');
  });

  it('a second flash while one runs: device-busy', async () => {
    const { device } = await plug('stm32-dfu', 'application');
    const started = await ok(core, 'firmware.flash', {
      deviceId: device.id,
      fileName: 'app.bin',
      contentBase64: base64(readFixture('dfu', 'app.bin')),
      options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu: { address: 0x08000000 } },
    });
    const second = await refused(device.id, fixture('app.bin'), { address: 0x08000000 });
    expect(second.code).toBe('device-busy');
    const deadline = Date.now() + 30_000;
    let job = await ok(core, 'firmware.job', { jobId: started.id });
    while (job.state === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = await ok(core, 'firmware.job', { jobId: started.id });
    }
    expect(job.outcome).toBe('verified');
  });
});
