// `fieldbench flash` and `fieldbench smp` as a user runs them: the built command against a
// virtual sensor node that `fieldbench sim` put on a real pseudo-terminal in another
// process. The last line of a flash says which image the device runs (confirmed, reverted,
// uploaded), a refused image exits 1 with the reason, and a cable pulled mid-upload and
// pushed back in still ends confirmed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startSim, stopSim, type RunningSim } from './fixtures/fieldbench-sim';
import { jsonLines, runFieldbench } from './fixtures/run-fieldbench';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';

interface Slot {
  slot: number;
  version: string;
  hash: string;
  active: boolean;
  confirmed: boolean;
}

interface FlashSummary {
  result: string;
  reason: string | null;
  sha256: string;
  bytes: number;
  seconds: number;
  versionBefore: string | null;
  versionAfter: string | null;
}

interface Line {
  event?: 'step' | 'progress';
  step?: string;
  status?: string;
  detail?: string | null;
  sent?: number;
  total?: number;
}

test.describe('fieldbench flash and smp', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let sim: RunningSim | null = null;

  test.beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fieldbench-flash-'));
    env = { ...process.env, FIELDBENCH_DATA_DIR: join(dir, 'data') };
  });
  test.afterEach(async () => {
    if (sim) await stopSim(sim.child);
    sim = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /** An MCUboot image file of this version, as imgtool lays it out (unsigned). */
  function imageFile(version: string, damage = false): string {
    const payload = Uint8Array.from({ length: 16_000 }, (_, i) => (i * 37 + (i >> 7)) & 0xff);
    const bytes = createMcubootImage({ version, payload });
    if (damage) bytes[0x300] = (bytes[0x300] ?? 0) ^ 0xff;
    const path = join(dir, `app-${version}${damage ? '-damaged' : ''}.bin`);
    writeFileSync(path, bytes);
    return path;
  }

  async function flash(port: string, image: string, extra: string[] = []) {
    const run = await runFieldbench(['flash', '--port', port, '--image', image, '--json', ...extra], env, 60_000);
    const lines = run.code === 0 ? jsonLines<Line>(run.stdout) : [];
    return { run, lines, summary: lines.at(-1) as FlashSummary | undefined };
  }

  async function slots(port: string): Promise<Slot[]> {
    const run = await runFieldbench(['smp', 'images', '--port', port, '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as Slot[];
  }

  test('flash: progress lines, then confirmed with the hash, size and time; smp images and echo agree', async () => {
    sim = await startSim(['--seed', '21'], env);
    expect(sim.port).toMatch(/^\/dev\/pts\/\d+$/);
    const { run, lines, summary } = await flash(sim.port, imageFile('1.5.0+0'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const progress = lines.filter((l) => l.event === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ sent: summary?.bytes, total: summary?.bytes });
    expect(lines.filter((l) => l.event === 'step' && l.status === 'done').map((l) => l.step)).toEqual([
      'preflight',
      'upload',
      'test',
      'reset',
      'reconnect',
      'verify',
      'health-check',
      'confirm',
    ]);
    expect(summary).toMatchObject({ result: 'confirmed', versionBefore: '1.4.2', versionAfter: '1.5.0', bytes: 16_000 + 512 + 40 });
    expect(summary?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary?.seconds).toBeGreaterThan(0);

    const after = await slots(sim.port);
    expect(after.find((s) => s.active)).toMatchObject({ version: '1.5.0', hash: summary?.sha256, confirmed: true });

    const echo = await runFieldbench(['smp', 'echo', 'hi', '--port', sim.port, '--json'], env);
    expect(echo.code).toBe(0);
    expect(JSON.parse(echo.stdout)).toEqual({ text: 'hi' });
  });

  test('flash --no-confirm: reverted, the reason given, and the device runs its old image', async () => {
    sim = await startSim(['--seed', '22'], env);
    const { run, summary } = await flash(sim.port, imageFile('1.6.0+0'), ['--no-confirm']);
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ result: 'reverted', reason: 'asked not to confirm the new image', versionAfter: '1.4.2' });
    expect((await slots(sim.port)).find((s) => s.active)).toMatchObject({ version: '1.4.2', confirmed: true });
  });

  test('flash --upload-only: uploaded, the image waits in the secondary slot with its hash', async () => {
    sim = await startSim(['--seed', '23'], env);
    const { run, summary } = await flash(sim.port, imageFile('1.6.1+0'), ['--upload-only']);
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ result: 'uploaded', versionAfter: '1.4.2' });
    const listed = await slots(sim.port);
    expect(listed.find((s) => s.active)?.version).toBe('1.4.2');
    expect(listed.find((s) => s.slot === 1)).toMatchObject({ version: '1.6.1', hash: summary?.sha256, active: false });
  });

  test('a damaged image: exit 1, the reason on stderr as JSON, nothing sent', async () => {
    sim = await startSim(['--seed', '24'], env);
    const { run } = await flash(sim.port, imageFile('1.6.2+0', true));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const { error } = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string; step: string } };
    expect(error).toMatchObject({ code: 'invalid-request', step: 'firmware preflight' });
    expect(error.message).toMatch(/hash does not match/);
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
    expect((await slots(sim.port)).find((s) => s.slot === 1)).toBeUndefined();
  });

  test('the cable pulled mid-upload and plugged back in at the same path: the upload resumes and ends confirmed', async () => {
    // About 9 kB in: past the identify and the preflight, a third of the way through the upload.
    sim = await startSim(['--seed', '25', '--stable-path', '--replug-after', '300', '--drop-at-received', '9000'], env);
    expect(sim.port).toBe(join(tmpdir(), 'fieldbench-virtual', sim.port.split('/').at(-1)!));
    const { run, lines, summary } = await flash(sim.port, imageFile('1.5.0+0'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const steps = lines.filter((l) => l.event === 'step');
    const interrupted = steps.find((l) => l.step === 'reconnect' && l.status === 'started' && l.detail?.startsWith('upload interrupted'));
    expect(interrupted?.detail).toMatch(/after byte \d+ of 16552/);
    const resumed = steps.find((l) => l.step === 'upload' && l.status === 'started' && l.detail?.startsWith('after the reconnect'));
    const before = Number(/after byte (\d+)/.exec(interrupted?.detail ?? '')?.[1]);
    expect(before).toBeGreaterThan(0);
    expect(Number(/reported byte (\d+)/.exec(resumed?.detail ?? '')?.[1])).toBeGreaterThanOrEqual(before);
    expect(summary).toMatchObject({ result: 'confirmed', versionAfter: '1.5.0' });
    expect((await slots(sim.port)).find((s) => s.active)).toMatchObject({ version: '1.5.0', hash: summary?.sha256, confirmed: true });
  });

  test('sim refuses --replug-after without --stable-path: the replugged node would be on a port nobody knows', async () => {
    const run = await runFieldbench(['sim', 'sensor-node', '--replug-after', '300'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--replug-after needs --stable-path/);
  });
});
