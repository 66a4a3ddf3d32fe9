// `fieldbench ble scan` and `fieldbench diag --ble` as a user runs them, against a virtual
// sensor node each command puts on the air on its own private D-Bus (--virtual-ble): the
// scan's JSON lines name the node and its profile, diag reads it over GATT, and flash
// updates it over SMP on GATT with an image imgtool signed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { fixturePath } from '../helpers/firmware-fixtures';
import { jsonLines, runFieldbench } from './fixtures/run-fieldbench';

interface Advert {
  address: string;
  name: string | null;
  rssi: number | null;
  profileId: string | null;
}

interface Report {
  device: { id: string; transport: string; path: string };
  identity: { model: string; serialNumber: string; firmwareVersion: string } | null;
  readings: { id: string; status: string }[];
}

test.describe('fieldbench over Bluetooth LE', () => {
  const notLinux = process.platform !== 'linux';
  // Counted as skipped, never passed, and said aloud where it happens.
  if (notLinux) console.log('[ble-cli.spec] SKIPPED: the simulated BlueZ needs dbus-daemon, which runs on Linux only; this spec did not run');
  test.skip(notLinux, 'the simulated BlueZ needs dbus-daemon, on Linux');
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  test.beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fieldbench-ble-cli-'));
    env = { ...process.env, FIELDBENCH_DATA_DIR: dataDir, FIELDBENCH_VIRTUAL_TIME_SCALE: '0.1' };
  });
  test.afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('ble scan --virtual-ble --json, then diag --ble on the address it printed', async () => {
    const scan = await runFieldbench(['ble', 'scan', '--virtual-ble', '--seconds', '2', '--json'], env);
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    const adverts = jsonLines<Advert>(scan.stdout);
    expect(adverts.length).toBeGreaterThanOrEqual(1);
    const node = adverts[0]!;
    expect(node).toMatchObject({ address: expect.stringMatching(/^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$/), profileId: 'fieldbench-sensor-node' });
    expect(typeof node.rssi).toBe('number');

    const diag = await runFieldbench(['diag', '--ble', node.address, '--virtual-ble', '--json'], env);
    expect(diag.stderr).toBe('');
    expect(diag.code).toBe(0);
    const report = JSON.parse(diag.stdout) as Report;
    expect(report.device).toMatchObject({ id: `ble:${node.address}`, transport: 'ble', path: `ble ${node.address}` });
    expect(report.identity).toMatchObject({ model: expect.any(String), serialNumber: expect.any(String), firmwareVersion: expect.any(String) });
    const ids = report.readings.map((reading) => reading.id);
    expect(ids).toEqual(expect.arrayContaining(['manufacturer', 'model', 'serial-number', 'firmware-revision', 'battery-level', 'temperature', 'uptime']));
    for (const reading of report.readings) expect(reading.status, reading.id).not.toBe('error');

    const human = await runFieldbench(['diag', '--ble', node.address, '--virtual-ble'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/STATUS\s+READING/);
  });

  test('flash --ble: an image signed by imgtool goes over SMP on GATT to confirmed, the hash as imgtool wrote it', async () => {
    const expected = (JSON.parse(readFileSync(fixturePath('mcuboot', 'expected.json'), 'utf8')) as { file: string; version: string; sha256_tlv: string }[]).find(
      (entry) => entry.file === 'app-2.0.0-ecdsa-p256.bin',
    )!;
    const scan = await runFieldbench(['ble', 'scan', '--virtual-ble', '--seconds', '1', '--json'], env);
    const address = jsonLines<Advert>(scan.stdout)[0]!.address;
    const run = await runFieldbench(
      ['flash', '--ble', address, '--virtual-ble', '--image', fixturePath('mcuboot', expected.file), '--key', fixturePath('mcuboot', 'test-pub-ecdsa-p256.pem'), '--json'],
      env,
      90_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines<Record<string, unknown>>(run.stdout);
    expect(lines.some((line) => line.event === 'progress')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ result: 'confirmed', sha256: expected.sha256_tlv, version: expected.version, versionBefore: '1.4.2' });
    // As MCUmgr's image state reports it: without a build number of 0.
    expect(lines.at(-1)?.versionAfter).toBe(expected.version.replace(/\+0$/, ''));
  });

  test('a scan where BLE is unavailable exits 1 with what to do', async () => {
    // A bus with no BlueZ on it: the path exists nowhere, as on a machine without D-Bus.
    const result = await runFieldbench(['ble', 'scan', '--seconds', '1', '--json'], {
      ...env,
      DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(dataDir, 'no-bus')}`,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const { error } = JSON.parse(result.stderr.trim().split('\n').at(-1)!) as { error: { code: string; hint: string } };
    expect(error.code).toBe('unavailable');
    expect(error.hint).toMatch(/BlueZ|D-Bus|bluetooth/i);
  });
});
