import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { FieldbenchError } from '../../src-main/api/errors';
import type { ShellSettings } from '../../src-main/core/profiles/profile-types';
import { MAX_ANSWER_CHARS, ShellClient } from '../../src-main/protocols/shell/shell-client';
import type { Link } from '../../src-main/transports/link';
import { createMemoryLinkPair } from '../../src-main/transports/memory-link';
import { BOOT_BANNER, SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { Cleanups, sensorNodeInMemory, sensorNodeShell } from '../helpers/sensor-node-shell';
import { fieldbenchErrorOf } from '../helpers/fieldbench-error-from';

const cleanups = new Cleanups();
afterEach(() => cleanups.runAll());


/** A device end that answers each line it receives with whatever `answer` returns. */
function scriptedDevice(device: Link, answer: (line: string) => (string | Uint8Array)[]): void {
  let line = '';
  void (async () => {
    while (device.isOpen) {
      const chunk = await device.read(1_000).catch(() => null);
      if (!chunk) return;
      for (const char of new TextDecoder().decode(chunk)) {
        if (char === '\r' || char === '\n') {
          if (line === '' && char === '\n') continue;
          const reply = answer(line);
          line = '';
          for (const part of reply) await device.write(typeof part === 'string' ? new TextEncoder().encode(part) : part).catch(() => undefined);
        } else line += char;
      }
    }
  })();
}

function scriptedPair(settings: Partial<ShellSettings>, answer: (line: string) => (string | Uint8Array)[]) {
  const [host, device] = createMemoryLinkPair('scripted device', 'device end');
  cleanups.add(() => host.close());
  scriptedDevice(device, answer);
  return new ShellClient(host, { ...sensorNodeShell, ...settings });
}

describe('ShellClient against the virtual sensor node', () => {
  test('device info', async () => {
    const { shell, simulator } = await sensorNodeInMemory(cleanups, { seed: 42 });
    const lines = await shell.run('device info');
    expect(lines).toEqual(['model: sensor-node', `serial: ${simulator.serialNumber}`, 'firmware: 1.4.2', 'hardware: rev C']);
    expect(simulator.serialNumber).toMatch(/^SN-[0-9A-F]{8}$/);
  });

  test('the serial number follows the seed, and can be given', () => {
    expect(new SensorNodeSimulator({ seed: 7 }).serialNumber).toBe(new SensorNodeSimulator({ seed: 7 }).serialNumber);
    expect(new SensorNodeSimulator({ seed: 7 }).serialNumber).not.toBe(new SensorNodeSimulator({ seed: 8 }).serialNumber);
    expect(new SensorNodeSimulator({ serialNumber: 'SN-0000BEEF' }).serialNumber).toBe('SN-0000BEEF');
  });

  test('kernel uptime counts from boot on the simulator clock', async () => {
    let now = 1_000_000;
    const { shell } = await sensorNodeInMemory(cleanups, { clock: () => now });
    now += 12_345;
    expect(await shell.run('kernel uptime')).toEqual(['Uptime: 12345 ms']);
  });

  test('battery: voltage with two decimals, drifting down with uptime, and charge', async () => {
    let now = 0;
    const { shell } = await sensorNodeInMemory(cleanups, { clock: () => now, batteryVolts: 3.91 });
    const first = await shell.run('battery');
    expect(first).toEqual(['voltage: 3.91 V', expect.stringMatching(/^charge: \d{1,3} %$/)]);
    now += 3_600_000;
    const later = await shell.run('battery');
    const volts = Number(/^voltage: (\d\.\d\d) V$/.exec(later[0] ?? '')?.[1]);
    expect(volts).toBeLessThan(3.91);
    expect(volts).toBeGreaterThanOrEqual(3.0);
  });

  test('a flat battery stays within what a cell can show', async () => {
    const { shell } = await sensorNodeInMemory(cleanups, { batteryVolts: 2.5 });
    expect(await shell.run('battery')).toEqual(['voltage: 3.00 V', 'charge: 0 %']);
  });

  test('sensor temp: two decimals, small noise', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    const values: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [line] = await shell.run('sensor temp');
      const match = /^temperature: (-?\d+\.\d\d) C$/.exec(line ?? '');
      expect(match).not.toBeNull();
      values.push(Number(match?.[1]));
    }
    expect(Math.max(...values) - Math.min(...values)).toBeLessThan(0.5);
  });

  test('hwinfo reset_cause: power-on after attach, software after kernel reboot', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: power-on']);
    const rebootAnswer = await shell.run('kernel reboot cold', { timeoutMs: 2_000 });
    expect(rebootAnswer).toEqual([BOOT_BANNER]);
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: software']);
  });

  test('kernel reboot warm restarts the uptime', async () => {
    let now = 0;
    const { shell } = await sensorNodeInMemory(cleanups, { clock: () => now });
    now = 60_000;
    expect(await shell.run('kernel uptime')).toEqual(['Uptime: 60000 ms']);
    await shell.run('kernel reboot warm');
    now += 5;
    expect(await shell.run('kernel uptime')).toEqual(['Uptime: 5 ms']);
  });

  test('log errors: entries in Zephyr log format, then the count', async () => {
    const { shell } = await sensorNodeInMemory(cleanups, { errorLogEntries: 2 });
    const lines = await shell.run('log errors');
    expect(lines).toHaveLength(3);
    for (const line of lines.slice(0, 2)) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3},000\] <err> [a-z0-9_]+: .+$/);
    expect(lines[2]).toBe('errors: 2');
  });

  test('log errors with an empty log', async () => {
    const { shell } = await sensorNodeInMemory(cleanups, { errorLogEntries: 0 });
    expect(await shell.run('log errors')).toEqual(['errors: 0']);
  });

  test('selftest takes its time and passes', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    const started = Date.now();
    expect(await shell.run('selftest')).toEqual(['flash: PASS', 'sensor: PASS', 'radio: PASS', 'selftest: PASS']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  test('selftest reports a failing part', async () => {
    const { shell, simulator } = await sensorNodeInMemory(cleanups, { failingSelftestPart: 'radio' });
    expect(await shell.run('selftest')).toEqual(['flash: PASS', 'sensor: PASS', 'radio: FAIL', 'selftest: FAIL']);
    simulator.setFailingSelftestPart(null);
    expect((await shell.run('selftest')).at(-1)).toBe('selftest: PASS');
  });

  test('help lists every command', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    const text = (await shell.run('help')).join('\n');
    for (const name of ['battery', 'device', 'hwinfo', 'kernel', 'log', 'selftest', 'sensor']) expect(text).toContain(`  ${name}`);
  });

  test('answers carry no echo, no colour codes and no prompt', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    const lines = await shell.run('battery');
    expect(lines.join('\n')).not.toMatch(/battery|uart:~\$|\u001b/);
  });

  test('an unknown command is a device-error quoting the device, without colour codes', async () => {
    const { shell, label } = await sensorNodeInMemory(cleanups);
    const error = await fieldbenchErrorOf(shell.run('frobnicate'));
    expect(error.code).toBe('device-error');
    expect(error.device).toBe(label);
    expect(error.step).toBe("command 'frobnicate'");
    expect(error.message).toContain('"frobnicate: command not found"');
    expect(error.message).not.toContain('\u001b');
    expect(error.hint).toBeTruthy();
    // The shell is still in step afterwards.
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: power-on']);
  });

  test('a wrong parameter count matches an error pattern too; the step can be named', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    const error = await fieldbenchErrorOf(shell.run('battery now', { step: 'read diagnostics: battery' }));
    expect(error).toMatchObject({ code: 'device-error', step: 'read diagnostics: battery' });
    expect(error.message).toContain('battery: wrong parameter count');
  });

  test('the simulator handles backspace the way a person types', async () => {
    const { shell, link } = await sensorNodeInMemory(cleanups);
    // Typing "batx", deleting the x, then a "t" deleted again before finishing: the shell runs "battery".
    link.discardInput();
    await link.write(new TextEncoder().encode('batx\bt\u007ftery\r'));
    let received = '';
    const deadline = Date.now() + 2_000;
    while (!received.includes('charge:') && Date.now() < deadline) received += new TextDecoder().decode(await link.read(100));
    expect(received).toContain('voltage:');
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: power-on']);
  });

  test.each([['\r'], ['\n'], ['\r\n']] as const)('line ending %j works', async (lineEnding) => {
    const { shell } = await sensorNodeInMemory(cleanups, {}, { ...sensorNodeShell, lineEnding });
    expect(await shell.run('kernel uptime')).toEqual([expect.stringMatching(/^Uptime: \d+ ms$/)]);
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: power-on']);
  });

  test('concurrent callers are served one at a time, each with its own answer', async () => {
    const { shell } = await sensorNodeInMemory(cleanups, { errorLogEntries: 0 });
    const [info, battery, selftest, log, cause] = await Promise.all([
      shell.run('device info'),
      shell.run('battery'),
      shell.run('selftest'),
      shell.run('log errors'),
      shell.run('hwinfo reset_cause'),
    ]);
    expect(info[0]).toBe('model: sensor-node');
    expect(battery[0]).toMatch(/^voltage:/);
    expect(selftest.at(-1)).toBe('selftest: PASS');
    expect(log).toEqual(['errors: 0']);
    expect(cause).toEqual(['reset cause: power-on']);
  });

  test('time queued behind a slow command does not count against the next deadline', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    const slow = shell.run('selftest', { timeoutMs: 2_000 });
    const quick = shell.run('hwinfo reset_cause', { timeoutMs: 200 });
    await expect(slow).resolves.toContain('selftest: PASS');
    await expect(quick).resolves.toEqual(['reset cause: power-on']);
  });

  test('a failed command does not block the ones queued behind it', async () => {
    const { shell } = await sensorNodeInMemory(cleanups);
    const bad = shell.run('nope');
    const good = shell.run('hwinfo reset_cause');
    await expect(bad).rejects.toMatchObject({ code: 'device-error' });
    await expect(good).resolves.toEqual(['reset cause: power-on']);
  });
});

describe('ShellClient when the device misbehaves', () => {
  test('a silent device times out with the port, the command and what was expected', async () => {
    const { shell, simulator, label } = await sensorNodeInMemory(cleanups);
    simulator.setFaults({ silent: true });
    const error = await fieldbenchErrorOf(shell.run('battery', { timeoutMs: 300 }));
    expect(error.code).toBe('timeout');
    expect(error.device).toBe(label);
    expect(error.step).toBe("command 'battery'");
    expect(error.message).toMatch(/^no prompt after 'battery' within 300 ms/);
    expect(error.message).toContain('nothing was received');
    expect(error.hint).toBe('Check the cable and baud rate (115200), and that the device is powered and running its shell.');
  });

  test('sync on a silent device says which prompt it waited for', async () => {
    const attached = await sensorNodeInMemory(cleanups);
    attached.simulator.setFaults({ silent: true });
    const error = await fieldbenchErrorOf(attached.shell.sync(200));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain("no prompt 'uart:~$ ' within 200 ms");
  });

  test('a slow answer within the deadline is fine; beyond it is a time-out; the next command recovers', async () => {
    const { shell, simulator } = await sensorNodeInMemory(cleanups);
    simulator.setFaults({ answerDelayMs: 150 });
    expect(await shell.run('hwinfo reset_cause', { timeoutMs: 1_000 })).toEqual(['reset cause: power-on']);
    simulator.setFaults({ answerDelayMs: 400 });
    const error = await fieldbenchErrorOf(shell.run('battery', { timeoutMs: 150 }));
    expect(error.code).toBe('timeout');
    // The late answer to 'battery' arrives while the next command runs, and must not be taken for its answer.
    simulator.setFaults({});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: power-on']);
  });

  test('noise on the line does not crash the client, and the answer lines still come through', async () => {
    const { shell } = await sensorNodeInMemory(cleanups, { seed: 3, faults: { garbage: 1 } });
    for (let i = 0; i < 20; i++) {
      const lines = await shell.run('battery');
      expect(lines).toContainEqual(expect.stringMatching(/^voltage: \d\.\d\d V$/));
      expect(lines).toContainEqual(expect.stringMatching(/^charge: \d+ %$/));
      for (const line of lines) expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  });

  test('the garbage fault really puts NULs and invalid UTF-8 on the line', async () => {
    const [host, device] = createMemoryLinkPair('raw host', 'device end');
    const simulator = new SensorNodeSimulator({ seed: 5, faults: { garbage: 1 } });
    simulator.attach(device);
    cleanups.add(() => host.close());
    await host.write(new TextEncoder().encode('battery\r'));
    const raw: number[] = [];
    const deadline = Date.now() + 2_000;
    while (!new TextDecoder().decode(new Uint8Array(raw)).includes('charge:') && Date.now() < deadline) raw.push(...(await host.read(100)));
    expect(raw).toContain(0x00);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(raw))).toThrow();
  });

  test('the device dropping off mid-answer is device-gone, and so is every command after it', async () => {
    const { shell, simulator, link } = await sensorNodeInMemory(cleanups);
    simulator.setFaults({ dropAfterBytes: 30 });
    const error = await fieldbenchErrorOf(shell.run('device info'));
    expect(error.code).toBe('device-gone');
    expect(error.step).toBe("command 'device info'");
    expect(link.isOpen).toBe(false);
    await expect(shell.run('battery')).rejects.toMatchObject({ code: 'device-gone' });
  });

  test('a reboot during a command ends that answer at the new prompt; the node keeps working', async () => {
    const { shell, simulator } = await sensorNodeInMemory(cleanups);
    const selftest = shell.run('selftest', { timeoutMs: 3_000 });
    setTimeout(() => simulator.reboot('pin'), 100);
    const lines = await selftest;
    expect(lines).toEqual([BOOT_BANNER]);
    expect(await shell.run('hwinfo reset_cause')).toEqual(['reset cause: pin']);
  });

  test('an answer that never ends is cut off at the size limit with a clear error', async () => {
    const block = 'x'.repeat(64 * 1024) + '\r\n';
    const shell = scriptedPair({}, (line) => [`${line}\r\n`, ...Array.from({ length: MAX_ANSWER_CHARS / block.length + 2 }, () => block)]);
    const error = await fieldbenchErrorOf(shell.run('log stream', { timeoutMs: 5_000 }));
    expect(error.code).toBe('device-error');
    expect(error.message).toContain('without a prompt');
  });

  test('a shell without echo: the whole answer is kept', async () => {
    const shell = scriptedPair({ echo: false, prompt: '> ' }, (line) => (line === '' ? ['> '] : [`you said ${line}\r\n> `]));
    await shell.sync();
    expect(await shell.run('hello')).toEqual(['you said hello']);
  });

  test('stale output that arrives before the echo is not taken for the answer', async () => {
    const shell = scriptedPair({}, (line) => (line === '' ? ['uart:~$ '] : [`old line\r\nuart:~$ `, `${line}\r\n`, `answer to ${line}\r\n`, 'uart:~$ ']));
    expect(await shell.run('status')).toEqual(['answer to status']);
  });

  test('a bare prompt line inside an answer (a stray line ending answered) is not part of it', async () => {
    const shell = scriptedPair({}, (line) => [`${line}\r\nfirst\r\nuart:~$ \r\nsecond\r\nuart:~$ `]);
    expect(await shell.run('status')).toEqual(['first', 'second']);
  });

  test('a profile with a broken error pattern is a profile-error, not a crash', () => {
    const [host] = createMemoryLinkPair('host', 'device');
    expect(() => new ShellClient(host, { ...sensorNodeShell, errorPatterns: ['(unclosed'] })).toThrow(
      expect.objectContaining({ code: 'profile-error' }),
    );
  });

  test('arbitrary device byte streams end in lines or a FieldbenchError, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (chunks, echo, endWithPrompt) => {
          const [host, device] = createMemoryLinkPair('fuzzed device', 'device end');
          try {
            scriptedDevice(device, (line) => [...(echo ? [`${line}\r\n`] : []), ...chunks, ...(endWithPrompt ? ['\r\nuart:~$ '] : [])]);
            const shell = new ShellClient(host, { ...sensorNodeShell, echo, commandTimeoutMs: 30 });
            const outcome = await shell.run('cmd').then(
              (lines) => ({ lines }),
              (error: unknown) => ({ error }),
            );
            if ('error' in outcome) {
              expect(outcome.error).toBeInstanceOf(FieldbenchError);
              expect(['timeout', 'device-error', 'device-gone']).toContain((outcome.error as FieldbenchError).code);
            } else {
              for (const line of outcome.lines) expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u001b]/);
            }
          } finally {
            await host.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a device that hangs up at a random byte is device-gone or a complete answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 120 }), async (dropAfterBytes) => {
        const attached = await sensorNodeInMemory(cleanups, { errorLogEntries: 0 });
        attached.simulator.setFaults({ dropAfterBytes });
        const outcome = await attached.shell.run('device info', { timeoutMs: 1_000 }).then(
          (lines) => ({ lines }),
          (error: unknown) => ({ error }),
        );
        if ('error' in outcome) expect(outcome.error).toMatchObject({ code: 'device-gone' });
        else expect(outcome.lines).toHaveLength(4);
        await cleanups.runAll();
      }),
      { numRuns: 40 },
    );
  });
});
