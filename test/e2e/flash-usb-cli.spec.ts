// `fieldbench flash --usb` and `fieldbench dfu` as a user runs them, against virtual USB
// boards the command attaches to its own core (--virtual-usb): the DfuSe fixture made by
// dfuse-pack ends verified (from the bootloader, and from the application through detach),
// a board that fails to program exits 1 naming the write step, a file with a bad suffix CRC
// is refused before the board is touched, and dfu list shows the bootloader's alt settings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { fixturePath } from '../helpers/firmware-fixtures';
import { jsonLines, runFieldbench } from './fixtures/run-fieldbench';

interface Line {
  event?: 'step' | 'progress';
  step?: string;
  status?: string;
  detail?: string | null;
  sent?: number;
  total?: number;
  result?: string;
  reason?: string | null;
  sha256?: string;
  bytes?: number;
  seconds?: number;
  written?: number;
}

interface ErrorLine {
  error: { code: string; message: string; step?: string; device?: string; hint?: string };
  result?: string;
  reason?: string | null;
}

const TWO_ELEMENTS = fixturePath('dfu', 'stm32-two-elements.dfu');
const BAD_CRC = fixturePath('dfu', 'app-suffixed-badcrc.dfu');
/** Bytes in the fixture's two DfuSe elements (expected.json: 4096 at 0x08000000, 10000 at 0x08010000). */
const ELEMENT_BYTES = 4096 + 10_000;

const lastErrorLine = (stderr: string): ErrorLine => JSON.parse(stderr.trim().split('\n').at(-1)!) as ErrorLine;

test.describe('fieldbench flash --usb and fieldbench dfu', () => {
  let dir: string;
  /** Realistic timing, as a user gets it. */
  let env: NodeJS.ProcessEnv;
  /** The same boards five times faster, for the runs that only check how a failure reads. */
  let fastEnv: NodeJS.ProcessEnv;

  test.beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fieldbench-usb-flash-'));
    env = { ...process.env, FIELDBENCH_DATA_DIR: join(dir, 'data'), FIELDBENCH_VIRTUAL_TIME_SCALE: '' };
    fastEnv = { ...env, FIELDBENCH_VIRTUAL_TIME_SCALE: '0.2' };
  });
  test.afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a DfuSe file to the STM32 bootloader: erase, write, verify and manifest as JSON lines, then verified', async () => {
    const run = await runFieldbench(['flash', '--usb', '0483:df11', '--virtual-usb', 'stm32-dfu:bootloader', '--image', TWO_ELEMENTS, '--json'], env, 60_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines<Line>(run.stdout);
    const done = lines.filter((l) => l.event === 'step' && l.status === 'done').map((l) => l.step);
    // After leaving DFU mode the job waits for the application to come back, so the device list shows it.
    expect(done).toEqual(['preflight', 'erase', 'write', 'verify', 'manifest', 'reconnect']);
    const progress = lines.filter((l) => l.event === 'progress');
    for (const phase of ['erase', 'write', 'verify']) expect(progress.some((l) => l.step === phase), phase).toBe(true);
    expect(progress.filter((l) => l.step === 'write').at(-1)).toMatchObject({ sent: ELEMENT_BYTES, total: ELEMENT_BYTES });
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ result: 'verified', written: ELEMENT_BYTES });
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.seconds).toBeGreaterThan(0);
  });

  test('the bootloader’s ids find the board while its application runs: it is detached first, then verified', async () => {
    const run = await runFieldbench(['flash', '--usb', '0483:df11', '--virtual-usb', 'stm32-dfu', '--image', TWO_ELEMENTS, '--json'], fastEnv, 60_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines<Line>(run.stdout);
    const done = lines.filter((l) => l.event === 'step' && l.status === 'done').map((l) => l.step);
    // The image is checked against the application first, and again against the bootloader it detached into.
    expect(done).toEqual(['preflight', 'detach', 'reconnect', 'preflight', 'erase', 'write', 'verify', 'manifest', 'reconnect']);
    expect(lines.at(-1)).toMatchObject({ result: 'verified' });
  });

  // Without atByte the next download fails, and on a DfuSe board that is the first page erase command.
  for (const [faults, step, where] of [
    ['{"dfuError":{"status":"errWRITE"}}', 'erase', /page 0x08000000.*the flash holds what it held before/],
    ['{"dfuError":{"status":"errWRITE","atByte":6144}}', 'write', /byte 6144 of 14096.*the flash is partly written/],
  ] as const) {
    test(`a board that fails to program (${faults}): exit 1 naming the ${step} step and what state the flash is in`, async () => {
      const run = await runFieldbench(
        ['flash', '--usb', '0483:df11', '--virtual-usb', 'stm32-dfu:bootloader', '--virtual-faults', faults, '--image', TWO_ELEMENTS, '--json'],
        fastEnv,
        60_000,
      );
      expect(run.code).toBe(1);
      const failure = lastErrorLine(run.stderr);
      expect(failure.result).toBe('failed');
      expect(failure.error).toMatchObject({ code: 'device-error', step });
      expect(failure.error.message).toMatch(/errWRITE/);
      expect(failure.error.message).toMatch(where);
      expect(failure.error.device).toMatch(/^0483:df11/);
      expect(failure.error.hint).toMatch(/fieldbench dfu list/);
      const steps = jsonLines<Line>(run.stdout).filter((l) => l.event === 'step');
      expect(steps.find((l) => l.status === 'failed')?.step).toBe(step);
      expect(steps.find((l) => l.step === 'verify')).toBeUndefined();
      expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
    });
  }

  test('a file with a bad DFU suffix CRC: exit 1 before the board is touched', async () => {
    const run = await runFieldbench(['flash', '--usb', '0483:df11', '--virtual-usb', 'stm32-dfu:bootloader', '--image', BAD_CRC, '--json'], fastEnv, 30_000);
    expect(run.code).toBe(1);
    const failure = lastErrorLine(run.stderr);
    expect(failure.error.code).toBe('invalid-request');
    expect(failure.error.message).toMatch(/CRC/);
    // Nothing was erased, written or even detached: no step got past the checks.
    const touched = jsonLines<Line>(run.stdout).filter((l) => l.event === 'step' && l.step !== 'preflight');
    expect(touched).toEqual([]);
    expect(jsonLines<Line>(run.stdout).filter((l) => l.event === 'progress')).toEqual([]);
  });

  test('a plain DFU 1.1 gadget: a file made for other ids is refused naming the option, and flashed with it', async () => {
    const file = fixturePath('dfu', 'app-suffixed.dfu'); // its suffix names ST's bootloader, 0483:df11
    const refused = await runFieldbench(['flash', '--usb', '1209:0006', '--virtual-usb', 'dfu-gadget', '--image', file, '--json'], fastEnv, 30_000);
    expect(refused.code).toBe(1);
    const { error } = lastErrorLine(refused.stderr);
    expect(error.message).toMatch(/0483:df11/);
    expect(error.message).toMatch(/1209:0006/);
    expect(error.hint).toMatch(/--ignore-id-mismatch/);

    const run = await runFieldbench(['flash', '--usb', '1209:0006', '--virtual-usb', 'dfu-gadget', '--image', file, '--ignore-id-mismatch', '--json'], fastEnv, 60_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines<Line>(run.stdout);
    // A plain DFU bootloader erases as it writes: no erase step of its own.
    expect(lines.filter((l) => l.event === 'step' && l.status === 'done').map((l) => l.step)).toContain('detach');
    expect(lines.at(-1)).toMatchObject({ result: 'verified', written: 20_000 });
  });

  test('no board with those ids: exit 1 listing the USB devices seen', async () => {
    const run = await runFieldbench(['flash', '--usb', '1209:0006', '--virtual-usb', 'stm32-dfu:bootloader', '--image', TWO_ELEMENTS], fastEnv, 30_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no USB device matches 1209:0006/);
    expect(run.stderr).toMatch(/USB devices seen: 0483:df11/);
  });

  test('dfu list shows the bootloader’s four alt settings and the Internal Flash layout', async () => {
    const text = await runFieldbench(['dfu', 'list', '--virtual-usb', 'stm32-dfu:bootloader'], env, 30_000);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Found DFU: \[0483:df11\]/);
    expect(text.stdout.match(/^\s+intf=\d+, alt=\d+, name=/gm)).toHaveLength(4);
    expect(text.stdout).toMatch(/alt=0, name="@Internal Flash/);
    expect(text.stdout).toMatch(/0x08000000\s+64 KiB\s+4 x 16 KiB\s+readable, erasable, writable/);

    const json = await runFieldbench(['dfu', 'list', '--virtual-usb', 'stm32-dfu:bootloader', '--json'], env, 30_000);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { devices: { vendorId: string; productId: string; dfu: { mode: string; dfuse: boolean; alts: { alternateSetting: number; layout: { name: string } | null }[] } }[] };
    const board = listed.devices.find((d) => d.vendorId === '0483' && d.productId === 'df11');
    expect(board?.dfu).toMatchObject({ mode: 'dfu', dfuse: true });
    expect(board?.dfu.alts.map((a) => a.alternateSetting)).toEqual([0, 1, 2, 3]);
    expect(board?.dfu.alts[0]?.layout?.name).toBe('Internal Flash');
  });

  test('dfu detach takes the application into its bootloader, and devices lists the board with the USB status line', async () => {
    const detach = await runFieldbench(['dfu', 'detach', '--usb', '0483:5740', '--virtual-usb', 'stm32-dfu', '--json'], fastEnv, 30_000);
    expect(detach.code).toBe(0);
    expect(JSON.parse(detach.stdout)).toMatchObject({ transport: 'usb', usb: { vendorId: '0483', productId: 'df11', dfu: { mode: 'dfu' } } });

    const devices = await runFieldbench(['devices', '--virtual-usb', 'dfu-gadget'], fastEnv, 30_000);
    expect(devices.code).toBe(0);
    expect(devices.stdout).toMatch(/usb 1209:0005.*usb \(DFU runtime\)/);
    // This machine's own USB bus may or may not be readable; when it is not, stderr says why in one line.
    for (const line of devices.stderr.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^(usb|serial|ble): /);
  });
});
