// Following BLE devices live: per device, whether this window wants it followed, the follow
// state as the core last said it, the newest value of each notified characteristic, and the
// device's log. Follow and unfollow requests of one device go out one after another, each
// bringing the core in line with what the window wants at that moment, so quick toggling or
// leaving the page mid-request can never leave a follow running that nobody shows.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { BleFollowState, Reading } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import { appendToLog, clearLog, EMPTY_LOG, type LogBuffer } from '../live-log/log-buffer';

export interface BleLive {
  /** As the core last said, in an answer or a 'ble.follow' event. */
  follow: BleFollowState | null;
  /** The person wants it followed: the toggle's position. */
  wanted: boolean;
  /** The core follows it on this window's request, as far as this window knows. */
  active: boolean;
  pending: 'follow' | 'unfollow' | null;
  /** Why the last follow or unfollow was refused. */
  error: ApiErrorShape | null;
  /** The newest value of each followed characteristic, in the order they first arrived. */
  readings: Reading[];
  /** When the newest value was read (ISO). */
  lastValueAt: string | null;
  log: LogBuffer;
}

export interface BleLiveState {
  byDevice: Record<string, BleLive>;
  follow(deviceId: string): Promise<void>;
  unfollow(deviceId: string): Promise<void>;
  /** Stop every follow this window asked for (the page goes away). */
  unfollowAll(): void;
  /** After the connection came back: ask again for what the window wants, so the state shown is fresh. */
  resume(): void;
  clearLog(deviceId: string): void;
}

export type BleLiveStore = StoreApi<BleLiveState> & { stop(): void };

export const NO_LIVE: BleLive = Object.freeze({
  follow: null,
  wanted: false,
  active: false,
  pending: null,
  error: null,
  readings: Object.freeze([]) as unknown as Reading[],
  lastValueAt: null,
  log: EMPTY_LOG,
});

/** Readings with each new value in its characteristic's place, new characteristics at the end. */
export function mergeReadings(current: readonly Reading[], incoming: readonly Reading[]): Reading[] {
  const merged = [...current];
  for (const reading of incoming) {
    const index = merged.findIndex((r) => r.id === reading.id);
    if (index < 0) merged.push(reading);
    else merged[index] = reading;
  }
  return merged;
}

function latest(a: string | null, readings: readonly Reading[]): string | null {
  let newest = a;
  for (const reading of readings) if (newest === null || Date.parse(reading.readAt) > Date.parse(newest)) newest = reading.readAt;
  return newest;
}

export function createBleLiveStore(api: FieldbenchApi): BleLiveStore {
  const queues = new Map<string, Promise<void>>();

  const store = createStore<BleLiveState>()((set, get) => {
    const live = (deviceId: string) => get().byDevice[deviceId] ?? NO_LIVE;
    const patch = (deviceId: string, change: Partial<BleLive> | ((current: BleLive) => Partial<BleLive>)) =>
      set((state) => {
        const current = state.byDevice[deviceId] ?? NO_LIVE;
        const next = typeof change === 'function' ? change(current) : change;
        return { byDevice: { ...state.byDevice, [deviceId]: { ...current, ...next } } };
      });

    /** One request, if the core is not yet where the window wants it. */
    async function reconcile(deviceId: string): Promise<void> {
      const { wanted, active } = live(deviceId);
      if (wanted === active) return;
      const channel = wanted ? 'ble.follow' : 'ble.unfollow';
      patch(deviceId, { pending: wanted ? 'follow' : 'unfollow', error: null });
      try {
        const follow = await api.invoke(channel, { deviceId });
        patch(deviceId, { follow, active: wanted });
      } catch (error) {
        const shape = toApiRequestError(error, channel).toShape();
        // A refused follow leaves the toggle off; a refused unfollow is tried again after a reconnect.
        patch(deviceId, wanted ? { error: shape, wanted: false } : { error: shape });
      } finally {
        patch(deviceId, { pending: null });
      }
    }

    function enqueue(deviceId: string): Promise<void> {
      const next = (queues.get(deviceId) ?? Promise.resolve()).then(() => reconcile(deviceId));
      queues.set(deviceId, next);
      return next;
    }

    return {
      byDevice: {},

      follow(deviceId) {
        patch(deviceId, { wanted: true });
        return enqueue(deviceId);
      },

      unfollow(deviceId) {
        patch(deviceId, { wanted: false });
        return enqueue(deviceId);
      },

      unfollowAll() {
        for (const [deviceId, entry] of Object.entries(get().byDevice)) {
          if (entry.wanted || entry.active) void get().unfollow(deviceId);
        }
      },

      resume() {
        for (const [deviceId, entry] of Object.entries(get().byDevice)) {
          // A follow is asked for again (the core answers it idempotently with the state now).
          if (entry.wanted) patch(deviceId, { active: false });
          if (entry.wanted || entry.active) void enqueue(deviceId);
        }
      },

      clearLog(deviceId) {
        patch(deviceId, (current) => ({ log: clearLog(current.log) }));
      },
    };
  });

  const patchFromEvent = (deviceId: string, change: (current: BleLive) => Partial<BleLive>) =>
    store.setState((state) => {
      const current = state.byDevice[deviceId] ?? NO_LIVE;
      return { byDevice: { ...state.byDevice, [deviceId]: { ...current, ...change(current) } } };
    });

  const offs = [
    api.on('ble.follow', (follow) =>
      patchFromEvent(follow.deviceId, (current) =>
        // The core ended the follow by itself (the device was detached, another window stopped it):
        // the toggle follows, unless a request of this window is on its way and will say so itself.
        !follow.following && current.pending === null ? { follow, wanted: false, active: false } : { follow },
      ),
    ),
    api.on('ble.values', ({ deviceId, readings }) =>
      patchFromEvent(deviceId, (current) => ({ readings: mergeReadings(current.readings, readings), lastValueAt: latest(current.lastValueAt, readings) })),
    ),
    api.on('logs.lines', ({ deviceId, lines }) => patchFromEvent(deviceId, (current) => ({ log: appendToLog(current.log, lines) }))),
  ];

  return Object.assign(store, {
    stop() {
      for (const off of offs) off();
    },
  });
}
