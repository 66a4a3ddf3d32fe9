// A core whose BLE central is the real node-ble on a private dbus-daemon with the simulated
// BlueZ, in a temporary data folder: for integration tests through the contract over BLE.
// The test puts its devices on the air (bluez.addSensorNode, bluez.addDevice).
import type { Core } from '../../src-main/core/core';
import { createCore } from '../../src-main/core/create-core';
import { NodeBleCentral } from '../../src-main/transports/ble/node-ble-central';
import { type PrivateDbus, startPrivateDbus } from '../../src-main/virtual/ble/private-dbus';
import { SimulatedBluez } from '../../src-main/virtual/ble/simulated-bluez';
import { PROFILES_DIR } from './core-fixture';
import { makeTempDir } from './temp-dir';

export interface SimulatedBleCore {
  bus: PrivateDbus;
  bluez: SimulatedBluez;
  core: Core;
  dir: { path: string; remove(): void };
  /** Closes the core, then the simulated BlueZ and its bus, and removes the data folder. */
  stop(): Promise<void>;
}

export async function startSimulatedBleCore(folderPrefix: string): Promise<SimulatedBleCore> {
  const bus = await startPrivateDbus();
  const bluez = await SimulatedBluez.start({ busAddress: bus.address, timeScale: 0.05, advertIntervalMs: 40 });
  const dir = makeTempDir(folderPrefix);
  const core = await createCore({
    dataDir: dir.path,
    profilesDir: PROFILES_DIR,
    checkResponses: true,
    discoveryIntervalMs: 0,
    virtualTimeScale: 0,
    bleCentral: new NodeBleCentral({ busAddress: bus.address, platform: 'linux', scanPollMs: 40, callTimeoutMs: 3_000 }),
  });
  return {
    bus,
    bluez,
    core,
    dir,
    stop: async () => {
      await core.close();
      await bluez.stop();
      await bus.stop();
      dir.remove();
    },
  };
}
