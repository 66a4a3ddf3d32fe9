// The built `fieldbench` command as a user runs it: a virtual device in one process, the
// CLI reading it in another, errors on stderr with a non-zero exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startSim, stopSim as stop } from './fixtures/fieldbench-sim';
import { runFieldbench } from './fixtures/run-fieldbench';

test.describe('fieldbench CLI', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  test.beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fieldbench-cli-'));
    env = { ...process.env, FIELDBENCH_DATA_DIR: dataDir };
  });
  test.afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('sim in one process, diag in another, prints identity and readings', async () => {
    const sim = await startSim(['--seed', '7'], env);
    try {
      expect(sim.port).toMatch(/^\/dev\/pts\/\d+$/);
      const result = await runFieldbench(['diag', '--port', sim.port, '--json'], env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { identity: { model: string; serialNumber: string }; readings: { status: string }[] };
      expect(report.identity).toMatchObject({ model: 'sensor-node', serialNumber: sim.serialNumber });
      expect(report.readings.length).toBeGreaterThanOrEqual(6);

      const human = await runFieldbench(['diag', '--port', sim.port], env);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/STATUS\s+READING/);
    } finally {
      await stop(sim.child);
    }
    // The sim cleans up its pseudo-terminal when stopped.
    const after = await runFieldbench(['diag', '--port', sim.port, '--json'], env);
    expect(after.code).toBe(1);
  });

  test('a device that never answers gives a clear time-out naming the port and the command', async () => {
    const sim = await startSim(['--silent'], env);
    try {
      const result = await runFieldbench(['diag', '--port', sim.port, '--json'], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const { error } = JSON.parse(result.stderr.trim().split('\n').at(-1)!) as { error: { code: string; device: string; message: string; step: string; hint: string } };
      expect(error.code).toBe('timeout');
      expect(error.device).toBe(sim.port);
      // The first thing sent is Enter, to wake the shell; a dead device fails there, saying so.
      expect(`${error.step} ${error.message}`).toMatch(/shell prompt|device info/);
      expect(error.message).toMatch(/2000 ms/);
      expect(error.hint).toMatch(/baud|cable|power/i);

      const human = await runFieldbench(['diag', '--port', sim.port], env);
      expect(human.code).toBe(1);
      expect(human.stderr).toContain(sim.port);
      expect(human.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
    } finally {
      await stop(sim.child);
    }
  });

  test('devices, cases and usage errors', async () => {
    const devices = await runFieldbench(['devices', '--json'], env);
    expect(devices.code).toBe(0);
    const listed = JSON.parse(devices.stdout) as { devices: unknown[]; discovery: { transport: string; method: string }[] };
    expect(Array.isArray(listed.devices)).toBe(true);
    expect(listed.discovery[0]?.transport).toBe('serial');

    const cases = await runFieldbench(['cases', '--json'], env);
    expect(cases.code).toBe(0);
    expect(JSON.parse(cases.stdout)).toEqual([]);

    const wrong = await runFieldbench(['diag'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--port/);

    const missing = await runFieldbench(['diag', '--port', '/dev/no-such-port', '--json'], env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr).error.code).toBe('not-found');
  });
});
