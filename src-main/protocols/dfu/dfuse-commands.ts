// ST's DfuSe commands (UM0424, AN3156): a DNLOAD to block 0 whose first byte is the command,
// carried out when the host next asks GETSTATUS. Data blocks then start at block 2, block n
// landing at the address pointer + (n − 2) × wTransferSize.
import type { DfuClient, DfuStatusReport } from './dfu-client';

export const DfuseCommand = {
  SET_ADDRESS_POINTER: 0x21,
  ERASE: 0x41,
  READ_UNPROTECT: 0x92,
} as const;

/** The first data block after the address pointer: blocks 0 and 1 are commands. */
export const DFUSE_FIRST_DATA_BLOCK = 2;

function withAddress(command: number, address: number): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = command;
  new DataView(bytes.buffer).setUint32(1, address >>> 0, true);
  return bytes;
}

export async function dfuseSetAddress(client: DfuClient, address: number, step: string): Promise<DfuStatusReport> {
  await client.download(0, withAddress(DfuseCommand.SET_ADDRESS_POINTER, address));
  return client.waitWhileBusy(step);
}

export async function dfuseErasePage(client: DfuClient, address: number, step: string): Promise<DfuStatusReport> {
  await client.download(0, withAddress(DfuseCommand.ERASE, address));
  return client.waitWhileBusy(step);
}

export async function dfuseMassErase(client: DfuClient, step: string): Promise<DfuStatusReport> {
  await client.download(0, Uint8Array.of(DfuseCommand.ERASE));
  return client.waitWhileBusy(step);
}

/** Starts read-unprotect; the device then mass-erases and resets itself. */
export async function dfuseStartReadUnprotect(client: DfuClient): Promise<void> {
  await client.download(0, Uint8Array.of(DfuseCommand.READ_UNPROTECT));
}
