import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { defaultDataDir } from '../../src-main/cli/paths';
import type { Io } from '../../src-main/cli/output';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

describe('fieldbench CLI usage', () => {
  it('prints help and the version', async () => {
    const io = capture();
    expect(await runCli(['help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('fieldbench <command>');
    const v = capture();
    expect(await runCli(['--version'], v)).toBe(0);
    expect(v.stdout[0]).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['diag'], /diag needs --port/],
    [['devices', '--bogus'], /Unknown option '--bogus'/],
    [['cases', '--status', 'maybe'], /--status is open or resolved/],
    [['serve', '--port', '70000'], /--port takes a whole number/],
    [['sim'], /sim needs one model/],
    [['sim', 'sensor-node', '--garbage', '2'], /--garbage takes a probability/],
    [['sim', 'toaster'], /no virtual device model 'toaster'/],
  ])('refuses %j with exit 2 and a reason on stderr', async (argv, reason) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toMatch(reason);
  });

  it('uses the same data folder as the desktop app', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/home/u/.config' }, 'linux')).toBe('/home/u/.config/fieldbench');
    expect(defaultDataDir({ FIELDBENCH_DATA_DIR: '/tmp/x' }, 'linux')).toBe('/tmp/x');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain('fieldbench');
  });
});
