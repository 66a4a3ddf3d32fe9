// The built `fieldbench` command as a user runs it: a virtual device in one process, the
// CLI reading it in another, errors on stderr with a non-zero exit.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startSim, stopSim as stop } from './fixtures/fieldbench-sim';
import { floodLineNumber } from '../../src-main/virtual/sensor-node/sensor-node-log';
import { FIELDBENCH_BIN } from './fixtures/fieldbench-serve';
import { jsonLines, runFieldbench } from './fixtures/run-fieldbench';

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

  test('log follows a flood from sim in another process, every number once, and SIGTERM closes it with the capture file whole', async () => {
    const sim = await startSim(['--seed', '9'], env);
    try {
      const flood = await runFieldbench(['log', '--port', sim.port, '--send', 'log flood 1500', '--until', 'flood: done', '--json'], env);
      expect(flood.code).toBe(0);
      const numbers = jsonLines<{ text: string }>(flood.stdout).map((line) => floodLineNumber(line.text)).filter((n) => n !== null);
      expect(numbers).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));

      const file = join(dataDir, 'stream.jsonl');
      const child = spawn(process.execPath, [FIELDBENCH_BIN, 'log', '--port', sim.port, '--send', 'log stream on 100', '--capture', file], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const lines = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
      await expect.poll(lines, { timeout: 15_000 }).toBeGreaterThanOrEqual(30);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/console closed: \d+ lines in capture \S+, and written to /);
      const written = jsonLines<{ seq: number }>(readFileSync(file, 'utf8'));
      expect(written.length).toBe(stdout.trim().split('\n').length);
      expect(written.map((line) => line.seq)).toEqual(Array.from({ length: written.length }, (_, i) => written[0]!.seq + i));
    } finally {
      await stop(sim.child);
    }
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
