// The CLI's BLE commands in-process, each on a virtual sensor node the command puts on its
// own private bus (--virtual-ble): a scan's JSON lines and table, diag --ble, and the
// failure when the address is not heard.
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { captureIo as capture } from '../helpers/captured-io';
import type { BleScanAdvert } from '../../src-main/api/schemas';
import { makeTempDir } from '../helpers/temp-dir';


let dir: { path: string; remove(): void } | null = null;
afterEach(() => {
  dir?.remove();
  dir = null;
});

function dataDir(): string {
  dir = makeTempDir('fieldbench-ble-cli-');
  return dir.path;
}

describe('fieldbench ble scan and diag --ble', () => {
  it('scan --json prints the virtual node as it changes, with its profile; the table names it too', async () => {
    const io = capture();
    const code = await runCli(['ble', 'scan', '--seconds', '2', '--virtual-ble', '--json', '--data-dir', dataDir()], io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const adverts = io.stdout.map((line) => JSON.parse(line) as BleScanAdvert);
    expect(adverts.length).toBeGreaterThanOrEqual(1);
    expect(adverts[0]).toMatchObject({ address: expect.stringMatching(/^C0:DE:/), profileId: 'fieldbench-sensor-node' });

    const human = capture();
    expect(await runCli(['ble', 'scan', '--seconds', '1', '--virtual-ble', '--data-dir', dir!.path], human)).toBe(0);
    expect(human.stdout.join('\n')).toMatch(/ADDRESS\s+NAME\s+RSSI\s+PROFILE[\s\S]*C0:DE:.*fieldbench-sensor-node/);
  }, 30_000);

  it('diag --ble reads the virtual node over GATT, whatever the case of the address given', async () => {
    const scan = capture();
    await runCli(['ble', 'scan', '--seconds', '1', '--virtual-ble', '--json', '--data-dir', dataDir()], scan);
    const address = (JSON.parse(scan.stdout[0]!) as BleScanAdvert).address;

    const io = capture();
    expect(await runCli(['diag', '--ble', address.toLowerCase(), '--virtual-ble', '--json', '--data-dir', dir!.path], io)).toBe(0);
    const report = JSON.parse(io.stdout.join('')) as { device: { id: string; transport: string }; identity: { model: string } | null; readings: { id: string }[] };
    expect(report.device).toMatchObject({ id: `ble:${address}`, transport: 'ble' });
    expect(report.identity?.model).toBeTruthy();
    expect(report.readings.map((r) => r.id)).toEqual(expect.arrayContaining(['model', 'battery-level', 'temperature', 'uptime']));
  }, 30_000);

  it('refuses a malformed address and --virtual-ble where it means nothing', async () => {
    const bad = capture();
    expect(await runCli(['diag', '--ble', 'C0:DE'], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/--ble takes a Bluetooth address/);
    const misplaced = capture();
    expect(await runCli(['cases', '--virtual-ble'], misplaced)).toBe(2);
    expect(misplaced.stderr.join('\n')).toMatch(/--virtual-ble works with ble scan, diag --ble, flash --ble and devices/);
  });
});
