// Raw control transfers to a virtual DFU board, without the DFU engine: what the tests of the
// virtual USB device use to drive it request by request.
import { DfuRequest } from '../../src-main/protocols/dfu/dfu-status';
import type { VirtualUsbBus } from '../../src-main/virtual/usb-dfu/virtual-usb-bus';

export const dfuSetup = (request: number, value = 0): USBControlTransferParameters => ({ requestType: 'class', recipient: 'interface', request, value, index: 0 });

export async function classOut(device: USBDevice, request: number, value = 0, data?: Uint8Array): Promise<USBOutTransferResult> {
  return data === undefined ? device.controlTransferOut(dfuSetup(request, value)) : device.controlTransferOut(dfuSetup(request, value), data as Uint8Array<ArrayBuffer>);
}

export async function classIn(device: USBDevice, request: number, value: number, length: number): Promise<USBInTransferResult> {
  return device.controlTransferIn(dfuSetup(request, value), length);
}

export function bytesOf(result: USBInTransferResult): Uint8Array {
  const view = result.data;
  return view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(0);
}

export interface Status {
  status: number;
  pollMs: number;
  state: number;
}

export async function getStatus(device: USBDevice): Promise<Status> {
  const result = await classIn(device, DfuRequest.GETSTATUS, 0, 6);
  if (result.status !== 'ok') throw new Error(`GETSTATUS answered ${result.status}`);
  const b = bytesOf(result);
  return { status: b[0]!, pollMs: b[1]! | (b[2]! << 8) | (b[3]! << 16), state: b[4]! };
}

export async function getState(device: USBDevice): Promise<number> {
  const result = await classIn(device, DfuRequest.GETSTATE, 0, 1);
  if (result.status !== 'ok') throw new Error(`GETSTATE answered ${result.status}`);
  return bytesOf(result)[0]!;
}

/** GETSTATUS, sleeping bwPollTimeout between polls, until the device is no longer busy; at most `polls` polls. */
export async function settle(device: USBDevice, polls = 20): Promise<Status> {
  for (let i = 0; i < polls; i++) {
    const status = await getStatus(device);
    if (status.state !== 4 && status.state !== 3) return status;
    await new Promise((resolve) => setTimeout(resolve, status.pollMs));
  }
  throw new Error(`still busy after ${polls} polls`);
}

export async function openDfu(device: USBDevice, alternate = 0): Promise<void> {
  await device.open();
  await device.claimInterface(0);
  await device.selectAlternateInterface(0, alternate);
}

export async function download(device: USBDevice, block: number, data: Uint8Array): Promise<Status> {
  const out = await classOut(device, DfuRequest.DNLOAD, block, data);
  if (out.status !== 'ok') throw new Error(`DNLOAD block ${block} answered ${out.status}`);
  return settle(device);
}

export function withAddress(command: number, address: number): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = command;
  new DataView(bytes.buffer).setUint32(1, address, true);
  return bytes;
}

/** The board's next arrival on the bus (a new USBDevice), bounded so a board that never comes back fails the test. */
export function nextArrival(bus: VirtualUsbBus, serialNumber: string, deadlineMs = 2000): Promise<USBDevice & { mode: 'runtime' | 'dfu' }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${serialNumber} did not come back within ${deadlineMs} ms`));
    }, deadlineMs);
    const stop = bus.onChange((change) => {
      if (change.kind === 'connect' && change.device.serialNumber === serialNumber) {
        clearTimeout(timer);
        stop();
        resolve(change.device as USBDevice & { mode: 'runtime' | 'dfu' });
      }
    });
  });
}

/** The board's next departure from the bus. */
export function nextDeparture(bus: VirtualUsbBus, serialNumber: string, deadlineMs = 2000): Promise<USBDevice> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${serialNumber} did not leave within ${deadlineMs} ms`));
    }, deadlineMs);
    const stop = bus.onChange((change) => {
      if (change.kind === 'disconnect' && change.device.serialNumber === serialNumber) {
        clearTimeout(timer);
        stop();
        resolve(change.device);
      }
    });
  });
}

/** The DOMException name a promise rejects with. */
export async function rejectionName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return 'resolved';
}
