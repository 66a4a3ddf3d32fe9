// The USB DFU job's own logic, with the registry and the DFU engine stood in for: which steps
// it journals, when cancel is honoured, what the outcome and reason say. The real engine and
// virtual boards are exercised through the core in test/integration/usb-dfu-flash.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { Device, FirmwareJob, FirmwareProgress, UsbDfuInfo } from '../../src-main/api/schemas';
import { DfuUpdates } from '../../src-main/core/firmware/dfu-updates';
import { FirmwareUpdates } from '../../src-main/core/firmware/firmware-updates';
import { interruptedJobReason } from '../../src-main/core/firmware/firmware-job-record';
import { EventBus } from '../../src-main/core/event-bus';
import type { DeviceProfile } from '../../src-main/core/profiles/profile-types';
import type { UsbSession } from '../../src-main/core/usb/usb-registry';
import { DfuCancelledError } from '../../src-main/protocols/dfu/dfu-client';
import type { DfuFlashRequest, DfuFlashResult } from '../../src-main/protocols/dfu/dfu-flash-request';
import { parseDfuseMemoryLayout } from '../../src-main/protocols/dfu/dfuse-memory-layout';
import { openCaseStore, type CaseStore } from '../../src-main/store/case-store';
import { dfuseFile } from '../helpers/dfuse-file';
import { fieldbenchErrorFrom } from '../helpers/fieldbench-error-from';
import { makeTempDir } from '../helpers/temp-dir';

const DEVICE_ID = 'usb:BENCH01';
const FUNCTIONAL = { canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: true, detachTimeoutMs: 255, transferSize: 2048, dfuVersion: '011a' };
const LAYOUT = parseDfuseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg')!;
const DFU_INFO: UsbDfuInfo = { mode: 'dfu', dfuse: true, functional: FUNCTIONAL, alts: [{ interfaceNumber: 0, alternateSetting: 0, name: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg', layout: LAYOUT }] };
const RUNTIME_INFO: UsbDfuInfo = { mode: 'runtime', dfuse: true, functional: FUNCTIONAL, alts: [{ interfaceNumber: 2, alternateSetting: 0, name: null, layout: null }] };
const PROFILE: DeviceProfile = {
  id: 'stm32-board',
  name: 'STM32 board',
  vendor: 'STMicroelectronics',
  match: { usb: [{ vendorId: '0483', productId: '5740', dfu: 'runtime' }] },
  diagnostics: [],
  firmware: { method: 'usb-dfu', alt: 0, defaultAddress: 0x08000000, reenumerateTimeoutMs: 300 },
};

/** A board that is in its application or its bootloader, or off the bus; each enumeration is a new USBDevice, as on a real bus. */
class FakeUsb {
  session: UsbSession | null;
  busy = false;
  /** Whether the board comes back after leaving the bus in each direction. */
  comesBack = { dfu: true, runtime: true };
  private readonly waiters = new Set<() => void>();

  constructor(mode: 'runtime' | 'dfu') {
    this.session = this.enumerated(mode);
  }

  enumerated(mode: 'runtime' | 'dfu'): UsbSession {
    const [productId, bcd] = mode === 'dfu' ? [0xdf11, [2, 2, 0]] : [0x5740, [1, 4, 2]];
    const device = { vendorId: 0x0483, productId, serialNumber: 'BENCH01', productName: 'Board', deviceVersionMajor: bcd[0], deviceVersionMinor: bcd[1], deviceVersionSubminor: bcd[2] } as unknown as USBDevice;
    return { device, info: mode === 'dfu' ? DFU_INFO : RUNTIME_INFO, profile: PROFILE, label: `0483:${productId.toString(16)} serial BENCH01` };
  }

  /** Off the bus now, back in `mode` shortly after, if it comes back at all. */
  reenumerate(mode: 'runtime' | 'dfu'): void {
    this.session = null;
    if (!this.comesBack[mode]) return;
    setTimeout(() => {
      this.session = this.enumerated(mode);
      for (const wake of [...this.waiters]) wake();
    }, 5);
  }

  get(deviceId: string): Device {
    expect(deviceId).toBe(DEVICE_ID);
    const session = this.session ?? this.enumerated('dfu');
    const vid = session.device.vendorId.toString(16).padStart(4, '0');
    const pid = session.device.productId.toString(16).padStart(4, '0');
    return {
      id: DEVICE_ID,
      transport: 'usb',
      path: `usb ${vid}:${pid} (virtual)`,
      virtual: true,
      usb: { vendorId: vid, productId: pid, serialNumber: 'BENCH01', dfu: session.info },
      profileId: PROFILE.id,
      profileName: PROFILE.name,
      identity: null,
      firmware: null,
      state: this.busy ? 'busy' : 'ready',
      seenAt: new Date().toISOString(),
    };
  }

  profileOf(): DeviceProfile {
    return PROFILE;
  }

  async withDevice<T>(_deviceId: string, step: string, op: (session: UsbSession) => Promise<T>): Promise<T> {
    if (this.busy) throw new FieldbenchError({ code: 'device-busy', message: `${step} is running`, step });
    this.busy = true;
    try {
      return await op(this.session!);
    } finally {
      this.busy = false;
    }
  }

  waitForMode(_deviceId: string, mode: 'runtime' | 'dfu', deadlineMs: number): Promise<UsbSession> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.session?.info.mode !== mode) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.session);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new FieldbenchError({ code: 'timeout', message: `the device did not come back on the bus in ${mode} mode within ${deadlineMs} ms`, step: 'wait' }));
      }, deadlineMs);
      this.waiters.add(check);
      check();
    });
  }
}

interface EngineScript {
  /** Throw this once the write reaches the byte. */
  failAt?: { byte: number; error: (request: DfuFlashRequest, done: number, total: number) => Error };
  /** Wait this long per block, so a test can cancel mid-write. */
  blockDelayMs?: number;
  canUpload?: boolean;
  readUnprotectFirst?: boolean;
  /** The application's runtime descriptor says plain DFU though its bootloader is DfuSe. */
  runtimeSaysPlain?: boolean;
}

/** The engine stood in for: phases and progress as flashDfu reports them, and leaving DFU mode re-enumerates the board. */
function fakeEngine(usb: FakeUsb, script: EngineScript, requests: DfuFlashRequest[]) {
  return async (request: DfuFlashRequest): Promise<DfuFlashResult> => {
    requests.push(request);
    if (request.readUnprotect && script.readUnprotectFirst) {
      request.onPhase?.('erase', 'started', 'read-unprotect');
      request.onPhase?.('erase', 'done', 'read-unprotect');
      usb.reenumerate('dfu');
      return { written: 0, erasedPages: -1, verified: false, verifyDetail: 'nothing written', left: true, readUnprotected: true };
    }
    const total = request.elements.reduce((sum, e) => sum + e.data.length, 0);
    request.onPhase?.('erase', 'started', '1 pages');
    request.onProgress?.('erase', 16384, 16384);
    request.onPhase?.('erase', 'done', '1 pages');
    request.onPhase?.('write', 'started', '1 element');
    for (let done = 0; done < total; ) {
      if (request.signal?.aborted) throw new DfuCancelledError(request.label, 'write', `flash cancelled during write at byte ${done} of ${total}`);
      if (script.failAt && done >= script.failAt.byte) throw script.failAt.error(request, done, total);
      if (script.blockDelayMs) await new Promise((resolve) => setTimeout(resolve, script.blockDelayMs));
      done = Math.min(total, done + request.functional.transferSize);
      request.onProgress?.('write', done, total);
    }
    request.onPhase?.('write', 'done', `${total} bytes`);
    const verified = script.canUpload !== false;
    if (verified) {
      request.onPhase?.('verify', 'started', null);
      request.onProgress?.('verify', total, total);
      request.onPhase?.('verify', 'done', `read back ${total} bytes, identical to what was written`);
    } else request.onPhase?.('verify', 'skipped', 'not read back: the device does not allow reading its memory');
    if (request.leave !== false) {
      request.onPhase?.('manifest', 'started', 'leave DFU mode');
      request.onPhase?.('manifest', 'done', 'the device left DFU mode to start the application');
      usb.reenumerate('runtime');
    } else request.onPhase?.('manifest', 'skipped', 'leave was not asked for');
    return { written: total, erasedPages: 1, verified, verifyDetail: verified ? 'read back' : 'not read back: the device does not allow reading its memory', left: request.leave !== false };
  };
}

let dir: ReturnType<typeof makeTempDir>;
let store: CaseStore;
let events: EventBus;
let progress: FirmwareProgress[];
let logs: string[];
beforeEach(() => {
  dir = makeTempDir('dfu-updates');
  store = openCaseStore({ dataDir: dir.path });
  events = new EventBus();
  progress = [];
  logs = [];
  events.on('firmware.progress', (p) => progress.push(p));
});
afterEach(() => {
  store.close();
  dir.remove();
});

function harness(mode: 'runtime' | 'dfu', script: EngineScript = {}) {
  const usb = new FakeUsb(mode);
  const requests: DfuFlashRequest[] = [];
  const detaches: string[] = [];
  const updates = new DfuUpdates({
    usb,
    journal: store.firmware,
    cases: store.cases,
    events,
    log: (_level, message) => logs.push(message),
    flash: fakeEngine(usb, script, requests),
    detach: async (_device, _info, label) => {
      detaches.push(label);
      usb.reenumerate('dfu');
      return { resetSent: false, detachTimeoutMs: 255 };
    },
  });
  const enumerated = usb.enumerated.bind(usb);
  if (script.canUpload === false) {
    const noUpload = { ...DFU_INFO, functional: { ...FUNCTIONAL, canUpload: false } };
    usb.enumerated = (m) => (m === 'dfu' ? { ...enumerated(m), info: noUpload } : enumerated(m));
  }
  if (script.runtimeSaysPlain) {
    const plain = { ...RUNTIME_INFO, dfuse: false, functional: { ...FUNCTIONAL, dfuVersion: '0110' } };
    usb.enumerated = (m) => (m === 'runtime' ? { ...enumerated(m), info: plain } : enumerated(m));
  }
  usb.session = usb.enumerated(mode);
  return { usb, updates, requests, detaches };
}

const image = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 13) & 0xff);
const flashRaw = (updates: DfuUpdates, size = 10_000, dfu: Record<string, unknown> = {}, caseId: string | null = null) =>
  updates.start({ deviceId: DEVICE_ID, fileName: 'app.bin', bytes: image(size), options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu }, caseId });
const stepsOf = (job: FirmwareJob) => job.steps.map((s) => `${s.step} ${s.status}`);

describe('a DfuSe board in its bootloader', () => {
  it('erases, writes, verifies, leaves, and waits for the application: verified', async () => {
    const { updates, requests, detaches } = harness('dfu');
    const started = flashRaw(updates);
    expect(started.state).toBe('running');
    const job = await updates.wait(started.id);
    expect(job).toMatchObject({ outcome: 'verified', reason: null, uploaded: 10_000, versionBefore: null, versionAfter: '1.42' });
    expect(stepsOf(job)).toEqual([
      'preflight started',
      'preflight done',
      'erase started',
      'erase done',
      'write started',
      'write done',
      'verify started',
      'verify done',
      'manifest started',
      'manifest done',
      'reconnect started',
      'reconnect done',
    ]);
    expect(job.steps.find((s) => s.step === 'write' && s.status === 'started')!.detail).toBe('10000 bytes; 1 element');
    expect(job.steps[1]!.detail).toMatch(/0x08000000 \(the profile's default address\).*fits the memory layout/);
    expect(detaches).toEqual([]);
    expect(requests[0]).toMatchObject({ dfuse: true, layout: LAYOUT, leave: true, massErase: false, readUnprotect: false, target: { interfaceNumber: 0, alternateSetting: 0 } });
    expect(requests[0]!.elements.map((e) => [e.address, e.data.length])).toEqual([[0x08000000, 10_000]]);
    const writes = progress.filter((p) => p.step === 'write');
    expect(writes.at(-1)).toMatchObject({ jobId: job.id, sent: 10_000, total: 10_000, secondsLeft: 0 });
  });

  it('refuses an image outside the layout before a job starts', () => {
    const { updates, requests } = harness('dfu');
    const error = fieldbenchErrorFrom(() => flashRaw(updates, 1000, { address: 0x08100000 }));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toMatch(/0x08100000 is outside it/);
    expect(requests).toEqual([]);
    expect(store.firmware.unfinished()).toEqual([]);
  });

  it('refuses an alt the device does not offer, naming the ones it does', () => {
    const { updates } = harness('dfu');
    const error = fieldbenchErrorFrom(() => flashRaw(updates, 1000, { alt: 3 }));
    expect(error.message).toBe('the device has no DFU alternate setting 3; it offers alt 0 "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"');
  });

  it('says written, and why, where the device cannot be read back', async () => {
    const { updates } = harness('dfu', { canUpload: false });
    const job = await updates.wait(flashRaw(updates).id);
    expect(job.outcome).toBe('written');
    expect(job.reason).toMatch(/does not allow reading its memory/);
    expect(job.steps.find((s) => s.step === 'preflight' && s.status === 'done')!.detail).toMatch(/warning: the device does not allow reading its memory back/);
  });

  it('is still verified when the application does not come back, with a note', async () => {
    const { usb, updates } = harness('dfu');
    usb.comesBack.runtime = false;
    const job = await updates.wait(flashRaw(updates).id);
    expect(job.outcome).toBe('verified');
    expect(job.reason).toMatch(/did not come back in its application within 300 ms/);
    expect(stepsOf(job).slice(-2)).toEqual(['reconnect started', 'reconnect failed']);
    expect(job.versionAfter).toBeNull();
  });

  it('leaves the device in its bootloader when asked, without waiting for it', async () => {
    const { updates, requests } = harness('dfu');
    const job = await updates.wait(flashRaw(updates, 5000, { leave: false }).id);
    expect(requests[0]!.leave).toBe(false);
    expect(job.outcome).toBe('verified');
    expect(job.reason).toMatch(/left in its DFU bootloader as asked/);
    expect(stepsOf(job)).not.toContain('reconnect started');
  });

  it('follows read-unprotect through the reset and then flashes for real', async () => {
    const { updates, requests } = harness('dfu', { readUnprotectFirst: true });
    const job = await updates.wait(flashRaw(updates, 4096, { readUnprotect: true }).id);
    expect(job.outcome).toBe('verified');
    expect(requests.map((r) => r.readUnprotect)).toEqual([true, false]);
    expect(stepsOf(job)).toContain('reconnect done');
    expect(job.uploaded).toBe(4096);
  });
});

describe('a board in its application', () => {
  it('detaches it, follows it into the bootloader, checks again and flashes', async () => {
    const { updates, detaches } = harness('runtime');
    const job = await updates.wait(flashRaw(updates).id);
    expect(detaches).toEqual(['0483:5740 serial BENCH01']);
    expect(job).toMatchObject({ outcome: 'verified', versionBefore: '1.42', versionAfter: '1.42' });
    expect(stepsOf(job).slice(0, 8)).toEqual([
      'preflight started',
      'preflight done',
      'detach started',
      'detach done',
      'reconnect started',
      'reconnect done',
      'preflight started',
      'preflight done',
    ]);
    expect(job.steps[1]!.detail).toMatch(/the rest is checked once the bootloader is up/);
    expect(job.steps[7]!.detail).toMatch(/fits the memory layout/);
  });

  it('a file for another bootloader, seen only once it is up: failed, the device left waiting in its bootloader', async () => {
    const { updates, requests } = harness('runtime');
    const file = dfuseFile([{ alt: 0, elements: [{ address: 0x08000000, data: image(512) }] }], { idVendor: 0x0483, idProduct: 0xdf12 });
    const started = updates.start({ deviceId: DEVICE_ID, fileName: 'other.dfu', bytes: file, options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' }, caseId: null });
    const job = await updates.wait(started.id);
    expect(job.outcome).toBe('failed');
    expect(job.reason).toMatch(/^preflight failed: the file was made for USB device 0483:df12, but this device is 0483:df11 in DFU mode; nothing was written; the device waits in its DFU bootloader: reset or power-cycle it/);
    expect(requests).toEqual([]);
  });

  it('what only one kind of bootloader refuses waits for the bootloader, which the runtime descriptor may not tell', async () => {
    const { updates } = harness('runtime', { runtimeSaysPlain: true });
    const file = dfuseFile([{ alt: 0, elements: [{ address: 0x08000000, data: image(512) }] }]);
    const job = await updates.wait(updates.start({ deviceId: DEVICE_ID, fileName: 'app.dfu', bytes: file, options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' }, caseId: null }).id);
    expect(job.outcome).toBe('verified');
    expect(job.steps[1]!.detail).toMatch(/warning: refused if the bootloader is plain DFU as the application says: the file is a DfuSe file/);
    // What every bootloader refuses is refused at once.
    const bad = Uint8Array.from(file);
    bad[bad.length - 1] = bad.at(-1)! ^ 0xff;
    expect(fieldbenchErrorFrom(() => updates.start({ deviceId: DEVICE_ID, fileName: 'bad.dfu', bytes: bad, options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto' }, caseId: null })).message).toMatch(/CRC mismatch/);
  });

  it('fails with a timeout naming the wait when the bootloader never shows up: nothing was written', async () => {
    const { usb, updates, requests } = harness('runtime');
    usb.comesBack.dfu = false;
    const job = await updates.wait(flashRaw(updates).id);
    expect(job.outcome).toBe('failed');
    expect(job.reason).toMatch(/^reconnect failed: the device did not come back on the bus in dfu mode within 300 ms; nothing was written; the device may be waiting in its DFU bootloader/);
    expect(requests).toEqual([]);
  });
});

describe('failures and cancel', () => {
  it('an unplug mid-write: failed, in the engine words, with where and what to do', async () => {
    const unplugged = (request: DfuFlashRequest, done: number, total: number) =>
      new FieldbenchError({ code: 'device-gone', message: `unplugged during write at byte ${done} of ${total}: the flash is partly written; the ROM bootloader is intact: plug it in and flash again`, device: request.label, step: 'write' });
    const { updates } = harness('dfu', { failAt: { byte: 4096, error: unplugged } });
    const job = await updates.wait(flashRaw(updates).id);
    expect(job.outcome).toBe('failed');
    expect(job.reason).toBe('unplugged during write at byte 4096 of 10000: the flash is partly written; the ROM bootloader is intact: plug it in and flash again (until then the application will not start)');
    expect(job.uploaded).toBe(4096);
    expect(stepsOf(job).at(-1)).toBe('write failed');
  });

  it('an error status mid-write: the step, the error, the state and the hint', async () => {
    const errWrite = (request: DfuFlashRequest) =>
      new FieldbenchError({ code: 'device-error', message: 'the device could not write the memory (errWRITE) at 0x08000800', device: request.label, step: 'write', hint: 'Flash again; if it recurs, the flash may be worn.' });
    const { updates } = harness('dfu', { failAt: { byte: 2048, error: errWrite } });
    const job = await updates.wait(flashRaw(updates).id);
    expect(job.reason).toBe(
      'write failed: the device could not write the memory (errWRITE) at 0x08000800; the flash is partly written (2048 of 10000 bytes) and the application will not start; the ROM bootloader is intact. Flash again; if it recurs, the flash may be worn.',
    );
  });

  it('cancel mid-write: honoured while writing, ABORT leaves the device in dfuIDLE, the flash partly written', async () => {
    const { updates } = harness('dfu', { blockDelayMs: 5 });
    const started = flashRaw(updates, 40_000);
    await new Promise<void>((resolve) => {
      const stop = events.on('firmware.progress', (p) => {
        // The first block's progress goes out at once; the engine then waits before the next block.
        if (p.step === 'write') {
          stop();
          resolve();
        }
      });
    });
    expect(updates.get(started.id).cancellable).toBe(true);
    updates.cancel(started.id);
    const job = await updates.wait(started.id);
    expect(job.outcome).toBe('cancelled');
    expect(job.reason).toMatch(/^cancelled during write after \d+ of 40000 bytes: the device was told to ABORT and waits in its DFU bootloader \(dfuIDLE\); the flash is partly written/);
    expect(job.cancellable).toBe(false);
  });

  it('cancel is refused while the device detaches and once everything is written', async () => {
    const { updates } = harness('runtime');
    const started = flashRaw(updates);
    expect(updates.get(started.id).cancellable).toBe(false);
    const error = fieldbenchErrorFrom(() => updates.cancel(started.id));
    expect(error.code).toBe('device-busy');
    const job = await updates.wait(started.id);
    expect(job.outcome).toBe('verified');
    expect(updates.cancel(started.id).outcome).toBe('verified');
  });

  it('a second flash while one runs: device-busy', async () => {
    const { updates } = harness('dfu', { blockDelayMs: 2 });
    const first = flashRaw(updates);
    expect(fieldbenchErrorFrom(() => flashRaw(updates)).code).toBe('device-busy');
    await updates.wait(first.id);
  });
});

describe('the record', () => {
  it('puts every step and the outcome on the case timeline', async () => {
    const { updates } = harness('dfu');
    const opened = store.cases.open({ title: 'Board will not boot', device: null, snapshot: null });
    const job = await updates.wait(flashRaw(updates, 3000, {}, opened.id).id);
    const timeline = store.cases.get(opened.id).timeline.filter((e) => e.kind === 'firmware');
    expect(timeline.map((e) => e.summary.replace(/ — .*/u, ''))).toEqual([
      ...job.steps.map((s) => `Firmware app.bin: ${s.step} ${s.status}`),
      'Firmware update verified',
    ]);
    expect(timeline.at(-1)!.data).toMatchObject({ jobId: job.id, outcome: 'verified', versionAfter: '1.42' });
  });

  it('a restart closes a job cut off mid-write, saying how far it got', async () => {
    const { updates } = harness('dfu');
    const job = await updates.wait(flashRaw(updates, 3000).id);
    const cut = store.firmware.start({ device: job.device, caseId: null, image: job.image, options: job.options, versionBefore: null });
    store.firmware.step(cut.id, 'write', 'started', '65536 bytes; 1 element');
    store.firmware.uploaded(cut.id, 40_960);
    expect(interruptedJobReason(store.firmware.get(cut.id))).toBe(
      'Fieldbench stopped during write after 40960 of 65536 bytes: the flash is partly written and the application will not start; flash again.',
    );
    store.firmware.step(cut.id, 'manifest', 'started');
    expect(interruptedJobReason(store.firmware.get(cut.id))).toMatch(/^Fieldbench stopped during manifest, after all 40960 bytes were written: the device may still be in its DFU bootloader/);

    // What the core does at start: the MCUmgr job, over the shared journal, closes every kind of job.
    new FirmwareUpdates({
      sessions: {} as never,
      journal: store.firmware,
      cases: store.cases,
      events,
      inspect: () => {
        throw new Error('no image is inspected at start-up');
      },
      signingKeysOf: () => [],
      now: () => new Date(),
      log: () => undefined,
    });
    expect(store.firmware.get(cut.id)).toMatchObject({ state: 'finished', outcome: 'failed', reason: expect.stringMatching(/^Fieldbench stopped during manifest/) });
    expect(store.firmware.unfinished()).toEqual([]);
  });

  it.each([
    ['preflight', /, before anything was written: the flash holds what it held before\.$/],
    ['detach', /the device may be waiting in its DFU bootloader/],
    ['erase', /: the flash is partly erased and the application will not start; flash again\.$/],
    ['verify', /: all 0 bytes were written but not read back; flash again to be sure of them\.$/],
  ] as const)('a restart during %s says what state that leaves', (step, reason) => {
    const cut = store.firmware.start({
      device: { deviceId: DEVICE_ID, transport: 'usb', path: 'usb 0483:df11', profileId: null, identity: null },
      caseId: null,
      image: { fileName: 'app.bin', sha256: 'ab'.repeat(32), version: null, size: 100 },
      options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu: {} },
      versionBefore: null,
    });
    store.firmware.step(cut.id, step, 'started');
    expect(interruptedJobReason(store.firmware.get(cut.id))).toMatch(reason);
  });
});
