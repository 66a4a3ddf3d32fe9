import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { McubootSlots, SlotRuleError, imageHash } from '../../src-main/virtual/sensor-node/mcuboot-slots';
import { SimulatedFlash } from '../../src-main/virtual/sensor-node/simulated-flash';

const SLOT = 0x20000;

function payload(seed: number, length = 10_000): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 17) & 0xff);
}

function node(options: { signingKey?: ReturnType<typeof generateKeyPairSync>['publicKey'] } = {}) {
  const flash = new SimulatedFlash({ size: 2 * SLOT, timeScale: 0 });
  const slots = new McubootSlots({ flash, slotSize: SLOT, ...options });
  slots.installFactoryImage(createMcubootImage({ version: '1.4.2+0', payload: payload(1) }));
  return { flash, slots };
}

/** What an SMP upload leaves behind: the image written into the freshly erased secondary slot. */
async function upload(slots: McubootSlots, image: Uint8Array): Promise<Uint8Array> {
  await slots.prepareForUpload(1);
  const pages = Math.ceil(image.length / slots.flash.pageSize) * slots.flash.pageSize;
  await slots.flash.erase(slots.slotOffset(1), pages);
  await slots.flash.program(slots.slotOffset(1), image);
  const hash = imageHash(slots.image(1));
  if (!hash) throw new Error('uploaded image did not parse');
  return hash;
}

const version = (slots: McubootSlots) => {
  const v = slots.activeVersion();
  return v ? `${v.major}.${v.minor}.${v.revision}` : null;
};

const newImage = (v = '1.5.0+0', seed = 2) => createMcubootImage({ version: v, payload: payload(seed, 20_000) });

describe('MCUboot slots', () => {
  it('starts with the factory image running, confirmed, and nothing pending', async () => {
    const { slots } = node();
    expect(version(slots)).toBe('1.4.2');
    expect(slots.imageStateSlots()).toEqual([
      expect.objectContaining({ slot: 0, version: '1.4.2', active: true, confirmed: true, pending: false, bootable: true, permanent: false }),
    ]);
    expect(await slots.boot()).toEqual({ action: 'none', refused: null });
  });

  it('test: swaps once, reports the new image active and unconfirmed, and reverts on the next reset', async () => {
    const { slots } = node();
    const hash = await upload(slots, newImage());
    await slots.setPending(hash, false);
    expect(slots.imageStateSlots()[1]).toMatchObject({ slot: 1, version: '1.5.0', pending: true, permanent: false, confirmed: false });

    expect((await slots.boot()).action).toBe('test');
    expect(version(slots)).toBe('1.5.0');
    const [primary, secondary] = slots.imageStateSlots();
    expect(primary).toMatchObject({ version: '1.5.0', active: true, confirmed: false });
    expect(secondary).toMatchObject({ version: '1.4.2', active: false, confirmed: true, pending: false });

    // Power loss between test and confirm: the next boot goes back to the old image.
    expect((await slots.boot()).action).toBe('revert');
    expect(version(slots)).toBe('1.4.2');
    expect(slots.imageStateSlots()[0]).toMatchObject({ version: '1.4.2', confirmed: true, active: true });
    expect((await slots.boot()).action).toBe('none');
    expect(version(slots)).toBe('1.4.2');
  });

  it('confirm keeps a tested image for good', async () => {
    const { slots } = node();
    await slots.setPending(await upload(slots, newImage()), false);
    await slots.boot();
    await slots.confirm();
    expect(slots.imageStateSlots()[0]).toMatchObject({ version: '1.5.0', confirmed: true });
    expect((await slots.boot()).action).toBe('none');
    expect(version(slots)).toBe('1.5.0');
    // Confirming again is harmless.
    await slots.confirm();
  });

  it('permanent: swaps and stays without a confirm', async () => {
    const { slots } = node();
    await slots.setPending(await upload(slots, newImage()), true);
    expect(slots.imageStateSlots()[1]).toMatchObject({ pending: true, permanent: true });
    expect((await slots.boot()).action).toBe('perm');
    expect(slots.imageStateSlots()[0]).toMatchObject({ version: '1.5.0', confirmed: true });
    expect((await slots.boot()).action).toBe('none');
    expect(version(slots)).toBe('1.5.0');
  });

  it('a test can be made permanent before the reset; the running image can be confirmed, not tested', async () => {
    const { slots } = node();
    const hash = await upload(slots, newImage());
    await slots.setPending(hash, false);
    await slots.setPending(hash, true);
    expect(slots.nextSwapType()).toBe('perm');
    const running = imageHash(slots.image(0));
    if (!running) throw new Error('no running image');
    await expect(slots.setPending(running, false)).rejects.toMatchObject({ rule: 'test-active-denied' });
    await slots.setPending(running, true);
  });

  it('refuses to mark an unknown hash', async () => {
    const { slots } = node();
    const error = await slots.setPending(new Uint8Array(32).fill(7), false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlotRuleError);
    expect(error).toMatchObject({ rule: 'unknown-hash' });
  });

  it('refuses an image whose hash does not match, keeps the old image and says why', async () => {
    const { slots } = node();
    const image = newImage();
    image[0x300] = (image[0x300] ?? 0) ^ 0xff; // a flipped bit in the body: the hash TLV no longer matches
    await slots.setPending(await upload(slots, image), false);
    const result = await slots.boot();
    expect(result.action).toBe('none');
    expect(result.refused).toMatchObject({ reason: 'hash', message: 'the bootloader refused the image: hash mismatch' });
    expect(version(slots)).toBe('1.4.2');
    expect(slots.imageStateSlots()[1]).toMatchObject({ version: '1.5.0', bootable: false, pending: false });
    expect(slots.lastRefusal?.reason).toBe('hash');
    expect((await slots.boot()).action).toBe('none');
  });

  it('refuses on demand (fault knob) with reason signature', async () => {
    const { slots } = node();
    await slots.setPending(await upload(slots, newImage()), true);
    expect((await slots.boot({ refuse: 'signature' })).refused?.message).toMatch(/refused the image: signature/);
    expect(version(slots)).toBe('1.4.2');
  });

  it('with a signing key, boots only images signed by it', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const { slots } = node({ signingKey: publicKey });
    await slots.setPending(await upload(slots, newImage()), false);
    const result = await slots.boot();
    expect(result.refused?.reason).toBe('signature');
    expect(version(slots)).toBe('1.4.2');
  });

  it('a new upload clears a pending mark, and an erase empties the secondary slot', async () => {
    const { slots } = node();
    await slots.setPending(await upload(slots, newImage()), false);
    await slots.prepareForUpload(1);
    expect(slots.nextSwapType()).toBe('none');
    await slots.eraseSecondary();
    expect(slots.image(1)).toBeNull();
    expect(slots.imageStateSlots()).toHaveLength(1);
  });

  it('takes flash time for a swap: every page of both images erased and programmed', async () => {
    const { slots, flash } = node();
    await slots.setPending(await upload(slots, newImage()), false);
    const before = flash.stats.pagesErased;
    await slots.boot();
    // 20,000-byte payload plus header and TLVs: 6 pages per slot swapped, plus both trailers cleared.
    expect(flash.stats.pagesErased - before).toBe(2 * 6 + 2);
  });
});
