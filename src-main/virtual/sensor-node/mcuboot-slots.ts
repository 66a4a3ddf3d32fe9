// MCUboot's two-slot model on the node's simulated flash, with the rules that decide what
// boots: the primary slot (0) runs, the secondary (1) receives uploads. Each slot ends in
// an image trailer laid out as MCUboot writes it (16-byte magic last, then image-ok,
// copy-done and swap-info, each padded to the 8-byte write unit), and the next boot's
// action is read from the two trailers with MCUboot's own table:
//
//   secondary magic good, image-ok unset             -> test: swap, revert next reset
//   secondary magic good, image-ok set               -> permanent: swap for good
//   primary magic good, image-ok unset, copy-done set -> revert: a tested image was not confirmed
//   anything else                                    -> none
//
// The swap itself erases and programs every page involved with the flash's own timing.
// Deliberate simplifications: a swap is never interrupted by power loss (MCUboot resumes
// those from its status area, not modelled), and a refused image stays in the secondary
// slot with its pending mark cleared (MCUboot erases it), so a slot listing can still show
// what was refused.
import { createHash, type KeyObject } from 'node:crypto';
import { FieldbenchError } from '../../api/errors';
import { ImageFlag } from '../../firmware-images/mcuboot-format';
import { type McubootImage, hasMcubootMagic, parseMcubootImage } from '../../firmware-images/mcuboot-image';
import { checkKey } from '../../firmware-images/mcuboot-signatures';
import type { McubootVersion } from '../../firmware-images/mcuboot-version';
import { type SimulatedFlash } from './simulated-flash';

export const DEFAULT_SLOT_SIZE = 0x60000;

/** MCUboot's BOOT_MAX_ALIGN: every trailer field starts on its own 8-byte write unit. */
const TRAILER_ALIGN = 8;
const MAGIC_SIZE = 16;
/** boot_img_magic, as MCUboot writes it at the very end of a slot. */
const BOOT_MAGIC = Uint8Array.from([0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80]);
const FLAG_SET = 0x01;
const SwapInfo = { none: 1, test: 2, perm: 3, revert: 4 } as const;

export type SlotIndex = 0 | 1;
export type SwapType = 'none' | 'test' | 'perm' | 'revert';
export type MagicState = 'good' | 'unset' | 'bad';
export type RefusalReason = 'header' | 'hash' | 'signature';

export interface SlotTrailer {
  magic: MagicState;
  imageOk: boolean;
  copyDone: boolean;
  /** The swap-info byte's swap type, null while unwritten. */
  swapType: SwapType | null;
}

/** One slot as SMP image state read reports it. */
export interface SlotImageState {
  slot: SlotIndex;
  /** Zephyr's form: "1.4.2", with ".build" added when the build number is not 0. */
  version: string;
  /** The image's SHA-256 hash TLV. */
  hash: Uint8Array;
  bootable: boolean;
  pending: boolean;
  confirmed: boolean;
  active: boolean;
  permanent: boolean;
}

export interface Refusal {
  hash: Uint8Array | null;
  reason: RefusalReason;
  /** "the bootloader refused the image: hash mismatch" */
  message: string;
}

export interface BootResult {
  /** What the bootloader did with the slots on this boot. */
  action: SwapType;
  /** Set when a pending image was refused; the old image keeps running. */
  refused: Refusal | null;
}

export type SlotRule =
  | 'unknown-hash' // no slot holds an image with that hash
  | 'test-active-denied'; // the running image cannot be marked for test

/** A request MCUboot's rules do not allow; the SMP image group turns `rule` into its error code. */
export class SlotRuleError extends FieldbenchError {
  constructor(
    readonly rule: SlotRule,
    message: string,
  ) {
    super({ code: 'device-error', message, step: 'image state' });
    this.name = 'SlotRuleError';
  }
}

export interface McubootSlotsOptions {
  /** Holds both slots, primary first; must be at least two slots long. */
  flash: SimulatedFlash;
  slotSize?: number;
  /** When set, the bootloader only boots images with a signature this key verifies (MCUboot built with a key). */
  signingKey?: KeyObject;
}

export class McubootSlots {
  readonly flash: SimulatedFlash;
  readonly slotSize: number;
  private readonly signingKey: KeyObject | null;
  private refusal: Refusal | null = null;

  constructor(options: McubootSlotsOptions) {
    this.flash = options.flash;
    this.slotSize = options.slotSize ?? DEFAULT_SLOT_SIZE;
    if (this.slotSize % this.flash.pageSize !== 0 || 2 * this.slotSize > this.flash.size) {
      throw new FieldbenchError({ code: 'internal', message: `two ${this.slotSize}-byte slots do not fit whole pages of the ${this.flash.size}-byte flash` });
    }
    this.signingKey = options.signingKey ?? null;
  }

  /**
   * Largest image a slot takes: its last page holds the trailer, and swap using move needs
   * one spare page to shift the primary's image into.
   */
  get maxImageSize(): number {
    return this.slotSize - 2 * this.flash.pageSize;
  }

  slotOffset(slot: SlotIndex): number {
    return slot * this.slotSize;
  }

  /** The last refusal, kept until an image is written to the secondary slot again. */
  get lastRefusal(): Refusal | null {
    return this.refusal;
  }

  /** The production line's programmer: an image in the primary slot and blank trailers, before first boot. */
  installFactoryImage(image: Uint8Array): void {
    if (image.length > this.maxImageSize) {
      throw new FieldbenchError({ code: 'internal', message: `a ${image.length}-byte factory image does not fit the ${this.maxImageSize}-byte slot` });
    }
    this.flash.preload(0, new Uint8Array(2 * this.slotSize).fill(0xff));
    this.flash.preload(0, image);
  }

  /** Erase a slot's first page and its trailer: the start of every new upload to it. */
  async prepareForUpload(slot: SlotIndex): Promise<void> {
    if (slot === 1) this.refusal = null;
    await this.eraseTrailer(slot);
  }

  /** Erase the whole secondary slot (SMP image erase). */
  async eraseSecondary(): Promise<void> {
    this.refusal = null;
    await this.flash.erase(this.slotOffset(1), this.slotSize);
  }

  trailer(slot: SlotIndex): SlotTrailer {
    const end = this.slotOffset(slot) + this.slotSize;
    const magicBytes = this.flash.read(end - MAGIC_SIZE, MAGIC_SIZE);
    const magic: MagicState = magicBytes.every((b) => b === 0xff) ? 'unset' : magicBytes.every((b, i) => b === BOOT_MAGIC[i]) ? 'good' : 'bad';
    const byteAt = (field: number): number => this.flash.read(end - MAGIC_SIZE - field * TRAILER_ALIGN, 1)[0] ?? 0xff;
    const swapInfo = byteAt(3) & 0x0f;
    const swapType = (Object.keys(SwapInfo) as SwapType[]).find((type) => SwapInfo[type] === swapInfo) ?? null;
    return { magic, imageOk: byteAt(1) === FLAG_SET, copyDone: byteAt(2) === FLAG_SET, swapType };
  }

  /** What the next boot will do, by MCUboot's table (see the top of this file). */
  nextSwapType(): SwapType {
    const primary = this.trailer(0);
    const secondary = this.trailer(1);
    if (secondary.magic === 'good') return secondary.imageOk ? 'perm' : 'test';
    if (primary.magic === 'good' && !primary.imageOk && primary.copyDone) return 'revert';
    return 'none';
  }

  /**
   * Zephyr's img_mgmt_slot_in_use for the secondary: it may not be overwritten while an image
   * in it is pending, or while it holds the confirmed image a revert would go back to.
   */
  secondaryInUse(): boolean {
    return this.nextSwapType() !== 'none';
  }

  /** The image in a slot, or null when the slot holds nothing MCUboot could read. */
  image(slot: SlotIndex): McubootImage | null {
    const bytes = this.flash.read(this.slotOffset(slot), this.slotSize - this.flash.pageSize);
    if (!hasMcubootMagic(bytes)) return null;
    try {
      return parseMcubootImage(bytes);
    } catch {
      return null;
    }
  }

  /** The version the running application reports about itself. */
  activeVersion(): McubootVersion | null {
    return this.image(0)?.header.version ?? null;
  }

  /**
   * Mark an image to run from the next reset (SMP image state write). The running image's
   * hash with permanent set confirms it; any other hash must be the secondary's.
   */
  async setPending(hash: Uint8Array, permanent: boolean): Promise<void> {
    if (sameBytes(imageHash(this.image(0)), hash)) {
      if (!permanent) throw new SlotRuleError('test-active-denied', 'the running image cannot be marked for test');
      await this.confirm();
      return;
    }
    const secondary = this.image(1);
    if (!secondary || !sameBytes(imageHash(secondary), hash)) {
      throw new SlotRuleError('unknown-hash', `no slot holds an image with hash ${hex(hash)}`);
    }
    const trailer = this.trailer(1);
    if (trailer.magic === 'good') {
      // Already pending; a later "permanent" upgrades a test, as MCUboot's boot_set_pending does.
      if (permanent && !trailer.imageOk) await this.writeFlag(1, 1, FLAG_SET);
      return;
    }
    if (trailer.magic === 'bad') await this.eraseTrailer(1);
    await this.writeFlag(1, 3, SwapInfo[permanent ? 'perm' : 'test']);
    if (permanent) await this.writeFlag(1, 1, FLAG_SET);
    await this.writeMagic(1);
  }

  /** Confirm the running image, so the next reset keeps it. Confirming a confirmed image does nothing. */
  async confirm(): Promise<void> {
    const primary = this.trailer(0);
    if (primary.magic !== 'good' || primary.imageOk) return;
    await this.writeFlag(0, 1, FLAG_SET);
  }

  /**
   * What MCUboot does at every reset: read the trailers, validate a pending image (header,
   * hash, and signature when built with a key) and swap it in, or revert an unconfirmed test
   * image. `refuse` forces a refusal of a pending image, for fault injection.
   */
  async boot(options: { refuse?: RefusalReason } = {}): Promise<BootResult> {
    const swap = this.nextSwapType();
    if (swap === 'none') return { action: 'none', refused: null };
    if (swap === 'revert') {
      await this.swapImages();
      await this.finishSwap(true);
      return { action: 'revert', refused: null };
    }
    const candidate = this.image(1);
    const refused = options.refuse ? refusal(imageHash(candidate), options.refuse) : this.validate(candidate);
    if (refused) {
      this.refusal = refused;
      await this.eraseTrailer(1);
      return { action: 'none', refused };
    }
    await this.swapImages();
    await this.finishSwap(swap === 'perm');
    return { action: swap, refused: null };
  }

  /** Both slots as SMP image state read shows them, with Zephyr's flag rules. */
  imageStateSlots(): SlotImageState[] {
    const swap = this.nextSwapType();
    const states: SlotImageState[] = [];
    for (const slot of [0, 1] as const) {
      const image = this.image(slot);
      const hash = imageHash(image);
      if (!image || !hash) continue;
      const primary = slot === 0;
      const refusedHere = !primary && this.refusal !== null && sameBytes(this.refusal.hash, hash);
      states.push({
        slot,
        version: zephyrVersion(image.header.version),
        hash,
        bootable: !(image.header.flags & ImageFlag.NON_BOOTABLE) && !refusedHere,
        pending: !primary && (swap === 'test' || swap === 'perm'),
        confirmed: primary ? swap !== 'revert' : swap === 'revert',
        active: primary,
        permanent: !primary && swap === 'perm',
      });
    }
    return states;
  }

  private validate(image: McubootImage | null): Refusal | null {
    if (!image) return refusal(null, 'header');
    if (!image.hashOk) return refusal(imageHash(image), 'hash');
    if (this.signingKey && checkKey(image, 'bootloader key', this.signingKey).verdict !== 'valid') return refusal(imageHash(image), 'signature');
    return null;
  }

  /** Exchange the slots' image areas page by page, as swap using move does, with flash timing. */
  private async swapImages(): Promise<void> {
    const page = this.flash.pageSize;
    const used = Math.max(this.imageLength(0), this.imageLength(1));
    const length = Math.min(Math.ceil(used / page) * page, this.slotSize - page);
    const primary = this.flash.read(this.slotOffset(0), length);
    const secondary = this.flash.read(this.slotOffset(1), length);
    for (let at = 0; at < length; at += page) {
      for (const [slot, data] of [[0, secondary], [1, primary]] as const) {
        await this.flash.erase(this.slotOffset(slot) + at, page);
        await this.flash.program(this.slotOffset(slot) + at, data.subarray(at, at + page));
      }
    }
  }

  /** After a swap the primary's trailer says what happened; the secondary's is cleared. */
  private async finishSwap(imageOk: boolean): Promise<void> {
    await this.eraseTrailer(0);
    await this.eraseTrailer(1);
    await this.writeFlag(0, 2, FLAG_SET);
    if (imageOk) await this.writeFlag(0, 1, FLAG_SET);
    await this.writeMagic(0);
  }

  private imageLength(slot: SlotIndex): number {
    return this.image(slot)?.imageEnd ?? 0;
  }

  private async eraseTrailer(slot: SlotIndex): Promise<void> {
    const page = this.flash.pageSize;
    await this.flash.erase(this.slotOffset(slot) + this.slotSize - page, page);
  }

  /** Field 1 is image-ok, 2 copy-done, 3 swap-info, counted in write units back from the magic. */
  private async writeFlag(slot: SlotIndex, field: 1 | 2 | 3, value: number): Promise<void> {
    const at = this.slotOffset(slot) + this.slotSize - MAGIC_SIZE - field * TRAILER_ALIGN;
    await this.flash.program(at, Uint8Array.of(value));
  }

  private async writeMagic(slot: SlotIndex): Promise<void> {
    await this.flash.program(this.slotOffset(slot) + this.slotSize - MAGIC_SIZE, BOOT_MAGIC);
  }
}

const REFUSAL_WORDS: Record<RefusalReason, string> = {
  header: 'no valid image header',
  hash: 'hash mismatch',
  signature: 'signature not valid for the bootloader key',
};

function refusal(hash: Uint8Array | null, reason: RefusalReason): Refusal {
  return { hash, reason, message: `the bootloader refused the image: ${REFUSAL_WORDS[reason]}` };
}

/** The SHA-256 hash TLV, which is what SMP calls an image's hash. */
export function imageHash(image: McubootImage | null): Uint8Array | null {
  return image?.hashes.find((h) => h.algorithm === 'sha256')?.expected ?? null;
}

export function zephyrVersion(version: McubootVersion): string {
  const base = `${version.major}.${version.minor}.${version.revision}`;
  return version.build === 0 ? base : `${base}.${version.build}`;
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a !== null && b !== null && a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
