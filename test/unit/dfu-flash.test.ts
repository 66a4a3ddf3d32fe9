// The DFU 1.1 paths the virtual gadget does not take (it is manifestation tolerant and can
// always upload), through a small DFU 1.1 device written here: a device that waits for a reset
// after manifestation or drops off during it, one that cannot upload, one that reads back
// wrong, one left in dfuERROR or running its application, and requests refused up front.
import { describe, expect, it } from 'vitest';
import type { DfuFunctional } from '../../src-main/api/schemas';
import type { DfuFlashRequest } from '../../src-main/protocols/dfu/dfu-flash-request';
import { flashDfu } from '../../src-main/protocols/dfu/dfu-flash';
import { DfuRequest, DfuState } from '../../src-main/protocols/dfu/dfu-status';
import type { DfuUsbDevice } from '../../src-main/protocols/dfu/dfu-usb-device';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const TRANSFER = 256;

interface FakeOptions {
  tolerant: boolean;
  canUpload?: boolean;
  /** Flip the byte read back at this offset. */
  corruptAt?: number;
  /** Leave the bus on the GETSTATUS that would end manifestation. */
  dropInManifest?: boolean;
  startState?: number;
}

/** A DFU 1.1 bootloader reduced to the states a download walks through. */
class FakeDfuDevice {
  state: number;
  status = 0;
  readonly memory: number[] = [];
  readonly requests: string[] = [];
  resets = 0;
  opened = false;
  private gone = false;

  constructor(readonly options: FakeOptions) {
    this.state = options.startState ?? DfuState.dfuIDLE;
  }

  asDevice(): DfuUsbDevice {
    const opened = (): boolean => this.opened;
    return {
      vendorId: 0x1209,
      productId: 0x0006,
      deviceClass: 0,
      serialNumber: 'F1',
      productName: 'fake',
      manufacturerName: 'test',
      get opened() {
        return opened();
      },
      configuration: { configurationValue: 1 },
      configurations: [],
      open: async () => void (this.opened = true),
      close: async () => void (this.opened = false),
      selectConfiguration: async () => {},
      claimInterface: async () => {},
      releaseInterface: async () => {},
      selectAlternateInterface: async () => {},
      controlTransferIn: async (setup: USBControlTransferParameters, length: number) => this.in(setup.request, setup.value, length),
      controlTransferOut: async (setup: USBControlTransferParameters, data?: BufferSource) => this.out(setup.request, setup.value, data ? new Uint8Array(data as ArrayBuffer) : new Uint8Array(0)),
      reset: async () => void (this.resets += 1),
    } as unknown as DfuUsbDevice;
  }

  private report(pollMs = 0): USBInTransferResult {
    const bytes = Uint8Array.of(this.status, pollMs & 0xff, 0, 0, this.state, 0);
    return { status: 'ok', data: new DataView(bytes.buffer) };
  }

  private in(request: number, value: number, length: number): USBInTransferResult {
    if (this.gone) throw Object.assign(new Error('device gone'), { name: 'NetworkError' });
    this.requests.push(request === DfuRequest.GETSTATUS ? 'GETSTATUS' : `UPLOAD ${value}`);
    if (request === DfuRequest.GETSTATUS) {
      switch (this.state) {
        case DfuState.dfuDNLOAD_SYNC:
          this.state = DfuState.dfuDNBUSY;
          return this.report(2);
        case DfuState.dfuDNBUSY:
          this.state = DfuState.dfuDNLOAD_IDLE;
          return this.report();
        case DfuState.dfuMANIFEST_SYNC:
          this.state = DfuState.dfuMANIFEST;
          return this.report(3);
        case DfuState.dfuMANIFEST:
          if (this.options.dropInManifest) {
            this.gone = true;
            throw Object.assign(new Error('device gone'), { name: 'NetworkError' });
          }
          this.state = this.options.tolerant ? DfuState.dfuIDLE : DfuState.dfuMANIFEST_WAIT_RESET;
          return this.report();
        default:
          return this.report();
      }
    }
    if (request === DfuRequest.UPLOAD && this.options.canUpload !== false && (this.state === DfuState.dfuIDLE || this.state === DfuState.dfuUPLOAD_IDLE)) {
      const bytes = Uint8Array.from(this.memory.slice(value * TRANSFER, value * TRANSFER + length));
      const at = this.options.corruptAt;
      if (at !== undefined && at >= value * TRANSFER && at < value * TRANSFER + bytes.length) bytes[at - value * TRANSFER]! ^= 0xff;
      this.state = bytes.length < length ? DfuState.dfuIDLE : DfuState.dfuUPLOAD_IDLE;
      return { status: 'ok', data: new DataView(bytes.buffer) };
    }
    this.state = DfuState.dfuERROR;
    this.status = 0x0f;
    return { status: 'stall' };
  }

  private out(request: number, value: number, data: Uint8Array): USBOutTransferResult {
    if (this.gone) throw Object.assign(new Error('device gone'), { name: 'NetworkError' });
    const name = ['DETACH', 'DNLOAD', 'UPLOAD', 'GETSTATUS', 'CLRSTATUS', 'GETSTATE', 'ABORT'][request]!;
    this.requests.push(request === DfuRequest.DNLOAD ? `DNLOAD ${value} (${data.length})` : name);
    if (request === DfuRequest.DNLOAD && (this.state === DfuState.dfuIDLE || this.state === DfuState.dfuDNLOAD_IDLE)) {
      if (data.length === 0) this.state = DfuState.dfuMANIFEST_SYNC;
      else {
        this.memory.splice(value * TRANSFER, data.length, ...data);
        this.state = DfuState.dfuDNLOAD_SYNC;
      }
      return { status: 'ok', bytesWritten: data.length };
    }
    if (request === DfuRequest.CLRSTATUS && this.state === DfuState.dfuERROR) {
      this.state = DfuState.dfuIDLE;
      this.status = 0;
      return { status: 'ok', bytesWritten: 0 };
    }
    if (request === DfuRequest.ABORT && [DfuState.dfuIDLE, DfuState.dfuDNLOAD_IDLE, DfuState.dfuUPLOAD_IDLE].includes(this.state as 2)) {
      this.state = DfuState.dfuIDLE;
      return { status: 'ok', bytesWritten: 0 };
    }
    this.state = DfuState.dfuERROR;
    this.status = 0x0f;
    return { status: 'stall', bytesWritten: 0 };
  }
}

const functional = (changes: Partial<DfuFunctional>): DfuFunctional => ({
  canDownload: true,
  canUpload: true,
  manifestationTolerant: true,
  willDetach: false,
  detachTimeoutMs: 1000,
  transferSize: TRANSFER,
  dfuVersion: '0110',
  ...changes,
});

const image = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);

function request(fake: FakeDfuDevice, changes: Partial<DfuFlashRequest> = {}): DfuFlashRequest {
  return {
    device: fake.asDevice(),
    target: { interfaceNumber: 0, alternateSetting: 0 },
    functional: functional({ manifestationTolerant: fake.options.tolerant }),
    dfuse: false,
    layout: null,
    elements: [{ address: 0, data: image(1000) }],
    label: 'fake F1',
    deadlineMs: 500,
    ...changes,
  };
}

describe('flashDfu, plain DFU 1.1', () => {
  it('writes blocks 0…n, ends with an empty block, and resets a device that waits for it after manifestation', async () => {
    const fake = new FakeDfuDevice({ tolerant: false });
    const result = await flashDfu(request(fake));
    expect(result).toEqual({
      written: 1000,
      erasedPages: 0,
      verified: false,
      verifyDetail: 'not read back: the device is not manifestation tolerant, so after manifestation it waits for a reset and cannot be read in the same session',
      left: true,
    });
    expect(fake.requests.filter((r) => r.startsWith('DNLOAD'))).toEqual(['DNLOAD 0 (256)', 'DNLOAD 1 (256)', 'DNLOAD 2 (256)', 'DNLOAD 3 (232)', 'DNLOAD 4 (0)']);
    expect(Buffer.from(fake.memory).equals(Buffer.from(image(1000)))).toBe(true);
    expect(fake.state).toBe(DfuState.dfuMANIFEST_WAIT_RESET);
    expect(fake.resets).toBe(1);
  });

  it('takes a device dropping off the bus during manifestation as manifested', async () => {
    const fake = new FakeDfuDevice({ tolerant: false, dropInManifest: true });
    const phases: string[] = [];
    const result = await flashDfu(request(fake, { onPhase: (phase, status, detail) => phases.push(`${phase} ${status} ${detail}`) }));
    expect(result.left).toBe(true);
    expect(result.verified).toBe(false);
    expect(phases).toContain('manifest done the device reset itself');
  });

  it('does not reset without leave', async () => {
    const fake = new FakeDfuDevice({ tolerant: false });
    await flashDfu(request(fake, { leave: false }));
    expect(fake.resets).toBe(0);
  });

  it('says a device without upload cannot be verified', async () => {
    const fake = new FakeDfuDevice({ tolerant: true, canUpload: false });
    const result = await flashDfu({ ...request(fake), functional: functional({ canUpload: false }) });
    expect(result.verifyDetail).toBe('not read back: the device does not allow reading its memory (no bitCanUpload in its DFU functional descriptor)');
    expect(fake.requests.some((r) => r.startsWith('UPLOAD'))).toBe(false);
  });

  it('names the first byte that reads back wrong', async () => {
    const fake = new FakeDfuDevice({ tolerant: true, corruptAt: 700 });
    const error = await fieldbenchErrorOf(flashDfu(request(fake)));
    expect(error.code).toBe('device-error');
    expect(error.step).toBe('verify');
    const wrote = image(1000)[700]!;
    expect(error.message).toBe(
      `the flash does not read back as written: first difference at byte 700 (wrote 0x${wrote.toString(16).padStart(2, '0')}, read 0x${(wrote ^ 0xff).toString(16).padStart(2, '0')})`,
    );
  });

  it('clears a leftover dfuERROR before it starts', async () => {
    const fake = new FakeDfuDevice({ tolerant: true, startState: DfuState.dfuERROR });
    const result = await flashDfu(request(fake));
    expect(result.verified).toBe(true);
    expect(fake.requests.slice(0, 2)).toEqual(['GETSTATUS', 'CLRSTATUS']);
  });

  it('refuses a device running its application', async () => {
    const fake = new FakeDfuDevice({ tolerant: true, startState: DfuState.appIDLE });
    const error = await fieldbenchErrorOf(flashDfu(request(fake)));
    expect(error.code).toBe('invalid-request');
    expect(error.message).toBe('the device runs its application (appIDLE), not its DFU bootloader');
  });

  it('refuses, before any request, several elements, no data, or a device that takes no download', async () => {
    const fake = new FakeDfuDevice({ tolerant: true });
    const two = await fieldbenchErrorOf(flashDfu(request(fake, { elements: [{ address: 0, data: image(4) }, { address: 4, data: image(4) }] })));
    expect(two.message).toContain('plain DFU 1.1 has no addresses');
    const empty = await fieldbenchErrorOf(flashDfu(request(fake, { elements: [{ address: 0, data: new Uint8Array(0) }] })));
    expect(empty.message).toBe('the image has nothing to write');
    const noDownload = await fieldbenchErrorOf(flashDfu({ ...request(fake), functional: functional({ canDownload: false }) }));
    expect(noDownload.message).toContain('no bitCanDnload');
    const noLayout = await fieldbenchErrorOf(flashDfu(request(fake, { dfuse: true, layout: null })));
    expect(noLayout.message).toContain('no DfuSe memory layout');
    expect(fake.requests).toEqual([]);
  });
});
