// How USB devices and DFU jobs read on screen: ids, DFU version and capabilities, memory
// layouts, the options a file needs, the blockers, step labels, progress phases and the
// verified / written outcomes worded truthfully.
import { describe, expect, it } from 'vitest';
import type { Device, FirmwareJob, ImageInspection } from '../../src-main/api/schemas';
import {
  dfuFileFacts,
  flashBlocker,
  inspectionWarnings,
  jobHeading,
  notCancellableText,
  outcomeView,
  progressView,
  stepRows,
} from '../../src-renderer/stores/firmware-selectors';
import { chosenAlt, dfuJobOptions, NO_FIRMWARE } from '../../src-renderer/stores/firmware-store';
import { deviceName, discoveryMethodText } from '../../src-renderer/stores/selectors';
import {
  altLabel,
  canEnterDfu,
  dfuCapabilityRows,
  dfuVersionText,
  firstWritableAddress,
  layoutRows,
  parseHexAddress,
  suffixIds,
  usbIds,
} from '../../src-renderer/stores/usb-selectors';

const T0 = '2026-01-02T03:04:05.000Z';
const flashLayout = {
  name: 'Internal Flash',
  regions: [
    { address: 0x08000000, size: 0x10000, pageSize: 0x4000, pageCount: 4, readable: true, erasable: true, writable: true },
    { address: 0x08010000, size: 0x10000, pageSize: 0x10000, pageCount: 1, readable: true, erasable: true, writable: true },
    { address: 0x08020000, size: 0xe0000, pageSize: 0x20000, pageCount: 7, readable: true, erasable: true, writable: true },
  ],
};
const functional = { canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: true, detachTimeoutMs: 255, transferSize: 2048, dfuVersion: '011a' };

function usbDevice(mode: 'runtime' | 'dfu', dfuse: boolean, ids: [string, string]): Pick<Device, 'usb' | 'firmware'> {
  return {
    usb: {
      vendorId: ids[0],
      productId: ids[1],
      serialNumber: '3276384B3339',
      dfu: { mode, dfuse, functional, alts: [{ interfaceNumber: 0, alternateSetting: 0, name: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg', layout: flashLayout }] },
    },
    firmware: { method: 'usb-dfu', dfuse, canVerify: true, mode },
  };
}
const stm32Bootloader = usbDevice('dfu', true, ['0483', 'df11']);
const stm32App = usbDevice('runtime', false, ['0483', '5740']);
const gadget = usbDevice('dfu', false, ['1209', '0006']);

function inspection(patch: Partial<ImageInspection>): ImageInspection {
  return {
    fileName: 'f',
    format: 'raw',
    fileSize: 10,
    version: null,
    headerSize: 0,
    imageSize: 10,
    loadAddress: null,
    flags: null,
    flagNames: [],
    sha256: 'a'.repeat(64),
    hashOk: null,
    hashes: [],
    tlvs: [],
    securityCounter: null,
    segments: [],
    startAddress: null,
    keys: [],
    dfu: null,
    warnings: [],
    ...patch,
  };
}
const suffix = (idVendor: number, idProduct: number, crcOk = true) => ({ suffix: { idVendor, idProduct, bcdDevice: 0x0200, bcdDFU: 0x0100, crc: '0x5ae5bf01', crcOk } });

function dfuJob(patch: Partial<FirmwareJob>): FirmwareJob {
  return {
    id: '44444444-4444-4444-8444-444444444444',
    deviceId: 'usb:3276384B3339',
    device: { deviceId: 'usb:3276384B3339', transport: 'usb', path: 'usb 0483:df11 (virtual)', profileId: null, identity: null },
    caseId: null,
    image: { fileName: 'stm32-two-elements.dfu', sha256: 'a'.repeat(64), version: null, size: 14096 },
    options: { uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu: { leave: true } },
    state: 'finished',
    cancellable: false,
    outcome: null,
    reason: null,
    versionBefore: null,
    versionAfter: null,
    uploaded: 14096,
    startedAt: T0,
    updatedAt: T0,
    finishedAt: T0,
    steps: [],
    ...patch,
  };
}

describe('USB device wording', () => {
  it('prints ids as lsusb does, and suffix wildcards as "any"', () => {
    expect(usbIds({ vendorId: '0483', productId: 'df11' })).toBe('0483:df11');
    expect(suffixIds({ idVendor: 0x0483, idProduct: 0xdf11 })).toBe('0483:df11');
    expect(suffixIds({ idVendor: 0xffff, idProduct: 0x0006 })).toBe('any:0006');
  });

  it('tells DfuSe from DFU 1.1 by the descriptor, not by a version number', () => {
    expect(dfuVersionText({ dfuse: true, functional })).toBe('DfuSe (DFU 1.1a)');
    expect(dfuVersionText({ dfuse: false, functional: { ...functional, dfuVersion: '0110' } })).toBe('DFU 1.1');
    expect(dfuVersionText({ dfuse: false, functional: null })).toBe('DFU (version not reported)');
  });

  it('lists every capability, and says when they are assumed', () => {
    const rows = dfuCapabilityRows({ ...functional, canUpload: false, willDetach: false });
    expect(rows.map((r) => r.label)).toEqual(['Transfer size', 'Can download (flash)', 'Can upload (read back)', 'Manifestation tolerant', 'Will detach', 'Detach time-out']);
    expect(rows.find((r) => r.label === 'Can upload (read back)')?.value).toMatch(/^No: a flash cannot be verified/);
    expect(rows.find((r) => r.label === 'Will detach')?.value).toMatch(/needs a USB reset/);
    expect(rows.find((r) => r.label === 'Detach time-out')?.value).toBe('255 ms');
    expect(dfuCapabilityRows(null)).toEqual([{ label: 'Functional descriptor', value: expect.stringContaining('assumed') }]);
  });

  it('shows a DfuSe layout as address, size, pages × page size and access', () => {
    expect(layoutRows(flashLayout)).toEqual([
      { key: `${0x08000000}`, address: '0x08000000', size: '64 KiB', pages: '4 × 16 KiB', access: 'readable, erasable, writable' },
      { key: `${0x08010000}`, address: '0x08010000', size: '64 KiB', pages: '1 × 64 KiB', access: 'readable, erasable, writable' },
      { key: `${0x08020000}`, address: '0x08020000', size: '896 KiB', pages: '7 × 128 KiB', access: 'readable, erasable, writable' },
    ]);
    expect(layoutRows({ name: 'OTP', regions: [{ address: 0x1fff7800, size: 528, pageSize: 528, pageCount: 1, readable: true, erasable: false, writable: false }] })[0]?.access).toBe('readable');
    expect(layoutRows({ name: 'x', regions: [{ address: 0, size: 1, pageSize: 1, pageCount: 1, readable: false, erasable: false, writable: false }] })[0]?.access).toBe('no access');
  });

  it('names alt settings by their layout, then their string, then their number', () => {
    expect(altLabel({ alternateSetting: 0, name: '@Internal Flash  /0x08000000/04*016Kg', layout: flashLayout })).toBe('Alt 0: Internal Flash');
    expect(altLabel({ alternateSetting: 1, name: 'firmware', layout: null })).toBe('Alt 1: firmware');
    expect(altLabel({ alternateSetting: 2, name: null, layout: null })).toBe('Alt 2 (no name)');
  });

  it('reads hex addresses with or without 0x, and nothing else', () => {
    expect(parseHexAddress('0x08000000')).toBe(0x08000000);
    expect(parseHexAddress(' 8004000 ')).toBe(0x08004000);
    expect(parseHexAddress('0xFFFFFFFF')).toBe(0xffffffff);
    for (const bad of ['', '0x', '0x123456789', '08000000h', '-1', '0x0800 0000']) expect(parseHexAddress(bad)).toBeNull();
  });

  it('finds the first writable address of an alt, skipping read-only regions', () => {
    const layout = { name: 'x', regions: [{ ...flashLayout.regions[0]!, address: 0x1000, writable: false }, flashLayout.regions[1]!] };
    expect(firstWritableAddress({ layout })).toBe(0x08010000);
    expect(firstWritableAddress({ layout: null })).toBeNull();
    expect(firstWritableAddress(undefined)).toBeNull();
  });

  it('offers Enter DFU mode only to an application offering DFU runtime, and names USB devices by product and serial', () => {
    expect(canEnterDfu(stm32App)).toBe(true);
    expect(canEnterDfu(stm32Bootloader)).toBe(false);
    expect(canEnterDfu({})).toBe(false);
    expect(deviceName({ identity: null, profileName: 'STM32 system bootloader', path: 'usb 0483:df11', usb: stm32Bootloader.usb })).toBe('STM32 system bootloader 3276384B3339');
    expect(deviceName({ identity: null, profileName: null, path: 'usb 1209:0006', usb: { vendorId: '1209', productId: '0006', product: 'DFU gadget' } })).toBe('DFU gadget 1209:0006');
  });
});

describe('what a file needs from a USB DFU device', () => {
  it('asks for a start address only for a raw binary (or an MCUboot image) on a DfuSe device', () => {
    expect(dfuFileFacts(inspection({ format: 'raw' }), stm32Bootloader).addressNeeded).toBe(true);
    expect(dfuFileFacts(inspection({ format: 'mcuboot' }), stm32Bootloader).addressNeeded).toBe(true);
    expect(dfuFileFacts(inspection({ format: 'ihex' }), stm32Bootloader).addressNeeded).toBe(false);
    expect(dfuFileFacts(inspection({ format: 'raw' }), gadget).addressNeeded).toBe(false);
  });

  it('flags a suffix made for other ids, ignores wildcards, and in runtime mode compares only the vendor', () => {
    const forBootloader = inspection({ format: 'dfu', dfu: suffix(0x0483, 0xdf11) });
    expect(dfuFileFacts(forBootloader, stm32Bootloader).idMismatch).toBeNull();
    expect(dfuFileFacts(forBootloader, gadget).idMismatch).toEqual({ file: '0483:df11', device: '1209:0006' });
    expect(dfuFileFacts(inspection({ format: 'dfu', dfu: suffix(0xffff, 0xffff) }), gadget).idMismatch).toBeNull();
    expect(dfuFileFacts(inspection({ format: 'dfu', dfu: suffix(0x0483, 0xffff) }), gadget).idMismatch).toEqual({ file: '0483:any', device: '1209:0006' });
    // The application is 0483:5740, its bootloader 0483:df11: the job compares in DFU mode.
    expect(dfuFileFacts(forBootloader, stm32App).idMismatch).toBeNull();
    expect(dfuFileFacts(inspection({ format: 'dfu', dfu: suffix(0x1209, 0x0006) }), stm32App).idMismatch).toEqual({ file: '1209:0006', device: '0483:5740' });
  });

  it('takes a DfuSe file’s target alt unless another is picked', () => {
    const file = inspection({ format: 'dfuse', dfu: { ...suffix(0x0483, 0xdf11), targets: [{ alt: 1, name: 'ST...', elements: [] }] } });
    expect(dfuFileFacts(file, stm32Bootloader).fileAlt).toBe(1);
    expect(chosenAlt({ alt: null }, file, stm32Bootloader)).toBe(1);
    expect(chosenAlt({ alt: 0 }, file, stm32Bootloader)).toBe(0);
    expect(chosenAlt({ alt: null }, inspection({ format: 'raw' }), stm32Bootloader)).toBeNull();
  });

  it('builds the job options: address only when needed, DfuSe-only choices only for DfuSe, the id override only on a mismatch', () => {
    const choices = { ...NO_FIRMWARE.dfu, addressText: '0x08004000', massErase: true, readUnprotect: true, ignoreIdMismatch: true, leave: false };
    expect(dfuJobOptions(choices, inspection({ format: 'raw' }), stm32Bootloader)?.dfu).toEqual({ leave: false, address: 0x08004000, massErase: true, readUnprotect: true });
    expect(dfuJobOptions(choices, inspection({ format: 'dfu', dfu: suffix(0x0483, 0xdf11) }), gadget)?.dfu).toEqual({ leave: false, ignoreIdMismatch: true });
    expect(dfuJobOptions({ ...choices, addressText: 'zz' }, inspection({ format: 'raw' }), stm32Bootloader)).toBeNull();
    // An empty address leaves it to the device profile's default.
    expect(dfuJobOptions({ ...choices, addressText: '' }, inspection({ format: 'raw' }), stm32Bootloader)?.dfu).not.toHaveProperty('address');
    expect(dfuJobOptions(NO_FIRMWARE.dfu, inspection({ format: 'ihex' }), stm32Bootloader)).toEqual({ uploadOnly: false, allowDowngrade: false, confirm: 'auto', dfu: { leave: true } });
  });

  it('blocks a damaged suffix and a DfuSe file for a plain DFU device, and lets raw, HEX and DFU files through', () => {
    expect(flashBlocker(inspection({ format: 'dfu', dfu: suffix(0x0483, 0xdf11, false) }), stm32Bootloader.firmware)).toMatch(/suffix CRC does not match/);
    expect(flashBlocker(inspection({ format: 'dfuse', dfu: suffix(0x0483, 0xdf11) }), gadget.firmware)).toMatch(/DfuSe file .* plain DFU 1\.1/);
    for (const format of ['raw', 'ihex', 'srec', 'dfu'] as const) expect(flashBlocker(inspection({ format }), gadget.firmware)).toBeNull();
    expect(flashBlocker(inspection({ format: 'dfuse', dfu: suffix(0x0483, 0xdf11) }), stm32Bootloader.firmware)).toBeNull();
    // A serial device still needs an MCUboot image.
    expect(flashBlocker(inspection({ format: 'raw' }))).toMatch(/not an MCUboot image/);
  });
});

describe('a DFU job on screen', () => {
  it('labels the DFU steps, and the steps DFU shares with MCUboot by what they do here', () => {
    const steps = (['preflight', 'detach', 'reconnect', 'erase', 'write', 'verify', 'manifest', 'reconnect'] as const).flatMap((step) => [
      { step, status: 'started' as const, at: T0, detail: null },
      { step, status: 'done' as const, at: T0, detail: null },
    ]);
    expect(stepRows(dfuJob({ steps })).map((r) => r.label)).toEqual([
      'Check image and device',
      'Switch into DFU mode (detach)',
      'Wait for the bootloader',
      'Erase',
      'Write',
      'Read back and compare',
      'Leave DFU mode and start the firmware',
      'Wait for the new firmware to start',
    ]);
    expect(stepRows({ ...dfuJob({ steps }), device: { ...dfuJob({}).device, transport: 'serial' } }).find((r) => r.step === 'verify')?.label).toBe('Check the running image');
  });

  it('names the phase with its bytes, rate and time left', () => {
    expect(progressView({ step: 'erase', sent: 16384, total: 65536, bytesPerSecond: 65536, secondsLeft: 0.75 })).toMatchObject({ phase: 'Erasing', percent: 25 });
    expect(progressView({ step: 'write', sent: 5120, total: 14096, bytesPerSecond: 10240, secondsLeft: 0.9 })).toEqual({ phase: 'Writing', percent: 36, text: '36% · 5 KiB of 13.8 KiB · 10 KiB/s · about a second left' });
    expect(progressView({ step: 'verify', sent: 14096, total: 14096, bytesPerSecond: 40960, secondsLeft: 0 }).phase).toBe('Verifying');
  });

  it('says verified only for a read-back match, and written without verification otherwise', () => {
    const verified = outcomeView(dfuJob({ outcome: 'verified' }));
    expect(verified).toMatchObject({ outcome: 'verified', tone: 'ok', title: 'Verified: stm32-two-elements.dfu written and read back identical' });
    expect(verified?.lines[0]).toBe('13.8 KiB written; every byte read back from the device matches the file.');
    const written = outcomeView(dfuJob({ outcome: 'written', reason: 'the device offers no upload' }));
    expect(written).toMatchObject({ outcome: 'written', tone: 'warn' });
    expect(written?.lines).toEqual(['13.8 KiB written, but the device allows no read-back, so it was not verified.', 'Reason: the device offers no upload']);
  });

  it('names the failed DFU step and carries the job’s account of the flash, without an image version it cannot know', () => {
    const reason = 'errWRITE at byte 4096 of 14096: the flash is partly written; flash again';
    const failed = outcomeView(
      dfuJob({
        outcome: 'failed',
        reason,
        steps: [
          { step: 'write', status: 'started', at: T0, detail: null },
          { step: 'write', status: 'failed', at: T0, detail: 'errWRITE' },
        ],
      }),
    );
    expect(failed).toEqual({ outcome: 'failed', tone: 'fail', title: 'Failed at “Write”', lines: [`Reason: ${reason}`] });
    expect(notCancellableText('usb')).toMatch(/only while the flash is erased or written/);
    expect(notCancellableText('serial')).toMatch(/switching images/);
  });
});

describe('the discovery line', () => {
  it('says "not available" once, and the method where there is one', () => {
    expect(discoveryMethodText({ method: 'not available', available: false })).toBe('not available');
    expect(discoveryMethodText({ method: 'udev', available: false })).toBe('(udev), not available');
    expect(discoveryMethodText({ method: 'scan of /dev', available: true })).toBe('(scan of /dev)');
  });
});

describe('the file and the job on a DFU device', () => {
  it('drops only the MCUboot-devices warning, and keeps every other', () => {
    const warnings = ['not an MCUboot image: a device running MCUboot accepts only signed MCUboot images as updates', 'data after the last element'];
    expect(inspectionWarnings({ warnings }, true)).toEqual(['data after the last element']);
    expect(inspectionWarnings({ warnings }, false)).toEqual(warnings);
  });

  it('heads a DFU job with the file, never with the suffix’s bcdDevice as if it were a version', () => {
    expect(jobHeading(dfuJob({ image: { fileName: 'app.dfu', sha256: 'a'.repeat(64), version: '0.00', size: 10 }, versionBefore: '2.00' }))).toBe('Flash app.dfu');
    expect(jobHeading({ ...dfuJob({ image: { fileName: 'app.bin', sha256: 'a'.repeat(64), version: '1.5.0+0', size: 10 }, versionBefore: '1.4.2' }), device: { ...dfuJob({}).device, transport: 'serial' } })).toBe(
      'Update to 1.5.0+0 from 1.4.2',
    );
  });
});
