// A whole firmware update the way a bench would do it: the virtual sensor node on a socat
// pseudo-terminal, the real serialport on the host end, the real SmpClient for MCUmgr and
// the real ShellClient between SMP exchanges on the same port.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { SmpClient } from '../../src-main/protocols/smp/smp-client';
import { ShellClient } from '../../src-main/protocols/shell/shell-client';
import { openSerialLink } from '../../src-main/transports/serial/serial-link';
import { attachSensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import type { SensorNodeOptions, SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { Cleanups, sensorNodeShell } from '../helpers/sensor-node-shell';

const cleanups = new Cleanups();
afterEach(() => cleanups.runAll());

/** Flash time at a tenth of real: swaps and uploads still take measurable time, the suite stays quick. */
const TIME_SCALE = 0.1;
const BOOT_DEADLINE_MS = 5_000;

async function onPty(options: SensorNodeOptions & { simulator?: SensorNodeSimulator } = {}) {
  const attached = await attachSensorNodeOnPty({ seed: 21, timeScale: TIME_SCALE, ...options });
  cleanups.add(() => attached.detach());
  const link = await openSerialLink(attached.hostPath, { baudRate: 115_200 });
  cleanups.add(() => link.close());
  const shell = new ShellClient(link, sensorNodeShell, { deviceLabel: attached.hostPath });
  await shell.sync(BOOT_DEADLINE_MS);
  const smp = new SmpClient(link, { deviceLabel: attached.hostPath, timeoutMs: 2_000 });
  return { link, shell, smp, simulator: attached.simulator };
}

function image(version: string, corrupt = false): { bytes: Uint8Array; sha256: Uint8Array } {
  const payload = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
  const bytes = createMcubootImage({ version, payload });
  // A flipped byte in the body: the upload itself is faithful, but the image's hash TLV no longer matches.
  if (corrupt) bytes[0x400] = (bytes[0x400] ?? 0) ^ 0x01;
  return { bytes, sha256: new Uint8Array(createHash('sha256').update(bytes).digest()) };
}

type Node = Awaited<ReturnType<typeof onPty>>;

async function uploadAndTest(node: Node, version: string, corrupt = false): Promise<void> {
  const { bytes, sha256 } = image(version, corrupt);
  const result = await node.smp.imageUpload(bytes, { sha256 });
  expect(result.match).toBe(true);
  const state = await node.smp.imageState();
  const secondary = state.find((slot) => slot.slot === 1);
  expect(secondary?.version).toBe(version.replace(/\+0$/, ''));
  await node.smp.imageTest(secondary?.hash ?? '');
}

/** Reset over SMP and wait for the application's prompt on the same port. */
async function resetAndWait(node: Node): Promise<void> {
  await node.smp.reset();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await node.shell.sync(BOOT_DEADLINE_MS);
}

describe('SMP firmware update on a virtual device over a real serial port', () => {
  it('echo, parameters and slots; upload 1.5.0, test, reset, confirm; the shell sees the new version', async () => {
    const node = await onPty();
    expect(await node.smp.echo('bench')).toBe('bench');
    expect(await node.smp.params()).toEqual({ bufSize: 1024, bufCount: 4 });
    const [factory] = await node.smp.imageState();
    expect(factory).toMatchObject({ slot: 0, version: '1.4.2', active: true, confirmed: true });
    expect(await node.shell.run('device info')).toContain('firmware: 1.4.2');

    await uploadAndTest(node, '1.5.0+0');
    // The shell still answers between SMP exchanges, on the same port.
    expect(await node.shell.run('kernel uptime')).toEqual([expect.stringMatching(/^Uptime: \d+ ms$/)]);
    await resetAndWait(node);

    const tested = await node.smp.imageState();
    expect(tested[0]).toMatchObject({ version: '1.5.0', active: true, confirmed: false });
    expect(tested[1]).toMatchObject({ version: '1.4.2', confirmed: true });
    expect(await node.shell.run('device info')).toContain('firmware: 1.5.0');

    const confirmed = await node.smp.imageConfirm();
    expect(confirmed[0]).toMatchObject({ version: '1.5.0', active: true, confirmed: true });
    await resetAndWait(node);
    expect((await node.smp.imageState())[0]).toMatchObject({ version: '1.5.0', confirmed: true });
  });

  it('an image left unconfirmed is reverted by the second reset (power loss between test and confirm)', async () => {
    const node = await onPty();
    await uploadAndTest(node, '1.5.0+0');
    await resetAndWait(node);
    expect(await node.shell.run('device info')).toContain('firmware: 1.5.0');
    await resetAndWait(node);
    expect(node.simulator.lastBoot?.action).toBe('revert');
    expect((await node.smp.imageState())[0]).toMatchObject({ version: '1.4.2', active: true, confirmed: true });
    expect(await node.shell.run('device info')).toContain('firmware: 1.4.2');
  });

  it('an image whose hash does not match is refused by the bootloader and 1.4.2 keeps running', async () => {
    const node = await onPty();
    await uploadAndTest(node, '1.5.0+0', true);
    await resetAndWait(node);
    expect(node.simulator.lastBoot?.refused?.message).toBe('the bootloader refused the image: hash mismatch');
    const state = await node.smp.imageState();
    expect(state[0]).toMatchObject({ version: '1.4.2', active: true, confirmed: true });
    expect(state[1]).toMatchObject({ version: '1.5.0', bootable: false, pending: false });
    expect(await node.shell.run('device info')).toContain('firmware: 1.4.2');
  });

  it('an unplug mid-upload loses the port; plugged back in, the upload resumes where it stopped', async () => {
    const first = await onPty();
    const { bytes, sha256 } = image('1.5.0+0');
    first.simulator.setFaults({ dropAtReceivedBytes: 30_000 });
    await expect(first.smp.imageUpload(bytes, { sha256 })).rejects.toMatchObject({ code: 'device-gone' });
    const kept = first.simulator.smp.images.uploadProgress?.offset ?? 0;
    expect(kept).toBeGreaterThan(10_000);

    const again = await onPty({ simulator: first.simulator });
    let firstOffset: number | null = null;
    const result = await again.smp.imageUpload(bytes, {
      sha256,
      onProgress: (sent) => {
        firstOffset ??= sent;
      },
    });
    expect(result.match).toBe(true);
    expect(firstOffset).toBe(kept);
  });
});
