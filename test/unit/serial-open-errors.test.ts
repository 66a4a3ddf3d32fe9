import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openErrorFor } from '../../src-main/transports/serial/serial-link';
import { describePortHolders } from '../../src-main/transports/serial/port-holders';

// The messages serialport's Linux binding gives when open() fails.
describe('openErrorFor', () => {
  const path = '/dev/ttyUSB0';

  test('a port that does not exist', () => {
    const error = openErrorFor(path, new Error('Error: No such file or directory, cannot open /dev/ttyUSB0'), null);
    expect(error).toMatchObject({ code: 'not-found', device: path, step: 'open port', message: 'the port does not exist' });
    expect(error.hint).toMatch(/plugged in/);
  });

  test('no permission', () => {
    const error = openErrorFor(path, new Error('Error: Permission denied, cannot open /dev/ttyUSB0'), null);
    expect(error).toMatchObject({ code: 'unavailable', device: path, step: 'open port' });
    expect(error.hint).toContain("'dialout'");
    expect(error.hint).toContain('udev rule');
  });

  test('locked by another program, named when we know it', () => {
    const locked = new Error('Error Resource temporarily unavailable Cannot lock port');
    const named = openErrorFor(path, locked, 'screen (pid 4242)');
    expect(named).toMatchObject({ code: 'device-busy', message: 'the port is in use by screen (pid 4242)' });
    expect(named.hint).toContain('Close screen (pid 4242)');
    const unnamed = openErrorFor(path, new Error('Error: Device or resource busy, cannot open /dev/ttyUSB0'), null);
    expect(unnamed).toMatchObject({ code: 'device-busy', message: 'the port is in use by another program' });
    expect(unnamed.hint).toMatch(/terminal/);
  });

  test('anything else keeps the original text', () => {
    const error = openErrorFor(path, new Error('Error: Invalid argument setting custom baud rate of 7'), null);
    expect(error).toMatchObject({ code: 'device-error', step: 'open port' });
    expect(error.message).toContain('Invalid argument');
  });
});

describe('describePortHolders', () => {
  test('names this process when it holds the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fieldbench-holders-'));
    try {
      const file = join(dir, 'port');
      await writeFile(file, '');
      const { open } = await import('node:fs/promises');
      const handle = await open(file, 'r');
      try {
        expect(await describePortHolders(file)).toBe(`Fieldbench itself (pid ${process.pid})`);
      } finally {
        await handle.close();
      }
      expect(await describePortHolders(file)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
