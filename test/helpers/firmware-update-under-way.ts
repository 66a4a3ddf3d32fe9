// A long operation ('firmware update') running on a registry's device until the test ends it:
// it sends one command on the port, as its first or its last act, so its own traffic can be
// watched. Resolves once the update is running; the returned function lets it end and waits.
import type { DeviceRegistry } from '../../src-main/core/devices/device-registry';

export async function firmwareUpdateUnderWay(
  registry: Pick<DeviceRegistry, 'withSession'>,
  deviceId: string,
  command: { text: string; when: 'first' | 'last' },
): Promise<() => Promise<void>> {
  const bytes = new TextEncoder().encode(command.text);
  let release!: () => void;
  const mayEnd = new Promise<void>((resolve) => (release = resolve));
  let running!: () => void;
  const started = new Promise<void>((resolve) => (running = resolve));
  const update = registry.withSession(
    deviceId,
    'firmware update',
    async (session) => {
      if (command.when === 'first') await session.link.write(bytes);
      running();
      await mayEnd;
      if (command.when === 'last') await session.link.write(bytes);
    },
    { long: true },
  );
  await Promise.race([started, update]);
  return async () => {
    release();
    await update;
  };
}
