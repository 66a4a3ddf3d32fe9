// SMP readings per device: MCUmgr parameters, OS and bootloader ('smp.info') and the image
// slots ('firmware.slots'). Read only when asked (the button, or a firmware update that
// wants the slots before and after), since a device that does not speak SMP answers with
// an error; that error is kept here as information about the device, not as a failure of
// the app, so it never goes to the global alert region.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { ImageSlot, SmpInfo } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';

export interface DeviceSmp {
  info: SmpInfo | null;
  slots: ImageSlot[] | null;
  reading: boolean;
  /** Why the last 'smp.info' failed. */
  infoError: ApiErrorShape | null;
  /** Why the last slot read failed. */
  slotsError: ApiErrorShape | null;
  /** When the slots on screen were read (ISO). */
  slotsReadAt: string | null;
}

export interface SmpState {
  byDevice: Record<string, DeviceSmp>;
  /** Read info and slots, one after the other (the device takes one request at a time). */
  read(deviceId: string): Promise<void>;
  /** Read the slots; resolves with them, or rejects with an ApiRequestError after noting it. */
  readSlots(deviceId: string): Promise<ImageSlot[]>;
}

export type SmpStore = StoreApi<SmpState>;

export const NO_SMP: DeviceSmp = Object.freeze({ info: null, slots: null, reading: false, infoError: null, slotsError: null, slotsReadAt: null });

export function createSmpStore(api: FieldbenchApi, now: () => Date = () => new Date()): SmpStore {
  return createStore<SmpState>()((set, get) => {
    const patch = (deviceId: string, change: Partial<DeviceSmp>) =>
      set((state) => ({ byDevice: { ...state.byDevice, [deviceId]: { ...(state.byDevice[deviceId] ?? NO_SMP), ...change } } }));

    return {
      byDevice: {},

      async read(deviceId) {
        if (get().byDevice[deviceId]?.reading) return;
        patch(deviceId, { reading: true, infoError: null });
        try {
          patch(deviceId, { info: await api.invoke('smp.info', { deviceId }) });
        } catch (error) {
          patch(deviceId, { info: null, infoError: toApiRequestError(error, 'smp.info').toShape() });
        }
        try {
          await get().readSlots(deviceId);
        } catch {
          // Kept in slotsError by readSlots.
        }
        patch(deviceId, { reading: false });
      },

      async readSlots(deviceId) {
        try {
          const slots = await api.invoke('firmware.slots', { deviceId });
          patch(deviceId, { slots, slotsError: null, slotsReadAt: now().toISOString() });
          return slots;
        } catch (error) {
          const failure = toApiRequestError(error, 'firmware.slots');
          patch(deviceId, { slotsError: failure.toShape() });
          throw failure;
        }
      },
    };
  });
}
