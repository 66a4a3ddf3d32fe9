// Reading identity and diagnostics through a shell, against a fake shell that answers in
// exactly the virtual sensor node's formats, and fails the way a real one does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FieldbenchError, isFieldbenchError } from '../../src-main/api/errors';
import { DiagnosticsReport } from '../../src-main/api/schemas';
import {
  IDENTITY_READING_ID,
  readDiagnostics,
  readIdentity,
  type ShellCommandRunner,
} from '../../src-main/core/diagnostics/read-diagnostics';
import { defaultProfilesDir } from '../../src-main/core/profiles/profile-registry';
import type { SerialProfile } from '../../src-main/core/profiles/profile-types';

const profile: SerialProfile = JSON.parse(readFileSync(join(defaultProfilesDir(), 'sensor-node.json'), 'utf8'));

const errLine = '[00:00:12.345,000] <err> i2c_nrfx_twim: Error on I2C line occurred';

/** What the virtual sensor node answers when it is healthy. */
const healthy: Record<string, string[]> = {
  'device info': ['model: sensor-node', 'serial: SN-1A2B3C4D', 'firmware: 1.4.2', 'hardware: rev C'],
  'kernel uptime': ['Uptime: 123456 ms'],
  battery: ['voltage: 3.91 V', 'charge: 87 %'],
  'sensor temp': ['temperature: 24.31 C'],
  'hwinfo reset_cause': ['reset cause: power-on'],
  'log errors': ['errors: 0'],
  selftest: ['flash: PASS', 'sensor: PASS', 'radio: PASS', 'selftest: PASS'],
};

type Answer = string[] | Error;

class FakeShell implements ShellCommandRunner {
  readonly calls: { command: string; timeoutMs?: number; step?: string }[] = [];

  constructor(private readonly answers: Record<string, Answer>) {}

  async run(command: string, options?: { timeoutMs?: number; step?: string }): Promise<string[]> {
    this.calls.push({ command, ...options });
    const answer = this.answers[command];
    if (answer === undefined) throw deviceError(command, `${command}: command not found`);
    if (answer instanceof Error) throw answer;
    // Errors the profile declares are found by the shell client, before any parsing.
    const failing = answer.find((line) => profile.shell.errorPatterns.some((p) => new RegExp(p).test(line)));
    if (failing) throw deviceError(command, failing);
    return [...answer];
  }

  commands(): string[] {
    return this.calls.map((c) => c.command);
  }
}

function timeout(command: string): FieldbenchError {
  return new FieldbenchError({
    code: 'timeout',
    message: `no answer to '${command}' in 2000 ms`,
    device: '/dev/pts/3',
    step: `read diagnostics: ${command}`,
    hint: 'Check the cable.',
  });
}
function deviceError(command: string, line: string): FieldbenchError {
  return new FieldbenchError({ code: 'device-error', message: `'${command}' failed: ${line}`, device: '/dev/pts/3' });
}
function gone(): FieldbenchError {
  return new FieldbenchError({ code: 'device-gone', message: 'the port closed', device: '/dev/pts/3' });
}

/** A clock that ticks one second per call, so every timestamp is known. */
function clock() {
  let t = Date.parse('2026-03-01T10:00:00.000Z');
  return () => new Date((t += 1000) - 1000);
}

async function read(answers: Record<string, Answer>) {
  const shell = new FakeShell(answers);
  const report = await readDiagnostics(shell, profile, { deviceId: 'dev-1', now: clock() });
  expect(DiagnosticsReport.parse(report)).toEqual(report);
  return { report, shell };
}

async function rejection(promise: Promise<unknown>): Promise<FieldbenchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFieldbenchError(error)) throw new Error(`expected a FieldbenchError, got ${String(error)}`);
  return error;
}

describe('the sensor node profile against its simulator', () => {
  it("has error patterns that match none of the device's normal answers", () => {
    const answers = [
      ...Object.values(healthy).flat(),
      errLine,
      '[00:01:02.003,000] <err> bt_hci_core: HCI command 0x0c03 timed out',
      '[00:01:02.003,000] <err> spi_nor: Flash write took longer than expected',
      'errors: 12',
      'selftest: FAIL',
      'reset cause: brownout',
      'voltage: 3.21 V',
      '*** Booting Zephyr OS build v3.7.0 ***',
    ];
    for (const pattern of profile.shell.errorPatterns) {
      for (const line of answers) expect(new RegExp(pattern).test(line), `${pattern} on ${line}`).toBe(false);
    }
  });

  it('has error patterns that catch the shell refusing a command', () => {
    const refusals = [
      'lgo: command not found',
      'info: wrong parameter count',
      'sensor: please specify a subcommand',
      'hwinfo: unknown parameter: reset',
      'Error: sensor not ready',
      'error -5',
      'read failed (err -5)',
    ];
    for (const line of refusals) {
      expect(profile.shell.errorPatterns.some((p) => new RegExp(p).test(line)), line).toBe(true);
    }
  });
});

describe('readIdentity', () => {
  it('runs the identity command with the shell deadline and parses its answer', async () => {
    const shell = new FakeShell(healthy);
    expect(await readIdentity(shell, profile)).toEqual({
      model: 'sensor-node',
      serialNumber: 'SN-1A2B3C4D',
      firmwareVersion: '1.4.2',
      hardwareRevision: 'rev C',
    });
    expect(shell.calls).toEqual([{ command: 'device info', timeoutMs: 2000, step: 'read identity' }]);
  });

  it('passes a timeout through unchanged', async () => {
    const error = await rejection(readIdentity(new FakeShell({ 'device info': timeout('device info') }), profile));
    expect(error.code).toBe('timeout');
  });
});

describe('readDiagnostics', () => {
  it('reads a healthy node: identity, then every reading in profile order, each command once', async () => {
    const { report, shell } = await read(healthy);
    expect(shell.commands()).toEqual(['device info', 'kernel uptime', 'battery', 'sensor temp', 'hwinfo reset_cause', 'log errors', 'selftest']);
    expect(report.deviceId).toBe('dev-1');
    expect(report.profileId).toBe('fieldbench-sensor-node');
    expect(report.identity).toEqual({ model: 'sensor-node', serialNumber: 'SN-1A2B3C4D', firmwareVersion: '1.4.2', hardwareRevision: 'rev C' });
    expect(report.readings.map((r) => [r.id, r.value, r.unit, r.status])).toEqual([
      ['uptime', 123.456, 's', 'ok'],
      ['battery-voltage', 3.91, 'V', 'ok'],
      ['battery-charge', 87, '%', 'ok'],
      ['temperature', 24.31, '°C', 'ok'],
      ['reset-cause', 'power-on', null, 'ok'],
      ['error-log', 0, null, 'ok'],
      ['selftest', 'PASS', null, 'ok'],
    ]);
  });

  it("uses each diagnostic's own deadline and names the step", async () => {
    const { shell } = await read(healthy);
    expect(shell.calls.slice(1).map((c) => [c.command, c.timeoutMs, c.step])).toEqual([
      ['kernel uptime', 2000, 'read diagnostics: kernel uptime'],
      ['battery', 2000, 'read diagnostics: battery'],
      ['sensor temp', 2000, 'read diagnostics: sensor temp'],
      ['hwinfo reset_cause', 2000, 'read diagnostics: hwinfo reset_cause'],
      ['log errors', 2000, 'read diagnostics: log errors'],
      ['selftest', 5000, 'read diagnostics: selftest'],
    ]);
  });

  it('stamps the report and each reading with the clock', async () => {
    const { report } = await read(healthy);
    // One tick at the start, one per command answered (battery feeds two readings), one at the end.
    expect(report.startedAt).toBe('2026-03-01T10:00:00.000Z');
    expect(report.readings.map((r) => r.readAt.slice(11, 19))).toEqual([
      '10:00:01',
      '10:00:02',
      '10:00:02',
      '10:00:03',
      '10:00:04',
      '10:00:05',
      '10:00:06',
    ]);
    expect(report.finishedAt).toBe('2026-03-01T10:00:07.000Z');
  });

  it('judges a tired node: warn and fail readings with their reasons', async () => {
    const { report } = await read({
      ...healthy,
      battery: ['voltage: 3.21 V', 'charge: 15 %'],
      'sensor temp': ['temperature: 61.20 C'],
      'hwinfo reset_cause': ['reset cause: watchdog'],
      'log errors': [...Array.from({ length: 12 }, () => errLine), 'errors: 12'],
      selftest: ['flash: PASS', 'sensor: FAIL', 'radio: PASS', 'selftest: FAIL'],
    });
    expect(Object.fromEntries(report.readings.map((r) => [r.id, [r.status, r.message]]))).toEqual({
      uptime: ['ok', null],
      'battery-voltage': ['fail', '3.21 V is below the fail limit 3.3 V'],
      'battery-charge': ['warn', '15 % is below the warn limit 20 %'],
      temperature: ['warn', '61.2 °C is above the warn limit 60 °C'],
      'reset-cause': ['warn', '"watchdog" is on the warn list'],
      'error-log': ['fail', '12 lines match <err>, above the fail limit 9'],
      selftest: ['fail', '"FAIL" is on the fail list'],
    });
  });

  it('turns a timeout of one command into error readings for all it feeds, and goes on', async () => {
    const { report, shell } = await read({ ...healthy, battery: timeout('battery') });
    expect(shell.commands()).toHaveLength(7);
    const byId = Object.fromEntries(report.readings.map((r) => [r.id, r]));
    for (const id of ['battery-voltage', 'battery-charge']) {
      expect(byId[id]).toMatchObject({ status: 'error', value: null, message: "no answer to 'battery' in 2000 ms" });
    }
    expect(byId['battery-voltage']?.limits).toBe('warn below 3.5 V, fail below 3.3 V');
    expect(report.readings.filter((r) => r.status === 'ok')).toHaveLength(5);
  });

  it('turns a shell error into an error reading with its message', async () => {
    const { report } = await read({ ...healthy, 'log errors': ['log: command not found'] });
    expect(report.readings.find((r) => r.id === 'error-log')).toMatchObject({
      status: 'error',
      message: "'log errors' failed: log: command not found",
    });
  });

  it('an answer without the value is an error reading quoting it', async () => {
    const { report } = await read({ ...healthy, 'sensor temp': ['temperature: n/a'] });
    expect(report.readings.find((r) => r.id === 'temperature')?.message).toMatch(/no line matching .*: "temperature: n\/a"$/);
  });

  it('aborts the whole read when the device is gone, running nothing after', async () => {
    const shell = new FakeShell({ ...healthy, 'sensor temp': gone() });
    const error = await rejection(readDiagnostics(shell, profile, { deviceId: 'dev-1' }));
    expect(error.code).toBe('device-gone');
    expect(shell.commands()).toEqual(['device info', 'kernel uptime', 'battery', 'sensor temp']);
  });

  it('fails with the timeout, not a report of errors, when the device does not answer at all', async () => {
    const silent = Object.fromEntries(Object.keys(healthy).map((command) => [command, timeout(command)]));
    const shell = new FakeShell(silent);
    const error = await rejection(readDiagnostics(shell, profile, { deviceId: 'dev-1' }));
    expect(error.code).toBe('timeout');
    expect(error.message).toBe("no answer to 'device info' in 2000 ms");
    expect(shell.commands()).toEqual(['device info']);
  });

  it('aborts when the device is gone during the identity read', async () => {
    const error = await rejection(readDiagnostics(new FakeShell({ ...healthy, 'device info': gone() }), profile, { deviceId: 'dev-1' }));
    expect(error.code).toBe('device-gone');
  });

  it('reads diagnostics with identity null when the identity answer does not fit the profile, saying why', async () => {
    const { report, shell } = await read({ ...healthy, 'device info': ['model: sensor-node', 'firmware: 2.0.0'] });
    expect(report.identity).toBeNull();
    expect(shell.commands()).toHaveLength(7);
    expect(report.readings[0]).toMatchObject({
      id: IDENTITY_READING_ID,
      label: 'Identity',
      status: 'error',
      value: null,
      message: expect.stringMatching(/^the answer to 'device info' has no serial number/),
    });
    expect(report.readings.slice(1).map((r) => r.id)).toEqual(profile.diagnostics.map((d) => d.id));
  });

  it('reads diagnostics with identity null when the identity command is refused', async () => {
    const { report } = await read({ ...healthy, 'device info': ['device: command not found'] });
    expect(report.identity).toBeNull();
    expect(report.readings[0]).toMatchObject({ id: 'identity', status: 'error', message: "'device info' failed: device: command not found" });
  });

  it('rethrows what is neither a timeout nor a device error: busy, or a bug', async () => {
    const busy = new FieldbenchError({ code: 'device-busy', message: 'a firmware update holds the device' });
    expect((await rejection(readDiagnostics(new FakeShell({ ...healthy, selftest: busy }), profile, { deviceId: 'd' }))).code).toBe('device-busy');
    const bug = new TypeError('cannot read properties of undefined');
    await expect(readDiagnostics(new FakeShell({ ...healthy, battery: bug }), profile, { deviceId: 'd' })).rejects.toBe(bug);
  });

  it('runs a command shared by diagnostics apart in the profile once, keeping profile order', async () => {
    const base = profile.diagnostics;
    const spread: SerialProfile = {
      ...profile,
      diagnostics: [base[1]!, base[3]!, base[2]!, { ...base[6]!, command: 'battery', id: 'battery-status', pattern: '^status: (\\S+)', timeoutMs: 3000 }],
    };
    const shell = new FakeShell({ ...healthy, battery: ['voltage: 3.91 V', 'charge: 87 %', 'status: PASS'] });
    const report = await readDiagnostics(shell, spread, { deviceId: 'dev-1' });
    expect(shell.calls.map((c) => [c.command, c.timeoutMs])).toEqual([
      ['device info', 2000],
      ['battery', 3000],
      ['sensor temp', 2000],
    ]);
    expect(report.readings.map((r) => [r.id, r.status])).toEqual([
      ['battery-voltage', 'ok'],
      ['temperature', 'ok'],
      ['battery-charge', 'ok'],
      ['battery-status', 'ok'],
    ]);
  });

  it('uses the real clock when none is given', async () => {
    const before = Date.now();
    const report = await readDiagnostics(new FakeShell(healthy), profile, { deviceId: 'dev-1' });
    expect(Date.parse(report.startedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(report.finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
  });
});
