// The shell client over the real serialport on a real socat pseudo-terminal pair, with the
// virtual sensor node on the other end: the same path bytes take to a USB-serial adapter.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import type { LinkCloseReason } from '../../src-main/transports/link';
import { openSerialLink } from '../../src-main/transports/serial/serial-link';
import { openPtyPair } from '../../src-main/virtual/pty-pair';
import { BOOT_BANNER } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { Cleanups, withSensorNodeOnPty } from '../helpers/sensor-node-shell';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const cleanups = new Cleanups();
afterEach(() => cleanups.runAll());


async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the virtual sensor node on a pseudo-terminal, through serialport', () => {
  test('every command answers in the documented format', async () => {
    const { shell, hostPath, simulator } = await withSensorNodeOnPty(cleanups, { seed: 11, errorLogEntries: 2 });
    expect(hostPath).toMatch(/^\/dev\/pts\/\d+$/);
    expect(await shell.run('device info')).toEqual(['model: sensor-node', `serial: ${simulator.serialNumber}`, 'firmware: 1.4.2', 'hardware: rev C']);
    expect(await shell.run('kernel uptime')).toEqual([expect.stringMatching(/^Uptime: \d+ ms$/)]);
    expect(await shell.run('battery')).toEqual([expect.stringMatching(/^voltage: \d\.\d\d V$/), expect.stringMatching(/^charge: \d{1,3} %$/)]);
    expect(await shell.run('sensor temp')).toEqual([expect.stringMatching(/^temperature: -?\d+\.\d\d C$/)]);
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: power-on']);
    const log = await shell.run('log errors');
    expect(log).toHaveLength(3);
    expect(log[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3},000\] <err> /);
    expect(log[2]).toBe('errors: 2');
    expect(await shell.run('selftest')).toEqual(['flash: PASS', 'sensor: PASS', 'radio: PASS', 'selftest: PASS']);
    expect((await shell.run('help')).join('\n')).toContain('selftest');
    await expect(shell.run('bogus')).rejects.toMatchObject({ code: 'device-error', device: hostPath, step: "command 'bogus'" });
    expect(await shell.run('kernel reboot cold')).toEqual([BOOT_BANNER]);
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: software']);
  });

  test('slow answers arrive within the deadline', async () => {
    const { shell } = await withSensorNodeOnPty(cleanups, { faults: { answerDelayMs: 400 } });
    const started = Date.now();
    expect(await shell.run('battery', { timeoutMs: 2_000 })).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });

  test('a slow answer past the deadline times out, and the next command is not confused by it', async () => {
    const { shell, simulator, hostPath } = await withSensorNodeOnPty(cleanups, { faults: { answerDelayMs: 500 } });
    const error = await fieldbenchErrorOf(shell.run('device info', { timeoutMs: 200 }));
    expect(error).toMatchObject({ code: 'timeout', device: hostPath });
    simulator.setFaults({});
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: power-on']);
  });

  test('noise on the line: answers still parse, nothing crashes', async () => {
    const { shell } = await withSensorNodeOnPty(cleanups, { seed: 99, faults: { garbage: 1 } });
    for (let i = 0; i < 10; i++) {
      const lines = await shell.run('battery');
      expect(lines).toContainEqual(expect.stringMatching(/^voltage: \d\.\d\d V$/));
    }
    expect(await shell.run('device info')).toContainEqual('model: sensor-node');
  });

  test('a silent device: time-out naming the port and the command', async () => {
    const { shell, simulator, hostPath } = await withSensorNodeOnPty(cleanups);
    simulator.setFaults({ silent: true });
    const error = await fieldbenchErrorOf(shell.run('battery', { timeoutMs: 500 }));
    expect(error.code).toBe('timeout');
    expect(error.device).toBe(hostPath);
    expect(error.step).toBe("command 'battery'");
    expect(error.message).toMatch(/^no prompt after 'battery' within 500 ms/);
    expect(error.hint).toContain('baud rate (115200)');
  });

  test('the device dropping off mid-answer: device-gone, and the link reports it lost', async () => {
    const { shell, simulator, link, hostPath } = await withSensorNodeOnPty(cleanups);
    const reasons: LinkCloseReason[] = [];
    link.onClose((reason) => reasons.push(reason));
    simulator.setFaults({ dropAfterBytes: 40 });
    const error = await fieldbenchErrorOf(shell.run('device info', { timeoutMs: 3_000 }));
    expect(error).toMatchObject({ code: 'device-gone', device: hostPath, step: "command 'device info'" });
    await waitUntil(() => reasons.length > 0, 2_000, 'the close event');
    expect(reasons[0]?.kind).toBe('lost');
    expect(link.isOpen).toBe(false);
    await waitUntil(() => !existsSync(hostPath), 2_000, 'the port disappearing');
    await expect(shell.run('battery')).rejects.toMatchObject({ code: 'device-gone' });
  });

  test('a reboot in the middle of a command: the answer ends at the new prompt, the node carries on', async () => {
    const { shell, simulator } = await withSensorNodeOnPty(cleanups);
    const selftest = shell.run('selftest', { timeoutMs: 3_000 });
    setTimeout(() => simulator.reboot('watchdog'), 100);
    expect(await selftest).toEqual([BOOT_BANNER]);
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: watchdog']);
    expect(await shell.run('kernel uptime')).toEqual([expect.stringMatching(/^Uptime: \d+ ms$/)]);
  });

  test('the host can close the port and open it again; the node is still there', async () => {
    const first = await withSensorNodeOnPty(cleanups);
    await first.link.close();
    const again = await openSerialLink(first.hostPath, { baudRate: 115200 });
    cleanups.add(() => again.close());
    const { ShellClient } = await import('../../src-main/protocols/shell/shell-client');
    const { sensorNodeShell } = await import('../helpers/sensor-node-shell');
    const shell = new ShellClient(again, sensorNodeShell, { deviceLabel: first.hostPath });
    await shell.sync();
    expect(await shell.run('device info')).toContainEqual('model: sensor-node');
  });

  test('detaching the node makes the port vanish', async () => {
    const { link, hostPath, detach } = await withSensorNodeOnPty(cleanups);
    const lost = new Promise<LinkCloseReason>((resolve) => link.onClose(resolve));
    await detach();
    expect((await lost).kind).toBe('lost');
    expect(existsSync(hostPath)).toBe(false);
  });
});

describe('opening serial ports', () => {
  test('a port that does not exist: a clear error naming the port and what to do', async () => {
    const error = await fieldbenchErrorOf(openSerialLink('/dev/ttyUSB-fieldbench-missing', { baudRate: 115200 }));
    expect(error).toMatchObject({ code: 'not-found', device: '/dev/ttyUSB-fieldbench-missing', step: 'open port' });
    expect(error.hint).toMatch(/plugged in/);
  });

  test('a port held by another program: device-busy, naming the holder', async () => {
    const pty = await openPtyPair();
    cleanups.add(() => pty.close());
    const holder = await openSerialLink(pty.hostPath, { baudRate: 115200 });
    cleanups.add(() => holder.close());
    const error = await fieldbenchErrorOf(openSerialLink(pty.hostPath, { baudRate: 115200 }));
    expect(error).toMatchObject({ code: 'device-busy', device: pty.hostPath, step: 'open port' });
    expect(error.message).toContain('Fieldbench itself');
  });

  test('bytes flow both ways, reads time out empty, close is reported as ours', async () => {
    const pty = await openPtyPair();
    cleanups.add(() => pty.close());
    const a = await openSerialLink(pty.hostPath, { baudRate: 115200 });
    const b = await openSerialLink(pty.devicePath, { baudRate: 115200 });
    cleanups.add(() => a.close());
    cleanups.add(() => b.close());
    expect((await a.read(50)).length).toBe(0);
    await a.write(new Uint8Array([0, 1, 2, 0xff, 0x0d, 0x0a]));
    let received: number[] = [];
    const deadline = Date.now() + 2_000;
    while (received.length < 6 && Date.now() < deadline) received = [...received, ...(await b.read(200))];
    expect(received).toEqual([0, 1, 2, 0xff, 0x0d, 0x0a]);
    const reasons: LinkCloseReason[] = [];
    a.onClose((r) => reasons.push(r));
    await a.close();
    expect(reasons).toEqual([{ kind: 'closed-by-us' }]);
    await expect(a.read(10)).rejects.toMatchObject({ code: 'device-gone' });
  });

  test('socat missing: unavailable, with the install hint', async () => {
    const error = await fieldbenchErrorOf(openPtyPair({ socatPath: '/nonexistent/socat' }));
    expect(error.code).toBe('unavailable');
    expect(error.hint).toBe('Install socat (Debian/Ubuntu: sudo apt install socat) or attach the virtual device in memory');
  });
});
