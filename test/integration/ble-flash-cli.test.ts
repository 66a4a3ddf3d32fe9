// `fieldbench flash --ble ADDRESS` in-process, on a virtual sensor node the command puts on
// its own private bus (--virtual-ble): the same JSON-lines contract as over a serial port
// (steps and progress, then one line with the result, hash and versions), a human run, and
// usage errors for a target given twice or a DFU flag on a BLE flash.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { captureIo as capture } from '../helpers/captured-io';
import type { BleScanAdvert } from '../../src-main/api/schemas';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { makeTempDir } from '../helpers/temp-dir';


let dir: { path: string; remove(): void } | null = null;
afterEach(() => {
  dir?.remove();
  dir = null;
});

function imageFile(version: string): string {
  const payload = Uint8Array.from({ length: 12_000 }, (_, i) => (i * 7 + 3) & 0xff);
  const path = join(dir!.path, `app-${version}.bin`);
  writeFileSync(path, createMcubootImage({ version, payload }));
  return path;
}

async function virtualAddress(): Promise<string> {
  const scan = capture();
  expect(await runCli(['ble', 'scan', '--seconds', '1', '--virtual-ble', '--json', '--data-dir', dir!.path], scan)).toBe(0);
  return (JSON.parse(scan.stdout[0]!) as BleScanAdvert).address;
}

describe('fieldbench flash --ble', () => {
  it('--json: steps and progress as lines, then confirmed with the hash and versions', async () => {
    dir = makeTempDir('fieldbench-ble-flash-');
    const address = await virtualAddress();
    const io = capture();
    const code = await runCli(['flash', '--ble', address, '--virtual-ble', '--image', imageFile('1.5.0+0'), '--json', '--data-dir', dir.path], io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const lines = io.stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.event === 'progress').length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.event === 'step').map((l) => `${String(l.step)}:${String(l.status)}`)).toEqual(
      expect.arrayContaining(['upload:done', 'reset:done', 'reconnect:done', 'health-check:done', 'confirm:done']),
    );
    expect(lines.at(-1)).toMatchObject({ result: 'confirmed', versionBefore: '1.4.2', versionAfter: '1.5.0', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  }, 60_000);

  it('a human run says what the device runs at the end', async () => {
    dir = makeTempDir('fieldbench-ble-flash-');
    const address = await virtualAddress();
    const io = capture();
    expect(await runCli(['flash', '--ble', address.toLowerCase(), '--virtual-ble', '--image', imageFile('1.5.1+0'), '--data-dir', dir.path], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^confirmed: the device runs 1\.5\.1/);
    expect(io.stderr.join('\n')).toMatch(/upload: 100%/);
  }, 60_000);

  it('refuses two targets, a DFU flag and a malformed address before touching anything', async () => {
    const both = capture();
    expect(await runCli(['flash', '--ble', 'C0:DE:00:00:00:01', '--port', '/dev/null', '--image', 'x.bin'], both)).toBe(2);
    expect(both.stderr.join('\n')).toMatch(/one of --port PATH .*--ble ADDRESS/);
    const dfu = capture();
    expect(await runCli(['flash', '--ble', 'C0:DE:00:00:00:01', '--image', 'x.bin', '--mass-erase'], dfu)).toBe(2);
    expect(dfu.stderr.join('\n')).toMatch(/--mass-erase is for USB DFU/);
    const bad = capture();
    expect(await runCli(['flash', '--ble', 'nonsense', '--image', 'x.bin'], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/--ble takes a Bluetooth address/);
  });
});
