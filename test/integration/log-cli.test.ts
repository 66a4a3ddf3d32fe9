// `fieldbench log` in-process through the real core, console and capture worker, against a
// virtual sensor node on a real pseudo-terminal: a flood read back whole, the capture file
// written as it goes, and a port that is not there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { logCommand } from '../../src-main/cli/commands/log';
import { runCli } from '../../src-main/cli/main';
import { attachSensorNodeOnPty } from '../../src-main/virtual/attach-sensor-node';
import { floodLineNumber } from '../../src-main/virtual/sensor-node/sensor-node-log';
import { captureIo } from '../helpers/captured-io';
import { makeTempDir } from '../helpers/temp-dir';

const dir = makeTempDir('log-cli');
afterAll(() => dir.remove());

async function cli(argv: string[], signal?: AbortSignal) {
  const io = captureIo();
  const code = await runCli([...argv, '--data-dir', dir.path], io, signal);
  return { code, stdout: io.stdout, stderr: io.stderr.join('\n') };
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

describe('fieldbench log', () => {
  it('prints every flood line once and in order as JSON, across a reboot in the middle, and stops at --until', async () => {
    const { code, stdout, stderr } = await cli([
      'log',
      '--virtual',
      '--virtual-faults',
      '{"rebootAtFloodLine":1200}',
      '--send',
      'log flood 2000',
      '--until',
      'flood: done',
      '--json',
    ]);
    expect(stderr).not.toMatch(/error/i);
    expect(code).toBe(0);
    const lines = stdout.map((line) => JSON.parse(line) as { seq: number; kind: string; text: string; at: string; time: number; level: string | null; reboot: boolean });
    expect(lines.map((line) => line.seq)).toEqual(range(lines[0]!.seq, lines[0]!.seq + lines.length - 1));
    expect(lines.map((line) => floodLineNumber(line.text)).filter((n) => n !== null)).toEqual(range(1, 2000));
    expect(lines.find((line) => line.kind === 'sent')?.text).toBe('log flood 2000');
    expect(lines.at(-1)?.text).toMatch(/flood: done, lines 1\.\.2000/);
    const rebootAt = lines.findIndex((line) => line.reboot);
    expect(rebootAt).toBeGreaterThan(lines.findIndex((line) => floodLineNumber(line.text) === 1200));
    expect(rebootAt).toBeLessThan(lines.findIndex((line) => floodLineNumber(line.text) === 1201));
    const first = lines.find((line) => floodLineNumber(line.text) === 1)!;
    expect(new Date(first.at).getTime()).toBe(first.time);
    expect(new Set(lines.map((line) => line.level))).toEqual(new Set(['error', 'warn', 'info', 'debug', null]));
  });

  it('stops after --lines device lines and writes them to --capture as text while it goes', async () => {
    const node = await attachSensorNodeOnPty({ seed: 11 });
    try {
      const file = join(dir.path, 'flood.log');
      const { code, stdout, stderr } = await cli(['log', '--port', node.hostPath, '--send', 'log flood 5000', '--lines', '400', '--capture', file]);
      expect(code).toBe(0);
      expect(stderr).toContain(`written to ${file}`);
      // "14:03:07.250   +1.234 INF [00:00:01.234,000] <inf> flood: line 1 ..."
      const shape = /^\d\d:\d\d:\d\d\.\d{3} +\+\d+\.\d{3} (ERR|WRN|INF|DBG|TRC| {3}) /;
      expect(stdout.every((line) => shape.test(line))).toBe(true);
      expect(stdout.some((line) => line.includes('>>> log flood 5000'))).toBe(true);
      const numbers = stdout.map(floodLineNumber).filter((n) => n !== null);
      expect(numbers).toEqual(range(1, numbers.length));
      expect(numbers.length).toBeGreaterThan(300);
      expect(numbers.length).toBeLessThan(400);
      // Piped, so no colours; the file holds what was printed.
      expect(stdout.join('\n')).not.toContain('\u001b[');
      expect(readFileSync(file, 'utf8')).toBe(`${stdout.join('\n')}\n`);
    } finally {
      await node.detach();
    }
  });

  it('writes JSON lines to a .jsonl capture, and closes cleanly when interrupted', async () => {
    const file = join(dir.path, 'stream.jsonl');
    const stop = new AbortController();
    const running = cli(['log', '--virtual', '--send', 'log stream on 200', '--capture', file], stop.signal);
    const deadline = Date.now() + 15_000;
    const written = () => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    while (Date.now() < deadline) {
      try {
        if (written() >= 50) break;
      } catch {
        // not created yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stop.abort();
    const { code, stdout, stderr } = await running;
    expect(code).toBe(0);
    expect(stderr).toMatch(/console closed: \d+ lines in capture \S+, and written to/);
    const records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { seq: number; text: string });
    expect(records.length).toBeGreaterThanOrEqual(50);
    expect(records.length).toBe(stdout.length);
    expect(records.map((r) => r.seq)).toEqual(range(records[0]!.seq, records[0]!.seq + records.length - 1));
    expect(records.some((r) => /<(inf|dbg|wrn|err)> [a-z0-9_]+: /.test(r.text))).toBe(true);
  });

  it('sends lines piped into it as commands, in order', async () => {
    const io = captureIo();
    const code = await logCommand(
      { dataDir: dir.path, io, verbose: false },
      {
        target: { virtual: true },
        settings: {},
        send: [],
        lines: null,
        seconds: null,
        until: /^Uptime: \d+ ms$/,
        captureFile: null,
        commands: Readable.from(['device info\n', 'kernel uptime\n']),
      },
      true,
      new AbortController().signal,
    );
    expect(code).toBe(0);
    const lines = io.stdout.map((line) => JSON.parse(line) as { kind: string; text: string });
    expect(lines.filter((line) => line.kind === 'sent').map((line) => line.text)).toEqual(['device info', 'kernel uptime']);
    const model = lines.findIndex((line) => line.text === 'model: sensor-node');
    expect(model).toBeGreaterThan(0);
    expect(lines.findIndex((line) => /^Uptime: \d+ ms$/.test(line.text))).toBeGreaterThan(model);
  });

  it('says clearly that a port is not there, on one line, and exits 1', async () => {
    const { code, stdout, stderr } = await cli(['log', '--port', '/dev/fieldbench-no-such-port']);
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^fieldbench: .*\/dev\/fieldbench-no-such-port/);
  });
});
