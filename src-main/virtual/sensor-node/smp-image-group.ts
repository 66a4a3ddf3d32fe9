// SMP image management on the virtual node, with Zephyr's img_mgmt rules: state read lists
// the slots; state write marks an image for test or confirms one; upload takes the image in
// chunks at the offset the device asks for, erasing the target slot page by page as data
// arrives; erase empties the secondary slot. In serial recovery MCUboot itself answers:
// one slot, uploads written straight into the primary, no test or confirm.
//
// Upload state lives in RAM, as in Zephyr: it survives the host going away (a pulled cable,
// a crashed app) so a new upload with the same `sha` and `len` resumes where the last one
// stopped, and it is lost at every reset, after which an upload starts again from 0.
import { ImageCommand, MgmtErr, SmpGroup } from '../../protocols/smp/smp-groups';
import { IMAGE_MAGIC } from '../../firmware-images/mcuboot-format';
import { type McubootSlots, type SlotIndex, SlotRuleError, sameBytes, sha256 } from './mcuboot-slots';
import { type SmpAnswer, type SmpBody, type SmpGroupHandler, type SmpRequest, field, groupError, mgmtError, notSupported, ok } from './smp-server';

/** IMG_MGMT_ERR_*: the image group's own result codes (SMP version 2 `err.rc`). */
export const ImgMgmtErr = {
  UNKNOWN: 1,
  NO_IMAGE: 3,
  HASH_NOT_FOUND: 8,
  NO_FREE_SLOT: 9,
  INVALID_SLOT: 14,
  INVALID_LENGTH: 21,
  INVALID_IMAGE_HEADER_MAGIC: 23,
  INVALID_HASH: 24,
  INVALID_IMAGE_TOO_LARGE: 30,
  INVALID_IMAGE_DATA_OVERRUN: 31,
  IMAGE_SETTING_TEST_TO_ACTIVE_DENIED: 33,
} as const;

/** img_mgmt_translate_error_code: what a version 1 client is told instead. */
const TO_MGMT: Record<number, number> = {
  [ImgMgmtErr.NO_IMAGE]: MgmtErr.ENOENT,
  [ImgMgmtErr.NO_FREE_SLOT]: MgmtErr.EBADSTATE,
  [ImgMgmtErr.IMAGE_SETTING_TEST_TO_ACTIVE_DENIED]: MgmtErr.EBADSTATE,
  [ImgMgmtErr.INVALID_SLOT]: MgmtErr.EINVAL,
  [ImgMgmtErr.INVALID_LENGTH]: MgmtErr.EINVAL,
  [ImgMgmtErr.INVALID_HASH]: MgmtErr.EINVAL,
  [ImgMgmtErr.HASH_NOT_FOUND]: MgmtErr.EINVAL,
  [ImgMgmtErr.INVALID_IMAGE_TOO_LARGE]: MgmtErr.EINVAL,
};

const SHA_MAX = 32;

export type NodeMode = 'application' | 'serial-recovery';

interface Upload {
  slot: SlotIndex;
  length: number;
  sha: Uint8Array | null;
  /** The next offset expected. */
  offset: number;
  /** Slot-relative end of the pages erased so far. */
  erasedTo: number;
}

export interface ImageGroupOptions {
  slots: McubootSlots;
  mode: () => NodeMode;
  /** Called after each chunk is written; true means the device reset there and sends no answer. */
  onUploadProgress?: (offset: number, length: number) => boolean;
}

export class SmpImageGroup implements SmpGroupHandler {
  readonly group = SmpGroup.IMAGE;
  private upload: Upload | null = null;

  constructor(private readonly options: ImageGroupOptions) {}

  /** RAM is gone at a reset, and with it any upload in progress. */
  forgetUpload(): void {
    this.upload = null;
  }

  /** Where an interrupted upload stands, for tests and the simulator's status. */
  get uploadProgress(): { offset: number; length: number } | null {
    return this.upload ? { offset: this.upload.offset, length: this.upload.length } : null;
  }

  toMgmtErr(groupRc: number): number {
    return TO_MGMT[groupRc] ?? MgmtErr.EUNKNOWN;
  }

  async handle(request: SmpRequest): Promise<SmpAnswer> {
    const recovery = this.options.mode() === 'serial-recovery';
    switch (request.command) {
      case ImageCommand.STATE:
        if (!request.write) return ok(this.stateBody());
        return recovery ? notSupported() : this.writeState(request.body);
      case ImageCommand.UPLOAD:
        return request.write ? this.receive(request.body) : notSupported();
      case ImageCommand.ERASE:
        return request.write ? this.erase(request.body) : notSupported();
      default:
        return notSupported();
    }
  }

  private stateBody(): SmpBody {
    const slots = this.options.slots;
    if (this.options.mode() === 'serial-recovery') {
      // MCUboot's boot_serial lists the one slot it writes, with version and hash only.
      const primary = slots.imageStateSlots().find((s) => s.slot === 0);
      return { images: primary ? [{ image: 0, slot: 0, version: primary.version, hash: primary.hash }] : [] };
    }
    const images = slots.imageStateSlots().map((s) => ({
      image: 0,
      slot: s.slot,
      version: s.version,
      hash: s.hash,
      bootable: s.bootable,
      pending: s.pending,
      confirmed: s.confirmed,
      active: s.active,
      permanent: s.permanent,
    }));
    return { images, splitStatus: 0 };
  }

  private async writeState(body: SmpBody): Promise<SmpAnswer> {
    const hash = field.bytes(body, 'hash');
    const confirm = field.bool(body, 'confirm') ?? false;
    try {
      if (hash === undefined) {
        // Without a hash only "confirm the running image" means anything.
        if (!confirm) return mgmtError(MgmtErr.EINVAL);
        await this.options.slots.confirm();
      } else {
        await this.options.slots.setPending(hash, confirm);
      }
    } catch (error) {
      if (!(error instanceof SlotRuleError)) throw error;
      const rc = error.rule === 'unknown-hash' ? ImgMgmtErr.HASH_NOT_FOUND : ImgMgmtErr.IMAGE_SETTING_TEST_TO_ACTIVE_DENIED;
      return groupError(rc, error.message);
    }
    return ok(this.stateBody());
  }

  private async receive(body: SmpBody): Promise<SmpAnswer> {
    const offset = field.uint(body, 'off');
    const data = field.bytes(body, 'data');
    if (offset === undefined || data === undefined) return mgmtError(MgmtErr.EINVAL);
    if ((field.uint(body, 'image') ?? 0) !== 0) return groupError(ImgMgmtErr.INVALID_SLOT, 'this device has one image');

    if (offset === 0) {
      const started = await this.start(body, data);
      if (started) return started;
    }
    const upload = this.upload;
    // The wrong offset (or no upload at all) is answered with the offset the device wants: how clients resume.
    if (!upload || offset !== upload.offset) return ok({ off: upload?.offset ?? 0 });
    if (offset + data.length > upload.length) {
      return groupError(ImgMgmtErr.INVALID_IMAGE_DATA_OVERRUN, `${offset + data.length} bytes is past the announced length ${upload.length}`);
    }
    await this.write(upload, data);
    if (this.options.onUploadProgress?.(upload.offset, upload.length)) return { kind: 'no-answer' };
    return ok(this.progressBody(upload));
  }

  /** The first chunk: a resume of the same image, or a new upload. Returns an answer when the chunk ends there. */
  private async start(body: SmpBody, data: Uint8Array): Promise<SmpAnswer | null> {
    const slots = this.options.slots;
    const length = field.uint(body, 'len');
    const sha = field.bytes(body, 'sha') ?? null;
    if (length === undefined || length === 0) return groupError(ImgMgmtErr.INVALID_LENGTH, 'the first chunk must carry the image length');
    if (sha !== null && (sha.length === 0 || sha.length > SHA_MAX)) return groupError(ImgMgmtErr.INVALID_HASH, `sha must be 1 to ${SHA_MAX} bytes`);

    const previous = this.upload;
    if (previous && sha !== null && previous.sha !== null && sameBytes(previous.sha, sha) && previous.length === length && previous.offset > 0) {
      return ok(this.progressBody(previous));
    }
    if (length > slots.maxImageSize) {
      return groupError(ImgMgmtErr.INVALID_IMAGE_TOO_LARGE, `a ${length}-byte image does not fit the ${slots.maxImageSize}-byte slot`);
    }
    if (data.length >= 4 && new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) !== IMAGE_MAGIC) {
      return groupError(ImgMgmtErr.INVALID_IMAGE_HEADER_MAGIC, 'the data does not start with an MCUboot image header');
    }
    const slot: SlotIndex = this.options.mode() === 'serial-recovery' ? 0 : 1;
    if (slot === 1 && slots.secondaryInUse()) {
      return groupError(ImgMgmtErr.NO_FREE_SLOT, 'the secondary slot holds a pending image or the one a revert needs');
    }
    this.upload = null;
    await slots.prepareForUpload(slot);
    this.upload = { slot, length, sha, offset: 0, erasedTo: 0 };
    return null;
  }

  /** Erase the pages the chunk reaches that are not erased yet, then program it. */
  private async write(upload: Upload, data: Uint8Array): Promise<void> {
    const slots = this.options.slots;
    const base = slots.slotOffset(upload.slot);
    const page = slots.flash.pageSize;
    while (upload.erasedTo < upload.offset + data.length) {
      await slots.flash.erase(base + upload.erasedTo, page);
      upload.erasedTo += page;
    }
    await slots.flash.program(base + upload.offset, data);
    upload.offset += data.length;
  }

  private progressBody(upload: Upload): SmpBody {
    if (upload.offset < upload.length || upload.sha === null) return { off: upload.offset };
    // Complete: the device hashes what it holds and says whether it matches what it was promised.
    const written = this.options.slots.flash.read(this.options.slots.slotOffset(upload.slot), upload.length);
    const digest = sha256(written);
    return { off: upload.offset, match: sameBytes(digest.subarray(0, upload.sha.length), upload.sha) };
  }

  private async erase(body: SmpBody): Promise<SmpAnswer> {
    const slot = field.uint(body, 'slot') ?? 1;
    if (slot !== 1 || this.options.mode() === 'serial-recovery') return groupError(ImgMgmtErr.INVALID_SLOT, 'only the secondary slot can be erased');
    if (this.options.slots.secondaryInUse()) return groupError(ImgMgmtErr.NO_FREE_SLOT, 'the secondary slot is in use');
    this.upload = null;
    await this.options.slots.eraseSecondary();
    return ok();
  }
}
