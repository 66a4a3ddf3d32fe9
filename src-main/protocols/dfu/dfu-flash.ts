// Flashes a device in DFU mode: plain DFU 1.1 (blocks from 0, a zero-length block, then
// manifestation) or ST's DfuSe (page erase or mass erase, addressed writes, read-back, leave).
// The job in the core has already turned the file into elements; this checks them against
// the device before anything is erased, runs the phases, reports progress after every block,
// and turns whatever goes wrong into one FieldbenchError that says in which phase, at which
// address or byte, what the device said and what to do; a device that reported an error is
// left cleared in dfuIDLE where it will still listen.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { DfuFunctional } from '../../api/schemas';
import { DfuCancelledError, DfuClient, type DfuClientOptions, DfuStallError, DfuStatusError, type DfuStatusReport, guardTransfer } from './dfu-client';
import type { DfuFlashElement, DfuFlashRequest, DfuFlashResult, DfuPhase } from './dfu-flash-request';
import { DfuState, dfuStatusHint, dfuStatusMeaning } from './dfu-status';
import { DFUSE_FIRST_DATA_BLOCK, dfuseErasePage, dfuseMassErase, dfuseSetAddress, dfuseStartReadUnprotect } from './dfuse-commands';
import { type DfuseFlashPlan, planDfuseFlash } from './dfuse-plan';

const ERR_VENDOR = 0x0b;
/** How often to look whether a device that is to reset has left the bus. */
const RESET_POLL_MS = 10;
/** Block numbers are 16 bits; DfuSe data blocks start at 2, so one address pointer reaches this many blocks. */
const DFUSE_BLOCKS_PER_POINTER = 0x10000 - DFUSE_FIRST_DATA_BLOCK;

type Step = DfuPhase | 'prepare';

/** An error the flasher wrote with its place already in the message: passed on as it is. */
class PlacedError extends FieldbenchError {}

/** Where the flash has got to, so an error can say so. */
interface Position {
  step: Step;
  /** Bytes done in the phase, and its total. */
  done: number;
  total: number;
  address: number | null;
  block: number | null;
}

const hex = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

class Flash {
  readonly position: Position = { step: 'prepare', done: 0, total: 0, address: null, block: null };

  constructor(
    readonly request: DfuFlashRequest,
    readonly client: DfuClient,
  ) {}

  get functional(): DfuFunctional {
    return this.request.functional;
  }

  enter(step: DfuPhase, total: number, detail: string | null): void {
    Object.assign(this.position, { step, done: 0, total, address: null, block: null });
    this.request.onPhase?.(step, 'started', detail);
  }

  finish(step: DfuPhase, detail: string | null): void {
    this.request.onPhase?.(step, 'done', detail);
  }

  skip(step: DfuPhase, detail: string): void {
    this.request.onPhase?.(step, 'skipped', detail);
  }

  progress(step: 'erase' | 'write' | 'verify', done: number): void {
    this.position.done = done;
    this.request.onProgress?.(step, done, this.position.total);
  }

  /** A block is done: the position is the next address, in no block yet. */
  between(nextAddress: number | null): void {
    this.position.address = nextAddress;
    this.position.block = null;
  }

  /** Between blocks: a cancel stops here, before the next request. */
  checkCancel(): void {
    if (this.request.signal?.aborted) throw new DfuCancelledError(this.request.label, this.position.step);
  }

  /** Out of a leftover error, download or upload, into dfuIDLE. */
  async toIdle(): Promise<void> {
    let report = await this.client.getStatus();
    if (report.state === DfuState.dfuERROR) {
      await this.client.clearStatus();
      report = await this.client.getStatus();
    }
    if (report.state !== DfuState.dfuIDLE && report.state !== DfuState.appIDLE && report.state !== DfuState.appDETACH) {
      await this.client.abort();
      report = await this.client.getStatus();
    }
    if (report.state === DfuState.appIDLE || report.state === DfuState.appDETACH) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `the device runs its application (${report.stateName}), not its DFU bootloader`,
        device: this.request.label,
        step: 'prepare',
        hint: 'Detach it into its bootloader first, then flash the bootloader that comes up.',
      });
    }
    if (report.state !== DfuState.dfuIDLE) {
      throw new FieldbenchError({
        code: 'device-error',
        message: `the device stays in ${report.stateName} after CLRSTATUS and ABORT instead of going back to dfuIDLE`,
        device: this.request.label,
        step: 'prepare',
        hint: 'Power-cycle the device into its bootloader and flash again.',
      });
    }
  }
}

/** Flashes `request.elements` and returns what was done; throws one FieldbenchError otherwise. */
export async function flashDfu(request: DfuFlashRequest): Promise<DfuFlashResult> {
  const plan = checkRequest(request);
  const options: DfuClientOptions = { label: request.label };
  if (request.signal) options.signal = request.signal;
  if (request.deadlineMs !== undefined) options.deadlineMs = request.deadlineMs;
  const client = await DfuClient.open(request.device, request.target, request.functional, options);
  const flash = new Flash(request, client);
  try {
    flash.checkCancel();
    await flash.toIdle();
    return plan ? await flashDfuse(flash, plan) : await flashDfu11(flash);
  } catch (error) {
    throw await explain(flash, error);
  } finally {
    await client.close();
  }
}

/** Everything that can be refused without touching the device; the DfuSe plan when it is DfuSe. */
function checkRequest(request: DfuFlashRequest): DfuseFlashPlan | null {
  const refuse = (message: string, hint: string): FieldbenchError =>
    new FieldbenchError({ code: 'invalid-request', message, device: request.label, step: 'check image against memory layout', hint });
  if (!request.functional.canDownload) {
    throw refuse('the device does not accept downloads (no bitCanDnload in its DFU functional descriptor)', 'This interface cannot be flashed over DFU; check that the right device and alternate setting were chosen.');
  }
  if (request.elements.length === 0 || request.elements.every((element) => element.data.length === 0)) {
    throw refuse('the image has nothing to write', 'Choose an image that holds firmware.');
  }
  if (!request.dfuse) {
    if (request.elements.length !== 1) {
      throw refuse(`plain DFU 1.1 has no addresses, but the image has ${request.elements.length} elements`, 'Flash a single binary, or flash a DfuSe device with this image.');
    }
    return null;
  }
  if (!request.layout) {
    throw refuse('the alternate setting has no DfuSe memory layout, so the image cannot be checked against it', 'Choose the alternate setting for the internal flash (its name starts with "@").');
  }
  try {
    return planDfuseFlash(request.elements, request.layout, { massErase: request.massErase === true || request.readUnprotect === true });
  } catch (error) {
    if (isFieldbenchError(error)) throw new FieldbenchError({ ...error.toShape(), device: request.label }, { cause: error });
    throw error;
  }
}

// ------------------------------------------------------------------ DfuSe

async function flashDfuse(flash: Flash, plan: DfuseFlashPlan): Promise<DfuFlashResult> {
  const { request, client } = flash;
  if (request.readUnprotect) return readUnprotect(flash);

  const layoutBytes = request.layout!.regions.filter((region) => region.erasable).reduce((sum, region) => sum + region.size, 0);
  if (plan.massErase) {
    flash.enter('erase', layoutBytes, 'mass erase');
    flash.progress('erase', 0);
    await dfuseMassErase(client, 'erase');
    flash.progress('erase', layoutBytes);
    flash.finish('erase', 'mass erase');
  } else {
    flash.enter('erase', plan.eraseBytes, `${plan.pages.length} pages`);
    let erased = 0;
    for (const page of plan.pages) {
      flash.checkCancel();
      flash.position.address = page.address;
      await dfuseErasePage(client, page.address, 'erase');
      erased += page.size;
      flash.progress('erase', erased);
    }
    flash.finish('erase', `${plan.pages.length} pages`);
  }

  const elements = sortedElements(request.elements);
  flash.enter('write', plan.writeBytes, `${elements.length} element${elements.length === 1 ? '' : 's'}`);
  let written = 0;
  for (const element of elements) {
    await forEachDfuseBlock(flash, element, async (block, offset, length) => {
      await client.download(block, element.data.subarray(offset, offset + length));
      await client.waitWhileBusy('write');
      written += length;
      flash.between(element.address + offset + length);
      flash.progress('write', written);
    });
  }
  flash.finish('write', `${written} bytes`);

  const verify = await verifyDfuse(flash, elements, plan.writeBytes);
  let left = false;
  if (request.leave !== false) left = await leaveDfuse(flash, elements[0]!.address);
  else {
    // Out of the download, so the bootloader sits in dfuIDLE for whatever comes next.
    await client.abort();
    flash.skip('manifest', 'leave was not asked for: the device stays in its bootloader');
  }
  return { written, erasedPages: plan.massErase ? -1 : plan.pages.length, ...verify, left };
}

function sortedElements(elements: readonly DfuFlashElement[]): DfuFlashElement[] {
  return elements.filter((element) => element.data.length > 0).sort((a, b) => a.address - b.address);
}

/**
 * Visits the blocks of an element, setting the address pointer at its start and whenever
 * block numbers would run out; a cancel stops it between blocks, and the position names the
 * block being visited.
 */
async function forEachDfuseBlock(flash: Flash, element: DfuFlashElement, visit: (block: number, offset: number, length: number) => Promise<void>): Promise<void> {
  const size = flash.functional.transferSize;
  let block = DFUSE_FIRST_DATA_BLOCK + DFUSE_BLOCKS_PER_POINTER;
  for (let offset = 0; offset < element.data.length; offset += size) {
    if (block - DFUSE_FIRST_DATA_BLOCK >= DFUSE_BLOCKS_PER_POINTER) {
      flash.checkCancel();
      flash.position.address = element.address + offset;
      flash.position.block = null;
      // Reading back, the pointer is set from dfuIDLE and UPLOAD starts from dfuIDLE again (AN3156).
      const reading = flash.position.step === 'verify';
      if (reading) await flash.client.abort();
      await dfuseSetAddress(flash.client, element.address + offset, flash.position.step);
      if (reading) await flash.client.abort();
      block = DFUSE_FIRST_DATA_BLOCK;
    }
    flash.checkCancel();
    flash.position.address = element.address + offset;
    flash.position.block = block;
    await visit(block, offset, Math.min(size, element.data.length - offset));
    block += 1;
  }
}

async function verifyDfuse(flash: Flash, elements: DfuFlashElement[], total: number): Promise<Pick<DfuFlashResult, 'verified' | 'verifyDetail'>> {
  const { request, client } = flash;
  const why = notVerifiedBecause(request, flash.functional);
  if (why) {
    flash.skip('verify', why);
    return { verified: false, verifyDetail: why };
  }
  flash.enter('verify', total, null);
  let read = 0;
  for (const element of elements) {
    await forEachDfuseBlock(flash, element, async (block, offset, length) => {
      const back = await client.upload(block, length);
      compare(flash, element.data.subarray(offset, offset + length), back, element.address + offset);
      read += length;
      flash.between(element.address + offset + length);
      flash.progress('verify', read);
    });
  }
  await client.abort();
  const detail = `read back ${read} bytes, identical to what was written`;
  flash.finish('verify', detail);
  return { verified: true, verifyDetail: detail };
}

/** Null when verify should run; otherwise why it does not. */
function notVerifiedBecause(request: DfuFlashRequest, functional: DfuFunctional): string | null {
  if (request.verify === false) return 'not read back: verification was turned off for this flash';
  if (!functional.canUpload) return 'not read back: the device does not allow reading its memory (no bitCanUpload in its DFU functional descriptor)';
  return null;
}

function compare(flash: Flash, expected: Uint8Array, actual: Uint8Array, address: number): void {
  const length = Math.min(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    if (expected[i] !== actual[i]) {
      const where = flash.request.dfuse ? `at ${hex(address + i)}` : `at byte ${address + i}`;
      throw new PlacedError({
        code: 'device-error',
        message: `the flash does not read back as written: first difference ${where} (wrote 0x${expected[i]!.toString(16).padStart(2, '0')}, read 0x${actual[i]!.toString(16).padStart(2, '0')})`,
        device: flash.request.label,
        step: 'verify',
        hint: 'Flash again; if the same address differs again, the flash there is worn or write-protected.',
      });
    }
  }
  if (actual.length < expected.length) {
    throw new PlacedError({
      code: 'device-error',
      message: `the device read back ${actual.length} bytes where ${expected.length} were written, ${flash.request.dfuse ? `at ${hex(address)}` : `from byte ${address}`}`,
      device: flash.request.label,
      step: 'verify',
      hint: 'The device ended the read-back early; flash again, and if it recurs, flash without verify and check the firmware runs.',
    });
  }
}

/** Set the address the application starts from, then a zero-length DNLOAD: the bootloader jumps there. */
async function leaveDfuse(flash: Flash, startAddress: number): Promise<boolean> {
  const { client } = flash;
  flash.enter('manifest', 0, 'leave DFU mode');
  flash.position.address = startAddress;
  await client.abort();
  await dfuseSetAddress(client, startAddress, 'manifest');
  try {
    await client.download(DFUSE_FIRST_DATA_BLOCK, new Uint8Array(0));
    await client.getStatus({ cancellable: false });
  } catch (error) {
    // Leaving resets the device; dropping off the bus or refusing the status request is that reset.
    if (!isLeavingReset(error)) throw error;
  }
  flash.finish('manifest', 'the device left DFU mode to start the application');
  return true;
}

function isLeavingReset(error: unknown): boolean {
  return isFieldbenchError(error) && (error.code === 'device-gone' || error instanceof DfuStallError);
}

async function readUnprotect(flash: Flash): Promise<DfuFlashResult> {
  const detail = 'read-unprotect: the device mass-erases its flash and resets';
  flash.enter('erase', 0, detail);
  try {
    await dfuseStartReadUnprotect(flash.client);
    await flash.client.waitWhileBusy('erase');
    await waitForReset(flash);
  } catch (error) {
    if (!isLeavingReset(error)) throw error;
  }
  flash.finish('erase', detail);
  flash.skip('write', 'read protection was removed, which erased the flash and resets the device: flash again once it is back');
  const why = 'nothing written: read protection was removed, which erased the whole flash and resets the device; flash again once it is back';
  flash.skip('verify', why);
  flash.skip('manifest', why);
  return { written: 0, erasedPages: -1, verified: false, verifyDetail: why, left: true, readUnprotected: true };
}

/**
 * The part resets itself once read-unprotect is done; until it has left the bus the caller
 * would find the old enumeration and flash into a device about to vanish. It ends only by
 * throwing: a GETSTATUS rejected because the device left (the reset the caller expects), or,
 * when the device is still there at the deadline, an error saying so.
 */
async function waitForReset(flash: Flash): Promise<void> {
  const deadline = Date.now() + flash.client.transferDeadlineMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, RESET_POLL_MS));
    await flash.client.getStatus({ cancellable: false });
  }
  throw new PlacedError({
    code: 'device-error',
    message: `the device did not reset within ${flash.client.transferDeadlineMs} ms after read-unprotect`,
    device: flash.request.label,
    step: 'erase',
    hint: 'Power-cycle the device into its bootloader and flash again; read-unprotect has erased the flash.',
  });
}

// ------------------------------------------------------------------ DFU 1.1

async function flashDfu11(flash: Flash): Promise<DfuFlashResult> {
  const { request, client } = flash;
  const data = request.elements[0]!.data;
  const size = flash.functional.transferSize;
  flash.skip('erase', 'DFU 1.1 devices erase as they write');
  flash.enter('write', data.length, `${Math.ceil(data.length / size)} blocks of up to ${size} bytes`);
  let block = 0;
  for (let offset = 0; offset < data.length; offset += size, block += 1) {
    flash.checkCancel();
    flash.position.block = block;
    const length = Math.min(size, data.length - offset);
    await client.download(block, data.subarray(offset, offset + length));
    await client.waitWhileBusy('write');
    flash.between(null);
    flash.progress('write', offset + length);
  }
  flash.finish('write', `${data.length} bytes`);

  flash.checkCancel();
  flash.enter('manifest', 0, flash.functional.manifestationTolerant ? 'the device stays in DFU mode afterwards' : 'the device waits for a reset afterwards');
  flash.position.block = block;
  const after = await manifest(flash, block);
  const tolerantIdle = after !== null && after.state === DfuState.dfuIDLE;
  flash.finish('manifest', after ? `the device reached ${after.stateName}` : 'the device reset itself');

  let verify: Pick<DfuFlashResult, 'verified' | 'verifyDetail'>;
  const why = notVerifiedBecause(request, flash.functional);
  if (why) verify = { verified: false, verifyDetail: why };
  else if (!flash.functional.manifestationTolerant) {
    verify = { verified: false, verifyDetail: 'not read back: the device is not manifestation tolerant, so after manifestation it waits for a reset and cannot be read in the same session' };
  } else if (!tolerantIdle) {
    verify = { verified: false, verifyDetail: `not read back: after manifestation the device was in ${after ? after.stateName : 'no state (it reset)'}, not dfuIDLE` };
  } else verify = await verifyDfu11(flash, data);
  if (!verify.verified) flash.skip('verify', verify.verifyDetail);

  if (request.leave !== false && after !== null) await resetQuietly(flash);
  return { written: data.length, erasedPages: 0, ...verify, left: true };
}

/**
 * The zero-length DNLOAD that ends the download, and the manifestation after it. A device
 * that is not manifestation tolerant may stop answering or re-enumerate once it has
 * manifested: that is success, returned as null.
 */
async function manifest(flash: Flash, block: number): Promise<DfuStatusReport | null> {
  const { client } = flash;
  const tolerant = flash.functional.manifestationTolerant;
  try {
    await client.download(block, new Uint8Array(0));
    return await client.waitWhileBusy('manifest');
  } catch (error) {
    if (!tolerant && isFieldbenchError(error) && (isLeavingReset(error) || error.code === 'timeout') && !(error instanceof DfuStatusError)) return null;
    throw error;
  }
}

async function verifyDfu11(flash: Flash, data: Uint8Array): Promise<Pick<DfuFlashResult, 'verified' | 'verifyDetail'>> {
  const { client } = flash;
  const size = flash.functional.transferSize;
  flash.enter('verify', data.length, null);
  let read = 0;
  let block = 0;
  let ended = false;
  while (read < data.length) {
    flash.checkCancel();
    flash.position.block = block;
    const back = await client.upload(block, size);
    const used = Math.min(back.length, data.length - read);
    compare(flash, data.subarray(read, read + used), back.subarray(0, used), read);
    read += used;
    flash.between(null);
    flash.progress('verify', read);
    block += 1;
    if (back.length < size) {
      ended = true;
      break;
    }
  }
  if (read < data.length) compare(flash, data.subarray(read), new Uint8Array(0), read);
  // A device whose upload ran on past the image is still in dfuUPLOAD-IDLE.
  if (!ended) await client.abort();
  const detail = `read back the first ${read} bytes from block 0, identical to what was written`;
  flash.finish('verify', detail);
  return { verified: true, verifyDetail: detail };
}

/** A USB reset starts the new firmware; the device dropping off the bus is exactly that. */
async function resetQuietly(flash: Flash): Promise<void> {
  try {
    const { device, label } = flash.request;
    await guardTransfer(label, 'USB reset', 'manifest', () => device.reset(), { timeoutMs: flash.client.transferDeadlineMs });
  } catch {
    // The firmware is written and manifested; a device that re-enumerated on its own needs no reset.
  }
}

// ------------------------------------------------------------------ errors

/** Turns what went wrong into the one error the caller sees, after putting the device back in dfuIDLE where it listens. */
async function explain(flash: Flash, error: unknown): Promise<unknown> {
  const { request, position } = flash;
  const label = request.label;
  const step = position.step;
  if (!isFieldbenchError(error)) return error;
  if (error instanceof PlacedError || error.code === 'invalid-request') return error;
  const where = describePosition(flash);

  if (error instanceof DfuCancelledError) {
    await bounded(async () => {
      await flash.client.abort({ cancellable: false });
    });
    return new DfuCancelledError(label, step, `flash cancelled during ${step}${where}`);
  }
  if (error.code === 'device-gone') {
    const bootloader = request.dfuse ? 'the ROM bootloader is intact' : 'the bootloader is intact if it lives apart from the application, as DFU bootloaders do';
    const state =
      step === 'erase' ? 'the flash is partly erased' : step === 'write' ? 'the flash is partly written' : step === 'verify' ? 'the flash is written but not fully read back' : 'the firmware may not be complete';
    return new FieldbenchError(
      {
        code: 'device-gone',
        message: `unplugged during ${step}${where}: ${state}; ${bootloader}: plug it in and flash again`,
        device: label,
        step,
        hint: 'Plug the device in (in its bootloader) and flash the same image again.',
      },
      { cause: error },
    );
  }
  if (error instanceof DfuStatusError) {
    await recover(flash);
    const status = error.report.status;
    const protectedFlash = request.dfuse && status === ERR_VENDOR;
    return new FieldbenchError(
      {
        code: 'device-error',
        message: `${dfuStatusMeaning(status)}${where}${protectedFlash ? "; on ST's DfuSe bootloader this is how read or write protection shows" : ''}`,
        device: label,
        step,
        hint: protectedFlash ? 'If the flash is read-protected, flash again with read-unprotect, which erases the whole flash first.' : dfuStatusHint(status),
      },
      { cause: error },
    );
  }
  if (error instanceof DfuStallError) {
    await recover(flash);
    return new FieldbenchError(
      {
        code: 'device-error',
        message: `the device stalled ${error.request} during ${step}${where}`,
        device: label,
        step,
        hint: request.dfuse
          ? 'The bootloader refused the request; if the flash is read-protected, flash again with read-unprotect (it erases the whole flash). Otherwise power-cycle it into its bootloader and flash again.'
          : 'The bootloader refused the request; power-cycle the device into its bootloader and flash again.',
      },
      { cause: error },
    );
  }
  return new FieldbenchError({ ...error.toShape(), device: label, step, message: `${error.message} during ${step}${where}` }, { cause: error });
}

/** " at byte 40960 of 65536 (0x0800a000, block 22)": how far the phase got, for a message. */
function describePosition(flash: Flash): string {
  const { position, request } = flash;
  const address = request.dfuse && position.address !== null ? hex(position.address) : null;
  const block = position.block !== null ? `block ${position.block}` : null;
  if (position.step === 'erase') {
    if (address === null) return position.total > 0 ? ' (mass erase)' : '';
    return ` at page ${address} (${position.done} of ${position.total} bytes of pages erased)`;
  }
  if ((position.step === 'write' || position.step === 'verify') && position.total > 0) {
    const detail = [address, block].filter((part): part is string => part !== null);
    return ` at byte ${position.done} of ${position.total}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`;
  }
  const detail = [address === null ? null : `at ${address}`, block].filter((part): part is string => part !== null);
  return detail.length > 0 ? ` ${detail.join(', ')}` : '';
}

/** CLRSTATUS out of dfuERROR so the device takes the next flash; it may be past listening. */
async function recover(flash: Flash): Promise<void> {
  await bounded(async () => {
    const report = await flash.client.getStatus({ cancellable: false });
    if (report.state === DfuState.dfuERROR) await flash.client.clearStatus({ cancellable: false });
    else if (report.state !== DfuState.dfuIDLE) await flash.client.abort({ cancellable: false });
  });
}

async function bounded(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch {
    // Cleaning up after a failure: the failure itself is what the caller must hear about.
  }
}
