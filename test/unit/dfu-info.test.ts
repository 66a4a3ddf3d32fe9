// Reading what a USB device offers for DFU from its descriptors, through a device that
// answers GET_DESCRIPTOR from a table: DfuSe layouts per alternate setting, a malformed
// layout costing only its own alternate, the language from string 0, a device without DFU,
// and a device opened for the read closed again.
import { describe, expect, it } from 'vitest';
import { readDfuInfo } from '../../src-main/protocols/dfu/dfu-info';
import type { DfuUsbDevice } from '../../src-main/protocols/dfu/dfu-usb-device';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const utf16 = (text: string): number[] => [2 + 2 * text.length, 3, ...[...text].flatMap((c) => [c.charCodeAt(0), 0])];

function configuration(body: number[][]): number[] {
  const rest = body.flat();
  const total = 9 + rest.length;
  return [9, 2, total & 0xff, total >> 8, 1, 1, 0, 0x80, 50, ...rest];
}

const iface = (number: number, alt: number, cls: number, sub: number, protocol: number, iInterface: number): number[] => [9, 4, number, alt, 0, cls, sub, protocol, iInterface];
const functional = (attributes: number, transfer: number, version: number): number[] => [9, 0x21, attributes, 255, 0, transfer & 0xff, transfer >> 8, version & 0xff, version >> 8];

function describedDevice(config: number[], strings: Record<number, string>, languageId = 0x0409, startOpen = false) {
  const asked: { value: number; index: number; length: number }[] = [];
  const state = { opened: startOpen, opens: 0, closes: 0 };
  const device = {
    get opened() {
      return state.opened;
    },
    open: async () => {
      state.opens += 1;
      state.opened = true;
    },
    close: async () => {
      state.closes += 1;
      state.opened = false;
    },
    controlTransferIn: async (setup: USBControlTransferParameters, length: number): Promise<USBInTransferResult> => {
      asked.push({ value: setup.value, index: setup.index, length });
      const type = setup.value >> 8;
      const index = setup.value & 0xff;
      let bytes: number[] | undefined;
      if (type === 2 && index === 0) bytes = config;
      else if (type === 3 && index === 0) bytes = [4, 3, languageId & 0xff, languageId >> 8];
      else if (type === 3 && setup.index === languageId && strings[index] !== undefined) bytes = utf16(strings[index]!);
      if (!bytes) return { status: 'stall' };
      const data = Uint8Array.from(bytes.slice(0, length));
      return { status: 'ok', data: new DataView(data.buffer) };
    },
  } as unknown as DfuUsbDevice;
  return { device, asked, state };
}

describe('readDfuInfo', () => {
  it('reads an STM32 bootloader: DfuSe, DFU mode, each alternate with its name and layout; a malformed layout costs only its own', async () => {
    const config = configuration([iface(0, 0, 0xfe, 1, 2, 4), iface(0, 1, 0xfe, 1, 2, 5), iface(0, 2, 0xfe, 1, 2, 0), functional(0x0b, 2048, 0x011a)]);
    const { device, asked, state } = describedDevice(config, { 4: '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg', 5: '@Option Bytes  /0x1FFFC000/01*016 q' }, 0x0407);
    const info = await readDfuInfo(device, 'stm32');
    expect(info).toMatchObject({ mode: 'dfu', dfuse: true, functional: { transferSize: 2048, canUpload: true, willDetach: true, dfuVersion: '011a' } });
    expect(info!.alts.map((a) => [a.alternateSetting, a.name, a.layout?.regions.length ?? null])).toEqual([
      [0, '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg', 3],
      [1, '@Option Bytes  /0x1FFFC000/01*016 q', null],
      [2, null, null],
    ]);
    // The configuration header first, then all of it; strings in the language string 0 offers.
    expect(asked[0]).toEqual({ value: 0x0200, index: 0, length: 9 });
    expect(asked[1]).toEqual({ value: 0x0200, index: 0, length: config.length });
    expect(asked.filter((a) => a.value >> 8 === 3 && (a.value & 0xff) !== 0).every((a) => a.index === 0x0407)).toBe(true);
    expect(state).toEqual({ opened: false, opens: 1, closes: 1 });
  });

  it('reads a runtime DFU 1.1 interface beside others and leaves an open device open', async () => {
    const config = configuration([iface(0, 0, 0x02, 0x02, 1, 0), iface(1, 0, 0x0a, 0, 0, 0), iface(2, 0, 0xfe, 1, 1, 7), functional(0x07, 1024, 0x0110)]);
    const { device, state } = describedDevice(config, { 7: 'DFU runtime' }, 0x0409, true);
    const info = await readDfuInfo(device, 'gadget');
    expect(info).toEqual({
      mode: 'runtime',
      dfuse: false,
      functional: { canDownload: true, canUpload: true, manifestationTolerant: true, willDetach: false, detachTimeoutMs: 255, transferSize: 1024, dfuVersion: '0110' },
      alts: [{ interfaceNumber: 2, alternateSetting: 0, name: 'DFU runtime', layout: null }],
    });
    expect(state).toEqual({ opened: true, opens: 0, closes: 0 });
  });

  it('gives null for a device without a DFU interface, and closes it again', async () => {
    const { device, state } = describedDevice(configuration([iface(0, 0, 0x02, 0x02, 1, 0)]), {});
    expect(await readDfuInfo(device, 'cdc')).toBeNull();
    expect(state.closes).toBe(1);
  });

  it('refuses a broken configuration descriptor with the device named, and still closes it', async () => {
    const { device, state } = describedDevice([9, 2, 20, 0, 1, 1, 0, 0x80, 50, 0, 4, 0, 0, 0, 0xfe, 1, 2, 0, 0, 0], {});
    const error = await fieldbenchErrorOf(readDfuInfo(device, 'broken'));
    expect(error.code).toBe('device-error');
    expect(error.device).toBe('broken');
    expect(error.step).toBe('read configuration descriptor');
    expect(state.closes).toBe(1);
  });
});
