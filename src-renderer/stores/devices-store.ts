// The device list and how discovery is doing. The list comes whole from 'devices.list'
// and then from every 'devices.changed' event, so it is always the core's own view.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ApiErrorShape } from '../../src-main/api/errors';
import type { Device, DiscoveryStatus, ProfileProblem, VirtualModel } from '../../src-main/api/schemas';
import { toApiRequestError } from '../api/api-request-error';
import type { NoticesStore } from './notices-store';

export interface DevicesState {
  devices: Device[];
  /** True once the first list arrived (until then "no devices" would be a lie). */
  loaded: boolean;
  discovery: DiscoveryStatus[];
  profileProblems: ProfileProblem[];
  version: string | null;
  attaching: boolean;
  addingPort: boolean;
  /** Device ids with a detach or identify request out. */
  busyIds: string[];
  /** Device ids being switched into DFU mode (DETACH, then waiting for the bootloader). */
  enteringDfu: string[];
  /** Why the last "Enter DFU mode" of a device failed, shown on its page until the next try. */
  enterDfuErrors: Record<string, ApiErrorShape>;
  load(): Promise<void>;
  attachVirtual(model?: VirtualModel, startIn?: VirtualStart, transport?: VirtualTransport): Promise<Device | null>;
  enterDfu(deviceId: string): Promise<Device | null>;
  addPort(path: string): Promise<Device | null>;
  detach(deviceId: string): Promise<boolean>;
  identify(deviceId: string): Promise<void>;
}

export type DevicesStore = StoreApi<DevicesState> & { stop(): void };

export type VirtualStart = 'application' | 'bootloader' | 'serial-recovery';

/** How a virtual sensor node is reached: a pseudo-terminal, or Bluetooth LE through a simulated BlueZ. */
export type VirtualTransport = 'serial' | 'ble';

export function createDevicesStore(api: FieldbenchApi, notices: NoticesStore): DevicesStore {
  const report = (action: string, error: unknown) => notices.getState().report(action, error);

  const store = createStore<DevicesState>()((set, get) => {
    const markBusy = (deviceId: string, busy: boolean) =>
      set((state) => ({
        busyIds: busy ? [...state.busyIds, deviceId] : state.busyIds.filter((id) => id !== deviceId),
      }));

    return {
      devices: [],
      loaded: false,
      discovery: [],
      profileProblems: [],
      version: null,
      attaching: false,
      addingPort: false,
      busyIds: [],
      enteringDfu: [],
      enterDfuErrors: {},

      async load() {
        const [list, info] = await Promise.allSettled([api.invoke('devices.list', {}), api.invoke('system.info', {})]);
        if (list.status === 'fulfilled') set({ devices: list.value, loaded: true });
        else report('Load the device list', list.reason);
        if (info.status === 'fulfilled') {
          set({ discovery: info.value.discovery, profileProblems: info.value.profiles.problems, version: info.value.version });
        } else report('Read how device discovery is doing', info.reason);
      },

      async attachVirtual(model = 'sensor-node', startIn, transport) {
        if (get().attaching) return null;
        set({ attaching: true });
        try {
          // The application on a pseudo-terminal is the core's default; only a choice away from it is sent.
          const start = startIn && startIn !== 'application' ? { startIn } : {};
          const over = transport === 'ble' ? { transport } : {};
          const device = await api.invoke('devices.attachVirtual', { model, ...start, ...over });
          upsert(device);
          return device;
        } catch (error) {
          report('Attach virtual device', error);
          return null;
        } finally {
          set({ attaching: false });
        }
      },

      async addPort(path) {
        const trimmed = path.trim();
        if (!trimmed || get().addingPort) return null;
        set({ addingPort: true });
        try {
          const device = await api.invoke('devices.addPort', { path: trimmed });
          upsert(device);
          return device;
        } catch (error) {
          report(`Add port ${trimmed}`, error);
          return null;
        } finally {
          set({ addingPort: false });
        }
      },

      async detach(deviceId) {
        markBusy(deviceId, true);
        try {
          await api.invoke('devices.detach', { deviceId });
          set((state) => ({ devices: state.devices.filter((d) => d.id !== deviceId) }));
          return true;
        } catch (error) {
          report('Detach device', error);
          return false;
        } finally {
          markBusy(deviceId, false);
        }
      },

      async enterDfu(deviceId) {
        if (get().enteringDfu.includes(deviceId)) return null;
        set((state) => {
          const { [deviceId]: _dropped, ...enterDfuErrors } = state.enterDfuErrors;
          return { enteringDfu: [...state.enteringDfu, deviceId], enterDfuErrors };
        });
        try {
          const device = await api.invoke('devices.enterDfu', { deviceId });
          upsert(device);
          return device;
        } catch (error) {
          const shape = toApiRequestError(error, 'devices.enterDfu').toShape();
          set((state) => ({ enterDfuErrors: { ...state.enterDfuErrors, [deviceId]: shape } }));
          return null;
        } finally {
          set((state) => ({ enteringDfu: state.enteringDfu.filter((id) => id !== deviceId) }));
        }
      },

      async identify(deviceId) {
        markBusy(deviceId, true);
        try {
          upsert(await api.invoke('devices.identify', { deviceId }));
        } catch (error) {
          report('Identify device', error);
        } finally {
          markBusy(deviceId, false);
        }
      },
    };
  });

  // A request's answer can beat the 'devices.changed' event that carries the same device;
  // putting it in the list at once keeps the screen from lagging behind the click.
  function upsert(device: Device): void {
    store.setState((state) => {
      const index = state.devices.findIndex((d) => d.id === device.id);
      if (index < 0) return { devices: [...state.devices, device] };
      const devices = [...state.devices];
      devices[index] = device;
      return { devices };
    });
  }

  const off = api.on('devices.changed', (devices) => store.setState({ devices, loaded: true }));
  return Object.assign(store, { stop: off });
}
