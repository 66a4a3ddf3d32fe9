// The DFU client over a scripted USBDevice: the setup packets it sends, GETSTATUS decoded,
// the busy wait honouring bwPollTimeout and bounded by it, and the ways a transfer fails
// (silent, stalled either way, gone, cancelled) each turned into the right FieldbenchError.
import { describe, expect, it } from 'vitest';
import type { DfuFunctional } from '../../src-main/api/schemas';
import { DfuCancelledError, DfuClient, DfuStallError, DfuStatusError } from '../../src-main/protocols/dfu/dfu-client';
import type { DfuUsbDevice } from '../../src-main/protocols/dfu/dfu-usb-device';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const FUNCTIONAL: DfuFunctional = { canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: false, detachTimeoutMs: 1000, transferSize: 64, dfuVersion: '0110' };

type Answer = USBInTransferResult | USBOutTransferResult | Error | 'never';

/** A device whose control transfers answer from a script, recording each setup packet. */
function scriptedDevice(answers: Answer[]) {
  const sent: { setup: USBControlTransferParameters; length?: number; data?: number[] }[] = [];
  const calls: string[] = [];
  const next = (): Promise<never> | Promise<USBInTransferResult | USBOutTransferResult> => {
    const answer = answers.shift();
    if (answer === undefined) return Promise.reject(new Error('script ran out'));
    if (answer === 'never') return new Promise(() => {});
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(answer);
  };
  const device = {
    vendorId: 0x1d50,
    productId: 0x6017,
    deviceClass: 0,
    serialNumber: 'T1',
    productName: 'gadget',
    manufacturerName: 'test',
    opened: false,
    configuration: undefined,
    configurations: [{ configurationValue: 1 }],
    open: async () => {
      calls.push('open');
      device.opened = true;
    },
    close: async () => {
      calls.push('close');
      device.opened = false;
    },
    selectConfiguration: async (value: number) => void calls.push(`configuration ${value}`),
    claimInterface: async (n: number) => void calls.push(`claim ${n}`),
    releaseInterface: async (n: number) => void calls.push(`release ${n}`),
    selectAlternateInterface: async (n: number, alt: number) => void calls.push(`alt ${n}/${alt}`),
    controlTransferIn: (setup: USBControlTransferParameters, length: number) => {
      sent.push({ setup, length });
      return next();
    },
    controlTransferOut: (setup: USBControlTransferParameters, data?: BufferSource) => {
      sent.push({ setup, ...(data ? { data: [...new Uint8Array(data as ArrayBuffer)] } : {}) });
      return next();
    },
    reset: async () => void calls.push('reset'),
  };
  return { device: device as unknown as DfuUsbDevice, sent, calls };
}

const status = (bStatus: number, pollMs: number, state: number): USBInTransferResult => {
  const bytes = Uint8Array.from([bStatus, pollMs & 0xff, (pollMs >> 8) & 0xff, pollMs >> 16, state, 0]);
  return { status: 'ok', data: new DataView(bytes.buffer) };
};
const written = (n: number): USBOutTransferResult => ({ status: 'ok', bytesWritten: n });
const stalledIn: USBInTransferResult = { status: 'stall' };

async function open(answers: Answer[], options: { deadlineMs?: number; signal?: AbortSignal } = {}) {
  const scripted = scriptedDevice(answers);
  const client = await DfuClient.open(scripted.device, { interfaceNumber: 0, alternateSetting: 1 }, FUNCTIONAL, { label: 'gadget T1', ...options });
  return { client, ...scripted };
}

describe('DfuClient', () => {
  it('opens, selects the configuration, claims and selects the alternate; closes what it opened', async () => {
    const { client, calls } = await open([]);
    expect(calls).toEqual(['open', 'configuration 1', 'claim 0', 'alt 0/1']);
    await client.close();
    await client.close();
    expect(calls.slice(4)).toEqual(['release 0', 'close']);
  });

  it('sends class requests to the interface and decodes GETSTATUS', async () => {
    const { client, sent } = await open([written(3), status(0, 0x012345, 4)]);
    await client.download(7, Uint8Array.of(1, 2, 3));
    expect(await client.getStatus()).toEqual({ status: 0, statusName: 'OK', pollTimeoutMs: 0x012345, state: 4, stateName: 'dfuDNBUSY' });
    expect(sent[0]).toEqual({ setup: { requestType: 'class', recipient: 'interface', request: 1, value: 7, index: 0 }, data: [1, 2, 3] });
    expect(sent[1]).toEqual({ setup: { requestType: 'class', recipient: 'interface', request: 3, value: 0, index: 0 }, length: 6 });
  });

  it('waits out bwPollTimeout while the device is busy and returns the idle report', async () => {
    const { client } = await open([status(0, 30, 4), status(0, 30, 4), status(0, 0, 5)]);
    const started = Date.now();
    const report = await client.waitWhileBusy('write');
    expect(report.stateName).toBe('dfuDNLOAD-IDLE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('turns dfuERROR into a DfuStatusError naming the status', async () => {
    const { client } = await open([status(0, 10, 4), status(3, 0, 10)]);
    const error = await fieldbenchErrorOf(client.waitWhileBusy('write'));
    expect(error).toBeInstanceOf(DfuStatusError);
    expect(error.message).toContain('errWRITE: the device could not write the flash');
    expect(error.step).toBe('write');
  });

  it('gives up on a device that stays busy far beyond what it asked for', async () => {
    const busy = Array.from({ length: 100 }, () => status(0, 5, 4));
    const { client } = await open(busy, { deadlineMs: 40 });
    const error = await fieldbenchErrorOf(client.waitWhileBusy('erase'));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('stayed in dfuDNBUSY');
    expect(error.step).toBe('erase');
  });

  it('times out a transfer the device never answers, naming the request', async () => {
    const { client } = await open(['never'], { deadlineMs: 50 });
    const error = await fieldbenchErrorOf(client.getStatus());
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('no answer to DFU_GETSTATUS within 50 ms');
    expect(error.device).toBe('gadget T1');
  });

  it('takes a stall result and a thrown pipe error both as a stall', async () => {
    const { client } = await open([stalledIn, new Error('LIBUSB_ERROR_PIPE')]);
    const first = await fieldbenchErrorOf(client.upload(2, 64));
    expect(first).toBeInstanceOf(DfuStallError);
    expect(first.message).toContain('stalled DFU_UPLOAD block 2');
    expect(await fieldbenchErrorOf(client.abort())).toBeInstanceOf(DfuStallError);
  });

  it('takes NetworkError, NotFoundError and a no-device message as the device gone', async () => {
    const network = Object.assign(new Error('transfer failed'), { name: 'NetworkError' });
    const notFound = Object.assign(new Error('gone'), { name: 'NotFoundError' });
    const { client } = await open([network, notFound, new Error('LIBUSB_ERROR_NO_DEVICE')]);
    for (let i = 0; i < 3; i++) {
      const error = await fieldbenchErrorOf(client.getStatus());
      expect(error.code).toBe('device-gone');
      expect(error.message).toContain('DFU_GETSTATUS');
    }
  });

  it('stops waiting when the signal aborts, even mid-transfer', async () => {
    const controller = new AbortController();
    const { client } = await open(['never'], { signal: controller.signal });
    const pending = fieldbenchErrorOf(client.getStatus());
    controller.abort();
    expect(await pending).toBeInstanceOf(DfuCancelledError);
    expect(await fieldbenchErrorOf(client.getStatus())).toBeInstanceOf(DfuCancelledError);
  });

  it('reports a DNLOAD the device took only part of', async () => {
    const { client } = await open([written(2)]);
    const error = await fieldbenchErrorOf(client.download(0, Uint8Array.of(1, 2, 3)));
    expect(error.message).toContain('took 2 of 3 bytes');
  });
});
